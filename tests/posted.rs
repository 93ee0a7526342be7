//! The two defects mpi4py's own tests found, on 1, 2, 3, 4 and 8 ranks, with MPI's message
//! sizes and with 64-byte pieces:
//! - a non-blocking object receive is a posted receive: a ring of sends behind posted
//!   receives (5000 bytes, past Open MPI's eager limit, and 1 MiB), a synchronous send to
//!   one's own posted receive, `wait_some`/`test_some` over posted receives fed by
//!   synchronous sends, two posted receives from one sender and tag with large objects (the
//!   continuation of one never reaches the other), a wildcard receive beside a large object,
//!   and `cancel` (before a message: a later send goes to another receive; after one: the
//!   object is handed back);
//! - every buffer call, in place and out of place, blocking and immediate, with empty buffers
//!   of every element type (the 1-byte types' empty buffers point at Open MPI's
//!   `MPI_IN_PLACE`).
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::buffers::Element;
use mpikit::mpi::topology::Rank;
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Array1, Array2};
use mpikit::num_complex::{Complex32, Complex64};
use mpikit::prelude::*;
use mpikit::requests::RequestSet;
use mpikit::{Error, ReduceOp, World};

fn main() {
    common::spmd_main_everywhere("posted", rank_checks);
}

fn rank_checks() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank(), world.size());
        for len in [5000usize, 1 << 20] {
            ring_behind_posted_receives(world, rank, size, len)?;
        }
        synchronous_send_to_self(world, rank)?;
        some_of_many(world, rank, size)?;
        same_sender_same_tag(world, rank, size)?;
        wildcard_beside_a_large_object(world, rank, size)?;
        cancels(world, rank, size)?;
        empty_buffers::<u8>(world)?;
        empty_buffers::<i8>(world)?;
        empty_buffers::<bool>(world)?;
        empty_buffers::<u16>(world)?;
        empty_buffers::<i16>(world)?;
        empty_buffers::<u32>(world)?;
        empty_buffers::<i32>(world)?;
        empty_buffers::<u64>(world)?;
        empty_buffers::<i64>(world)?;
        empty_buffers::<usize>(world)?;
        empty_buffers::<isize>(world)?;
        empty_buffers::<f32>(world)?;
        empty_buffers::<f64>(world)?;
        empty_buffers::<Complex32>(world)?;
        empty_buffers::<Complex64>(world)?;
        common::report_ok("posted", world.comm());
        Ok::<(), Error>(())
    });
}

/// A posted receive's result in `some_of_many`.
type Received = Result<((Rank, Vec<u32>), mpikit::objects::ObjectStatus), Error>;

fn ring(rank: Rank, size: Rank) -> (Rank, Rank) {
    ((rank + 1) % size, (rank + size - 1) % size)
}

/// The first reproduction: receive posted, then a blocking send (which only
/// completes once the receiver has a receive for it when the object is past the eager
/// limit), then the wait.
fn ring_behind_posted_receives(
    world: &World,
    rank: Rank,
    size: Rank,
    len: usize,
) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    let incoming = world.immediate_receive_object::<Vec<u8>>(Some(prev), Some(7))?;
    let mine: Vec<u8> = (0..len).map(|i| (i * 7 + rank as usize) as u8).collect();
    world.send_object(next, 7, &mine)?;
    let (got, status) = incoming.wait()?;
    let want: Vec<u8> = (0..len).map(|i| (i * 7 + prev as usize) as u8).collect();
    assert!(got == want, "ring of {len} bytes: wrong bytes from {prev}");
    assert_eq!(
        (status.source, status.tag, status.bytes),
        (prev, 7, len + 3 + (len >= 1 << 16) as usize * 2)
    );
    // The same with a synchronous send, which needs the posted receive at any size.
    let incoming = world.immediate_receive_object::<Vec<u8>>(Some(prev), Some(8))?;
    world.synchronous_send_object(next, 8, &mine)?;
    assert!(incoming.wait()?.0 == want);
    Ok(())
}

/// The second reproduction: a receive from oneself, then a synchronous send to it.
fn synchronous_send_to_self(world: &World, rank: Rank) -> Result<(), Error> {
    let posted = world.immediate_receive_object::<String>(Some(rank), Some(1))?;
    world.synchronous_send_object(rank, 1, &"abc".to_string())?;
    let (got, status) = posted.wait()?;
    assert_eq!((got.as_str(), status.source, status.tag), ("abc", rank, 1));
    Ok(())
}

