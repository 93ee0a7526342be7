//! [`Condition`] (wait until another rank notifies, Python's `threading.Condition` across
//! ranks) and [`Semaphore`] (a bounded count of permits), both on a [`Mutex`] and one-sided
//! memory (mpi4py.util.sync's `Condition` and `Semaphore`).

use mpi::topology::{Communicator, Rank};

use crate::error::{Error, Result};
use crate::rma::epoch::RmaOp;
use crate::rma::mutex::{Mutex, MutexGuard};
use crate::rma::window::Window;
use crate::runtime::backoff::Backoff;
use crate::runtime::Comm;

/// Rank 0's slots of a condition's queue: how many ranks were ever enqueued and dequeued,
/// then a ring of `size` waiting ranks. Changed only by the holder of the mutex.
const PUSHED: usize = 0;
const POPPED: usize = 1;
const RING: usize = 2;

/// A condition variable across the ranks of a communicator, with its own [`Mutex`]:
/// [`wait`](Condition::wait) releases the mutex, sleeps until another rank
/// [`notify`](Condition::notify)s, and takes the mutex back; waiters wake in the order they
/// started waiting. Every call needs the mutex's guard, so "held" is checked by the types.
/// Creating and dropping it are collective.
///
/// # Examples
/// ```no_run
/// use mpikit::rma::{Condition, LockKind, Window};
/// use mpikit::mpi::traits::*;
/// mpikit::run(|world| {
///     let cond = Condition::new(world)?;
///     let flag = Window::<u8>::allocate(world, 1)?;
///     let ready = || -> mpikit::Result<bool> {
///         let mut v = [0u8];
///         flag.lock(0, LockKind::Shared)?.get(0, 0, &mut v)?;
///         Ok(v[0] == 1)
///     };
///     let held = cond.lock()?;
///     if world.rank() == 0 {
///         flag.lock(0, LockKind::Exclusive)?.put(0, 0, &[1])?;
///         cond.notify_all(&held)?;
///         drop(held);
///     } else {
///         let _held = cond.wait_for(held, ready)?; // the flag is set once this returns
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Condition {
    mutex: Mutex,
    queue: Window<i64>,
    /// Each rank's wake-up flag.
    wake: Window<i32>,
    me: Rank,
    size: i64,
}

impl Condition {
    /// A condition over the ranks of `comm` (collective).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Condition;
    /// # mpikit::run(|world| {
    /// let cond = Condition::new(world)?;
    /// drop(cond.lock()?);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn new<A: Comm + ?Sized>(comm: &A) -> Result<Condition> {
        let comm = comm.as_comm();
        let (me, size) = (comm.rank(), comm.size() as usize);
        let mutex = Mutex::new(comm)?;
        let queue = Window::<i64>::allocate(comm, if me == 0 { RING + size } else { 0 })?;
        let wake = Window::<i32>::allocate(comm, 1)?;
        queue.lock_all_for_life()?;
        wake.lock_all_for_life()?;
        Ok(Condition {
            mutex,
            queue,
            wake,
            me,
            size: size as i64,
        })
    }

    /// Takes the condition's mutex (see [`Mutex::lock`]).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Condition;
    /// # mpikit::run(|world| {
    /// let cond = Condition::new(world)?;
    /// let held = cond.lock()?;
    /// cond.notify(&held, 1)?; // nobody waits: nothing happens
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn lock(&self) -> Result<MutexGuard<'_>> {
        self.mutex.lock()
    }

    fn check<'a>(&'a self, held: &MutexGuard<'a>, what: &str) -> Result<()> {
        if std::ptr::eq(held.mutex(), &self.mutex) {
            Ok(())
        } else {
            Err(Error::Window(format!(
                "Condition::{what}: the guard is of another mutex"
            )))
        }
    }

    /// Releases the mutex, waits for a [`notify`](Condition::notify), and takes the mutex
    /// again (the guard comes back).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Condition;
    /// # mpikit::run(|world| {
    /// let cond = Condition::new(world)?;
    /// let held = cond.lock()?;
    /// if world.rank() == 1 {
    ///     let _held = cond.wait(held)?; // until rank 0 notifies
    /// }
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn wait<'a>(&'a self, held: MutexGuard<'a>) -> Result<MutexGuard<'a>> {
        self.check(&held, "wait")?;
        let (q, w) = (self.queue.held(), self.wake.held());
        w.accumulate(self.me, 0, &[0], RmaOp::Replace)?;
        w.flush(self.me)?;
        let pushed = q.fetch_and_op(0, PUSHED, 1, RmaOp::Reduce(crate::ReduceOp::Sum))?;
        let slot = RING + (pushed % self.size) as usize;
        q.accumulate(0, slot, &[i64::from(self.me)], RmaOp::Replace)?;
        q.flush(0)?;
        drop(held);
        let mut backoff = Backoff::default();
        while w.fetch_and_op(self.me, 0, 0, RmaOp::NoOp)? == 0 {
            backoff.wait();
        }
        self.mutex.lock()
    }

    /// Waits until `ready` returns `true`: checks it, and [`wait`](Condition::wait)s while
    /// it does not (each check with the mutex held).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Condition;
    /// # mpikit::run(|world| {
    /// let cond = Condition::new(world)?;
    /// let held = cond.wait_for(cond.lock()?, || Ok(true))?;
    /// # drop(held);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn wait_for<'a>(
        &'a self,
        mut held: MutexGuard<'a>,
        mut ready: impl FnMut() -> Result<bool>,
    ) -> Result<MutexGuard<'a>> {
        while !ready()? {
            held = self.wait(held)?;
        }
        Ok(held)
    }

    /// Wakes up to `n` waiting ranks, the longest waiting first; returns how many woke.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Condition;
    /// # mpikit::run(|world| {
    /// let cond = Condition::new(world)?;
    /// let held = cond.lock()?;
    /// let woken = cond.notify(&held, 2)?;
    /// assert!(woken <= 2);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn notify(&self, held: &MutexGuard<'_>, n: usize) -> Result<usize> {
        self.check(held, "notify")?;
        let (q, w) = (self.queue.held(), self.wake.held());
        let mut counts = [0i64; 2];
        q.get(0, PUSHED, &mut counts)?;
        let [pushed, popped] = counts;
        let woken = ((pushed - popped).max(0) as usize).min(n);
        for k in 0..woken as i64 {
            let mut rank = [0i64];
            q.get(0, RING + ((popped + k) % self.size) as usize, &mut rank)?;
            w.accumulate(rank[0] as Rank, 0, &[1], RmaOp::Replace)?;
            w.flush(rank[0] as Rank)?;
        }
        q.accumulate(0, POPPED, &[popped + woken as i64], RmaOp::Replace)?;
        q.flush(0)?;
        Ok(woken)
    }

    /// Wakes every waiting rank; returns how many woke.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Condition;
    /// # mpikit::run(|world| {
    /// let cond = Condition::new(world)?;
    /// let held = cond.lock()?;
    /// cond.notify_all(&held)?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn notify_all(&self, held: &MutexGuard<'_>) -> Result<usize> {
        self.notify(held, usize::MAX)
    }
}

