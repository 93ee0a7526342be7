//! Buffer collectives (`ArrayCollectives`) on 1, 2, 3, 4 and 8 ranks.
//!
//! This test has no libtest harness: run plainly (by `cargo test`), it relaunches its own
//! binary under mpirun at each rank count through the shared harness; run under mpirun
//! (with `MPIKIT_RANK_CHECKS` set), it performs the checks on every rank. Every expectation
//! is built independently on each rank from the same deterministic data; a failed check
//! panics, which aborts the job with the rank and message.

mod common;

use mpi::topology::Color;
use mpikit::data::Partition;
use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::{Error, ReduceOp, World};
use ndarray::{s, Array1, Array2, Axis};

fn main() {
    // Twice: with MPI's own message sizes, and with messages cut at 64 bytes, which sends
    // everything through the piecewise paths used above 2 GiB.
    common::spmd_main(
        "collectives",
        &[1, 2, 3, 4, 8, 16],
        common::MESSAGE_SIZES,
        rank_checks,
    );
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
    more_movement(comm, rank, size);
    more_reductions(comm, rank, size);

    // The same calls on a split communicator: even and odd world ranks.
    let sub = comm
        .split_by_color(Color::with_value((rank % 2) as i32))
        .expect("split");
    let (sr, ss) = (sub.rank() as usize, sub.size() as usize);
    scatter(&sub, sr, ss);
    gather(&sub, sr, ss);
    broadcast_and_reduce(&sub, sr, ss);
    more_movement(&sub, sr, ss);
    more_reductions(&sub, sr, ss);
    let ranks = sub.allreduce_scalar(1u32, ReduceOp::Sum).unwrap();
    assert_eq!(
        ranks as usize,
        size / 2 + (rank % 2 == 0 && size % 2 == 1) as usize
    );

    common::report_ok("collectives", comm);
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
    assert_eq!(
        comm.allreduce_scalar(r, ReduceOp::Sum).unwrap(),
        n * (n - 1) / 2
    );
    assert_eq!(comm.allreduce_scalar(r, ReduceOp::Max).unwrap(), n - 1);
    assert_eq!(
        comm.allreduce_scalar(r + 1, ReduceOp::Product).unwrap(),
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
    // Row counts that do not add up (root), or do not have one entry per rank (any rank).
    let full = matrix(5, 2);
    let wrong = vec![1; size + 1];
    let r = comm.scatterv_rows(0, (rank == 0).then_some(&full), Some(&wrong));
    assert!(matches!(r, Err(Error::Shape(_))), "rank {rank}: {r:?}");
    let mut sends = Partition::new(3, size).counts();
    if rank == size - 1 {
        sends[0] += 1; // one row more than the block has
    }
    let r = comm.alltoallv_rows(&matrix(3, 2), &sends);
    assert!(matches!(r, Err(Error::Shape(_))), "rank {rank}: {r:?}");
    // Still in step: a collective after the errors completes.
    assert_eq!(
        comm.allreduce_scalar(1u64, ReduceOp::Sum).unwrap(),
        size as u64
    );
}

/// Scatterv with given counts, all-to-all(v) by rows.
fn more_movement<C: Communicator>(comm: &C, rank: usize, size: usize) {
    // Rank r gets r rows (rank 0 none): 0 + 1 + ... + (size-1) rows in all.
    let rows: Vec<usize> = (0..size).collect();
    let total = rows.iter().sum::<usize>();
    let full = matrix(total, 3);
    let got = comm
        .scatterv_rows(0, (rank == 0).then_some(&full), Some(&rows))
        .unwrap();
    let start = rank * rank.saturating_sub(1) / 2;
    assert_eq!(got, full.slice(s![start..start + rank, ..]));

    // All-to-all: rank r sends (r + d) % 3 rows to rank d, each row tagged (from, to, i).
    let sends: Vec<usize> = (0..size).map(|d| (rank + d) % 3).collect();
    let mut local = Array2::<i64>::zeros((sends.iter().sum(), 3));
    let mut row = 0;
    for (d, &n) in sends.iter().enumerate() {
        for i in 0..n {
            local
                .row_mut(row)
                .assign(&ndarray::arr1(&[rank as i64, d as i64, i as i64]));
            row += 1;
        }
    }
    let got = comm.alltoallv_rows(&local, &sends).unwrap();
    let want: Vec<[i64; 3]> = (0..size)
        .flat_map(|from| (0..(from + rank) % 3).map(move |i| [from as i64, rank as i64, i as i64]))
        .collect();
    assert_eq!(got.nrows(), want.len());
    for (g, w) in got.rows().into_iter().zip(&want) {
        assert_eq!(g.to_vec(), w.to_vec());
    }
    // Balanced all-to-all of 1-D data: rank r holds 2*size + r values r*1000 + i.
    let n = 2 * size + rank;
    let local = Array1::from_shape_fn(n, |i| (rank * 1000 + i) as u32);
    let got = comm.alltoall_rows(&local).unwrap();
    let want: Vec<u32> = (0..size)
        .flat_map(|from| {
            let r = Partition::new(2 * size + from, size).range(rank);
            r.map(move |i| (from * 1000 + i) as u32)
        })
        .collect();
    assert_eq!(got.to_vec(), want);
}

/// Closures in rank order, reduce-scatter, scans, non-blocking calls.
fn more_reductions<C: Communicator>(comm: &C, rank: usize, size: usize) {
    let r = rank as i64;
    let local = Array2::from_shape_fn((2, 3), |(i, j)| r * 100 + (i * 3 + j) as i64);
    // f(a, b) = a is associative and not commutative: rank order gives rank 0's values.
    let first = comm.allreduce_array_with(&local, |a, _| a).unwrap();
    assert_eq!(first, local.mapv(|x| x - r * 100));
    let last = comm.reduce_array_with(0, &local, |_, b| b).unwrap();
    let last_want = local.mapv(|x| x - r * 100 + (size as i64 - 1) * 100);
    assert_eq!(last, (rank == 0).then_some(last_want));
    let biggest = comm
        .allreduce_array_with(&local.mapv(|x| x as f64), f64::max)
        .unwrap();
    assert_eq!(
        biggest,
        local.mapv(|x| (x - r * 100 + (size as i64 - 1) * 100) as f64)
    );

    // Reduce-scatter: the sum over ranks of (x + rank), split by rows.
    let rows = 2 * size + 1;
    let x = Array2::from_shape_fn((rows, 2), |(i, j)| (i * 2 + j) as i64);
    let mine = comm
        .reduce_scatter_rows(&x.mapv(|v| v + r), ReduceOp::Sum)
        .unwrap();
    let n = size as i64;
    let want = x.mapv(|v| v * n + n * (n - 1) / 2);
    let my_rows = Partition::new(rows, size).range(rank);
    assert_eq!(mine, want.slice(s![my_rows, ..]));

    // Scans of (r + 1) * x: inclusive sums (r+1)(r+2)/2 * x, exclusive r(r+1)/2 * x.
    let x = Array1::from_shape_fn(5, |i| i as i64 + 1);
    let mine = x.mapv(|v| v * (r + 1));
    assert_eq!(
        comm.scan_array(&mine, ReduceOp::Sum).unwrap(),
        x.mapv(|v| v * (r + 1) * (r + 2) / 2)
    );
    let ex = comm.exscan_array(&mine, ReduceOp::Sum).unwrap();
    assert_eq!(ex, (rank > 0).then(|| x.mapv(|v| v * r * (r + 1) / 2)));
    assert_eq!(
        comm.scan_array(&mine, ReduceOp::Max).unwrap(),
        x.mapv(|v| v * (r + 1))
    );

    // Non-blocking: start both, then wait.
    let data = Array1::from_shape_fn(1000, |i| i as f64 + r as f64);
    let sum = comm
        .immediate_allreduce_array(&data, ReduceOp::Sum)
        .unwrap();
    let root = (size - 1) as i32;
    let buf = if rank == size - 1 {
        matrix(7, 3)
    } else {
        Array2::zeros((7, 3))
    };
    let mut bcast = comm.immediate_broadcast_array_owned(root, buf).unwrap();
    // test() hands the result out once, if it is complete; then wait() has nothing to give.
    let early = bcast.test().unwrap();
    let want = Array1::from_shape_fn(1000, |i| (i * size) as f64 + (size * (size - 1) / 2) as f64);
    assert_eq!(sum.wait().unwrap(), want);
    match early {
        Some(got) => {
            assert_eq!(got, matrix(7, 3));
            assert!(bcast.wait().is_err(), "the result was handed out by test()");
        }
        None => assert_eq!(bcast.wait().unwrap(), matrix(7, 3)),
    }

    // In place, into buffers the caller gives (also a transposed, non-contiguous one).
    let mut buf = if rank == size - 1 {
        matrix(4, 6)
    } else {
        Array2::zeros((4, 6))
    };
    comm.broadcast_array_into(root, &mut buf).unwrap();
    assert_eq!(buf, matrix(4, 6));
    let mut t = Array2::<f64>::zeros((6, 4));
    if rank == 0 {
        t.assign(&matrix(4, 6).t());
    }
    comm.broadcast_array_into(0, &mut t.view_mut().reversed_axes())
        .unwrap();
    assert_eq!(t, matrix(4, 6).t());
    let mut out = Array1::<f64>::zeros(1000);
    comm.allreduce_array_into(&data, &mut out, ReduceOp::Sum)
        .unwrap();
    assert_eq!(out, want);

    // Equal blocks into given buffers: a (size*3) x 2 matrix, 3 rows each, and back.
    let full = matrix(size * 3, 2);
    let mut block = Array2::<f64>::zeros((3, 2));
    comm.scatter_array_into(root, (rank == size - 1).then_some(&full), &mut block)
        .unwrap();
    assert_eq!(block, full.slice(s![rank * 3..rank * 3 + 3, ..]));
    let mut back = Array2::<f64>::zeros((size * 3, 2));
    let doubled = block.mapv(|x| 2.0 * x);
    comm.gather_array_into(0, &doubled, (rank == 0).then_some(&mut back))
        .unwrap();
    if rank == 0 {
        assert_eq!(back, full.mapv(|x| 2.0 * x));
    }
}