/// Every rank posts a receive from every rank (itself too), then sends to each with a
/// synchronous send: only posted receives let those sends complete. The receives are taken
/// with `test_some` and `wait_some`.
fn some_of_many(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let mut set = RequestSet::new();
    for from in 0..size {
        set.push(world.immediate_receive_object::<(Rank, Vec<u32>)>(Some(from), Some(11))?);
    }
    let payload = |from: Rank, to: Rank| -> Vec<u32> {
        (0..3000)
            .map(|i| i ^ (from as u32 * 131 + to as u32))
            .collect()
    };
    // Sends in a rotated order, so ranks do not all start with rank 0.
    for k in 0..size {
        let to = (rank + k) % size;
        world.synchronous_send_object(to, 11, &(rank, payload(rank, to)))?;
    }
    let mut seen = vec![false; size as usize];
    let mut take = |done: Vec<(usize, Received)>| {
        for (index, result) in done {
            let ((from, values), status) = result.expect("a posted receive");
            assert_eq!((from, status.source), (index as Rank, index as Rank));
            assert!(values == payload(from, rank), "bytes from {from}");
            assert!(!seen[index], "request {index} handed out twice");
            seen[index] = true;
        }
    };
    take(set.test_some());
    while set.remaining() > 0 {
        take(set.wait_some());
    }
    assert!(seen.iter().all(|&s| s));
    assert!(set.wait_some().is_empty());
    Ok(())
}

/// Two posted receives from the same sender with the same tag, and two large objects (each
/// with a continuation): MPI matches the first pieces in order, and each receive gets its
/// own object whole, whichever is waited for first.
fn same_sender_same_tag(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    let object = |from: Rank, which: u64| -> Vec<u64> {
        (0..20_000)
            .map(|i| i * 3 + which * 1_000_000 + from as u64)
            .collect()
    };
    let first = world.immediate_receive_object::<Vec<u64>>(Some(prev), Some(12))?;
    let second = world.immediate_receive_object::<Vec<u64>>(Some(prev), Some(12))?;
    let a = world.immediate_send_object(next, 12, &object(rank, 1))?;
    let b = world.immediate_send_object(next, 12, &object(rank, 2))?;
    let (got2, _) = second.wait()?;
    let (got1, _) = first.wait()?;
    a.wait()?;
    b.wait()?;
    assert!(
        got1 == object(prev, 1),
        "the first receive got another object"
    );
    assert!(
        got2 == object(prev, 2),
        "the second receive got another object"
    );
    world.barrier();
    Ok(())
}

/// A wildcard receive (any source, any tag) posted beside a large object's receive never
/// takes that object's continuation; it gets the small message meant for it.
fn wildcard_beside_a_large_object(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    let big = world.immediate_receive_object::<Vec<f64>>(Some(prev), Some(20))?;
    let any = world.immediate_receive_object::<String>(None, None)?;
    let values: Vec<f64> = (0..100_000).map(|i| i as f64 + rank as f64 / 8.0).collect();
    let sending = world.immediate_send_object(next, 20, &values)?;
    let (got, _) = big.wait()?;
    sending.wait()?;
    let want: Vec<f64> = (0..100_000).map(|i| i as f64 + prev as f64 / 8.0).collect();
    assert!(got == want, "the large object lost pieces");
    world.barrier();
    world.send_object(next, 21, &format!("small from {rank}"))?;
    let (text, status) = any.wait()?;
    assert_eq!(text, format!("small from {prev}"));
    assert_eq!((status.source, status.tag), (prev, 21));
    world.barrier();
    Ok(())
}

/// A receive cancelled before anything was sent leaves the later message to another
/// receive; a receive cancelled after its message arrived hands the object back.
fn cancels(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    let lonely = world.immediate_receive_object::<Vec<u8>>(Some(prev), Some(30))?;
    assert!(lonely.cancel()?.is_none(), "nothing was sent yet");
    world.barrier();
    let payload = vec![rank as u8; 50_000];
    let sending = world.immediate_send_object(next, 30, &payload)?;
    let (got, status) = world.receive_object::<Vec<u8>>(Some(prev), Some(30))?;
    sending.wait()?;
    assert!(got == vec![prev as u8; 50_000] && status.source == prev);

    // A message that has arrived: cancel cannot take it back, so it is handed over.
    let arrived = world.immediate_receive_object::<Vec<u8>>(Some(prev), Some(31))?;
    world.send_object(next, 31, &payload)?;
    world.barrier();
    // The first piece has matched; the continuation (50 KB > 32 KiB) is still to come.
    let handed = arrived.cancel()?;
    let (back, status) = handed.expect("the message had arrived before the cancel");
    assert!(back == vec![prev as u8; 50_000] && status.tag == 31);
    // Dropped without waiting: cancelled, and the communicator goes on.
    drop(world.immediate_receive_object::<u8>(None, Some(32))?);
    world.barrier();
    assert!(
        world.immediate_probe_object(None, None)?.is_none(),
        "no message is left over"
    );
    Ok(())
}

/// Whether a root-only result is `None` or empty.
fn none_or_empty<B: mpikit::buffers::Buffer>(got: Option<B>) -> bool {
    got.map_or(true, |g| g.buffer_len() == 0)
}

/// An operation every element type supports.
fn op<T: Element>() -> ReduceOp {
    if ReduceOp::Sum.supports::<T>() {
        ReduceOp::Sum
    } else {
        ReduceOp::LogicalOr
    }
}

