//! Object messages: any `serde` value travels as bincode bytes, point to point and in every
//! collective (mpi4py's lowercase methods: `send`, `recv`, `isend`, `bcast`, `scatter`,
//! `gather`, `allgather`, `alltoall`, `reduce`, `allreduce`, `scan`, `exscan`).
//!
//! Objects of any size work, over 2 GiB too (what mpi4py needs its `pkl5` module for): the
//! bytes travel in pieces of at most [`max_message_bytes`](crate::runtime::max_message_bytes).
//!
//! A point-to-point object is one message holding a 16-byte header and the first piece of at
//! most [`FIRST_BYTES`](crate::objects::FIRST_BYTES), then, when it is larger, a continuation on a
//! private channel that no other receive can match. Bytes that do not
//! decode as the requested type (another type was sent, or the message is not an mpikit
//! object) give [`Error::Decode`], never a panic. A value that fails to encode on one rank is
//! an [`Error::Encode`] on every rank of a collective.

use mpi::collective::{CommunicatorCollectives, Root};
use mpi::topology::{Communicator, Rank};
use mpi::Tag;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::codec::{decode, encode, ObjectStatus};
use crate::collective::exchange::{
    decode_blocks, encode_and_share_counts, encode_each, encode_failure, FAILED, MISSING,
    WRONG_LENGTH,
};
use crate::collective::large;
use crate::collective::message::{
    immediate_send_object_to, receive_object_from, send_object_to, SendMode,
};
use crate::collective::scratch;
use crate::collective::shape::check_root;
use crate::collective::tree;
use crate::error::{Error, Result};

