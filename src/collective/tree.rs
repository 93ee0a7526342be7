//! Object reductions in ⌈log2 P⌉ rounds of point-to-point messages: a binomial tree to the
//! root (`reduce`), recursive doubling for `allreduce` (non-powers of two fold their extra
//! ranks in first and hand the result back last) and for the scans. Every fold keeps rank
//! order: values combine over contiguous rank ranges, lower ranks on the left, so the closure
//! needs to be associative but not commutative. Each rank sends and receives O(m log P)
//! bytes and holds O(1) values.
//!
//! A value that fails to encode or decode travels on as its error message instead, so every
//! rank still takes part in every round; the ranks then agree on the first error. The
//! messages go over the communicator's private duplicate ([`private`]), so they never match
//! a program's own receives.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};

use mpi::collective::Root;
use mpi::topology::{Communicator, SimpleCommunicator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::collective::codec::{decode_bytes, encode_bytes};
use crate::collective::large;
use crate::collective::message::{
    encoded_message, immediate_send_message, receive_object_from, HEADER,
};
use crate::collective::private::private;
use crate::error::{Error, Result};

/// A value, or the first failure that reached it.
type Carried<T> = std::result::Result<T, Failure>;

/// Why a value is missing: it failed to encode on `rank`, or failed to decode from `rank`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Failure {
    encode: bool,
    rank: i32,
    message: String,
}

impl Failure {
    fn error(self) -> Error {
        let f = self;
        if f.encode {
            Error::Encode {
                rank: Some(f.rank),
                message: f.message,
            }
        } else {
            Error::Decode {
                from: Some(f.rank),
                message: f.message,
            }
        }
    }
}

/// The one tag of the private communicator.
const TAG: i32 = 1;

static SENT: AtomicU64 = AtomicU64::new(0);
static RECEIVED: AtomicU64 = AtomicU64::new(0);

/// Bytes this process has sent and received in the object reductions and scans so far
/// (`reduce_objects`, `allreduce_objects`, `scan_objects`, `exscan_objects`: payload and
/// 16-byte headers), for checking what a reduction costs.
///
/// # Examples
/// ```no_run
/// use mpikit::objects::tree_traffic;
/// use mpikit::prelude::*;
/// mpikit::run(|world| {
///     let (sent, _) = tree_traffic();
///     world.allreduce_objects(vec![1.0f64; 1000], |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect())?;
///     // About log2(size) messages of 8 KB from this rank.
///     println!("sent {} bytes", tree_traffic().0 - sent);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn tree_traffic() -> (u64, u64) {
    (
        SENT.load(Ordering::Relaxed),
        RECEIVED.load(Ordering::Relaxed),
    )
}

/// The ranks of a communicator as the trees see them.
struct Tree {
    comm: ManuallyDrop<SimpleCommunicator>,
    rank: usize,
    size: usize,
}

impl Tree {
    /// The ranks of `comm`, on its private duplicate.
    fn new<C: Communicator + ?Sized>(comm: &C) -> Tree {
        let comm = private(comm);
        let (rank, size) = (comm.rank() as usize, comm.size() as usize);
        Tree { comm, rank, size }
    }

    /// Starts sending `value` to `to`. A value that fails to encode becomes that failure,
    /// here and at `to`.
    fn start_send<T: Serialize>(
        &self,
        to: usize,
        value: &mut Carried<T>,
    ) -> crate::collective::pending::Pending<()> {
        let bytes = match encoded_message(&value.as_ref()) {
            Ok(bytes) => bytes,
            Err(e) => {
                let failure = Failure {
                    encode: true,
                    rank: self.rank as i32,
                    message: match e {
                        Error::Encode { message, .. } => message,
                        e => e.to_string(),
                    },
                };
                let bytes = encoded_message(&Err::<(), _>(&failure)).expect("a failure encodes");
                *value = Err(failure);
                bytes
            }
        };
        SENT.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        immediate_send_message(&*self.comm, to as i32, TAG, bytes, false)
    }

