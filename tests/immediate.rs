//! Non-blocking buffer collectives on 1, 2, 3, 4 and 8 ranks, with MPI's message sizes and
//! with 64-byte pieces (so layouts past one call take the point-to-point path): gather,
//! scatter(v), allgather, alltoall(v), reduce, reduce-scatter(v), scan, exscan and barrier,
//! the `_into` forms on owned buffers,
//! every root, uneven and empty blocks, several in flight at once and waited for in any
//! order; each result is checked against values computed here from the rank formulas.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::mpi::topology::Rank;
use mpikit::ndarray::Array2;
use mpikit::prelude::*;
use mpikit::requests::RequestSet;
use mpikit::{Error, ReduceOp, World};

fn main() {
    common::spmd_main_everywhere("immediate", rank_checks);
}

fn rank_checks() {
    mpikit::run(|world| {
        barrier(world)?;
        for case in [0usize, 1, 7, 301] {
            gathers(world, case)?;
            scatters(world, case)?;
            alltoalls(world, case)?;
            reductions(world, case)?;
            many_in_flight(world, case)?;
            owned_into(world, case)?;
        }
        refusals(world)?;
        common::report_ok("immediate", world.comm());
        Ok::<(), Error>(())
    });
}

/// Rows of rank `r`'s block in case `case`: none in case 0, none on rank 1, uneven elsewhere.
fn rows_of(r: usize, case: usize) -> usize {
    if case == 0 || r == 1 {
        0
    } else {
        (case * (r + 1) + r) % 11 + case / 2
    }
}

/// Element (i, j) of rank r's block: distinct everywhere, exact in f64.
fn value(r: usize, i: usize, j: usize) -> f64 {
    (r * 1_000_000 + i * 10 + j) as f64
}

fn block(r: usize, case: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows_of(r, case), 3), |(i, j)| value(r, i, j))
}

/// Every rank's block stacked in rank order, computed row by row.
fn stacked(size: usize, case: usize) -> Vec<f64> {
    let mut all = Vec::new();
    for r in 0..size {
        for i in 0..rows_of(r, case) {
            all.extend((0..3).map(|j| value(r, i, j)));
        }
    }
    all
}

/// Rank 0 starts the barrier; it cannot complete until the others start it, and they start
/// only after rank 0 tells them to.
fn barrier(world: &World) -> Result<(), Error> {
    let (rank, size) = (world.rank(), world.size());
    if rank == 0 {
        let mut pending = world.immediate_barrier()?;
        let done = pending.test()?.is_some();
        assert_eq!(done, size == 1, "the barrier waited for nobody");
        for r in 1..size {
            world.send_object(r, 3, &"go")?;
        }
        if !done {
            pending.wait()?;
        }
    } else {
        let (go, _) = world.receive_object::<String>(Some(0), Some(3))?;
        assert_eq!(go, "go");
        world.immediate_barrier()?.wait()?;
    }
    Ok(())
}

fn gathers(world: &World, case: usize) -> Result<(), Error> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let want = stacked(size, case);
    let mine = block(rank, case);
    for root in 0..size as Rank {
        let got = world.immediate_gather_rows(root, &mine)?.wait()?;
        match got {
            Some(all) => {
                assert_eq!(rank as Rank, root);
                assert_eq!(all.dim(), (want.len() / 3, 3));
                assert_eq!(all.as_slice().unwrap(), &want[..]);
            }
            None => assert_ne!(rank as Rank, root),
        }
    }
    let all = world.immediate_allgather_rows(&mine)?.wait()?;
    assert_eq!(all.as_slice().unwrap(), &want[..]);
    // A Vec in, a Vec out.
    let flat: Vec<f64> = mine.iter().copied().collect();
    let all: Vec<f64> = world.immediate_allgather_rows(&flat)?.wait()?;
    assert_eq!(all, want);
    Ok(())
}

