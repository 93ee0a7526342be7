//! Handles for non-blocking collectives: the result and the MPI requests that fill it.

use std::any::Any;
use std::ops::Range;

use crate::error::{Error, Result};
use crate::raw;
use crate::raw::{MPI_Request, MPI_Status};

/// Starts one non-blocking MPI call per range (`start` fills in its request handle) and
/// returns the handles, for a [`Pending`] to own.
pub(crate) fn start_each(
    ranges: impl Iterator<Item = Range<usize>>,
    mut start: impl FnMut(Range<usize>, &mut MPI_Request),
) -> Vec<MPI_Request> {
    ranges
        .map(|r| {
            let mut req = raw::request_null();
            start(r, &mut req);
            req
        })
        .collect()
}

/// Waits for and clears `requests`.
pub(crate) fn wait_all(requests: &mut Vec<MPI_Request>) {
    if requests.is_empty() {
        return;
    }
    // SAFETY: live request handles; MPI_Waitall completes and frees them.
    unsafe {
        raw::waitall(
            requests.len() as i32,
            requests.as_mut_ptr(),
            raw::statuses_ignore(),
        );
    }
    requests.clear();
}

/// A non-blocking operation in flight, owning its buffers until it completes.
///
/// [`wait`](Pending::wait) blocks until MPI is done and returns the result. Dropping a
/// `Pending` without waiting also waits (MPI must never write into freed memory), so an
/// early return cannot corrupt memory; it can still hang if other ranks never join the
/// operation, as any collective would.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::ReduceOp;
/// mpikit::run(|world| {
///     let local = mpikit::ndarray::Array1::from_elem(1000, 1.0f64);
///     let pending = world.immediate_allreduce_array(&local, ReduceOp::Sum)?;
///     // ... compute something else while the reduction runs ...
///     let total = pending.wait()?;
///     assert_eq!(total[0], world.size() as f64);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
#[must_use = "a Pending operation must be waited for"]
pub struct Pending<A> {
    requests: Vec<MPI_Request>,
    value: Option<A>,
    _keep: Option<Box<dyn Any>>,
    /// Fills the value from the requests' statuses once they complete (a receive's status).
    finish: Option<fn(&mut A, &[MPI_Status])>,
}

impl<A> Pending<A> {
    /// Wraps requests that write into `value`'s heap storage (and read `keep`'s).
    pub(crate) fn new(
        requests: Vec<MPI_Request>,
        value: A,
        keep: Option<Box<dyn Any>>,
    ) -> Pending<A> {
        Pending {
            requests,
            value: Some(value),
            _keep: keep,
            finish: None,
        }
    }

    /// Calls `finish` with the value and the requests' statuses when they complete.
    pub(crate) fn on_completion(mut self, finish: fn(&mut A, &[MPI_Status])) -> Pending<A> {
        self.finish = Some(finish);
        self
    }

    /// Room for the statuses when a completion needs them, else MPI's "ignore".
    fn statuses(&self) -> (Vec<MPI_Status>, *mut MPI_Status) {
        if self.finish.is_some() {
            // SAFETY: MPI_Status is plain data; MPI overwrites these.
            let mut room = vec![unsafe { std::mem::zeroed::<MPI_Status>() }; self.requests.len()];
            let ptr = room.as_mut_ptr();
            (room, ptr)
        } else {
            (Vec::new(), raw::statuses_ignore())
        }
    }

    /// Runs the completion hook, once.
    fn completed(&mut self, statuses: &[MPI_Status]) {
        if let (Some(finish), Some(value)) = (self.finish.take(), self.value.as_mut()) {
            finish(value, statuses);
        }
    }

    /// Whether the operation has completed (`MPI_Testall`); never blocks.
    pub(crate) fn is_complete(&mut self) -> bool {
        if self.requests.is_empty() {
            return true;
        }
        let mut flag = 0;
        let (statuses, at) = self.statuses();
        // SAFETY: the requests are live handles owned by self; MPI_Testall sets completed
        // ones to MPI_REQUEST_NULL.
        unsafe {
            raw::testall(
                self.requests.len() as i32,
                self.requests.as_mut_ptr(),
                &mut flag,
                at,
            );
        }
        if flag != 0 {
            self.requests.clear();
            self.completed(&statuses);
        }
        flag != 0
    }

    /// The result, if the operation has completed; afterwards the `Pending` is spent.
    pub(crate) fn take_if_complete(&mut self) -> Option<A> {
        if self.value.is_some() && self.is_complete() {
            self.value.take()
        } else {
            None
        }
    }

    /// Blocks until the operation completes and returns its result; an `Err` if
    /// [`test`](Pending::test) already handed the result out.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let pending = world.immediate_allreduce_array(&[world.rank() as u64; 3], ReduceOp::Sum)?;
    ///     // ... compute while the reduction runs ...
    ///     let total = pending.wait()?;
    ///     let n = world.size() as u64;
    ///     assert_eq!(total, vec![n * (n - 1) / 2; 3]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait(mut self) -> Result<A> {
        self.wait_all();
        self.value
            .take()
            .ok_or_else(|| Error::input("Pending::wait: test() already returned this result"))
    }

    /// [`wait`](Pending::wait) for mpikit's own sends and collectives, whose completion
    /// cannot fail: MPI's errors abort the job.
    pub(crate) fn complete(mut self) -> A {
        self.wait_all();
        self.value.take().expect("the value is taken once")
    }

    /// Makes progress without blocking (`MPI_Testall`): `Ok(Some(result))` the one time the
    /// operation is found complete, `Ok(None)` while it is in flight (and after its result
    /// was taken).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut pending = world.immediate_allreduce_array(&[1u32], ReduceOp::Sum)?;
    ///     let total = loop {
    ///         if let Some(total) = pending.test()? {
    ///             break total;
    ///         }
    ///         // ... a slice of other work ...
    ///     };
    ///     assert_eq!(total, vec![world.size() as u32]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test(&mut self) -> Result<Option<A>> {
        Ok(self.take_if_complete())
    }

    fn wait_all(&mut self) {
        if self.requests.is_empty() {
            return;
        }
        let (statuses, at) = self.statuses();
        // SAFETY: as in is_complete; MPI_Waitall returns when every request is complete.
        unsafe {
            raw::waitall(self.requests.len() as i32, self.requests.as_mut_ptr(), at);
        }
        self.requests.clear();
        self.completed(&statuses);
    }
}

impl<A> Drop for Pending<A> {
    fn drop(&mut self) {
        self.wait_all();
        // An object message's bytes go back to this thread's scratch pool.
        if let Some(Ok(bytes)) = self._keep.take().map(|k| k.downcast::<Vec<u8>>()) {
            crate::collective::scratch::give(*bytes);
        }
    }
}
