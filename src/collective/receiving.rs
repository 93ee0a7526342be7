//! A posted object receive (mpi4py's `irecv`): [`Receiving`], an `MPI_Irecv` of an object's
//! first piece posted at once, finished (the rest of a large object received, the bytes
//! decoded) when it is tested or waited for, cancelled when dropped.

use mpi::datatype::Equivalence;
use mpi::point_to_point::Status;
use mpi::topology::{Communicator, Rank};
use mpi::Tag;
use serde::de::DeserializeOwned;

use crate::collective::codec::ObjectStatus;
use crate::collective::message::{finish_message, whole_message};
use crate::collective::request_set::Completion;
use crate::collective::scratch;
use crate::error::Result;
use crate::raw;
use crate::raw::{MPI_Request, MPI_Status};
use crate::runtime::backoff::Backoff;

/// A non-blocking object receive in flight (mpi4py's `irecv`), from
/// [`immediate_receive_object`](crate::objects::ObjectMessages::immediate_receive_object): an `MPI_Irecv`
/// of the message's first piece ([`FIRST_BYTES`](crate::objects::FIRST_BYTES), 32 KiB, like
/// mpi4py's `irecv` buffer) is posted at once, so a synchronous or rendezvous-sized send to
/// it completes while this rank is busy elsewhere. Objects of any size: a larger object's
/// rest is received when the receive is tested or waited for.
///
/// Posted receives match messages in the order they were posted, as MPI's do. Dropping a
/// `Receiving` without waiting cancels it, as [`cancel`](Receiving::cancel) does.
#[must_use = "a receive must be waited for, tested or cancelled"]
pub struct Receiving<'a, C: Communicator + ?Sized, T> {
    pub(crate) comm: &'a C,
    pub(crate) request: MPI_Request,
    pub(crate) first: Vec<u8>,
    pub(crate) done: bool,
    pub(crate) _value: std::marker::PhantomData<fn() -> T>,
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
