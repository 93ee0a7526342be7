//! Starting non-blocking buffer collectives: the raw MPI calls behind
//! [`ImmediateCollectives`](crate::requests::ImmediateCollectives), and what each must keep alive until
//! it completes (buffers, count arrays, a private communicator).
//!
//! Every rank must start the same MPI collectives in the same order, so each choice here
//! (one call, several pieces, or point-to-point streams) is made from counts every rank
//! knows. A layout too large for one call (more than
//! [`max_message_bytes`](crate::runtime::max_message_bytes) in total) runs as point-to-point pieces
//! on a private duplicate of the communicator, so they cannot match a program's messages.

use std::any::Any;
use std::ops::Range;

use crate::raw::{MPI_Comm, MPI_Datatype, MPI_Request};
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::element::Element;
use crate::collective::large::{displs_of, fits, pieces};
use crate::collective::pending::Pending;
use crate::raw;

fn datatype<T: Element>() -> MPI_Datatype {
    T::equivalent_datatype().as_raw()
}

fn null_request() -> MPI_Request {
    raw::request_null()
}

/// A duplicate of a communicator for one operation's point-to-point pieces, freed after the
/// operation completes (a [`Pending`] drops what it keeps only after waiting).
struct PrivateComm(MPI_Comm);

impl PrivateComm {
    fn dup<C: Communicator + ?Sized>(comm: &C) -> PrivateComm {
        // SAFETY: MPI_Comm_dup writes a new handle; every rank of `comm` calls it here, at the
        // same point of the same collective.
        unsafe {
            let mut new = raw::comm_null();
            raw::comm_dup(comm.as_raw(), &mut new);
            PrivateComm(new)
        }
    }
}

impl Drop for PrivateComm {
    fn drop(&mut self) {
        // SAFETY: the handle came from MPI_Comm_dup and is freed once.
        unsafe {
            raw::comm_free(&mut self.0);
        }
    }
}

/// The requests of a started operation and everything MPI may still read or write.
#[derive(Default)]
pub(crate) struct Started {
    requests: Vec<MPI_Request>,
    keep: Vec<Box<dyn Any>>,
}

impl Started {
    /// Hands the requests to a [`Pending`] that returns `value` (whose heap storage MPI
    /// writes into) and keeps `send` and the rest alive until they complete.
    pub(crate) fn into_pending<A, K: Any>(mut self, value: A, send: K) -> Pending<A> {
        self.keep.push(Box::new(send));
        Pending::new(self.requests, value, Some(Box::new(self.keep)))
    }

    /// Starts one MPI call; `start` fills in the request handle.
    fn start(&mut self, start: impl FnOnce(*mut MPI_Request)) {
        let mut req = null_request();
        start(&mut req);
        self.requests.push(req);
    }

    /// MPI counts and displacements that must stay alive until the operation completes (MPI
    /// may read them at any time before).
    fn counts(&mut self, c: Vec<i32>, d: Vec<i32>) -> (*const i32, *const i32) {
        let ptrs = (c.as_ptr(), d.as_ptr());
        self.keep.push(Box::new((c, d)));
        ptrs
    }

    /// Posts `recvs` (peer, range of `recv`) and `sends` (peer, range of `send`) as
    /// point-to-point pieces on a private communicator. MPI keeps the messages between two
    /// ranks in order, so the pieces match.
    fn streams<C: Communicator + ?Sized, T: Element>(
        &mut self,
        comm: &C,
        send: &[T],
        sends: &[(Rank, Range<usize>)],
        recv: &mut [T],
        recvs: &[(Rank, Range<usize>)],
    ) {
        let private = PrivateComm::dup(comm);
        for (peer, range) in recvs {
            for p in pieces::<T>(range.len()) {
                let block = &mut recv[range.start + p.start..range.start + p.end];
                // SAFETY: `recv` is heap storage the Pending owns until this completes.
                self.start(|req| unsafe {
                    raw::irecv(
                        recv_ptr(block),
                        block.len() as i32,
                        datatype::<T>(),
                        *peer,
                        0,
                        private.0,
                        req,
                    );
                });
            }
        }
        for (peer, range) in sends {
            for p in pieces::<T>(range.len()) {
                let block = &send[range.start + p.start..range.start + p.end];
                // SAFETY: `send` is kept alive by the Pending until this completes.
                self.start(|req| unsafe {
                    raw::isend(
                        send_ptr(block),
                        block.len() as i32,
                        datatype::<T>(),
                        *peer,
                        0,
                        private.0,
                        req,
                    );
                });
            }
        }
        self.keep.push(Box::new(private));
    }
}