fn scatters(world: &World, case: usize) -> Result<(), Error> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let counts: Vec<usize> = (0..size).map(|r| rows_of(r, case)).collect();
    let total: usize = counts.iter().sum();
    let data = Array2::from_shape_fn((total, 3), |(i, j)| (i * 3 + j) as f64);
    let first: usize = counts[..rank].iter().sum();
    let want: Vec<f64> = (first * 3..(first + counts[rank]) * 3)
        .map(|x| x as f64)
        .collect();
    for root in 0..size as Rank {
        let given = (rank as Rank == root).then_some(&data);
        let got = world
            .immediate_scatterv_rows(root, given, Some(&counts))?
            .wait()?;
        assert_eq!(got.as_slice().unwrap(), &want[..], "scatterv from {root}");
        // Balanced blocks: the first total % size ranks get one row more.
        let got = world.immediate_scatter_rows(root, given)?.wait()?;
        let (q, extra) = (total / size, total % size);
        let start = rank * q + rank.min(extra);
        let n = q + usize::from(rank < extra);
        assert_eq!(got.nrows(), n);
        let want: Vec<f64> = (start * 3..(start + n) * 3).map(|x| x as f64).collect();
        assert_eq!(got.as_slice().unwrap(), &want[..]);
    }
    Ok(())
}

/// Rows rank `from` sends to rank `to`.
fn pair_rows(from: usize, to: usize, case: usize) -> usize {
    if case == 0 {
        0
    } else {
        (from + 2 * to + case) % 4
    }
}

fn alltoalls(world: &World, case: usize) -> Result<(), Error> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let send_rows: Vec<usize> = (0..size).map(|to| pair_rows(rank, to, case)).collect();
    let mut mine = Vec::new();
    for (to, &n) in send_rows.iter().enumerate() {
        mine.extend((0..n).map(|k| (rank * 10_000 + to * 100 + k) as u32));
    }
    let got: Vec<u32> = world.immediate_alltoallv_rows(&mine, &send_rows)?.wait()?;
    let mut want = Vec::new();
    for from in 0..size {
        want.extend(
            (0..pair_rows(from, rank, case)).map(|k| (from * 10_000 + rank * 100 + k) as u32),
        );
    }
    assert_eq!(got, want);
    // Balanced: rank r's block k goes to rank k.
    let n = rows_of(rank, case) * size;
    let mine: Vec<u64> = (0..n).map(|i| (rank * 1_000_000 + i) as u64).collect();
    let got: Vec<u64> = world.immediate_alltoall_rows(&mine)?.wait()?;
    let mut want = Vec::new();
    for from in 0..size {
        let m = rows_of(from, case) * size;
        let (q, extra) = (m / size, m % size);
        let start = rank * q + rank.min(extra);
        let len = q + usize::from(rank < extra);
        want.extend((start..start + len).map(|i| (from * 1_000_000 + i) as u64));
    }
    assert_eq!(got, want);
    Ok(())
}

