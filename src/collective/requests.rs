//! Non-blocking object receives, probes, synchronous sends, and sets of requests that are
//! waited for or tested together (mpi4py's `irecv`, `probe`, `iprobe`, `ssend`, `issend`,
//! `waitany`, `testany`, `waitall`, `testall`, `waitsome`, `testsome`).

use crate::raw::{MPI_Request, MPI_Status};
use mpi::datatype::Equivalence;
use mpi::point_to_point::{Source, Status};
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};
use mpi::Tag;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::address::recv_ptr;
use crate::collective::codec::ObjectStatus;
use crate::collective::element::Element;
use crate::collective::message::{
    finish_message, immediate_send_object_to, probed_bytes, send_object_to, whole_message,
    SendMode, FIRST_BYTES,
};
use crate::collective::pending::Pending;
use crate::collective::scratch;
use crate::collective::shape::check_root;
use crate::collective::shape::PROC_NULL;
use crate::error::{Error, Result};
use crate::raw;
use crate::runtime::backoff::Backoff;

/// What a probe found for a buffer message: sender, tag and element count.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::buffers::BufferStatus;
/// mpikit::run(|world| {
///     match world.rank() {
///         0 if world.size() > 1 => world.send_array(1, 5, &[1u8, 2])?,
///         1 => {
///             let mut buf = [0u8; 10];
///             let status = world.receive_array_into(None, None, &mut buf)?;
///             assert_eq!(status, BufferStatus { source: 0, tag: 5, count: 2 });
///         }
///         _ => {}
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferStatus {
    /// The sender's rank.
    pub source: Rank,
    /// The message tag.
    pub tag: Tag,
    /// Elements of the probed type in the message.
    pub count: usize,
}

/// Something in flight that completes once: a [`Receiving`] object, or a [`Pending`] send
/// or collective. [`RequestSet`] waits for and tests many of them.
pub trait Completion {
    /// What the request gives when it completes.
    type Output;

    /// Makes progress without blocking; `Some(result)` the one time the request completes.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::Completion;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut summing = world.immediate_allreduce_array(&[1u32], ReduceOp::Sum)?;
    ///     // Poll by hand; a RequestSet does this for many requests at once.
    ///     let total = loop {
    ///         if let Some(result) = summing.try_complete() {
    ///             break result?;
    ///         }
    ///         // ... a slice of other work ...
    ///     };
    ///     assert_eq!(total, vec![world.size() as u32]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn try_complete(&mut self) -> Option<Result<Self::Output>>;
}

impl<A> Completion for Pending<A> {
    type Output = A;

    fn try_complete(&mut self) -> Option<Result<A>> {
        self.take_if_complete().map(Ok)
    }
}

/// A non-blocking object receive in flight (mpi4py's `irecv`), from
/// [`immediate_receive_object`](ObjectMessages::immediate_receive_object): an `MPI_Irecv`
/// of the message's first piece ([`FIRST_BYTES`](crate::objects::FIRST_BYTES), 32 KiB, like
/// mpi4py's `irecv` buffer) is posted at once, so a synchronous or rendezvous-sized send to
/// it completes while this rank is busy elsewhere. Objects of any size: a larger object's
/// rest is received when the receive is tested or waited for.
///
/// Posted receives match messages in the order they were posted, as MPI's do. Dropping a
/// `Receiving` without waiting cancels it, as [`cancel`](Receiving::cancel) does.
#[must_use = "a receive must be waited for, tested or cancelled"]
pub struct Receiving<'a, C: Communicator + ?Sized, T> {
    comm: &'a C,
    request: MPI_Request,
    first: Vec<u8>,
    done: bool,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<C: Communicator + ?Sized, T: DeserializeOwned> Receiving<'_, C, T> {
    /// Blocks until the object arrives (without spinning a core) and returns it.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_object(1, 8, "ping")?,
    ///         1 => {
    ///             let receiving = world.immediate_receive_object::<String>(Some(0), Some(8))?;
    ///             // ... work while the message is on its way ...
    ///             let (text, status) = receiving.wait()?;
    ///             assert_eq!((text.as_str(), status.source), ("ping", 0));
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait(mut self) -> Result<(T, ObjectStatus)> {
        let mut pause = Backoff::default();
        loop {
            if let Some(result) = self.try_complete() {
                return result;
            }
            pause.wait();
        }
    }

    /// Makes progress without blocking: `Ok(Some(object))` the one time the object is found
    /// arrived (received then), `Ok(None)` while it has not (and after it was taken).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_object(1, 0, &42u64)?,
    ///         1 => {
    ///             let mut receiving = world.immediate_receive_object::<u64>(Some(0), None)?;
    ///             let (value, _status) = loop {
    ///                 if let Some(got) = receiving.test()? {
    ///                     break got;
    ///                 }
    ///                 // ... a slice of other work ...
    ///             };
    ///             assert_eq!(value, 42);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test(&mut self) -> Result<Option<(T, ObjectStatus)>> {
        self.try_complete().transpose()
    }

    /// Gives up the receive (mpi4py's `Request.Cancel` + `Wait`): `Ok(None)` when it was
    /// cancelled before a message matched it (a message that arrives later is left for
    /// another receive); `Some` with the object when a message had already matched it, so
    /// nothing is lost.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // A receive that nothing will match, given up.
    ///     let receiving = world.immediate_receive_object::<String>(Some(world.rank()), Some(99))?;
    ///     assert!(receiving.cancel()?.is_none());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn cancel(mut self) -> Result<Option<(T, ObjectStatus)>> {
        self.done = true;
        match self.cancel_posted() {
            Some((count, from, tag)) => {
                let first = std::mem::take(&mut self.first);
                finish_message(self.comm, first, count, from, tag).map(Some)
            }
            None => Ok(None),
        }
    }
}

