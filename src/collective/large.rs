//! Transfers of any size: MPI counts are 32-bit, so every slice transfer here is split into
//! pieces of at most [`max_message_bytes`] (1 GiB by default), or, for the variable-count
//! collectives, falls back to an equivalent made of pieces when a count or displacement would
//! not fit. The array and object collectives are built on these.
//!
//! Every "does it fit" decision is made from counts that all ranks know, so all ranks take
//! the same path. Internal point-to-point messages use the tag [`INTERNAL_TAG`].

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use mpi::collective::{CommunicatorCollectives, Operation, Root};
use mpi::datatype::{Partition as MpiPartition, PartitionMut};
use mpi::point_to_point::{Destination, Source};
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};
use mpi::Tag;

use crate::collective::address::{nonempty, nonempty_mut, recv_ptr, send_ptr};
use crate::collective::element::Element;
use crate::raw;

/// The tag of mpikit's own point-to-point messages inside collectives (the largest tag
/// every MPI must support). Programs should not receive with this tag.
pub const INTERNAL_TAG: Tag = 32767;

/// Environment variable that lowers the largest single message, in bytes (for tests and
/// for networks that prefer smaller pieces). `World::init` takes rank 0's value for all.
pub const MAX_MESSAGE_ENV: &str = "MPIKIT_MAX_MESSAGE_BYTES";

const DEFAULT_MAX_MESSAGE: usize = 1 << 30;

static MAX_MESSAGE: AtomicUsize = AtomicUsize::new(0);

/// The largest message mpikit hands to MPI in one call, in bytes: 1 GiB, or less under
/// `MPIKIT_MAX_MESSAGE_BYTES` (rank 0's value, taken when MPI starts).
///
/// # Examples
/// ```no_run
/// mpikit::run(|world| {
///     // Larger buffers and objects travel in pieces of at most this size.
///     assert!(mpikit::runtime::max_message_bytes() <= 1 << 30);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn max_message_bytes() -> usize {
    match MAX_MESSAGE.load(Ordering::Relaxed) {
        0 => env_max_message().unwrap_or(DEFAULT_MAX_MESSAGE),
        n => n,
    }
}

/// `MPIKIT_MAX_MESSAGE_BYTES` if set to a positive integer.
pub(crate) fn env_max_message() -> Option<usize> {
    std::env::var(MAX_MESSAGE_ENV)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&n: &usize| n > 0)
}

/// Fixes the piece size for this process (all ranks must agree; `World::init` broadcasts).
pub(crate) fn set_max_message_bytes(bytes: usize) {
    MAX_MESSAGE.store(bytes.max(1), Ordering::Relaxed);
}

/// Most elements of `T` in one MPI call.
pub(crate) fn max_elems<T>() -> usize {
    (max_message_bytes() / std::mem::size_of::<T>().max(1)).clamp(1, i32::MAX as usize)
}

/// `0..len` cut into consecutive ranges of at most `max_elems::<T>()`.
pub(crate) fn pieces<T>(len: usize) -> impl Iterator<Item = Range<usize>> {
    let step = max_elems::<T>();
    (0..len).step_by(step).map(move |s| s..(s + step).min(len))
}

/// Displacements of consecutive blocks of `counts`.
pub(crate) fn displs_of(counts: &[usize]) -> Vec<usize> {
    counts
        .iter()
        .scan(0, |acc, &c| Some(std::mem::replace(acc, *acc + c)))
        .collect()
}

/// Counts and displacements as MPI counts, if the whole layout fits one call.
pub(crate) fn fits<T>(counts: &[usize]) -> Option<(Vec<i32>, Vec<i32>)> {
    let total: usize = counts.iter().sum();
    (total <= max_elems::<T>()).then(|| {
        let c = counts.iter().map(|&c| c as i32).collect();
        let d = displs_of(counts).into_iter().map(|d| d as i32).collect();
        (c, d)
    })
}

/// Broadcast of `buf` (the same length on every rank) in pieces.
pub(crate) fn broadcast<C: Communicator + ?Sized, T: Element>(comm: &C, root: Rank, buf: &mut [T]) {
    let proc = comm.process_at_rank(root);
    for r in pieces::<T>(buf.len()) {
        proc.broadcast_into(&mut buf[r]);
    }
}

/// Blocking send of `buf` in pieces; the receiver must know the length.
pub(crate) fn send<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    dest: Rank,
    tag: Tag,
    buf: &[T],
) {
    let proc = comm.process_at_rank(dest);
    for r in pieces::<T>(buf.len()) {
        proc.send_with_tag(&buf[r], tag);
    }
}

/// Receives what [`send`] sent, into a buffer of the sent length.
pub(crate) fn receive_into<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    source: Rank,
    tag: Tag,
    buf: &mut [T],
) {
    let proc = comm.process_at_rank(source);
    for r in pieces::<T>(buf.len()) {
        proc.receive_into_with_tag(&mut buf[r], tag);
    }
}

