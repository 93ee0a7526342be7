//! [`Mutex`]: a fair lock across ranks on one-sided atomics (a queue lock of the MCS kind,
//! mpi4py.util.sync's `Mutex`).

use std::cell::Cell;

use mpi::topology::{Communicator, Rank};

use crate::error::{Error, Result};
use crate::rma::epoch::RmaOp;
use crate::rma::window::Window;
use crate::runtime::backoff::Backoff;
use crate::runtime::Comm;

/// Slots of a rank's mutex window: its turn flag and its successor in the queue; rank 0
/// also holds the queue's tail.
const FLAG: usize = 0;
const NEXT: usize = 1;
const TAIL: usize = 2;
/// "No rank" in the queue.
const NONE: i32 = -1;

/// A lock that one rank at a time holds across the ranks of a communicator, granted in the
/// order asked (a queue lock of the MCS kind on one-sided atomics; mpi4py's
/// `util.sync.Mutex`): Python's `multiprocessing.Lock` across processes.
/// [`lock`](Mutex::lock) waits its turn and returns a guard that unlocks when dropped; a
/// rank that panics while holding it ends the job (mpikit's panic hook), never a hang.
/// Creating and dropping it are collective.
///
/// # Examples
/// ```no_run
/// use mpikit::rma::Mutex;
/// mpikit::run(|world| {
///     let mutex = Mutex::new(world)?;
///     {
///         let _held = mutex.lock()?;
///         // ... one rank at a time here ...
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Mutex {
    win: Window<i32>,
    me: Rank,
    held: Cell<bool>,
}

/// Holds a [`Mutex`]; unlocks it when dropped.
pub struct MutexGuard<'a> {
    mutex: &'a Mutex,
}

impl Mutex {
    /// A mutex over the ranks of `comm` (collective).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Mutex;
    /// # mpikit::run(|world| {
    /// let mutex = Mutex::new(world)?;
    /// assert!(!mutex.is_held());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn new<A: Comm + ?Sized>(comm: &A) -> Result<Mutex> {
        let comm = comm.as_comm();
        let me = comm.rank();
        let mut win = Window::<i32>::allocate(comm, if me == 0 { 3 } else { 2 })?;
        win.local_mut().fill(NONE);
        win.local_mut()[FLAG] = 0;
        win.fence_with(|_| Ok(()))?;
        win.lock_all_for_life()?;
        Ok(Mutex {
            win,
            me,
            held: Cell::new(false),
        })
    }

    /// Whether this rank holds the mutex.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Mutex;
    /// # mpikit::run(|world| {
    /// let mutex = Mutex::new(world)?;
    /// let held = mutex.lock()?;
    /// assert!(mutex.is_held());
    /// drop(held);
    /// assert!(!mutex.is_held());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn is_held(&self) -> bool {
        self.held.get()
    }

    /// Waits for the mutex and holds it until the guard drops. An `Err` if this rank holds
    /// it already (a second lock would wait for itself forever).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Mutex;
    /// # mpikit::run(|world| {
    /// let mutex = Mutex::new(world)?;
    /// let held = mutex.lock()?;
    /// assert!(mutex.lock().is_err());
    /// drop(held);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn lock(&self) -> Result<MutexGuard<'_>> {
        if self.held.get() {
            return Err(Error::Window(format!(
                "Mutex::lock: rank {} holds this mutex already",
                self.me
            )));
        }
        let w = self.win.held();
        // Leave the queue's slots of this rank clean before joining it.
        w.accumulate(self.me, NEXT, &[NONE], RmaOp::Replace)?;
        w.accumulate(self.me, FLAG, &[0], RmaOp::Replace)?;
        w.flush(self.me)?;
        let prev = w.fetch_and_op(0, TAIL, self.me, RmaOp::Replace)?;
        if prev != NONE {
            // Behind `prev`: tell it, then wait for it to hand the mutex over.
            w.accumulate(prev, NEXT, &[self.me], RmaOp::Replace)?;
            w.flush(prev)?;
            self.wait_for(FLAG, |v| v == 1)?;
        }
        self.held.set(true);
        Ok(MutexGuard { mutex: self })
    }

    /// Polls this rank's `slot` until `done` says so; returns the value.
    fn wait_for(&self, slot: usize, done: impl Fn(i32) -> bool) -> Result<i32> {
        let w = self.win.held();
        let mut backoff = Backoff::default();
        loop {
            let v = w.fetch_and_op(self.me, slot, 0, RmaOp::NoOp)?;
            if done(v) {
                return Ok(v);
            }
            backoff.wait();
        }
    }

    fn unlock(&self) -> Result<()> {
        let w = self.win.held();
        // Nobody behind: the tail is this rank, and becomes nobody.
        let tail = w.compare_and_swap(0, TAIL, self.me, NONE)?;
        if tail != self.me {
            // Someone joined: wait until it has linked itself, then hand over.
            let next = self.wait_for(NEXT, |v| v != NONE)?;
            w.accumulate(next, FLAG, &[1], RmaOp::Replace)?;
            w.flush(next)?;
        }
        self.held.set(false);
        Ok(())
    }
}

impl MutexGuard<'_> {
    /// The mutex this guard holds.
    pub(crate) fn mutex(&self) -> &Mutex {
        self.mutex
    }
}

impl Drop for MutexGuard<'_> {
    fn drop(&mut self) {
        self.mutex
            .unlock()
            .expect("an MPI error ends the job before this");
    }
}