    fn send<T: Serialize>(&self, to: usize, value: &mut Carried<T>) {
        self.start_send(to, value).complete();
    }

    fn receive<T: DeserializeOwned>(&self, from: usize) -> Carried<T> {
        match receive_object_from::<_, Carried<T>>(&*self.comm, Some(from as i32), Some(TAG)) {
            Ok((value, status)) => {
                RECEIVED.fetch_add((status.bytes + HEADER) as u64, Ordering::Relaxed);
                value
            }
            Err(e) => Err(Failure {
                encode: false,
                rank: from as i32,
                message: match e {
                    Error::Decode { message, .. } => message,
                    e => e.to_string(),
                },
            }),
        }
    }

    /// Sends `value` to `peer` and receives `peer`'s, both at once.
    fn exchange<T: Serialize + DeserializeOwned>(
        &self,
        peer: usize,
        value: &mut Carried<T>,
    ) -> Carried<T> {
        let sending = self.start_send(peer, value);
        let got = self.receive(peer);
        sending.complete();
        got
    }

    /// The same `Err` on every rank if any rank has one: the lowest rank's (a tree allreduce
    /// of the first failure).
    fn agree(&self, status: Carried<()>) -> Result<()> {
        self.allreduce(status, |(), ()| ()).map_err(Failure::error)
    }

    /// `x0 op x1 op ... op x(P-1)` at `root` (`None` elsewhere).
    fn reduce<T, F>(&self, root: usize, value: T, op: F) -> Result<Option<T>>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(T, T) -> T,
    {
        let mut acc: Option<Carried<T>> = Some(Ok(value));
        let mut mask = 1;
        // Binomial tree towards rank 0: rank r adds the range above it, [r + mask, ...).
        while mask < self.size {
            if self.rank & mask != 0 {
                self.send(self.rank - mask, acc.as_mut().expect("held until sent"));
                acc = None;
                break;
            }
            if self.rank + mask < self.size {
                let got = self.receive(self.rank + mask);
                acc = acc.map(|a| fold(a, got, &op));
            }
            mask <<= 1;
        }
        if root != 0 {
            if self.rank == 0 {
                self.send(root, acc.as_mut().expect("rank 0 holds the total"));
                acc = None;
            } else if self.rank == root {
                acc = Some(self.receive(0));
            }
        }
        let mine = acc.filter(|_| self.rank == root);
        let status = match &mine {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(()),
        };
        // The root tells every rank how it went (a tree broadcast of one status).
        let status = self.broadcast_status(root, &status)?;
        match (status, mine) {
            (Err(e), _) => Err(e.error()),
            (Ok(()), Some(Ok(v))) => Ok(Some(v)),
            (Ok(()), _) => Ok(None),
        }
    }

    /// The root's status on every rank: its length, then its bytes (the layer under
    /// `broadcast_object`).
    fn broadcast_status(&self, root: usize, status: &Carried<()>) -> Result<Carried<()>> {
        let mut bytes = if self.rank == root {
            // A status is a flag and a string: bincode cannot fail on it.
            encode_bytes(status).expect("a status encodes")
        } else {
            Vec::new()
        };
        let mut len = [bytes.len() as u64];
        let from = self.comm.process_at_rank(root as i32);
        from.broadcast_into(&mut len[..]);
        bytes.resize(len[0] as usize, 0);
        large::broadcast(&*self.comm, root as i32, &mut bytes);
        decode_bytes(&bytes, Some(root as i32))
    }