/// Every buffer call with empty buffers of `T` (and empty ndarray arrays): each completes,
/// with empty results, and the communicator still works afterwards.
fn empty_buffers<T: Element>(world: &World) -> Result<(), Error> {
    let size = world.size_count();
    let (next, prev) = ring(world.rank(), world.size());
    let is_root = world.is_root();
    let op = op::<T>();
    let e: Vec<T> = Vec::new();
    let mut m: Vec<T> = Vec::new();
    // In place.
    world.allreduce_array_in_place(&mut m, op)?;
    world.reduce_array_in_place(0, &mut m, op)?;
    assert_eq!(world.reduce_scatter_array_in_place(&mut m, op)?, 0);
    world.scan_array_in_place(&mut m, op)?;
    world.exscan_array_in_place(&mut m, op)?;
    world.allgather_array_in_place(&mut m)?;
    world.gather_array_in_place(0, &mut m)?;
    world.scatter_array_in_place(0, &mut m)?;
    world.alltoall_array_in_place(&mut m)?;
    let mut a2 = Array2::<T>::default((0, 3));
    world.allreduce_array_in_place(&mut a2, op)?;
    world.allgather_array_in_place(&mut a2)?;
    assert!(m.is_empty() && a2.is_empty());
    // Out of place, blocking.
    world.broadcast_array_into(0, &mut m)?;
    assert!(world.broadcast_array(0, is_root.then_some(&e))?.is_empty());
    assert!(world.scatter_rows(0, is_root.then_some(&e))?.is_empty());
    world.scatter_array_into(0, is_root.then_some(&e), &mut m)?;
    world.gather_array_into(0, &e, is_root.then_some(&mut m))?;
    assert!(none_or_empty(world.gather_rows(0, &e)?));
    assert!(world.allgather_rows(&e)?.is_empty());
    assert_eq!(world.allgather_rows(&a2)?.dim(), (0, 3));
    assert!(world.alltoallv_rows(&e, &vec![0; size])?.is_empty());
    assert!(world.alltoall_rows(&e)?.is_empty());
    assert!(none_or_empty(world.reduce_array(0, &e, op)?));
    world.allreduce_array_into(&e, &mut m, op)?;
    assert!(world.allreduce_array(&e, op)?.is_empty());
    assert!(world.reduce_scatter_rows(&e, op)?.is_empty());
    assert!(world
        .reduce_scatterv_rows(&e, &vec![0; size], op)?
        .is_empty());
    assert!(world.scan_array(&e, op)?.is_empty());
    assert!(none_or_empty(world.exscan_array(&e, op)?));
    world.send_receive_into(&e, next, &mut m, prev)?;
    world.send_receive_replace_into(&mut m, next, prev)?;
    let one = Array1::<T>::default(0);
    assert!(world.allreduce_array(&one, op)?.is_empty());
    // Immediate.
    assert!(world.immediate_allreduce_array(&e, op)?.wait()?.is_empty());
    assert!(world
        .immediate_broadcast_array_owned(0, Vec::<T>::new())?
        .wait()?
        .is_empty());
    assert!(none_or_empty(world.immediate_gather_rows(0, &e)?.wait()?));
    assert!(world.immediate_allgather_rows(&e)?.wait()?.is_empty());
    assert!(world
        .immediate_scatter_rows(0, is_root.then_some(&e))?
        .wait()?
        .is_empty());
    assert!(world.immediate_alltoall_rows(&e)?.wait()?.is_empty());
    assert!(world
        .immediate_alltoallv_rows(&e, &vec![0; size])?
        .wait()?
        .is_empty());
    let (x, y) = world
        .immediate_allreduce_array_owned(Vec::<T>::new(), Vec::<T>::new(), op)?
        .wait()?;
    assert!(x.is_empty() && y.is_empty());
    let (_, root_out) = world
        .immediate_gather_array_owned(0, Vec::<T>::new(), is_root.then(Vec::<T>::new))?
        .wait()?;
    assert!(none_or_empty(root_out));
    let (_, got) = world
        .immediate_scatter_array_owned(0, is_root.then(Vec::<T>::new), Vec::<T>::new())?
        .wait()?;
    assert!(got.is_empty());
    let (_, got) = world
        .immediate_allgather_array_owned(Vec::<T>::new(), Vec::<T>::new())?
        .wait()?;
    assert!(got.is_empty());
    let (_, got) = world
        .immediate_alltoall_array_owned(Vec::<T>::new(), Vec::<T>::new())?
        .wait()?;
    assert!(got.is_empty());
    assert!(none_or_empty(
        world.immediate_reduce_array(0, &e, op)?.wait()?
    ));
    assert!(world
        .immediate_reduce_scatter_rows(&e, op)?
        .wait()?
        .is_empty());
    assert!(world
        .immediate_reduce_scatterv_rows(&e, &vec![0; size], op)?
        .wait()?
        .is_empty());
    assert!(world.immediate_scan_array(&e, op)?.wait()?.is_empty());
    assert!(none_or_empty(world.immediate_exscan_array(&e, op)?.wait()?));
    // The communicator still works: a non-empty allgather of one element per rank.
    let mut all = vec![T::default(); size];
    world.allgather_array_in_place(&mut all)?;
    assert_eq!(all.len(), size);
    Ok(())
}