impl<C: Communicator + ?Sized, T> Receiving<'_, C, T> {
    /// Cancels the posted receive and waits for it; the first piece's byte count, source and
    /// tag if a message had matched it anyway.
    fn cancel_posted(&mut self) -> Option<(usize, Rank, Tag)> {
        let mut status = std::mem::MaybeUninit::<MPI_Status>::uninit();
        let mut cancelled = 0;
        // SAFETY: a live request posted by this value; MPI_Wait completes it either way
        // (cancelled or received), after which the buffer is no longer MPI's.
        let status = unsafe {
            raw::cancel(&mut self.request);
            raw::wait(&mut self.request, status.as_mut_ptr());
            let status = status.assume_init();
            raw::test_cancelled(&status, &mut cancelled);
            status
        };
        (cancelled == 0).then(|| first_of(status))
    }
}

/// The byte count, source and tag of a completed first piece.
fn first_of(status: MPI_Status) -> (usize, Rank, Tag) {
    let status = Status::from_raw(status);
    (
        status.count(u8::equivalent_datatype()).max(0) as usize,
        status.source_rank(),
        status.tag(),
    )
}

impl<C: Communicator + ?Sized, T> Drop for Receiving<'_, C, T> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Some((count, from, tag)) = self.cancel_posted() {
            // A message had matched: take in its continuation too, so it cannot be left
            // behind on the private channel; the object is dropped.
            let first = std::mem::take(&mut self.first);
            if let Ok(bytes) = whole_message(self.comm, first, count, from, tag) {
                scratch::give(bytes);
            }
        }
    }
}

impl<C: Communicator + ?Sized, T: DeserializeOwned> Completion for Receiving<'_, C, T> {
    type Output = (T, ObjectStatus);

    fn try_complete(&mut self) -> Option<Result<(T, ObjectStatus)>> {
        if self.done {
            return None;
        }
        let mut flag = 0;
        let mut status = std::mem::MaybeUninit::<MPI_Status>::uninit();
        // SAFETY: a live request posted by this value; on completion MPI sets it to null and
        // fills the status.
        unsafe { raw::test(&mut self.request, &mut flag, status.as_mut_ptr()) };
        if flag == 0 {
            return None;
        }
        self.done = true;
        // SAFETY: MPI_Test filled the status of the completed request.
        let (count, from, tag) = first_of(unsafe { status.assume_init() });
        let first = std::mem::take(&mut self.first);
        Some(finish_message(self.comm, first, count, from, tag))
    }
}