/// The blocks of `counts` of every rank but `skip`, as (rank, range) pairs.
fn blocks_except(counts: &[usize], skip: usize) -> Vec<(Rank, Range<usize>)> {
    displs_of(counts)
        .into_iter()
        .zip(counts)
        .enumerate()
        .filter(|&(r, _)| r != skip)
        .map(|(r, (d, &c))| (r as Rank, d..d + c))
        .collect()
}

/// `MPI_Igatherv` of `send` into consecutive blocks of `counts` of the root's `recv`.
pub(crate) fn gatherv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    root: Rank,
    send: &[T],
    counts: &[usize],
    recv: Option<&mut [T]>,
) -> Started {
    let mut started = Started::default();
    let rank = comm.rank();
    match (fits::<T>(counts), recv) {
        (Some((c, d)), recv) => {
            let (c, d) = started.counts(c, d);
            let out = recv.map_or(recv_ptr::<T>(&mut []), |r| recv_ptr(r));
            // SAFETY: the buffers and count arrays outlive the request (see Started).
            started.start(|req| unsafe {
                raw::igatherv(
                    send_ptr(send),
                    send.len() as i32,
                    datatype::<T>(),
                    out,
                    c,
                    d,
                    datatype::<T>(),
                    root,
                    comm.as_raw(),
                    req,
                );
            });
        }
        (None, Some(recv)) => {
            let me = rank as usize;
            let d = displs_of(counts)[me];
            recv[d..d + counts[me]].copy_from_slice(send);
            started.streams(comm, send, &[], recv, &blocks_except(counts, me));
        }
        (None, None) => started.streams(comm, send, &[(root, 0..send.len())], &mut [], &[]),
    }
    started
}

/// `MPI_Iscatterv` of consecutive blocks of `counts` of the root's `send` into `recv`.
pub(crate) fn scatterv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    root: Rank,
    send: Option<&[T]>,
    counts: &[usize],
    recv: &mut [T],
) -> Started {
    let mut started = Started::default();
    match (fits::<T>(counts), send) {
        (Some((c, d)), send) => {
            let (c, d) = started.counts(c, d);
            let from = send.map_or(send_ptr::<T>(&[]), |s| send_ptr(s));
            // SAFETY: the buffers and count arrays outlive the request (see Started).
            started.start(|req| unsafe {
                raw::iscatterv(
                    from,
                    c,
                    d,
                    datatype::<T>(),
                    recv_ptr(recv),
                    recv.len() as i32,
                    datatype::<T>(),
                    root,
                    comm.as_raw(),
                    req,
                );
            });
        }
        (None, Some(send)) => {
            let me = comm.rank() as usize;
            let d = displs_of(counts)[me];
            recv.copy_from_slice(&send[d..d + counts[me]]);
            started.streams(comm, send, &blocks_except(counts, me), &mut [], &[]);
        }
        (None, None) => {
            let n = recv.len();
            started.streams(comm, &[], &[], recv, &[(root, 0..n)]);
        }
    }
    started
}

/// `MPI_Iallgatherv` of `send` into consecutive blocks of `counts` of `recv`.
pub(crate) fn allgatherv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    send: &[T],
    counts: &[usize],
    recv: &mut [T],
) -> Started {
    let mut started = Started::default();
    match fits::<T>(counts) {
        Some((c, d)) => {
            let (c, d) = started.counts(c, d);
            // SAFETY: the buffers and count arrays outlive the request (see Started).
            started.start(|req| unsafe {
                raw::iallgatherv(
                    send_ptr(send),
                    send.len() as i32,
                    datatype::<T>(),
                    recv_ptr(recv),
                    c,
                    d,
                    datatype::<T>(),
                    comm.as_raw(),
                    req,
                );
            });
        }
        None => {
            let me = comm.rank() as usize;
            let d = displs_of(counts)[me];
            recv[d..d + counts[me]].copy_from_slice(send);
            let to_all: Vec<_> = (0..counts.len())
                .filter(|&r| r != me)
                .map(|r| (r as Rank, 0..send.len()))
                .collect();
            started.streams(comm, send, &to_all, recv, &blocks_except(counts, me));
        }
    }
    started
}

