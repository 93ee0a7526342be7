//! The mpi4py calls added on top of the basic collectives, on 1, 2, 3, 4 and 8 ranks, with
//! MPI's message sizes and with 64-byte pieces: sendrecv and PROC_NULL (objects and buffers),
//! in-place collectives (bit for bit the out-of-place results), logical and bitwise
//! operations, bool and complex elements, MAXLOC / MINLOC, reduce_local, buffered sends.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::buffers::reduce_local_into;
use mpikit::mpi::topology::Rank;
use mpikit::mpi::traits::*;
use mpikit::num_complex::Complex64;
use mpikit::p2p::PROC_NULL;
use mpikit::prelude::*;
use mpikit::requests::RequestSet;
use mpikit::{Error, ReduceOp, World};

fn main() {
    common::spmd_main_everywhere("mpi4py", rank_checks);
}

fn rank_checks() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank(), world.size());
        shifts(world, rank, size)?;
        for len in [0usize, 1, 7, 301] {
            in_place_equals_out_of_place(world, rank, size, len)?;
        }
        operations_and_types(world, rank, size)?;
        locations(world, rank, size)?;
        requests(world, rank, size)?;
        buffered_sends(world, rank, size)?;
        for len in [0usize, 1, 7, 301] {
            reduce_scatter_counts(world, rank, size, len)?;
        }
        common::report_ok("mpi4py", world.comm());
        Ok::<(), Error>(())
    });
}

fn neighbours(rank: Rank, size: Rank) -> (Rank, Rank) {
    let right = if rank + 1 < size { rank + 1 } else { PROC_NULL };
    let left = if rank > 0 { rank - 1 } else { PROC_NULL };
    (left, right)
}

/// A shift along a chain with PROC_NULL ends, and around a ring, of objects and buffers.
fn shifts(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (left, right) = neighbours(rank, size);
    let got: Option<String> = world.send_receive_object(&format!("from {rank}"), right, left)?;
    assert_eq!(got, (rank > 0).then(|| format!("from {}", rank - 1)));

    // Large objects both ways at once around the ring (pieces with 64-byte messages).
    let (next, prev) = ((rank + 1) % size, (rank + size - 1) % size);
    let big: Vec<u64> = (0..5000).map(|i| i * 31 + rank as u64).collect();
    let (back, status) = world
        .send_receive_object_tagged::<_, Vec<u64>>(&big, next, 7, prev, 7)?
        .expect("a ring has a left neighbour");
    assert_eq!(
        back,
        (0..5000).map(|i| i * 31 + prev as u64).collect::<Vec<_>>()
    );
    assert_eq!((status.source, status.tag), (prev, 7));

    // Buffers: the halo at the chain's start stays untouched.
    let mut halo = [-1.0f64, -1.0];
    world.send_receive_into(&[rank as f64, 0.5], right, &mut halo, left)?;
    let want = if rank > 0 {
        [(rank - 1) as f64, 0.5]
    } else {
        [-1.0, -1.0]
    };
    assert_eq!(halo, want);
    // Larger than a piece, around the ring, in place.
    let mut ring: Vec<u32> = (0..1000).map(|i| i + 10_000 * rank as u32).collect();
    world.send_receive_replace_into(&mut ring, next, prev)?;
    assert_eq!(
        ring,
        (0..1000)
            .map(|i| i + 10_000 * prev as u32)
            .collect::<Vec<_>>()
    );
    // Replacing from PROC_NULL keeps the buffer.
    let mut keep = vec![rank; 3];
    world.send_receive_replace_into(&mut keep, right, left)?;
    assert_eq!(keep, vec![if rank > 0 { rank - 1 } else { 0 }; 3]);

    // Sending to PROC_NULL does nothing; receiving from it is an error, not a hang.
    world.send_object(PROC_NULL, 3, &"nobody")?;
    world
        .immediate_send_object(PROC_NULL, 3, &"nobody")?
        .wait()?;
    assert!(world
        .receive_object::<String>(Some(PROC_NULL), None)
        .is_err());
    assert!(world
        .send_receive_object::<_, u8>(&1u8, size, left)
        .is_err());
    Ok(())
}