/// `MPI_Scatterv` of consecutive blocks of `counts` (known on every rank); `send` is the
/// root's buffer. Falls back to one message stream per rank when the layout is too large.
pub(crate) fn scatterv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    root: Rank,
    send: Option<&[T]>,
    counts: &[usize],
    recv: &mut [T],
) {
    let rank = comm.rank();
    let proc = comm.process_at_rank(root);
    match fits::<T>(counts) {
        Some((c, d)) if rank == root => {
            let send = nonempty(send.expect("root passes data"));
            proc.scatter_varcount_into_root(&MpiPartition::new(send, c, d), nonempty_mut(recv));
        }
        Some(_) => proc.scatter_varcount_into(nonempty_mut(recv)),
        None if rank == root => {
            let send = send.expect("root passes data");
            for (r, d) in displs_of(counts).into_iter().enumerate() {
                let block = &send[d..d + counts[r]];
                if r as Rank == root {
                    recv.copy_from_slice(block);
                } else {
                    self::send(comm, r as Rank, INTERNAL_TAG, block);
                }
            }
        }
        None => receive_into(comm, root, INTERNAL_TAG, recv),
    }
}

/// `MPI_Gatherv` into consecutive blocks of `counts` (known on every rank); `recv` is the
/// root's buffer.
pub(crate) fn gatherv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    root: Rank,
    send: &[T],
    counts: &[usize],
    recv: Option<&mut [T]>,
) {
    let rank = comm.rank();
    let proc = comm.process_at_rank(root);
    let send_buf = nonempty(send);
    match fits::<T>(counts) {
        Some((c, d)) if rank == root => {
            let recv = recv.expect("root passes a buffer");
            let recv = nonempty_mut(recv);
            proc.gather_varcount_into_root(send_buf, &mut PartitionMut::new(recv, c, d));
        }
        Some(_) => proc.gather_varcount_into(send_buf),
        None if rank == root => {
            let recv = recv.expect("root passes a buffer");
            for (r, d) in displs_of(counts).into_iter().enumerate() {
                let block = &mut recv[d..d + counts[r]];
                if r as Rank == root {
                    block.copy_from_slice(send);
                } else {
                    receive_into(comm, r as Rank, INTERNAL_TAG, block);
                }
            }
        }
        None => self::send(comm, root, INTERNAL_TAG, send),
    }
}

/// `MPI_Allgatherv` into consecutive blocks of `counts`; falls back to one broadcast per rank.
pub(crate) fn allgatherv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    send: &[T],
    counts: &[usize],
    recv: &mut [T],
) {
    match fits::<T>(counts) {
        Some((c, d)) => {
            let recv = nonempty_mut(recv);
            comm.all_gather_varcount_into(nonempty(send), &mut PartitionMut::new(recv, c, d));
        }
        None => {
            let rank = comm.rank() as usize;
            for (r, d) in displs_of(counts).into_iter().enumerate() {
                let block = &mut recv[d..d + counts[r]];
                if r == rank {
                    block.copy_from_slice(send);
                }
                broadcast(comm, r as Rank, block);
            }
        }
    }
}

/// `MPI_Alltoallv`: block r of `send` (by `send_counts`) goes to rank r; block r of `recv`
/// (by `recv_counts`) comes from rank r. `send_counts` of every rank must match the
/// receivers' `recv_counts`. Falls back to pairwise exchanges when any rank's layout is too
/// large (decided with one small allreduce).
pub(crate) fn alltoallv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    send: &[T],
    send_counts: &[usize],
    recv: &mut [T],
    recv_counts: &[usize],
) {
    let local_fits = u8::from(fits::<T>(send_counts).is_some() && fits::<T>(recv_counts).is_some());
    let mut all_fit = 0u8;
    comm.all_reduce_into(
        &local_fits,
        &mut all_fit,
        mpi::collective::SystemOperation::min(),
    );
    if all_fit == 1 {
        let (sc, sd) = fits::<T>(send_counts).expect("checked");
        let (rc, rd) = fits::<T>(recv_counts).expect("checked");
        let send = MpiPartition::new(nonempty(send), sc, sd);
        let mut recv = PartitionMut::new(nonempty_mut(recv), rc, rd);
        comm.all_to_all_varcount_into(&send, &mut recv);
        return;
    }
    let (rank, size) = (comm.rank() as usize, comm.size() as usize);
    let (sd, rd) = (displs_of(send_counts), displs_of(recv_counts));
    recv[rd[rank]..rd[rank] + recv_counts[rank]]
        .copy_from_slice(&send[sd[rank]..sd[rank] + send_counts[rank]]);
    // Step k: send to rank + k, receive from rank - k. The lower of each pair sends first,
    // so blocking sends cannot deadlock.
    for k in 1..size {
        let to = (rank + k) % size;
        let from = (rank + size - k) % size;
        let out = &send[sd[to]..sd[to] + send_counts[to]];
        let inb = &mut recv[rd[from]..rd[from] + recv_counts[from]];
        exchange(comm, to, out, from, inb);
    }
}