/// Serde object messages and collectives, for any rsmpi communicator (world or split).
///
/// # Examples
/// ```no_run
/// use std::collections::BTreeMap;
/// use mpikit::mpi::traits::*; // rsmpi's rank() and size() on a communicator
/// use mpikit::prelude::*;
/// mpikit::run(|world| {
///     let comm = world.comm();
///     // mpi4py: data = comm.bcast({"key1": [7, 2.72, 2+3j], ...} if rank == 0 else None)
///     let config = (comm.rank() == 0).then(|| BTreeMap::from([("steps".to_string(), 10), ("seed".into(), 42)]));
///     let config = comm.broadcast_object(0, config.as_ref())?;
///     // Point to point: rank 0 sends, rank 1 receives from anyone with any tag.
///     if comm.rank() == 0 && comm.size() > 1 {
///         comm.send_object(1, 11, &("hello", vec![1.5, 2.5]))?;
///     } else if comm.rank() == 1 {
///         let ((word, v), status) = comm.receive_object::<(String, Vec<f64>)>(None, None)?;
///         assert_eq!((word.as_str(), status.source, status.tag), ("hello", 0, 11));
///     }
///     // Gather a String from every rank onto rank 0, in rank order.
///     let names = comm.gather_objects(0, &format!("rank {}", comm.rank()))?;
///     // Reduce with any closure, applied in rank order.
///     let words = comm.allreduce_objects(vec![comm.rank()], |mut a, b| { a.extend(b); a })?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait ObjectCollectives: Communicator {
    /// Sends `value` to `dest` with `tag` (mpi4py's `send`); returns once the bytes are
    /// handed to MPI. A send to [`PROC_NULL`](crate::p2p::PROC_NULL) does nothing.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_object(1, 0, &("steps", 10u32))?,
    ///         1 => {
    ///             let ((name, n), status) = world.receive_object::<(String, u32)>(Some(0), Some(0))?;
    ///             assert_eq!((name.as_str(), n, status.source), ("steps", 10, 0));
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn send_object<T: Serialize + ?Sized>(&self, dest: Rank, tag: Tag, value: &T) -> Result<()> {
        send_object_to(self, dest, tag, value, SendMode::Standard)
    }

    /// Starts sending `value` (mpi4py's `isend`) and returns at once; the encoded bytes are
    /// owned by the returned handle until [`Pending::wait`](crate::requests::Pending::wait).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => {
    ///             let sending = world.immediate_send_object(1, 2, &vec![1.5f64; 1000])?;
    ///             // ... work while the object travels ...
    ///             sending.wait()?;
    ///         }
    ///         1 => {
    ///             let (v, _) = world.receive_object::<Vec<f64>>(Some(0), Some(2))?;
    ///             assert_eq!(v, vec![1.5; 1000]);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_send_object<T: Serialize + ?Sized>(
        &self,
        dest: Rank,
        tag: Tag,
        value: &T,
    ) -> Result<crate::collective::pending::Pending<()>> {
        immediate_send_object_to(self, dest, tag, value, false)
    }

    /// Receives one object (mpi4py's `recv`). `None` for `source` or `tag` matches any
    /// sender or any tag; the status says which it was.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     if world.is_root() {
    ///         // One message from every other rank, in whatever order they arrive.
    ///         for _ in 1..world.size() {
    ///             let (text, status) = world.receive_object::<String>(None, Some(9))?;
    ///             assert_eq!(text, format!("hi from {}", status.source));
    ///         }
    ///     } else {
    ///         world.send_object(0, 9, &format!("hi from {}", world.rank()))?;
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn receive_object<T: DeserializeOwned>(
        &self,
        source: Option<Rank>,
        tag: Option<Tag>,
    ) -> Result<(T, ObjectStatus)> {
        receive_object_from(self, source, tag)
    }

    /// Sends the root's value to every rank (mpi4py's `bcast`). `value` is `Some` on the
    /// root (`None` there is the same `Err` on every rank) and ignored elsewhere; every rank gets its own value (the root a clone, made
    /// after the encoded bytes are freed, so the root holds at most two copies at a time).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let config = world.is_root().then(|| ("run-1".to_string(), 0.25f64));
    ///     let (name, dt) = world.broadcast_object(0, config.as_ref())?;
    ///     assert_eq!((name.as_str(), dt), ("run-1", 0.25));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn broadcast_object<T: Serialize + DeserializeOwned + Clone>(
        &self,
        root: Rank,
        value: Option<&T>,
    ) -> Result<T> {
        check_root(self, root)?;
        let is_root = self.rank() == root;
        let value = value.filter(|_| is_root);
        let encoded = value.map(|v| encode(v, 0));
        let mut len = [match &encoded {
            Some(Ok(bytes)) => bytes.len() as u64,
            Some(Err(_)) => FAILED,
            None if is_root => MISSING,
            None => 0,
        }];
        self.process_at_rank(root).broadcast_into(&mut len[..]);
        match len[0] {
            FAILED => return Err(encode_failure(root, encoded)),
            MISSING => {
                return Err(Error::MissingRoot {
                    what: "broadcast_object",
                    root,
                })
            }
            _ => {}
        }
        let mut bytes = match encoded {
            Some(Ok(bytes)) => bytes,
            _ => scratch::filled(len[0] as usize),
        };
        large::broadcast(self, root, &mut bytes);
        let got = match value {
            Some(_) => None,
            None => Some(decode(&bytes, Some(root))),
        };
        scratch::give(bytes);
        match (got, value) {
            (Some(got), _) => got,
            (None, Some(value)) => Ok(value.clone()),
            (None, None) => unreachable!("the root has its value: MISSING returned above"),
        }
    }

    /// Hands item r of the root's `values` (a `Vec`, slice or array) to rank r (mpi4py's
    /// `scatter`). `values` is `Some` on the root, with one item per rank (else every rank
    /// gets the same `Err`), and ignored elsewhere.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let jobs = world.is_root().then(|| (0..world.size()).map(|r| format!("job {r}")).collect::<Vec<_>>());
    ///     let mine: String = world.scatter_objects(0, jobs.as_ref())?;
    ///     assert_eq!(mine, format!("job {}", world.rank()));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scatter_objects<T, V>(&self, root: Rank, values: Option<&V>) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        V: AsRef<[T]> + ?Sized,
    {
        check_root(self, root)?;
        let size = self.size() as usize;
        let is_root = self.rank() == root;
        let mut counts = vec![0u64; size];
        let mut bytes = scratch::empty(0);
        let mut problem = None;
        if is_root {
            match values.map(AsRef::as_ref) {
                None => counts.fill(MISSING),
                Some(values) if values.len() != size => counts.fill(WRONG_LENGTH),
                Some(values) => problem = encode_each(values, &mut bytes, &mut counts),
            }
        }
        self.process_at_rank(root).broadcast_into(&mut counts[..]);
        match counts[0] {
            MISSING => {
                return Err(Error::MissingRoot {
                    what: "scatter_objects",
                    root,
                })
            }
            WRONG_LENGTH => {
                return Err(Error::Input(format!(
                    "scatter_objects: the root (rank {root}) must give one item per rank ({size})"
                )))
            }
            FAILED => {
                return Err(Error::Encode {
                    rank: Some(root),
                    message: problem.unwrap_or_else(|| "see the root's error".into()),
                })
            }
            _ => {}
        }
        let counts: Vec<usize> = counts.iter().map(|&c| c as usize).collect();
        let mut mine = scratch::filled(counts[self.rank() as usize]);
        large::scatterv(
            self,
            root,
            is_root.then_some(&bytes[..]),
            &counts,
            &mut mine,
        );
        scratch::give(bytes);
        let got = decode(&mine, Some(root));
        scratch::give(mine);
        got
    }

    /// Collects every rank's value on the root, in rank order (mpi4py's `gather`): `Some` on
    /// the root, `None` elsewhere.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let names = world.gather_objects(0, &format!("rank {}", world.rank()))?;
    ///     if let Some(names) = names {
    ///         assert_eq!(names.len(), world.size_count());
    ///         assert_eq!(names[0], "rank 0");
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn gather_objects<T: Serialize + DeserializeOwned>(
        &self,
        root: Rank,
        value: &T,
    ) -> Result<Option<Vec<T>>> {
        check_root(self, root)?;
        let (bytes, counts) = encode_and_share_counts(self, value)?;
        if self.rank() == root {
            let mut all = scratch::filled(counts.iter().sum());
            large::gatherv(self, root, &bytes, &counts, Some(&mut all));
            scratch::give(bytes);
            let got = decode_blocks(&all, &counts).map(Some);
            scratch::give(all);
            got
        } else {
            large::gatherv(self, root, &bytes, &counts, None);
            scratch::give(bytes);
            Ok(None)
        }
    }

    /// Every rank's value on every rank, in rank order (mpi4py's `allgather`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let hosts: Vec<String> = world.allgather_objects(&format!("node-{}", world.rank()))?;
    ///     assert_eq!(hosts.len(), world.size_count());
    ///     assert_eq!(hosts[0], "node-0");
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allgather_objects<T: Serialize + DeserializeOwned>(&self, value: &T) -> Result<Vec<T>> {
        let (bytes, counts) = encode_and_share_counts(self, value)?;
        let mut all = scratch::filled(counts.iter().sum());
        large::allgatherv(self, &bytes, &counts, &mut all);
        scratch::give(bytes);
        let got = decode_blocks(&all, &counts);
        scratch::give(all);
        got
    }

    /// Sends `values[r]` to rank r and returns what each rank sent this one, in rank order
    /// (mpi4py's `alltoall`). Every rank must give one item per rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let notes: Vec<String> = (0..world.size()).map(|r| format!("{} to {r}", world.rank())).collect();
    ///     let got = world.alltoall_objects(&notes)?;
    ///     assert_eq!(got[0], format!("0 to {}", world.rank())); // item r came from rank r
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn alltoall_objects<T: Serialize + DeserializeOwned>(&self, values: &[T]) -> Result<Vec<T>> {
        let size = self.size() as usize;
        let mut send_counts = vec![FAILED; size];
        let mut bytes = scratch::empty(0);
        let mut problem = (values.len() != size).then(|| {
            format!(
                "alltoall_objects needs one item per rank ({size}), rank {} gave {}",
                self.rank(),
                values.len()
            )
        });
        if problem.is_none() {
            problem = encode_each(values, &mut bytes, &mut send_counts);
        }
        let mut recv_counts = vec![0u64; size];
        self.all_to_all_into(&send_counts[..], &mut recv_counts[..]);
        if let Some(bad) = recv_counts.iter().position(|&c| c == FAILED) {
            return Err(Error::Encode {
                rank: Some(bad as Rank),
                message: problem.unwrap_or_else(|| "see that rank's error".into()),
            });
        }
        let send_counts: Vec<usize> = send_counts.iter().map(|&c| c as usize).collect();
        let recv_counts: Vec<usize> = recv_counts.iter().map(|&c| c as usize).collect();
        let mut all = scratch::filled(recv_counts.iter().sum());
        large::alltoallv(self, &bytes, &send_counts, &mut all, &recv_counts);
        scratch::give(bytes);
        let got = decode_blocks(&all, &recv_counts);
        scratch::give(all);
        got
    }

    /// Combines every rank's value with `op` in rank order, `x0 op x1 op ... op x(P-1)`, on
    /// the root (mpi4py's `reduce`): `Some` there, `None` elsewhere. `op` must be associative
    /// but need not commute: values combine over a binomial tree of contiguous rank ranges,
    /// lower ranks on the left, in ⌈log2 P⌉ rounds (one more when the root is not rank 0);
    /// each rank sends its running value once and receives at most ⌈log2 P⌉, holding O(1)
    /// values. A value that fails to encode or decode is the same `Err` on every rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // Every rank's word, concatenated in rank order on rank 0.
    ///     let joined = world.reduce_objects(0, format!("r{}", world.rank()), |a, b| a + &b)?;
    ///     if let Some(joined) = joined {
    ///         assert_eq!(joined, (0..world.size()).map(|r| format!("r{r}")).collect::<String>());
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_objects<T, F>(&self, root: Rank, value: T, op: F) -> Result<Option<T>>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(T, T) -> T,
    {
        check_root(self, root)?;
        tree::reduce(self, root as usize, value, op)
    }

    /// [`reduce_objects`](Self::reduce_objects) with the result on every rank (mpi4py's
    /// `allreduce`), by recursive doubling: ⌈log2 P⌉ rounds, each rank sending and receiving
    /// at most 2·m·⌈log2 P⌉ bytes in all for an m-byte value; every rank computes the same
    /// fold in rank order.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use std::collections::BTreeSet;
    /// mpikit::run(|world| {
    ///     // The union of every rank's set, on every rank.
    ///     let mine = BTreeSet::from([world.rank() % 3]);
    ///     let all = world.allreduce_objects(mine, |mut a, b| { a.extend(b); a })?;
    ///     assert_eq!(all.len(), world.size_count().min(3));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_objects<T, F>(&self, value: T, op: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(T, T) -> T,
    {
        tree::allreduce(self, value, op)
    }

    /// Inclusive prefix: rank r gets `x0 op x1 op ... op xr` (mpi4py's `scan`), by recursive
    /// doubling in ⌈log2 P⌉ rounds (plus a small agreement on errors).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let upto = world.scan_objects(vec![world.rank()], |mut a, b| { a.extend(b); a })?;
    ///     assert_eq!(upto, (0..=world.rank()).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scan_objects<T, F>(&self, value: T, op: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned + Clone,
        F: Fn(T, T) -> T,
    {
        Ok(tree::scan(self, value, op, false)?.expect("an inclusive scan has a value"))
    }

    /// Exclusive prefix: rank r > 0 gets `Some(x0 op ... op x(r-1))`, rank 0 `None`
    /// (mpi4py's `exscan`); as [`scan_objects`](Self::scan_objects).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let before = world.exscan_objects(vec![world.rank()], |mut a, b| { a.extend(b); a })?;
    ///     assert_eq!(before, (world.rank() > 0).then(|| (0..world.rank()).collect::<Vec<_>>()));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn exscan_objects<T, F>(&self, value: T, op: F) -> Result<Option<T>>
    where
        T: Serialize + DeserializeOwned + Clone,
        F: Fn(T, T) -> T,
    {
        tree::scan(self, value, op, true)
    }
}

impl<C: Communicator + ?Sized> ObjectCollectives for C {}