fn reductions(world: &World, case: usize) -> Result<(), Error> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let n = case * 2 + size; // rows, the same on every rank
    let local = Array2::from_shape_fn((n, 2), |(i, j)| (rank * 3 + i * 2 + j) as u64);
    let sum_upto = |upto: usize, i: usize, j: usize| -> u64 {
        (0..upto).map(|r| (r * 3 + i * 2 + j) as u64).sum()
    };
    for root in 0..size as Rank {
        let got = world
            .immediate_reduce_array(root, &local, ReduceOp::Sum)?
            .wait()?;
        assert_eq!(got.is_some(), rank as Rank == root);
        if let Some(total) = got {
            let want = Array2::from_shape_fn((n, 2), |(i, j)| sum_upto(size, i, j));
            assert_eq!(total, want);
        }
    }
    let scan = world.immediate_scan_array(&local, ReduceOp::Sum)?.wait()?;
    assert_eq!(
        scan,
        Array2::from_shape_fn((n, 2), |(i, j)| sum_upto(rank + 1, i, j))
    );
    let exscan = world
        .immediate_exscan_array(&local, ReduceOp::Sum)?
        .wait()?;
    match exscan {
        None => assert_eq!(rank, 0),
        Some(prefix) => {
            assert_eq!(
                prefix,
                Array2::from_shape_fn((n, 2), |(i, j)| sum_upto(rank, i, j))
            );
        }
    }
    // Uneven rows of the result, some ranks empty.
    let rows: Vec<usize> = (0..size)
        .map(|r| if r == 1 { 0 } else { n * (r + 1) })
        .collect();
    let total_rows: usize = rows.iter().sum();
    let big = Array2::from_shape_fn((total_rows, 2), |(i, j)| (rank * 3 + i * 2 + j) as u64);
    let mine = world
        .immediate_reduce_scatterv_rows(&big, &rows, ReduceOp::Sum)?
        .wait()?;
    let first: usize = rows[..rank].iter().sum();
    let want = Array2::from_shape_fn((rows[rank], 2), |(i, j)| sum_upto(size, first + i, j));
    assert_eq!(mine, want);
    // Owned buffers handed back and reused; the first pass from a transposed (non-standard)
    // array, which is copied once.
    let mut send =
        Array2::from_shape_fn((2, n), |(j, i)| (rank * 3 + i * 2 + j) as u64).reversed_axes();
    let mut out = Array2::<u64>::zeros((n, 2));
    for pass in 0..3u64 {
        let pending = world.immediate_allreduce_array_owned(send, out, ReduceOp::Sum)?;
        (send, out) = pending.wait()?;
        let want =
            Array2::from_shape_fn((n, 2), |(i, j)| sum_upto(size, i, j) + pass * size as u64);
        assert_eq!(out, want, "pass {pass}");
        send.mapv_inplace(|x| x + 1);
    }
    // Balanced rows, and MAX on floats.
    let floats = local.mapv(|x| x as f64 * if rank % 2 == 0 { 1.0 } else { -1.0 });
    let mine = world
        .immediate_reduce_scatter_rows(&floats, ReduceOp::Max)?
        .wait()?;
    let (q, extra) = (n / size, n % size);
    let start = rank * q + rank.min(extra);
    let len = q + usize::from(rank < extra);
    let want = Array2::from_shape_fn((len, 2), |(i, j)| {
        (0..size)
            .map(|r| (r * 3 + (start + i) * 2 + j) as f64 * if r % 2 == 0 { 1.0 } else { -1.0 })
            .fold(f64::MIN, f64::max)
    });
    assert_eq!(mine, want);
    Ok(())
}

/// Five operations in flight at once, waited for in reverse order, then five more through a
/// RequestSet: each finishes exactly once and right.
fn many_in_flight(world: &World, case: usize) -> Result<(), Error> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let mine = block(rank, case);
    let want = stacked(size, case);
    let root = (case % size) as Rank;
    let gather = world.immediate_gather_rows(root, &mine)?;
    let allgather = world.immediate_allgather_rows(&mine)?;
    let counts = vec![1u64 + case as u64; 5];
    let scan = world.immediate_scan_array(&counts, ReduceOp::Sum)?;
    let barrier = world.immediate_barrier()?;
    let column_sums = mine.sum_axis(mpikit::ndarray::Axis(0));
    let reduced = world.immediate_allreduce_array(&column_sums, ReduceOp::Sum)?;
    let want_sums: Vec<f64> = (0..3)
        .map(|j| want.iter().skip(j).step_by(3).sum())
        .collect();
    assert_eq!(reduced.wait()?.to_vec(), want_sums);
    barrier.wait()?;
    assert_eq!(scan.wait()?, vec![(1 + case as u64) * (rank as u64 + 1); 5]);
    assert_eq!(allgather.wait()?.as_slice().unwrap(), &want[..]);
    if let Some(all) = gather.wait()? {
        assert_eq!(all.as_slice().unwrap(), &want[..]);
    }

    let mut set = RequestSet::new();
    for k in 0..5u64 {
        set.push(world.immediate_scan_array(&vec![k + rank as u64; 3 + case], ReduceOp::Max)?);
    }
    let mut seen = [false; 5];
    while let Some((i, result)) = set.wait_any() {
        assert!(!seen[i], "request {i} finished twice");
        seen[i] = true;
        let max_upto = i as u64 + rank as u64; // the values grow with the rank
        assert_eq!(result?, vec![max_upto; 3 + case]);
    }
    assert!(seen.iter().all(|&s| s));
    Ok(())
}