fn immediate_status<C: Communicator + ?Sized>(
    comm: &C,
    source: Option<Rank>,
    tag: Option<Tag>,
) -> Option<Status> {
    match (source, tag) {
        (Some(s), Some(t)) => comm.process_at_rank(s).immediate_probe_with_tag(t),
        (Some(s), None) => comm.process_at_rank(s).immediate_probe(),
        (None, Some(t)) => comm.any_process().immediate_probe_with_tag(t),
        (None, None) => comm.any_process().immediate_probe(),
    }
}

fn check_source<C: Communicator + ?Sized>(
    comm: &C,
    source: Option<Rank>,
    what: &str,
) -> Result<()> {
    match source {
        Some(PROC_NULL) => Err(Error::input(format!(
            "{what} from PROC_NULL: nothing is sent from there"
        ))),
        Some(s) => check_root(comm, s),
        None => Ok(()),
    }
}

/// Point-to-point calls beyond send and receive: non-blocking receives of objects, probes of
/// objects and buffers, synchronous sends. For any rsmpi communicator and for
/// [`World`](crate::World); `None` as a source or tag matches any.
///
/// # Examples
/// A master that serves whichever worker answers first:
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::requests::RequestSet;
/// mpikit::run(|world| {
///     if world.is_root() {
///         let mut answers = RequestSet::new();
///         for worker in 1..world.size() {
///             answers.push(world.immediate_receive_object::<u64>(Some(worker), Some(5))?);
///         }
///         while let Some((index, answer)) = answers.wait_any() {
///             let (value, status) = answer?;
///             println!("request {index}: {value} from rank {}", status.source);
///         }
///     } else {
///         world.synchronous_send_object(0, 5, &(world.rank() as u64 * 10))?;
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait ObjectMessages: Communicator {
    /// Starts receiving an object (mpi4py's `irecv`) and returns at once; the value comes
    /// from [`Receiving::wait`] or [`Receiving::test`], or through a [`RequestSet`].
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => {
    ///             let receiving = world.immediate_receive_object::<Vec<f64>>(Some(1), Some(3))?;
    ///             // ... work while the object arrives ...
    ///             let (v, status) = receiving.wait()?;
    ///             assert_eq!((v.len(), status.source), (10, 1));
    ///         }
    ///         1 => world.send_object(0, 3, &vec![0.5f64; 10])?,
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_receive_object<T: DeserializeOwned>(
        &self,
        source: Option<Rank>,
        tag: Option<Tag>,
    ) -> Result<Receiving<'_, Self, T>> {
        check_source(self, source, "immediate_receive_object")?;
        let mut first = vec![0u8; FIRST_BYTES];
        let (any_source, any_tag) = (raw::any_source(), raw::any_tag());
        let mut request = raw::request_null();
        // SAFETY: `first` is a heap buffer the Receiving owns and does not touch until the
        // request completes (tested, waited for, or cancelled and waited for on drop).
        unsafe {
            raw::irecv(
                recv_ptr(&mut first),
                FIRST_BYTES as i32,
                u8::equivalent_datatype().as_raw(),
                source.unwrap_or(any_source),
                tag.unwrap_or(any_tag),
                self.as_raw(),
                &mut request,
            );
        }
        Ok(Receiving {
            comm: self,
            request,
            first,
            done: false,
            _value: std::marker::PhantomData,
        })
    }

    /// Waits for an object message without receiving it (mpi4py's `probe`): its source,
    /// tag and encoded size in bytes (for an object larger than
    /// [`max_message_bytes`](crate::runtime::max_message_bytes), the size of its first piece).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     if world.is_root() {
    ///         for _ in 1..world.size() {
    ///             let status = world.probe_object(None, Some(4))?; // who sent, how many bytes
    ///             let (v, _) = world.receive_object::<Vec<u8>>(Some(status.source), Some(4))?;
    ///             assert_eq!(v.len(), status.source as usize);
    ///         }
    ///     } else {
    ///         world.send_object(0, 4, &vec![0u8; world.rank() as usize])?;
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn probe_object(&self, source: Option<Rank>, tag: Option<Tag>) -> Result<ObjectStatus> {
        let mut pause = Backoff::default();
        loop {
            if let Some(status) = self.immediate_probe_object(source, tag)? {
                return Ok(status);
            }
            pause.wait();
        }
    }

    /// [`probe_object`](Self::probe_object) without waiting (mpi4py's `iprobe`): `None`
    /// when no matching message has arrived.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_object(1, 6, &1.5f64)?,
    ///         1 => {
    ///             let status = loop {
    ///                 if let Some(status) = world.immediate_probe_object(Some(0), Some(6))? {
    ///                     break status;
    ///                 }
    ///                 // ... other work while nothing has arrived ...
    ///             };
    ///             let (x, _) = world.receive_object::<f64>(Some(status.source), Some(status.tag))?;
    ///             assert_eq!(x, 1.5);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_probe_object(
        &self,
        source: Option<Rank>,
        tag: Option<Tag>,
    ) -> Result<Option<ObjectStatus>> {
        check_source(self, source, "immediate_probe_object")?;
        Ok(immediate_status(self, source, tag).map(|s| ObjectStatus {
            source: s.source_rank(),
            tag: s.tag(),
            bytes: probed_bytes(s.count(u8::equivalent_datatype()) as usize),
        }))
    }

    /// Waits for a buffer message of `T` elements without receiving it (mpi4py's `Probe` with
    /// a status): its source, tag and element count.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_array(1, 2, &[7u32; 5])?,
    ///         1 => {
    ///             // Size the buffer to the message.
    ///             let status = world.probe_buffer::<u32>(Some(0), Some(2))?;
    ///             let mut buf = vec![0u32; status.count];
    ///             world.receive_array_into(Some(0), Some(2), &mut buf)?;
    ///             assert_eq!(buf, vec![7; 5]);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn probe_buffer<T: Element>(
        &self,
        source: Option<Rank>,
        tag: Option<Tag>,
    ) -> Result<BufferStatus> {
        let mut pause = Backoff::default();
        loop {
            if let Some(status) = self.immediate_probe_buffer::<T>(source, tag)? {
                return Ok(status);
            }
            pause.wait();
        }
    }

    /// [`probe_buffer`](Self::probe_buffer) without waiting: `None` when nothing matching
    /// has arrived.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_array(1, 0, &[1.0f32; 3])?,
    ///         1 => {
    ///             let status = loop {
    ///                 if let Some(status) = world.immediate_probe_buffer::<f32>(None, None)? {
    ///                     break status;
    ///                 }
    ///                 // ... other work while nothing has arrived ...
    ///             };
    ///             let mut buf = vec![0.0f32; status.count];
    ///             world.receive_array_into(Some(status.source), Some(status.tag), &mut buf)?;
    ///             assert_eq!(buf, vec![1.0; 3]);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_probe_buffer<T: Element>(
        &self,
        source: Option<Rank>,
        tag: Option<Tag>,
    ) -> Result<Option<BufferStatus>> {
        check_source(self, source, "immediate_probe_buffer")?;
        Ok(immediate_status(self, source, tag).map(|s| BufferStatus {
            source: s.source_rank(),
            tag: s.tag(),
            count: s.count(T::equivalent_datatype()).max(0) as usize,
        }))
    }

    /// Sends `value` and returns only once the receiver has started receiving it (mpi4py's
    /// `ssend`, `MPI_Ssend`). A send to [`PROC_NULL`] does nothing.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         // Returns once rank 1 has started receiving.
    ///         0 if world.size() > 1 => world.synchronous_send_object(1, 0, &vec![1, 2, 3])?,
    ///         1 => {
    ///             let (v, _) = world.receive_object::<Vec<i32>>(Some(0), Some(0))?;
    ///             assert_eq!(v, vec![1, 2, 3]);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn synchronous_send_object<T: Serialize + ?Sized>(
        &self,
        dest: Rank,
        tag: Tag,
        value: &T,
    ) -> Result<()> {
        send_object_to(self, dest, tag, value, SendMode::Synchronous)
    }

    /// Sends `value` through the buffer attached with
    /// [`World::attach_send_buffer`](crate::World::attach_send_buffer) (mpi4py's `bsend`,
    /// `MPI_Bsend`): returns as soon as the message is copied there, whether or not the
    /// receiver has posted a receive. An `Err` if the message (plus MPI's overhead of
    /// `MPI_BSEND_OVERHEAD` bytes per piece) is larger than
    /// the whole buffer; messages still in the buffer count too, and running out of room
    /// there is an MPI error that ends the job. A send to [`PROC_NULL`] does nothing.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     world.attach_send_buffer(1 << 20)?;
    ///     let (next, prev) = ((world.rank() + 1) % world.size(), (world.rank() + world.size() - 1) % world.size());
    ///     // Every rank sends before any receives: fine, the sends are buffered.
    ///     world.buffered_send_object(next, 1, &vec![world.rank(); 100])?;
    ///     let (got, _) = world.receive_object::<Vec<i32>>(Some(prev), Some(1))?;
    ///     assert_eq!(got[0], prev);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn buffered_send_object<T: Serialize + ?Sized>(
        &self,
        dest: Rank,
        tag: Tag,
        value: &T,
    ) -> Result<()> {
        send_object_to(self, dest, tag, value, SendMode::Buffered)
    }

    /// Starts a synchronous send (mpi4py's `issend`): the handle completes once the receiver
    /// has matched the message.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => {
    ///             let sending = world.immediate_synchronous_send_object(1, 0, "done")?;
    ///             // ... work until rank 1 has matched the message ...
    ///             sending.wait()?;
    ///         }
    ///         1 => {
    ///             let (text, _) = world.receive_object::<String>(Some(0), Some(0))?;
    ///             assert_eq!(text, "done");
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_synchronous_send_object<T: Serialize + ?Sized>(
        &self,
        dest: Rank,
        tag: Tag,
        value: &T,
    ) -> Result<Pending<()>> {
        immediate_send_object_to(self, dest, tag, value, true)
    }
}

