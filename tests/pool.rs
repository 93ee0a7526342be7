//! The task pool and the queue on 1, 2, 3, 4 and 8 ranks, with MPI's message sizes and with
//! 64-byte pieces. Relaunches itself under mpirun (see `common::spmd_main`).

mod common;

use std::cell::RefCell;

use mpi::topology::Color;
use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::tasks::{Queue, TaskError};
use mpikit::{Pool, World};

fn main() {
    common::spmd_main(
        "pool",
        &[1, 2, 3, 4, 8, 16],
        common::MESSAGE_SIZES,
        rank_checks,
    );
}

/// A task with results of varying size: the item's label repeated.
fn label(x: &u64) -> String {
    format!("<{x}>").repeat((*x % 7) as usize + 1)
}

fn rank_checks() {
    let world = World::init().expect("MPI init");
    let comm = world.comm();
    let (rank, size) = (comm.rank() as usize, comm.size() as usize);

    for chunksize in [1, 3, 64] {
        let mut pool = Pool::new(comm).chunksize(chunksize);
        for n in [0, 1, size.saturating_sub(1), 37] {
            let items: Vec<u64> = (0..n as u64).collect();
            // In order, with results of different sizes.
            let got = pool.map(&items, label).unwrap();
            assert_eq!(got.is_some(), rank == 0);
            if let Some(got) = got {
                let want: Vec<Result<String, TaskError>> =
                    items.iter().map(|x| Ok(label(x))).collect();
                assert_eq!(got, want, "map of {n}, chunksize {chunksize}");
            }
            // Unordered: every index exactly once, each with its own result.
            if let Some(mut got) = pool.map_unordered(&items, |x| x * 3).unwrap() {
                got.sort_by_key(|&(i, _)| i);
                let want: Vec<_> = items.iter().map(|&x| (x as usize, Ok(x * 3))).collect();
                assert_eq!(got, want);
            }
        }
    }

    // Errors and panics are per item; the pool stays usable afterwards.
    let mut pool = Pool::new(comm);
    let items: Vec<i64> = (0..30).collect();
    let got = pool
        .try_map(&items, |&x| {
            if x % 5 == 4 {
                panic!("item {x} panics");
            }
            if x % 7 == 0 {
                return Err(format!("item {x} is a multiple of 7"));
            }
            Ok(x * x)
        })
        .unwrap();
    if let Some(got) = got {
        for (i, r) in got.iter().enumerate() {
            let x = i as i64;
            match r {
                Ok(v) => assert!(x % 5 != 4 && x % 7 != 0 && *v == x * x, "item {x}: {r:?}"),
                Err(e) if x % 5 == 4 => {
                    assert_eq!(e.index, i);
                    assert!(
                        e.message.contains("panicked at")
                            && e.message.contains(&format!("item {x} panics")),
                        "{e}"
                    );
                    assert!(e.message.contains("tests/pool.rs"), "the location: {e}");
                }
                Err(e) => assert_eq!(
                    (e.index, e.message.clone()),
                    (i, format!("item {x} is a multiple of 7"))
                ),
            }
        }
    }
    let again = pool.map(&items, |&x| x + 1).unwrap();
    if let Some(again) = again {
        assert!(again
            .iter()
            .enumerate()
            .all(|(i, r)| *r == Ok(i as i64 + 1)));
    }

    // as_completed and progress: every result once, progress up to (n, n).
    let seen = RefCell::new(Vec::new());
    let mut pool = Pool::new(comm)
        .chunksize(2)
        .on_progress(|done, total| seen.borrow_mut().push((done, total)));
    let mut results = Vec::new();
    pool.as_completed(&items, |&x| x - 1, |i, r| results.push((i, r)))
        .unwrap();
    drop(pool);
    if rank == 0 {
        results.sort_by_key(|&(i, _)| i);
        assert_eq!(
            results,
            items
                .iter()
                .map(|&x| (x as usize, Ok(x - 1)))
                .collect::<Vec<_>>()
        );
        let seen = seen.into_inner();
        assert!(
            seen.windows(2).all(|w| w[0].0 <= w[1].0),
            "progress only grows: {seen:?}"
        );
        assert_eq!(seen.last(), Some(&(30, 30)));
    } else {
        assert!(results.is_empty() && seen.into_inner().is_empty());
    }

    // Two pools used alternately, and a pool on a split communicator.
    let mut a = Pool::new(comm);
    let mut b = Pool::new(comm);
    for round in 0..3u64 {
        let xs: Vec<u64> = (0..10).map(|i| i + round).collect();
        let ra = a.map(&xs, |x| x * 2).unwrap();
        let rb = b.map(&xs, |x| x + 100).unwrap();
        if let (Some(ra), Some(rb)) = (ra, rb) {
            assert!(ra.iter().zip(&xs).all(|(r, x)| *r == Ok(x * 2)));
            assert!(rb.iter().zip(&xs).all(|(r, x)| *r == Ok(x + 100)));
        }
    }
    let half = comm
        .split_by_color(Color::with_value((rank % 2) as i32))
        .expect("split");
    let mut pool = Pool::new(&half);
    let xs: Vec<u64> = (0..13).collect();
    let got = pool.map(&xs, |x| x + rank as u64 % 2).unwrap();
    assert_eq!(got.is_some(), half.rank() == 0);
    if let Some(got) = got {
        assert!(got
            .iter()
            .zip(&xs)
            .all(|(r, x)| *r == Ok(x + rank as u64 % 2)));
    }

    queue_checks(comm, rank, size);
    common::report_ok("pool", comm);
}