/// Rounding-sensitive values: element i of rank r.
fn value(rank: Rank, i: usize) -> f64 {
    0.1 * (rank + 1) as f64 * (i as f64 + 0.3) + 1e-3 / (i as f64 + 1.0)
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Every in-place call gives the out-of-place call's bits; empty and odd lengths too.
fn in_place_equals_out_of_place(
    world: &World,
    rank: Rank,
    size: Rank,
    len: usize,
) -> Result<(), Error> {
    let mine: Vec<f64> = (0..len).map(|i| value(rank, i)).collect();
    let (p, me) = (size as usize, rank as usize);
    for op in [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Product] {
        let want = world.allreduce_array(&mine, op)?;
        let mut buf = mine.clone();
        world.allreduce_array_in_place(&mut buf, op)?;
        assert_eq!(bits(&buf), bits(&want), "allreduce {op:?} of {len}");

        let want = world.scan_array(&mine, op)?;
        let mut buf = mine.clone();
        world.scan_array_in_place(&mut buf, op)?;
        assert_eq!(bits(&buf), bits(&want), "scan {op:?}");

        let want = world.exscan_array(&mine, op)?;
        let mut buf = mine.clone();
        let has = world.exscan_array_in_place(&mut buf, op)?;
        assert_eq!(has, rank > 0);
        if let Some(w) = want {
            assert_eq!(bits(&buf), bits(&w), "exscan {op:?}");
        }
        for root in 0..size {
            let want = world.reduce_array(root, &mine, op)?;
            let mut buf = mine.clone();
            world.reduce_array_in_place(root, &mut buf, op)?;
            match want {
                Some(w) => assert_eq!(bits(&buf), bits(&w), "reduce {op:?} to {root}"),
                None => assert_eq!(bits(&buf), bits(&mine), "a non-root's buffer is only read"),
            }
        }
    }
    // Blocks of `len` per rank.
    let everyone: Vec<f64> = (0..p)
        .flat_map(|r| (0..len).map(move |i| value(r as Rank, i)))
        .collect();
    let mut all = vec![f64::NAN; p * len];
    all[me * len..(me + 1) * len].copy_from_slice(&mine);
    world.allgather_array_in_place(&mut all)?;
    assert_eq!(bits(&all), bits(&everyone), "allgather of {len} per rank");
    for root in 0..size {
        let is_root = rank == root;
        let mut buf = if is_root {
            let mut b = vec![f64::NAN; p * len];
            b[me * len..(me + 1) * len].copy_from_slice(&mine);
            b
        } else {
            mine.clone()
        };
        world.gather_array_in_place(root, &mut buf)?;
        if is_root {
            assert_eq!(bits(&buf), bits(&everyone), "gather to {root}");
        }
        let mut buf = if is_root {
            everyone.clone()
        } else {
            vec![0.0; len]
        };
        world.scatter_array_in_place(root, &mut buf)?;
        let want: Vec<f64> = (0..len).map(|i| value(rank, i)).collect();
        if is_root {
            assert_eq!(bits(&buf), bits(&everyone), "the root keeps its buffer");
        } else {
            assert_eq!(bits(&buf), bits(&want), "scatter from {root}");
        }
    }
    // All-to-all: block r of rank s holds (s, r, i); afterwards block s of rank r does.
    let code = |s: usize, r: usize, i: usize| (s * 1_000_000 + r * 1000 + i) as f64;
    let mut blocks: Vec<f64> = (0..p)
        .flat_map(|r| (0..len).map(move |i| code(me, r, i)))
        .collect();
    world.alltoall_array_in_place(&mut blocks)?;
    let want: Vec<f64> = (0..p)
        .flat_map(|s| (0..len).map(move |i| code(s, me, i)))
        .collect();
    assert_eq!(blocks, want, "alltoall of {len} per block");
    // Reduce-scatter in place: the first block becomes block `me` of the sum over ranks.
    let mut blocks: Vec<f64> = (0..p)
        .flat_map(|r| (0..len).map(move |i| code(me, r, i)))
        .collect();
    let n = world.reduce_scatter_array_in_place(&mut blocks, ReduceOp::Sum)?;
    assert_eq!(n, len);
    let want: Vec<f64> = (0..len)
        .map(|i| (0..p).map(|s| code(s, me, i)).sum())
        .collect();
    assert_eq!(
        &blocks[..n],
        &want[..],
        "reduce_scatter in place of {len} per block"
    );
    Ok(())
}

/// Logical and bitwise operations against a serial fold; bool and complex elements; the
/// combinations MPI does not define are the same Err everywhere.
fn operations_and_types(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let word = |r: Rank| (0x9e37_79b9u32.wrapping_mul(r as u32 + 1)) ^ (r as u32) << 3;
    let fold = |f: fn(u32, u32) -> u32| (0..size).map(word).reduce(f).unwrap();
    let x = vec![word(rank); 3];
    assert_eq!(
        world.allreduce_array(&x, ReduceOp::BitAnd)?,
        vec![fold(|a, b| a & b); 3]
    );
    assert_eq!(
        world.allreduce_array(&x, ReduceOp::BitOr)?,
        vec![fold(|a, b| a | b); 3]
    );
    assert_eq!(
        world.allreduce_array(&x, ReduceOp::BitXor)?,
        vec![fold(|a, b| a ^ b); 3]
    );
    let odd = rank % 2 == 1;
    let odd_ranks = (0..size).filter(|r| r % 2 == 1).count();
    assert_eq!(
        world.allreduce_scalar(odd, ReduceOp::LogicalOr)?,
        odd_ranks > 0
    );
    assert_eq!(
        world.allreduce_scalar(odd, ReduceOp::LogicalAnd)?,
        odd_ranks == size as usize
    );
    assert_eq!(
        world.allreduce_scalar(odd, ReduceOp::LogicalXor)?,
        odd_ranks % 2 == 1
    );
    assert_eq!(
        world.allreduce_scalar(i64::from(rank != 1), ReduceOp::LogicalAnd)?,
        (0..size).all(|r| r != 1) as i64
    );
    let flags: Vec<bool> = world.allgather_rows(&[odd, !odd])?;
    assert_eq!(flags.len(), 2 * size as usize);
    let z = Complex64::new(1.0, rank as f64);
    let sum = world.allreduce_scalar(z, ReduceOp::Sum)?;
    assert_eq!(
        sum,
        Complex64::new(size as f64, (size * (size - 1) / 2) as f64)
    );
    let product = world.allreduce_array(&vec![z], ReduceOp::Product)?;
    let want = (0..size)
        .map(|r| Complex64::new(1.0, r as f64))
        .fold(Complex64::new(1.0, 0.0), |a, b| a * b);
    assert!((product[0] - want).norm() <= 1e-12 * want.norm().max(1.0));
    let moved =
        world.broadcast_array(0, (rank == 0).then_some(&vec![Complex64::new(2.5, -1.0)]))?;
    assert_eq!(moved, vec![Complex64::new(2.5, -1.0)]);
    for refused in [
        world.allreduce_scalar(1.5f64, ReduceOp::BitXor).map(drop),
        world.allreduce_scalar(true, ReduceOp::Sum).map(drop),
        world.allreduce_scalar(z, ReduceOp::Max).map(drop),
        world.allreduce_array_in_place(&mut [0.5f32], ReduceOp::LogicalOr),
    ] {
        let msg = refused
            .expect_err("MPI defines no such operation")
            .to_string();
        assert!(msg.contains("MPI defines no"), "{msg}");
    }
    // reduce_local: the same combination without communication.
    let mut acc = vec![0b1010u8, 7, 255];
    reduce_local_into(&[0b0110u8, 1, 1], &mut acc, ReduceOp::BitXor)?;
    assert_eq!(acc, vec![0b1100, 6, 254]);
    let mut prod = [2.0f64, -1.0];
    reduce_local_into(&[3.0f64, 4.0], &mut prod, ReduceOp::Product)?;
    assert_eq!(prod, [6.0, -4.0]);
    assert!(reduce_local_into(&[1u8], &mut [0u8; 2], ReduceOp::Sum).is_err());
    Ok(())
}

/// MAXLOC / MINLOC: ties to the lowest rank, as MPI's rule has it.
fn locations(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let mine = vec![
        (rank % 2) as f64,
        5.0,
        -(rank as f64),
        (rank * 7 % 5) as f64,
    ];
    let (max, at) = world.allreduce_maxloc(&mine)?;
    let (min, at_min) = world.allreduce_minloc(&mine)?;
    // Serial: every rank's vector, first index of the extreme.
    let all: Vec<Vec<f64>> = (0..size)
        .map(|r| vec![(r % 2) as f64, 5.0, -(r as f64), (r * 7 % 5) as f64])
        .collect();
    for e in 0..4 {
        let column: Vec<f64> = all.iter().map(|v| v[e]).collect();
        let hi = column.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lo = column.iter().cloned().fold(f64::INFINITY, f64::min);
        assert_eq!(max[e], hi);
        assert_eq!(min[e], lo);
        assert_eq!(
            at[e],
            column.iter().position(|&v| v == hi).unwrap() as Rank,
            "maxloc {e}"
        );
        assert_eq!(
            at_min[e],
            column.iter().position(|&v| v == lo).unwrap() as Rank,
            "minloc {e}"
        );
    }
    let (_, ints) = world.allreduce_maxloc(&[rank as u64 / 2])?;
    assert_eq!(ints, vec![(size - 1) / 2 * 2]);
    assert!(world.allreduce_maxloc(&[true]).is_err());
    Ok(())
}

/// Non-blocking object receives in request sets (every request handed out exactly once),
/// probes of objects and buffers, synchronous sends, cancel, and compute overlapping a
/// non-blocking allreduce.
fn requests(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    use mpikit::mpi::point_to_point::{Destination, Source};
    // Workers answer in reverse rank order, each after a pause, some with large objects.
    let answer = |r: Rank| -> Vec<u64> {
        (0..if r % 2 == 0 { 3000 } else { 3 })
            .map(|i| i * r as u64)
            .collect()
    };
    if rank == 0 {
        let mut set = RequestSet::new();
        for w in 1..size {
            set.push(world.immediate_receive_object::<Vec<u64>>(Some(w), Some(5))?);
        }
        let mut seen = Vec::new();
        while let Some((index, got)) = set.wait_any() {
            let (value, status) = got?;
            assert_eq!(status.source, index as Rank + 1);
            assert_eq!(value, answer(status.source));
            seen.push(index);
        }
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..size as usize - 1).collect::<Vec<_>>(),
            "each request once"
        );
        assert!(set.wait_any().is_none() && set.test_some().is_empty());
    } else {
        std::thread::sleep(std::time::Duration::from_millis(5 * (size - rank) as u64));
        world.synchronous_send_object(0, 5, &answer(rank))?;
    }
    world.barrier();

    // Sends in a set too; test_all until done.
    let mut sends = RequestSet::new();
    for dest in 0..size {
        sends.push(world.immediate_send_object(dest, 6, &(rank, dest))?);
    }
    let mut got = Vec::new();
    for _ in 0..size {
        let ((from, to), _) = world.receive_object::<(Rank, Rank)>(None, Some(6))?;
        assert_eq!(to, rank);
        got.push(from);
    }
    let mut completed = Vec::new();
    while !sends.test_all(&mut completed) {
        std::thread::yield_now();
    }
    assert_eq!(completed.len(), size as usize);
    got.sort_unstable();
    assert_eq!(got, (0..size).collect::<Vec<_>>());

    // Probes: the next rank's object and buffer, looked at before they are received.
    let (next, prev) = ((rank + 1) % size, (rank + size - 1) % size);
    let word = format!("rank {rank} says hello");
    let sending = world.immediate_synchronous_send_object(next, 9, &word)?;
    let probed = world.probe_object(Some(prev), Some(9))?;
    assert_eq!((probed.source, probed.tag), (prev, 9));
    let (text, status) = world.receive_object::<String>(Some(prev), Some(9))?;
    assert_eq!(text, format!("rank {prev} says hello"));
    assert_eq!(probed.bytes, status.bytes, "probe tells the encoded size");
    assert_eq!(
        status.bytes,
        1 + text.len(),
        "bincode: a one-byte length, then the text"
    );
    sending.wait()?;
    let cells = [rank as u32; 5];
    let mut outgoing = world.process_at_rank(next).immediate_send_with_tag(
        mpikit::mpi::request::StaticScope,
        Box::leak(Box::new(cells)),
        10,
    );
    let b = world.probe_buffer::<u32>(Some(prev), Some(10))?;
    assert_eq!((b.source, b.tag, b.count), (prev, 10, 5));
    let mut into = [0u32; 5];
    world
        .process_at_rank(prev)
        .receive_into_with_tag(&mut into[..], 10);
    assert_eq!(into, [prev as u32; 5]);
    loop {
        match outgoing.test() {
            Ok(_) => break,
            Err(req) => outgoing = req,
        }
    }
    world.barrier();
    assert!(
        world.immediate_probe_object(None, Some(99))?.is_none(),
        "nothing was sent with tag 99"
    );

    // A receive nobody answers is cancelled; the communicator goes on.
    let lonely = world.immediate_receive_object::<u8>(None, Some(77))?;
    assert!(lonely.cancel()?.is_none(), "nothing was sent with tag 77");

    // Compute while a large non-blocking allreduce travels.
    let x: Vec<f64> = (0..200_000)
        .map(|i| (i % 97) as f64 + rank as f64)
        .collect();
    let pending = world.immediate_allreduce_array(&x, ReduceOp::Sum)?;
    let local: f64 = x.iter().map(|v| v.sqrt()).sum();
    let total = pending.wait()?;
    assert!(local > 0.0);
    let s = (size * (size - 1) / 2) as f64;
    for (i, v) in total.iter().enumerate().step_by(997) {
        assert_eq!(*v, size as f64 * (i % 97) as f64 + s);
    }
    Ok(())
}

