//! Object and buffer messages beyond send and receive (mpi4py's `irecv`, `probe`, `iprobe`,
//! `Probe` with a status, `ssend`, `issend`, `bsend`): [`ObjectMessages`], and
//! [`BufferStatus`], what a buffer message's receive or probe found.

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
    immediate_send_object_to, probed_bytes, send_object_to, SendMode, FIRST_BYTES,
};
use crate::collective::pending::Pending;
use crate::collective::receiving::Receiving;
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
    /// from [`Receiving::wait`] or [`Receiving::test`], or through a [`RequestSet`](crate::requests::RequestSet).
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
        let probed = immediate_status(self, source, tag);
        Ok(probed.map(|s| ObjectStatus {
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
    fn synchronous_send_object<T>(&self, dest: Rank, tag: Tag, value: &T) -> Result<()>
    where
        T: Serialize + ?Sized,
    {
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
    fn buffered_send_object<T>(&self, dest: Rank, tag: Tag, value: &T) -> Result<()>
    where
        T: Serialize + ?Sized,
    {
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
    fn immediate_synchronous_send_object<T>(
        &self,
        dest: Rank,
        tag: Tag,
        value: &T,
    ) -> Result<Pending<()>>
    where
        T: Serialize + ?Sized,
    {
        immediate_send_object_to(self, dest, tag, value, true)
    }
}

impl<C: Communicator + ?Sized> ObjectMessages for C {}