/// The `_into` forms on owned buffers, equal blocks of `case` elements, handed back: gather
/// and scatter from every root (a buffer given off the root comes back untouched), allgather
/// from a transposed array (copied once), all-to-all.
fn owned_into(world: &World, case: usize) -> Result<(), Error> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let m = case;
    let elem = |r: usize, i: usize| (r * 100_000 + i) as u32;
    let mine: Vec<u32> = (0..m).map(|i| elem(rank, i)).collect();
    let everyone: Vec<u32> = (0..size)
        .flat_map(|r| (0..m).map(move |i| elem(r, i)))
        .collect();
    for root in 0..size {
        let recv = if rank == root {
            Some(vec![0u32; m * size])
        } else {
            Some(vec![7u32; 3])
        };
        let (back, got) = world
            .immediate_gather_array_owned(root as Rank, mine.clone(), recv)?
            .wait()?;
        assert_eq!(back, mine);
        let want = if rank == root {
            everyone.clone()
        } else {
            vec![7; 3]
        };
        assert_eq!(got, Some(want));

        let send = (rank == root).then(|| array1(&everyone));
        let (back, got) = world
            .immediate_scatter_array_owned(root as Rank, send, mpikit::ndarray::Array1::zeros(m))?
            .wait()?;
        assert_eq!(back.is_some(), rank == root);
        assert_eq!(got.to_vec(), mine);
    }
    // 3 x m, transposed: standard order is row by row of the transpose.
    let grid = Array2::from_shape_fn((3, m), |(j, i)| elem(rank, i * 3 + j)).reversed_axes();
    let (_, all) = world
        .immediate_allgather_array_owned(grid, Array2::<u32>::zeros((m * size, 3)))?
        .wait()?;
    let want: Vec<u32> = (0..size)
        .flat_map(|r| (0..3 * m).map(move |k| elem(r, k)))
        .collect();
    assert_eq!(all.as_slice().unwrap(), &want[..]);
    // Block k of rank r goes to rank k.
    let local: Vec<u64> = (0..m * size)
        .map(|i| (rank * 1_000_000 + i) as u64)
        .collect();
    let (_, got) = world
        .immediate_alltoall_array_owned(local, vec![0u64; m * size])?
        .wait()?;
    let want: Vec<u64> = (0..size)
        .flat_map(|from| (rank * m..(rank + 1) * m).map(move |i| (from * 1_000_000 + i) as u64))
        .collect();
    assert_eq!(got, want);
    Ok(())
}

fn array1(v: &[u32]) -> mpikit::ndarray::Array1<u32> {
    mpikit::ndarray::Array1::from_vec(v.to_vec())
}

/// Bad input is the same `Err` on every rank, and the next collective still works.
fn refusals(world: &World) -> Result<(), Error> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let cols = if rank == size - 1 && size > 1 { 4 } else { 3 };
    let odd = Array2::<f64>::zeros((2, cols));
    let gathered = world.immediate_allgather_rows(&odd);
    assert_eq!(gathered.is_err(), size > 1);
    let wrong = vec![1usize; size + 1];
    let e = world.immediate_reduce_scatterv_rows(&vec![1u32; size + 1], &wrong, ReduceOp::Sum);
    assert!(e.is_err());
    let floats = vec![1.0f64; 4];
    assert!(world
        .immediate_scan_array(&floats, ReduceOp::BitXor)
        .is_err());
    // Owned and lent buffers of the wrong length (the same mistake on every rank): an
    // Error::Shape on every rank, no panic, and the job goes on.
    let short = vec![0.0f64; 3 * size - 1];
    let e = world.immediate_allgather_array_owned(vec![1.0f64; 3], short.clone());
    assert!(
        matches!(e, Err(Error::Shape(_))),
        "allgather owned: {:?}",
        e.err()
    );
    let e = world.immediate_alltoall_array_owned(vec![1.0f64; 3 * size], short.clone());
    assert!(
        matches!(e, Err(Error::Shape(_))),
        "alltoall owned: {:?}",
        e.err()
    );
    let e = world.immediate_allreduce_array_owned(vec![1.0f64; 3], vec![0.0; 2], ReduceOp::Sum);
    assert!(
        matches!(e, Err(Error::Shape(_))),
        "allreduce owned: {:?}",
        e.err()
    );
    let mut out = vec![0.0f64; 2];
    let e = world.allreduce_array_into(&vec![1.0f64; 3], &mut out, ReduceOp::Sum);
    assert!(matches!(e, Err(Error::Shape(_))), "allreduce into: {e:?}");
    let all: Vec<u8> = world.immediate_allgather_rows(&vec![rank as u8])?.wait()?;
    assert_eq!(all, (0..size as u8).collect::<Vec<_>>());
    Ok(())
}