/// (produces, consumes) for rank r of s.
type Roles = fn(usize, usize) -> (bool, bool);

/// Every produced item is consumed exactly once, with small capacities, many producers and
/// consumers, ranks that do both, and a consumer that leaves early.
fn queue_checks(comm: &mpi::topology::SimpleCommunicator, rank: usize, size: usize) {
    let cases: [(&str, Roles); 3] = [
        ("everyone both", |_, _| (true, true)),
        ("odd produce, even consume", |r, s| {
            if s == 1 {
                (true, true)
            } else {
                (r % 2 == 1, r % 2 == 0)
            }
        }),
        ("last produces", |r, s| (r == s - 1, s == 1 || r != s - 1)),
    ];
    for (name, role) in cases {
        for capacity in [1, 3] {
            let (produces, consumes) = role(rank, size);
            // A rank that puts everything before it gets needs room for it all when every
            // rank does so (or it is alone): otherwise all wait to put, none gets.
            let cap = if size == 1 || name == "everyone both" {
                20 * size
            } else {
                capacity
            };
            let mut q = Queue::<(usize, u32)>::new(comm, cap, produces, consumes).unwrap();
            if produces {
                for i in 0..20 {
                    q.put(&(rank, i)).unwrap();
                }
                q.close().unwrap();
            }
            let mut got = Vec::new();
            if consumes {
                while let Some(item) = q.get().unwrap() {
                    got.push(item);
                }
            }
            assert_eq!(q.finish().unwrap(), 0);
            let all = comm.gather_objects(0, &(produces, got)).unwrap();
            if let Some(all) = all {
                let mut items: Vec<(usize, u32)> =
                    all.iter().flat_map(|(_, g)| g.clone()).collect();
                items.sort_unstable();
                let want: Vec<(usize, u32)> = all
                    .iter()
                    .enumerate()
                    .filter(|(_, (p, _))| *p)
                    .flat_map(|(r, _)| (0..20).map(move |i| (r, i)))
                    .collect();
                assert_eq!(items, want, "{name}, capacity {capacity}");
            }
        }
    }
    // A consumer that takes one item and leaves: the rest is reported, nothing hangs.
    let (produces, consumes) = (rank == 0, true);
    let mut q = Queue::<u32>::new(comm, 100, produces, consumes).unwrap();
    if produces {
        for i in 0..10 {
            q.put(&i).unwrap();
        }
        q.close().unwrap();
    }
    let took = u32::from(q.get().unwrap().is_some());
    let left = q.finish().unwrap();
    let taken = comm.allreduce_scalar(took, mpikit::ReduceOp::Sum).unwrap();
    if rank == 0 {
        assert_eq!(left as u32, 10 - taken, "rank 0 reports what nobody took");
    }
}