/// A count of permits across the ranks of a communicator: [`acquire`](Semaphore::acquire)
/// takes one, waiting while there are none; dropping the permit gives it back (Python's
/// `multiprocessing.Semaphore`, mpi4py's `util.sync.Semaphore`). Creating and dropping it
/// are collective.
///
/// # Examples
/// ```no_run
/// use mpikit::rma::Semaphore;
/// mpikit::run(|world| {
///     // At most two ranks at a time in the section.
///     let sem = Semaphore::new(world, 2)?;
///     {
///         let _permit = sem.acquire()?;
///         // ... at most two ranks here ...
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Semaphore {
    cond: Condition,
    permits: Window<i64>,
}

/// One permit of a [`Semaphore`]; given back when dropped.
pub struct Permit<'a> {
    sem: &'a Semaphore,
}

impl Semaphore {
    /// A semaphore of `permits` permits over the ranks of `comm` (collective).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Semaphore;
    /// # mpikit::run(|world| {
    /// let sem = Semaphore::new(world, 1)?; // a mutex, unfair
    /// drop(sem.acquire()?);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn new<A: Comm + ?Sized>(comm: &A, permits: u32) -> Result<Semaphore> {
        let comm = comm.as_comm();
        let cond = Condition::new(comm)?;
        let mut win = Window::<i64>::allocate(comm, usize::from(comm.rank() == 0))?;
        if comm.rank() == 0 {
            win.local_mut()[0] = i64::from(permits);
        }
        win.fence_with(|_| Ok(()))?;
        win.lock_all_for_life()?;
        Ok(Semaphore { cond, permits: win })
    }

    /// Takes a permit, waiting while there is none; the permit goes back when dropped.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Semaphore;
    /// # mpikit::run(|world| {
    /// let sem = Semaphore::new(world, 3)?;
    /// let permit = sem.acquire()?;
    /// drop(permit);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn acquire(&self) -> Result<Permit<'_>> {
        let p = self.permits.held();
        let left = || -> Result<bool> { Ok(p.fetch_and_op(0, 0, 0, RmaOp::NoOp)? > 0) };
        let held = self.cond.wait_for(self.cond.lock()?, left)?;
        p.fetch_and_op(0, 0, -1, RmaOp::Reduce(crate::ReduceOp::Sum))?;
        p.flush(0)?;
        drop(held);
        Ok(Permit { sem: self })
    }

    fn release(&self) -> Result<()> {
        let held = self.cond.lock()?;
        let p = self.permits.held();
        p.fetch_and_op(0, 0, 1, RmaOp::Reduce(crate::ReduceOp::Sum))?;
        p.flush(0)?;
        self.cond.notify(&held, 1)?;
        Ok(())
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.sem
            .release()
            .expect("an MPI error ends the job before this");
    }
}
