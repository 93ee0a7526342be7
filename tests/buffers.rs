//! The calling convention on 1, 2, 3, 4 and 8 ranks: buffers of every kind (slices, `Vec`s,
//! fixed arrays, ndarray views) and element type (usize, isize, i8, i16, u16 included),
//! `World` used as the communicator, `Blocks`, the `_into` length checks under
//! `MPIKIT_CHECK=1` (the same `Err` on every rank, no hang), and `Random` / `Histogram`
//! across ranks against a serial computation.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::data::{Partition, Random};
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Array1, Array2};
use mpikit::prelude::*;
use mpikit::runtime::agree;
use mpikit::runtime::{MAX_MESSAGE_ENV, THREADS_ENV};
use mpikit::stats::{Histogram, Partial, Stat};
use mpikit::{Error, Pool, ReduceOp, World};

fn main() {
    common::spmd_main(
        "buffers",
        common::RANKS,
        &[
            &[],
            &[
                (MAX_MESSAGE_ENV, "64"),
                ("MPIKIT_CHECK", "1"),
                (THREADS_ENV, "3"),
            ],
        ],
        rank_checks,
    );
}

fn rank_checks() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank_index(), world.size_count());
        assert_eq!(world.size(), size as i32);
        slices_and_vecs(world, rank, size)?;
        every_element_type(world, rank, size)?;
        unsigned_min_max(world, rank, size)?;
        into_calls(world, rank, size)?;
        world_is_a_communicator(world, rank, size)?;
        if std::env::var("MPIKIT_CHECK").is_ok() {
            length_checks(world, rank, size);
        }
        random_and_histograms(world, rank, size)?;
        common::report_ok("buffers", world.comm());
        Ok::<(), Error>(())
    });
}

/// Slices and `Vec`s in, `Vec`s out, with uneven and empty blocks.
fn slices_and_vecs(world: &World, rank: usize, size: usize) -> Result<(), Error> {
    for len in [0, 1, size.saturating_sub(1), 7, 1003] {
        let mine = world.block(len);
        assert_eq!(mine, Partition::new(len, size).range(rank));
        let full: Vec<u64> = (0..len as u64).map(|i| i * i).collect();
        let got: Vec<u64> = world.scatter_rows(0, (rank == 0).then_some(&full))?;
        assert_eq!(got, full[mine.clone()], "scatter of a Vec, len {len}");
        // A slice in, a Vec out: the whole again, on every rank.
        let back: Vec<u64> = world.allgather_rows(&got[..])?;
        assert_eq!(back, full);
        let gathered = world.gather_rows(0, &got)?;
        assert_eq!(gathered.is_some(), rank == 0);
        if let Some(g) = gathered {
            assert_eq!(g, full);
        }
        // Uneven blocks from the root's own counts, the last rank getting everything.
        let mut counts = vec![0; size];
        counts[size - 1] = len;
        let last: Vec<u64> = world.scatterv_rows(0, (rank == 0).then_some(&full), Some(&counts))?;
        assert_eq!(last.len(), if rank == size - 1 { len } else { 0 });
    }
    // A slice of a larger buffer, a fixed-size array, a strided ndarray view.
    let long: Vec<i32> = (0..20).map(|i| i * 10 + rank as i32).collect();
    let middle: Vec<i32> = world.allgather_rows(&long[5..8])?;
    let want: Vec<i32> = (0..size as i32)
        .flat_map(|r| (5..8).map(move |i| i * 10 + r))
        .collect();
    assert_eq!(middle, want);
    let fixed = [rank as u8; 3];
    let all: Vec<u8> = world.allgather_rows(&fixed)?;
    assert_eq!(
        all,
        (0..size).flat_map(|r| [r as u8; 3]).collect::<Vec<_>>()
    );
    let m = Array2::from_shape_fn((2, 3), |(i, j)| (rank * 100 + i * 10 + j) as f64);
    let t = world.allgather_rows(&m.t())?; // 3x2 blocks stacked: 3·size rows
    assert_eq!(t.dim(), (3 * size, 2));
    for r in 0..size {
        for j in 0..3 {
            for i in 0..2 {
                assert_eq!(t[[3 * r + j, i]], (r * 100 + i * 10 + j) as f64);
            }
        }
    }
    // Reductions of Vecs, every rank the same shape.
    let v: Vec<f64> = vec![rank as f64, 1.0, -(rank as f64)];
    let sum = world.allreduce_array(&v, ReduceOp::Sum)?;
    let s = (size * (size - 1) / 2) as f64;
    assert_eq!(sum, vec![s, size as f64, -s]);
    let upto: Vec<f64> = world.scan_array(&v[..1], ReduceOp::Sum)?;
    assert_eq!(upto, vec![(rank * (rank + 1) / 2) as f64]);
    let below = world.exscan_array(&v[..1], ReduceOp::Sum)?;
    assert_eq!(
        below,
        (rank > 0).then(|| vec![(rank * (rank - 1) / 2) as f64])
    );
    let total = world.reduce_array(0, &v, ReduceOp::Max)?;
    assert_eq!(total.is_some(), rank == 0);
    if let Some(t) = total {
        assert_eq!(t, vec![(size - 1) as f64, 1.0, 0.0]);
    }
    let rows: Vec<f64> = world.reduce_scatter_rows(&vec![1.0; 2 * size + 1], ReduceOp::Sum)?;
    assert_eq!(
        rows,
        vec![size as f64; Partition::new(2 * size + 1, size).count(rank)]
    );
    Ok(())
}