/// `MPI_Ialltoallv`: block r of `send` (by `send_counts`) to rank r, block r of `recv` (by
/// `recv_counts`) from rank r. `all_fit` must be the same on every rank (whether every
/// rank's layouts fit one call).
pub(crate) fn alltoallv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    send: &[T],
    send_counts: &[usize],
    recv: &mut [T],
    recv_counts: &[usize],
    all_fit: bool,
) -> Started {
    let mut started = Started::default();
    if all_fit {
        let (sc, sd) = fits::<T>(send_counts).expect("every layout fits");
        let (rc, rd) = fits::<T>(recv_counts).expect("every layout fits");
        let (sc, sd) = started.counts(sc, sd);
        let (rc, rd) = started.counts(rc, rd);
        // SAFETY: the buffers and count arrays outlive the request (see Started).
        started.start(|req| unsafe {
            raw::ialltoallv(
                send_ptr(send),
                sc,
                sd,
                datatype::<T>(),
                recv_ptr(recv),
                rc,
                rd,
                datatype::<T>(),
                comm.as_raw(),
                req,
            );
        });
    } else {
        let me = comm.rank() as usize;
        let (sd, rd) = (displs_of(send_counts), displs_of(recv_counts));
        recv[rd[me]..rd[me] + recv_counts[me]]
            .copy_from_slice(&send[sd[me]..sd[me] + send_counts[me]]);
        let sends = blocks_except(send_counts, me);
        started.streams(comm, send, &sends, recv, &blocks_except(recv_counts, me));
    }
    started
}

/// What an element-wise non-blocking reduction computes.
#[derive(Clone, Copy)]
pub(crate) enum Reduction {
    /// `MPI_Ireduce` to this root.
    Reduce(Rank),
    /// `MPI_Iallreduce`.
    All,
    /// `MPI_Iscan`.
    Scan,
    /// `MPI_Iexscan`.
    Exscan,
}

/// An element-wise reduction of `send` into `recv` (the same length on every rank; `recv`
/// is ignored off the root of a reduce), one MPI call per piece.
pub(crate) fn reduction<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    kind: Reduction,
    send: &[T],
    mut recv: Option<&mut [T]>,
    op: raw::MPI_Op,
) -> Started {
    let mut started = Started::default();
    for r in pieces::<T>(send.len()) {
        let (from, n) = (send_ptr(&send[r.clone()]), r.len() as i32);
        let out = recv
            .as_deref_mut()
            .map_or(recv_ptr::<T>(&mut []), |o| recv_ptr(&mut o[r]));
        // SAFETY: the buffers outlive the request (see Started).
        started.start(|req| unsafe {
            match kind {
                Reduction::Reduce(root) => {
                    raw::ireduce(from, out, n, datatype::<T>(), op, root, comm.as_raw(), req)
                }
                Reduction::All => {
                    raw::iallreduce(from, out, n, datatype::<T>(), op, comm.as_raw(), req)
                }
                Reduction::Scan => {
                    raw::iscan(from, out, n, datatype::<T>(), op, comm.as_raw(), req)
                }
                Reduction::Exscan => {
                    raw::iexscan(from, out, n, datatype::<T>(), op, comm.as_raw(), req)
                }
            };
        });
    }
    started
}

/// `MPI_Ireduce_scatter`: the element-wise reduction of `send`, whose consecutive blocks of
/// `counts` go to rank 0, 1, ...; this rank's block lands in `recv`. Past one call's size,
/// one `MPI_Ireduce` per block and piece, to the block's rank.
pub(crate) fn reduce_scatterv<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    send: &[T],
    counts: &[usize],
    recv: &mut [T],
    op: raw::MPI_Op,
) -> Started {
    let total: usize = counts.iter().sum();
    if fits::<T>(&[total]).is_none() {
        let me = comm.rank() as usize;
        let mut started = Started::default();
        for (r, (d, &c)) in displs_of(counts).into_iter().zip(counts).enumerate() {
            let out = (r == me).then_some(&mut *recv);
            let part = reduction(comm, Reduction::Reduce(r as Rank), &send[d..d + c], out, op);
            started.requests.extend(part.requests);
        }
        return started;
    }
    let mut started = Started::default();
    let c: Vec<i32> = counts.iter().map(|&c| c as i32).collect();
    let c_ptr = c.as_ptr();
    started.keep.push(Box::new(c));
    // SAFETY: the buffers and the count array outlive the request (see Started).
    started.start(|req| unsafe {
        raw::ireduce_scatter(
            send_ptr(send),
            recv_ptr(recv),
            c_ptr,
            datatype::<T>(),
            op,
            comm.as_raw(),
            req,
        );
    });
    started
}

/// `MPI_Ibarrier`.
pub(crate) fn barrier<C: Communicator + ?Sized>(comm: &C) -> Started {
    let mut started = Started::default();
    // SAFETY: a barrier reads and writes no buffer.
    started.start(|req| unsafe {
        raw::ibarrier(comm.as_raw(), req);
    });
    started
}
