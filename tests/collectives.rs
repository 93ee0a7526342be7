//! Buffer collectives (`ArrayCollectives`) on 1, 2, 3, 4 and 8 ranks.
//!
//! This test has no libtest harness: run plainly (by `cargo test`), it relaunches its own
//! binary under mpirun at each rank count through the shared harness; run under mpirun
//! (with `MPIKIT_RANK_CHECKS` set), it performs the checks on every rank. Every expectation
//! is built independently on each rank from the same deterministic data; a failed check
//! panics, which aborts the job with the rank and message.

mod common;

use mpi::topology::Color;
use mpikit::prelude::*;
use mpikit::{Error, Partition, ReduceOp, World};
use ndarray::{s, Array1, Array2, Axis};

const RANK_CHECKS: &str = "MPIKIT_RANK_CHECKS";

fn main() {
    if std::env::var_os(RANK_CHECKS).is_some() {
        return rank_checks();
    }
    if !common::have_mpirun("collectives") {
        println!("0 passed, 0 failed, 1 skipped");
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let mut passed = 0;
    for np in [1, 2, 3, 4, 8] {
        let job = common::mpirun_with(np, &exe, &[], &[(RANK_CHECKS, "1")], common::TIMEOUT);
        job.assert_ok();
        let line = format!("collectives ok on {np} ranks");
        job.check(
            job.stdout.lines().filter(|l| *l == line).count() == 1,
            &format!("expected one line {line:?}"),
        );
        println!(
            "test collectives_on_{np}_ranks ... ok ({:.1?})",
            job.elapsed
        );
        passed += 1;
    }
    println!("collectives: {passed} passed, 0 failed");
}

/// Deterministic test data: element (i, j) of a matrix with `cols` columns.
fn value(i: usize, j: usize, cols: usize) -> f64 {
    (i * cols + j) as f64 * 0.5 - 3.0
}

fn matrix(rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| value(i, j, cols))
}

fn rank_checks() {
    let world = World::init().expect("MPI init");
    let comm = world.comm();
    let (rank, size) = (comm.rank() as usize, comm.size() as usize);

    scatter(comm, rank, size);
    gather(comm, rank, size);
    broadcast_and_reduce(comm, rank, size);
    errors_agree(comm, rank, size);

    // The same calls on a split communicator: even and odd world ranks.
    let sub = comm
        .split_by_color(Color::with_value((rank % 2) as i32))
        .expect("split");
    let (sr, ss) = (sub.rank() as usize, sub.size() as usize);
    scatter(&sub, sr, ss);
    gather(&sub, sr, ss);
    broadcast_and_reduce(&sub, sr, ss);
    let ranks = sub.allreduce_scalar(1u32, ReduceOp::Sum);
    assert_eq!(
        ranks as usize,
        size / 2 + (rank % 2 == 0 && size % 2 == 1) as usize
    );

    comm.barrier();
    if rank == 0 {
        println!("collectives ok on {size} ranks");
    }
}

fn scatter<C: Communicator>(comm: &C, rank: usize, size: usize) {
    // 1-D, several element types, lengths below, at and above the rank count.
    for len in [0, 1, size.saturating_sub(1), 7, 1003] {
        let mine = Partition::new(len, size).range(rank);
        let full = Array1::from_shape_fn(len, |i| i as i32 * 3 - 7);
        let got = comm.scatter_rows(0, (rank == 0).then_some(&full)).unwrap();
        assert_eq!(got, full.slice(s![mine.clone()]), "i32 scatter of {len}");
        let bytes = Array1::from_shape_fn(len, |i| (i % 251) as u8);
        let got = comm.scatter_rows(0, (rank == 0).then_some(&bytes)).unwrap();
        assert_eq!(
            got.to_vec(),
            (mine.start..mine.end)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<_>>()
        );
    }
    // 2-D by rows, from a non-root root, and from a transposed (non-contiguous) view.
    let root = (size - 1) as i32;
    for rows in [0, 1, 5, 2 * size + 1] {
        let full = matrix(rows, 3);
        let mine = Partition::new(rows, size).range(rank);
        let got = comm
            .scatter_rows(root, (rank == root as usize).then_some(&full))
            .unwrap();
        assert_eq!(got, full.slice(s![mine, ..]), "2-D scatter of {rows} rows");

        let wide = matrix(3, rows); // its transpose has `rows` rows
        let t = wide.t();
        let mine = Partition::new(rows, size).range(rank);
        let got = comm.scatter_rows(0, (rank == 0).then_some(&t)).unwrap();
        assert_eq!(got, t.slice(s![mine, ..]), "scatter of a transposed view");
    }
}