/// Reduce-scatter with per-rank counts against the total computed here.
fn reduce_scatter_counts(world: &World, rank: Rank, size: Rank, len: usize) -> Result<(), Error> {
    // Per-rank counts: everything to the last rank, then one row each where possible.
    let col: Vec<u32> = (0..len as u32).map(|i| i + rank as u32).collect();
    let mut counts = vec![0usize; size as usize];
    counts[size as usize - 1] = len;
    let last = world.reduce_scatterv_rows(&col, &counts, ReduceOp::Sum)?;
    let total: Vec<u32> = (0..len as u32)
        .map(|i| size as u32 * i + (size * (size - 1) / 2) as u32)
        .collect();
    assert_eq!(
        last,
        if rank == size - 1 {
            total.clone()
        } else {
            Vec::new()
        }
    );
    let bad = world.reduce_scatterv_rows(&col, &vec![len; size as usize], ReduceOp::Sum);
    assert_eq!(
        bad.is_err(),
        size > 1 && len > 0,
        "row counts that do not add up"
    );
    Ok(())
}

/// Buffered sends: every rank sends a large object around the ring before any receives
/// (with standard sends of this size that is a deadlock on one rank's rendezvous); a message
/// larger than the attached buffer is an `Err` before anything is sent.
fn buffered_sends(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (next, prev) = ((rank + 1) % size, (rank + size - 1) % size);
    let big: Vec<u64> = (0..5_000).map(|i| i ^ rank as u64).collect();
    world.attach_send_buffer(1000)?;
    let refused = world.buffered_send_object(next, 9, &big);
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("1000 are attached")),
        "{refused:?}"
    );
    // 40 KB of bincode (past the eager limits); with 64-byte pieces each piece carries MPI's overhead too.
    let pieces = 40_016 / mpikit::runtime::max_message_bytes().min(40_016) + 1;
    world.attach_send_buffer(
        40_100 + pieces * (mpikit::mpi::ffi::MPI_BSEND_OVERHEAD as usize + 64),
    )?;
    world.buffered_send_object(next, 9, &big)?;
    world.buffered_send_object(PROC_NULL, 9, &big)?;
    let (got, status) = world.receive_object::<Vec<u64>>(Some(prev), Some(9))?;
    assert_eq!(status.source, prev);
    assert_eq!(got, (0..5_000).map(|i| i ^ prev as u64).collect::<Vec<_>>());
    world.attach_send_buffer(0)?;
    assert_eq!(world.send_buffer_size(), 0);
    Ok(())
}