impl<C: Communicator + ?Sized> ObjectMessages for C {}

/// Requests waited for or tested together (mpi4py's `Request.waitany`, `testany`,
/// `waitall`, `testall`, `waitsome`, `testsome`). Indices are the order of
/// [`push`](RequestSet::push); each request's result is handed out exactly once, and the
/// waits poll with a backoff (yielding, then sleeping up to 200 µs) rather than spinning.
pub struct RequestSet<R: Completion> {
    requests: Vec<Option<R>>,
    open: usize,
}

impl<R: Completion> Default for RequestSet<R> {
    fn default() -> Self {
        RequestSet {
            requests: Vec::new(),
            open: 0,
        }
    }
}

impl<R: Completion> RequestSet<R> {
    /// An empty set.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::{Pending, RequestSet};
    /// mpikit::run(|world| {
    ///     let mut set: RequestSet<Pending<()>> = RequestSet::new();
    ///     assert!(set.is_empty());
    ///     set.push(world.immediate_barrier_pending()?);
    ///     for (_index, result) in set.wait_all() {
    ///         result?;
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a request; returns its index.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     let sum = set.push(world.immediate_allreduce_array(&[1u32], ReduceOp::Sum)?);
    ///     let max = set.push(world.immediate_allreduce_array(&[world.rank() as u32], ReduceOp::Max)?);
    ///     assert_eq!((sum, max), (0, 1)); // indices in the order of push
    ///     let n = world.size() as u32;
    ///     for (index, result) in set.wait_all() {
    ///         assert_eq!(result?, vec![if index == sum { n } else { n - 1 }]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn push(&mut self, request: R) -> usize {
        self.requests.push(Some(request));
        self.open += 1;
        self.requests.len() - 1
    }

    /// Requests not yet completed.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for _ in 0..3 {
    ///         set.push(world.immediate_barrier_pending()?);
    ///     }
    ///     assert_eq!(set.remaining(), 3);
    ///     while let Some((_index, result)) = set.wait_any() {
    ///         result?;
    ///     }
    ///     assert_eq!(set.remaining(), 0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn remaining(&self) -> usize {
        self.open
    }

    /// Requests ever added.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     set.push(world.immediate_barrier_pending()?);
    ///     for (_index, result) in set.wait_all() {
    ///         result?;
    ///     }
    ///     assert_eq!((set.len(), set.remaining()), (1, 0)); // completed requests still count
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether no request was ever added.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::{Pending, RequestSet};
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::<Pending<()>>::new();
    ///     assert!(set.is_empty());
    ///     set.push(world.immediate_barrier_pending()?);
    ///     assert!(!set.is_empty());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// One request that has completed, if any, with its index (mpi4py's `testany`); `None`
    /// also when none remain.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     set.push(world.immediate_allreduce_array(&[1u64], ReduceOp::Sum)?);
    ///     let (index, total) = loop {
    ///         if let Some(done) = set.test_any() {
    ///             break done;
    ///         }
    ///         // ... a slice of other work ...
    ///     };
    ///     assert_eq!((index, total?), (0, vec![world.size() as u64]));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test_any(&mut self) -> Option<(usize, Result<R::Output>)> {
        for (i, slot) in self.requests.iter_mut().enumerate() {
            if let Some(result) = slot.as_mut().and_then(Completion::try_complete) {
                *slot = None;
                self.open -= 1;
                return Some((i, result));
            }
        }
        None
    }

    /// Waits for one request to complete and returns its index and result (mpi4py's
    /// `waitany`); `None` once every request has been handed out.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     set.push(world.immediate_allreduce_array(&[1u64], ReduceOp::Sum)?);
    ///     set.push(world.immediate_allreduce_array(&[1u64], ReduceOp::Max)?);
    ///     // Each result as soon as it is ready, with its index.
    ///     while let Some((index, result)) = set.wait_any() {
    ///         let expected = if index == 0 { world.size() as u64 } else { 1 };
    ///         assert_eq!(result?, vec![expected]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait_any(&mut self) -> Option<(usize, Result<R::Output>)> {
        let mut pause = Backoff::default();
        while self.open > 0 {
            if let Some(done) = self.test_any() {
                return Some(done);
            }
            pause.wait();
        }
        None
    }

    /// Every request that has completed now, possibly none (mpi4py's `testsome`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for k in 0..4u64 {
    ///         set.push(world.immediate_allreduce_array(&[k], ReduceOp::Max)?);
    ///     }
    ///     while set.remaining() > 0 {
    ///         for (index, result) in set.test_some() {
    ///             assert_eq!(result?, vec![index as u64]);
    ///         }
    ///         // ... a slice of other work ...
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test_some(&mut self) -> Vec<(usize, Result<R::Output>)> {
        let mut done = Vec::new();
        for (i, slot) in self.requests.iter_mut().enumerate() {
            if let Some(result) = slot.as_mut().and_then(Completion::try_complete) {
                *slot = None;
                self.open -= 1;
                done.push((i, result));
            }
        }
        done
    }

    /// Waits until at least one request completes and returns all that have (mpi4py's
    /// `waitsome`); empty once none remain.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for k in 0..4u64 {
    ///         set.push(world.immediate_allreduce_array(&[k], ReduceOp::Max)?);
    ///     }
    ///     let mut done = 0;
    ///     while set.remaining() > 0 {
    ///         for (index, result) in set.wait_some() {
    ///             assert_eq!(result?, vec![index as u64]);
    ///             done += 1;
    ///         }
    ///     }
    ///     assert_eq!(done, 4);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait_some(&mut self) -> Vec<(usize, Result<R::Output>)> {
        let mut pause = Backoff::default();
        while self.open > 0 {
            let done = self.test_some();
            if !done.is_empty() {
                return done;
            }
            pause.wait();
        }
        Vec::new()
    }

    /// Waits for every remaining request; their results in index order (mpi4py's
    /// `waitall`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for k in 0..3u64 {
    ///         set.push(world.immediate_allreduce_array(&[k], ReduceOp::Sum)?);
    ///     }
    ///     let n = world.size() as u64;
    ///     for (index, result) in set.wait_all() {
    ///         assert_eq!(result?, vec![index as u64 * n]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait_all(&mut self) -> Vec<(usize, Result<R::Output>)> {
        let mut all = Vec::with_capacity(self.open);
        while self.open > 0 {
            all.extend(self.wait_some());
        }
        all.sort_by_key(|(i, _)| *i);
        all
    }

    /// Progresses every request without blocking, appending those that complete now to
    /// `completed`; `true` once none remain (mpi4py's `testall`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for _ in 0..3 {
    ///         set.push(world.immediate_barrier_pending()?);
    ///     }
    ///     let mut completed = Vec::new();
    ///     while !set.test_all(&mut completed) {
    ///         // ... a slice of other work ...
    ///     }
    ///     assert_eq!(completed.len(), 3);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test_all(&mut self, completed: &mut Vec<(usize, Result<R::Output>)>) -> bool {
        completed.extend(self.test_some());
        self.open == 0
    }
}