/// The integer types added for indices and small data: sums and maxima against the closed
/// forms, and the bits of a broadcast.
fn every_element_type(world: &World, rank: usize, size: usize) -> Result<(), Error> {
    let n = size * (size - 1) / 2;
    assert_eq!(world.allreduce_scalar(rank, ReduceOp::Sum)?, n);
    assert_eq!(
        world.allreduce_scalar(-(rank as isize), ReduceOp::Min)?,
        -(size as isize - 1)
    );
    assert_eq!(
        world.allreduce_scalar(rank as u16, ReduceOp::Max)?,
        size as u16 - 1
    );
    assert_eq!(world.allreduce_scalar(1i16, ReduceOp::Sum)?, size as i16);
    assert_eq!(
        world.allreduce_scalar(-1i8, ReduceOp::Product)?,
        if size % 2 == 1 { -1 } else { 1 }
    );
    // usize::MAX survives as 64 bits.
    let big = world.broadcast_array(0, (rank == 0).then_some(&vec![usize::MAX, 7]))?;
    assert_eq!(big, vec![usize::MAX, 7]);
    let idx: Vec<usize> = world.allgather_rows(&world.block(10).collect::<Vec<_>>())?;
    assert_eq!(idx, (0..10).collect::<Vec<_>>());
    Ok(())
}

/// MIN and MAX of unsigned integers with the top bit set on some ranks (MPICH 4.0.2's own
/// operations compare them as signed), through every kind of reduction, against the ranks'
/// values ordered here.
fn unsigned_min_max(world: &World, rank: usize, size: usize) -> Result<(), Error> {
    macro_rules! check {
        ($($t:ty),*) => {$(
            // Even ranks hold values with the top bit set, odd ranks small ones.
            let of = |r: usize, k: usize| -> $t {
                if r % 2 == 0 { <$t>::MAX - (r + k) as $t } else { (r + k) as $t }
            };
            let mine: Vec<$t> = (0..3).map(|k| of(rank, k)).collect();
            let fold = |upto: usize, k: usize, max: bool| {
                (0..upto).map(|r| of(r, k)).reduce(|a, b| if max { a.max(b) } else { a.min(b) }).unwrap()
            };
            let want = |max: bool| (0..3).map(|k| fold(size, k, max)).collect::<Vec<$t>>();
            let what = std::any::type_name::<$t>();
            for (op, max) in [(ReduceOp::Min, false), (ReduceOp::Max, true)] {
                assert_eq!(world.allreduce_scalar(mine[0], op)?, want(max)[0], "{what} {op:?} scalar");
                assert_eq!(world.allreduce_array(&mine, op)?, want(max), "{what} {op:?} array");
                let at_root = world.reduce_array(0, &mine, op)?;
                assert_eq!(at_root, (rank == 0).then(|| want(max)), "{what} {op:?} reduce");
                let prefix: Vec<$t> = (0..3).map(|k| fold(rank + 1, k, max)).collect();
                assert_eq!(world.scan_array(&mine, op)?, prefix, "{what} {op:?} scan");
                let mut buf = mine.clone();
                world.allreduce_array_in_place(&mut buf, op)?;
                assert_eq!(buf, want(max), "{what} {op:?} in place");
                let pending = world.immediate_allreduce_array(&mine, op)?;
                assert_eq!(pending.wait()?, want(max), "{what} {op:?} immediate");
            }
        )*};
    }
    check!(u8, u16, u32, u64, usize);
    Ok(())
}