/// Rank r's block for the gathers: r % 3 rows (some ranks have none) of 4 columns.
fn block(rank: usize) -> Array2<f64> {
    Array2::from_shape_fn((rank % 3, 4), |(i, j)| (rank * 100 + i * 4 + j) as f64)
}

fn gather<C: Communicator>(comm: &C, rank: usize, size: usize) {
    let blocks: Vec<Array2<f64>> = (0..size).map(block).collect();
    let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
    let want = ndarray::concatenate(Axis(0), &views).unwrap();
    let root = (size / 2) as i32;
    match comm.gather_rows(root, &block(rank)).unwrap() {
        Some(all) => {
            assert_eq!(rank, root as usize, "only the root gets the result");
            assert_eq!(all, want);
        }
        None => assert_ne!(rank, root as usize),
    }
    assert_eq!(comm.allgather_rows(&block(rank)).unwrap(), want);
    // 1-D, uneven, with a non-contiguous local block (every other element).
    let local = Array1::from_shape_fn(2 * (rank + 1), |i| (rank * 1000 + i) as u64);
    let strided = local.slice(s![..;2]);
    let want: Vec<u64> = (0..size)
        .flat_map(|r| (0..r + 1).map(move |i| (r * 1000 + 2 * i) as u64))
        .collect();
    assert_eq!(comm.allgather_rows(&strided).unwrap().to_vec(), want);
}

fn broadcast_and_reduce<C: Communicator>(comm: &C, rank: usize, size: usize) {
    let root = (size - 1) as i32;
    let full = matrix(4, 5);
    let got = comm
        .broadcast_array(root, (rank == root as usize).then_some(&full))
        .unwrap();
    assert_eq!(got, full);
    let empty = Array2::<f32>::zeros((0, 3));
    assert_eq!(
        comm.broadcast_array(0, (rank == 0).then_some(&empty))
            .unwrap()
            .shape(),
        &[0, 3]
    );

    let r = rank as i64;
    let n = size as i64;
    assert_eq!(comm.allreduce_scalar(r, ReduceOp::Sum), n * (n - 1) / 2);
    assert_eq!(comm.allreduce_scalar(r, ReduceOp::Max), n - 1);
    assert_eq!(
        comm.allreduce_scalar(r + 1, ReduceOp::Product),
        (1..=n).product::<i64>()
    );
    let min = comm
        .reduce_scalar(0, r as f64 - 0.5, ReduceOp::Min)
        .unwrap();
    assert_eq!(min, (rank == 0).then_some(-0.5));

    // Element-wise: rank r contributes a[i, j] * (r + 1).
    let a = matrix(3, 2);
    let mine = a.mapv(|x| x * (rank + 1) as f64);
    let want_sum = a.mapv(|x| x * (size * (size + 1) / 2) as f64);
    assert_eq!(
        comm.allreduce_array(&mine, ReduceOp::Sum).unwrap(),
        want_sum
    );
    let want_max = a.mapv(|x| if x >= 0.0 { x * size as f64 } else { x });
    let got = comm.reduce_array(0, &mine, ReduceOp::Max).unwrap();
    assert_eq!(got, (rank == 0).then_some(want_max));
}

/// Data-dependent errors are the same `Err` on every rank, and the communicator stays usable.
fn errors_agree<C: Communicator>(comm: &C, rank: usize, size: usize) {
    // The last rank's block has 5 columns instead of 4.
    let cols = if size > 1 && rank == size - 1 { 5 } else { 4 };
    let bad = Array2::<f64>::zeros((1, cols));
    let gathered = comm.gather_rows(0, &bad);
    let reduced = comm.allreduce_array(&bad, ReduceOp::Sum);
    if size > 1 {
        assert!(
            matches!(gathered, Err(Error::Shape(_))),
            "rank {rank}: {gathered:?}"
        );
        assert!(
            matches!(reduced, Err(Error::Shape(_))),
            "rank {rank}: {reduced:?}"
        );
    } else {
        assert!(gathered.is_ok() && reduced.is_ok());
    }
    let out_of_range = comm.scatter_rows(size as i32, None::<&Array1<f64>>);
    assert!(
        matches!(out_of_range, Err(Error::Rank { .. })),
        "{out_of_range:?}"
    );
    // More elements than an MPI count can describe: refused before any data moves. The
    // buffer's pages are never touched, so it costs no memory.
    let huge = (rank == 0).then(|| Array1::from_vec(mpikit::zeroed_vec::<u8>((1 << 31) + 16)));
    let r = comm.scatter_rows(0, huge.as_ref());
    assert!(
        matches!(r, Err(Error::CountOverflow { .. })),
        "rank {rank}: {r:?}"
    );
    // Still in step: a collective after the errors completes.
    assert_eq!(comm.allreduce_scalar(1u64, ReduceOp::Sum), size as u64);
}