/// Block `r` of `send` (by `send_counts`) to rank `r` and block `r` of `recv` (by
/// `recv_counts`) from rank `r`, as point-to-point pieces on `comm`'s private duplicate, all
/// posted at once (receives first), this rank's own block copied meanwhile. No agreement:
/// each pair's pieces follow from the counts both ranks know.
pub(crate) fn exchange_blocks<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    send: &[T],
    send_counts: &[usize],
    recv: &mut [T],
    recv_counts: &[usize],
) {
    let private = crate::collective::private::private(comm);
    let (rank, size) = (comm.rank() as usize, comm.size() as usize);
    let (sd, rd) = (displs_of(send_counts), displs_of(recv_counts));
    let datatype = T::equivalent_datatype().as_raw();
    let mut requests = Vec::new();
    for k in 1..size {
        let from = (rank + size - k) % size;
        let block = &mut recv[rd[from]..rd[from] + recv_counts[from]];
        for r in pieces::<T>(block.len()) {
            let mut req = raw::request_null();
            // SAFETY: `recv` outlives the requests, waited for below.
            unsafe {
                raw::irecv(
                    recv_ptr(&mut block[r.clone()]),
                    r.len() as i32,
                    datatype,
                    from as Rank,
                    INTERNAL_TAG,
                    private.as_raw(),
                    &mut req,
                );
            }
            requests.push(req);
        }
    }
    for k in 1..size {
        let to = (rank + k) % size;
        let block = &send[sd[to]..sd[to] + send_counts[to]];
        for r in pieces::<T>(block.len()) {
            let mut req = raw::request_null();
            // SAFETY: `send` outlives the requests, waited for below.
            unsafe {
                raw::isend(
                    send_ptr(&block[r.clone()]),
                    r.len() as i32,
                    datatype,
                    to as Rank,
                    INTERNAL_TAG,
                    private.as_raw(),
                    &mut req,
                );
            }
            requests.push(req);
        }
    }
    let own = send_counts[rank].min(recv_counts[rank]);
    recv[rd[rank]..rd[rank] + own].copy_from_slice(&send[sd[rank]..sd[rank] + own]);
    crate::collective::pending::wait_all(&mut requests);
}

/// Sends `out` to `to` while receiving `inb` from `from`, piece by piece, with
/// `MPI_Sendrecv` so neither side waits on the other.
fn exchange<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    to: usize,
    out: &[T],
    from: usize,
    inb: &mut [T],
) {
    let (dest, src) = (
        comm.process_at_rank(to as Rank),
        comm.process_at_rank(from as Rank),
    );
    let mut outs = pieces::<T>(out.len());
    let mut ins = pieces::<T>(inb.len());
    loop {
        match (outs.next(), ins.next()) {
            (None, None) => break,
            (Some(o), Some(i)) => {
                mpi::point_to_point::send_receive_into_with_tags(
                    &out[o],
                    &dest,
                    INTERNAL_TAG,
                    &mut inb[i],
                    &src,
                    INTERNAL_TAG,
                );
            }
            // Unequal piece counts: the longer side finishes alone. A cycle of ranks all
            // stuck sending would need every rank to send more pieces than it receives.
            (Some(o), None) => dest.send_with_tag(&out[o], INTERNAL_TAG),
            (None, Some(i)) => {
                src.receive_into_with_tag(&mut inb[i], INTERNAL_TAG);
            }
        }
    }
}

/// Element-wise reduction to `root` in pieces; `recv` is the root's buffer.
pub(crate) fn reduce<C: Communicator + ?Sized, T: Element, O: Operation + Copy>(
    comm: &C,
    root: Rank,
    send: &[T],
    mut recv: Option<&mut [T]>,
    op: O,
) {
    let proc = comm.process_at_rank(root);
    for r in pieces::<T>(send.len()) {
        match recv.as_deref_mut() {
            Some(out) => proc.reduce_into_root(&send[r.clone()], &mut out[r], op),
            None => proc.reduce_into(&send[r], op),
        }
    }
}

/// Element-wise reduction to every rank, in pieces.
pub(crate) fn allreduce<C: Communicator + ?Sized, T: Element, O: Operation + Copy>(
    comm: &C,
    send: &[T],
    recv: &mut [T],
    op: O,
) {
    for r in pieces::<T>(send.len()) {
        comm.all_reduce_into(&send[r.clone()], &mut recv[r], op);
    }
}

/// Inclusive (`exclusive == false`) or exclusive prefix reduction, in pieces. After an
/// exclusive scan, rank 0's `recv` is unspecified (MPI leaves it undefined).
pub(crate) fn scan<C: Communicator + ?Sized, T: Element, O: Operation + Copy>(
    comm: &C,
    send: &[T],
    recv: &mut [T],
    op: O,
    exclusive: bool,
) {
    for r in pieces::<T>(send.len()) {
        if exclusive {
            comm.exclusive_scan_into(&send[r.clone()], &mut recv[r], op);
        } else {
            comm.scan_into(&send[r.clone()], &mut recv[r], op);
        }
    }
}