/// The `_into` calls on slices, `Vec`s and arrays: nothing allocated, the caller's buffers
/// written.
fn into_calls(world: &World, rank: usize, size: usize) -> Result<(), Error> {
    let mut buf = vec![0u32; 5];
    if rank == 0 {
        buf = vec![9, 8, 7, 6, 5];
    }
    world.broadcast_array_into(0, &mut buf)?;
    assert_eq!(buf, vec![9, 8, 7, 6, 5]);

    let root_send: Vec<i64> = (0..3 * size as i64).collect();
    let mut mine = [0i64; 3];
    world.scatter_array_into(0, (rank == 0).then_some(&root_send), &mut mine)?;
    assert_eq!(
        mine.to_vec(),
        (3 * rank as i64..3 * rank as i64 + 3).collect::<Vec<_>>()
    );

    let mut all = (rank == 0).then(|| vec![0i64; 3 * size]);
    world.gather_array_into(0, &mine[..], all.as_mut())?;
    if let Some(all) = all {
        assert_eq!(all, root_send);
    }

    // All-to-all into the caller's buffers: equal blocks of 2, then blocks of r + rank
    // elements to rank r (PRK Random's pattern: the counts first, then the values).
    let out: Vec<u64> = (0..2 * size as u64)
        .map(|i| 1000 * rank as u64 + i)
        .collect();
    let mut back = vec![0u64; 2 * size];
    world.alltoall_array_into(&out, &mut back)?;
    for r in 0..size {
        let want = [
            1000 * r as u64 + 2 * rank as u64,
            1000 * r as u64 + 2 * rank as u64 + 1,
        ];
        assert_eq!(back[2 * r..2 * r + 2], want, "alltoall block from {r}");
    }
    let send_counts: Vec<usize> = (0..size).map(|r| r + rank).collect();
    let mut counts = vec![0usize; size];
    world.alltoall_array_into(&send_counts, &mut counts)?;
    assert_eq!(counts, (0..size).map(|r| r + rank).collect::<Vec<_>>());
    let values: Vec<i32> = send_counts
        .iter()
        .enumerate()
        .flat_map(|(r, &n)| (0..n as i32).map(move |k| (100 * rank + r) as i32 * 1000 + k))
        .collect();
    let mut got = vec![-1i32; counts.iter().sum::<usize>() + 2];
    world.alltoallv_array_into(&values, &send_counts, &mut got, &counts)?;
    let want: Vec<i32> = counts
        .iter()
        .enumerate()
        .flat_map(|(r, &n)| (0..n as i32).map(move |k| (100 * r + rank) as i32 * 1000 + k))
        .collect();
    assert_eq!(got[..want.len()], want[..]);
    assert_eq!(
        got[want.len()..],
        [-1, -1],
        "the rest of the buffer is left alone"
    );
    assert!(world.alltoall_array_into(&out[..1], &mut back).is_err());

    // Into a strided view: written back through the copy.
    let mut out = Array2::<f64>::zeros((2, 2));
    let local = Array1::from(vec![1.0, 2.0, 3.0, rank as f64]);
    let mut flat = vec![0.0; 4];
    world.allreduce_array_into(&local, &mut flat[..], ReduceOp::Sum)?;
    let s = size as f64;
    assert_eq!(
        flat,
        vec![s, 2.0 * s, 3.0 * s, ((size * (size - 1)) / 2) as f64]
    );
    let mut t = out.view_mut().reversed_axes();
    let local2 = Array2::from_shape_vec((2, 2), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    world.allreduce_array_into(&local2, &mut t, ReduceOp::Sum)?;
    // t[i, j] = size * local2[i, j], and t is out transposed.
    assert_eq!(out[[0, 1]], 3.0 * s);
    assert_eq!(out[[1, 0]], 2.0 * s);

    let pending = world
        .immediate_broadcast_array_owned(0, if rank == 0 { vec![4u8, 2] } else { vec![0, 0] })?;
    assert_eq!(pending.wait()?, vec![4, 2]);
    Ok(())
}

/// `&world` wherever mpikit takes a communicator; `world.pool()`; the node-local view.
fn world_is_a_communicator(world: &World, rank: usize, size: usize) -> Result<(), Error> {
    assert_eq!(world.pool().current_num_threads(), world.threads());
    if let Ok(t) = std::env::var(THREADS_ENV) {
        assert_eq!(world.threads(), t.parse::<usize>().unwrap());
    }
    let x: Vec<f64> = world.block(1001).map(|i| i as f64).collect();
    let total = Partial::local(Stat::Sum, &x, world.pool())?.combine(world)?;
    assert_eq!(total, 1000.0 * 1001.0 / 2.0);
    // Var, Std and Count from per-rank partials, against a two-pass computation here; also
    // with blocks that are empty on some ranks (3 values over up to 8 ranks).
    for n in [1001usize, 3] {
        let x: Vec<f64> = world.block(n).map(|i| (i as f64).sqrt() + 0.25).collect();
        let all: Vec<f64> = (0..n).map(|i| (i as f64).sqrt() + 0.25).collect();
        let mean = all.iter().sum::<f64>() / n as f64;
        let var = all.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        let got = Partial::local(Stat::Var, &x, world.pool())?.combine(world)?;
        assert!(
            (got - var).abs() <= 1e-12 * var,
            "var of {n}: {got} vs {var}"
        );
        let std = Partial::local(Stat::Std, &x, world.pool())?.combine(world)?;
        assert!((std - var.sqrt()).abs() <= 1e-12 * var.sqrt(), "std of {n}");
        let count = Partial::local(Stat::Count, &x, world.pool())?.combine(world)?;
        assert_eq!(count, n as f64);
    }
    assert!(Partial::local(Stat::Stats, &x, world.pool()).is_err());
    let ok = agree(world, Ok::<usize, Error>(rank))?;
    assert_eq!(ok, rank);
    let failed = agree(
        world,
        if rank == size - 1 {
            Err(Error::input("last rank says no"))
        } else {
            Ok(())
        },
    );
    let message = failed.expect_err("every rank sees the failure").to_string();
    assert!(message.starts_with("last rank says no"), "{message}");
    let mut pool = Pool::new(world);
    let squares = pool.map(&[1u64, 2, 3], |x| x * x)?;
    if let Some(s) = squares {
        let s: Vec<u64> = s.into_iter().map(|r| r.expect("no task fails")).collect();
        assert_eq!(s, vec![1, 4, 9]);
    }
    let sub = world
        .split_by_color(mpikit::mpi::topology::Color::with_value((rank % 2) as i32))
        .expect("split");
    assert_eq!(
        sub.block(10),
        Partition::new(10, sub.size_count()).range(sub.rank_index())
    );
    assert_eq!(agree(&sub, Ok::<i32, Error>(3))?, 3);
    Ok(())
}

/// Under `MPIKIT_CHECK=1`: `_into` buffers whose lengths disagree are the same `Err` on every
/// rank, and the job goes on.
fn length_checks(world: &World, rank: usize, size: usize) {
    if size < 2 {
        return;
    }
    let expect_same_err = |r: Result<(), Error>, what: &str| {
        let msg = r.expect_err(what).to_string();
        // Every rank must hold the same message: compare through rank 0's.
        let all = world
            .allgather_objects(&msg)
            .expect("allgather of messages");
        assert!(
            all.iter().all(|m| *m == all[0]),
            "{what}: messages differ: {all:?}"
        );
        assert!(msg.contains("rank"), "{what}: {msg}");
    };
    let mut buf = vec![0.0f64; if rank == size - 1 { 4 } else { 3 }];
    expect_same_err(world.broadcast_array_into(0, &mut buf), "broadcast lengths");
    let mut out = vec![0.0f64; buf.len()];
    expect_same_err(
        world.allreduce_array_into(&buf, &mut out, ReduceOp::Sum),
        "allreduce lengths",
    );
    // The root's buffer too short for size x recv.
    let send = vec![1u8; 2 * size - 1];
    let mut recv = [0u8; 2];
    expect_same_err(
        world.scatter_array_into(0, (rank == 0).then_some(&send), &mut recv),
        "scatter root length",
    );
    let mut all = (rank == 0).then(|| vec![0u8; 2 * size + 1]);
    expect_same_err(
        world.gather_array_into(0, &recv, all.as_mut()),
        "gather root length",
    );
    // And the communicator still works afterwards.
    assert_eq!(
        world.allreduce_scalar(1u32, ReduceOp::Sum).unwrap(),
        size as u32
    );
}

/// Random values by global index make the same array on any rank count; a distributed
/// histogram of it equals the serial one, bin for bin.
fn random_and_histograms(world: &World, rank: usize, size: usize) -> Result<(), Error> {
    let n = 10_007;
    let rng = Random::new(2024);
    let mine = world.block(n);
    let x = mpikit::data::par_from_fn(mine.len(), world.pool(), |k| {
        rng.normal((mine.start + k) as u64)
    });
    let all: Vec<f64> = world.allgather_rows(&x)?;
    let serial: Vec<f64> = (0..n as u64).map(|i| Random::new(2024).normal(i)).collect();
    assert_eq!(
        all, serial,
        "the same values on {size} ranks as in one process"
    );
    let mut h = Histogram::new(16, (-2.5, 2.5))?;
    h.add(&x, world.pool());
    let h = h.combine(world)?;
    // The serial count, by the edges alone.
    let edges = h.edges().to_vec();
    let mut want = [0u64; 16];
    for &v in &serial {
        if let Some(b) =
            (0..16).find(|&b| v >= edges[b] && (v < edges[b + 1] || (b == 15 && v == edges[16])))
        {
            want[b] += 1;
        }
    }
    assert_eq!(h.counts(), &want[..]);
    let inside: u64 = want.iter().sum();
    assert_eq!(
        inside,
        serial.iter().filter(|v| v.abs() <= 2.5).count() as u64
    );
    // Ranks with different bins fail together.
    let high = if rank == size - 1 && size > 1 {
        2.0
    } else {
        1.0
    };
    let lopsided = Histogram::new(4, (0.0, high))?;
    assert_eq!(lopsided.combine(world).is_err(), size > 1);
    Ok(())
}