    /// The total on every rank, by recursive doubling.
    fn allreduce<T, F>(&self, value: Carried<T>, op: F) -> Carried<T>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(T, T) -> T,
    {
        let (rank, size) = (self.rank, self.size);
        let p2 = if size.is_power_of_two() {
            size
        } else {
            size.next_power_of_two() / 2
        };
        let extra = size - p2;
        let mut acc = value;
        // The first 2·extra ranks pair up; the odd one of each pair waits for the result.
        let id = if rank < 2 * extra {
            if rank % 2 == 1 {
                self.send(rank - 1, &mut acc);
                None
            } else {
                let got = self.receive(rank + 1);
                acc = fold(acc, got, &op);
                Some(rank / 2)
            }
        } else {
            Some(rank - extra)
        };
        if let Some(id) = id {
            let mut mask = 1;
            while mask < p2 {
                let pid = id ^ mask;
                let peer = if pid < extra { 2 * pid } else { pid + extra };
                let got = self.exchange(peer, &mut acc);
                acc = if pid < id {
                    fold(got, acc, &op)
                } else {
                    fold(acc, got, &op)
                };
                mask <<= 1;
            }
        }
        if rank < 2 * extra {
            if rank % 2 == 0 {
                self.send(rank + 1, &mut acc);
            } else {
                acc = self.receive(rank - 1);
            }
        }
        acc
    }

    /// Prefixes by recursive doubling: `partial` covers an aligned block of ranks around this
    /// one, `inclusive` ranks `0..=r`, `exclusive` ranks `0..r`.
    fn scan<T, F>(&self, value: T, op: F, exclusive: bool) -> Result<Option<T>>
    where
        T: Serialize + DeserializeOwned + Clone,
        F: Fn(T, T) -> T,
    {
        let mut partial: Carried<T> = Ok(value.clone());
        let mut prefix: Option<Carried<T>> = (!exclusive).then_some(Ok(value));
        let mut mask = 1;
        while mask < self.size {
            let peer = self.rank ^ mask;
            if peer < self.size {
                let got = self.exchange(peer, &mut partial);
                if peer < self.rank {
                    prefix = Some(match prefix {
                        None => got.clone(),
                        Some(p) => fold(got.clone(), p, &op),
                    });
                    partial = fold(got, partial, &op);
                } else {
                    partial = fold(partial, got, &op);
                }
            }
            mask <<= 1;
        }
        // A failure anywhere (in a prefix, or only in a partial that went up) fails all.
        let failed = match (&prefix, &partial) {
            (Some(Err(e)), _) | (_, Err(e)) => Some(e.clone()),
            _ => None,
        };
        drop(partial);
        self.agree(failed.map_or(Ok(()), Err))?;
        Ok(prefix.map(|p| p.expect("no failure")))
    }
}

/// `low op high`, or the first error (the lower ranks' first).
fn fold<T>(low: Carried<T>, high: Carried<T>, op: &impl Fn(T, T) -> T) -> Carried<T> {
    Ok(op(low?, high?))
}

/// Reduction to `root` over a binomial tree.
pub(crate) fn reduce<C, T, F>(comm: &C, root: usize, value: T, op: F) -> Result<Option<T>>
where
    C: Communicator + ?Sized,
    T: Serialize + DeserializeOwned,
    F: Fn(T, T) -> T,
{
    Tree::new(comm).reduce(root, value, op)
}

/// Reduction with the result on every rank, by recursive doubling.
pub(crate) fn allreduce<C, T, F>(comm: &C, value: T, op: F) -> Result<T>
where
    C: Communicator + ?Sized,
    T: Serialize + DeserializeOwned,
    F: Fn(T, T) -> T,
{
    let tree = Tree::new(comm);
    let total = tree.allreduce(Ok(value), op);
    // Every rank folded the same values in the same order: the same result, or the same Err.
    total.map_err(Failure::error)
}

/// Inclusive (`exclusive == false`) or exclusive prefix reduction.
pub(crate) fn scan<C, T, F>(comm: &C, value: T, op: F, exclusive: bool) -> Result<Option<T>>
where
    C: Communicator + ?Sized,
    T: Serialize + DeserializeOwned + Clone,
    F: Fn(T, T) -> T,
{
    Tree::new(comm).scan(value, op, exclusive)
}
