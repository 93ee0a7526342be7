//! Passive-target epochs on a [`Window`]: a lock of one rank ([`Lock`]) or of all
//! ([`LockAll`]), guards that unlock when dropped, and the accesses they allow
//! ([`Passive`]): each complete at the origin when it returns.

use std::ops::Deref;

use mpi::topology::Rank;

use crate::buffers::Element;
use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::element::{kind, Kind};
use crate::error::{Error, Result};
use crate::raw::rma;
use crate::rma::epoch::{Access, LockKind, RmaOp};
use crate::rma::window::{Epoch, Window};

impl<T: Element> Window<T> {
    /// Locks `target`'s window (`MPI_Win_lock`) until the guard drops (`MPI_Win_unlock`,
    /// which completes every access at the target). Not collective. An `Err` if this rank
    /// already holds a lock of `target`, or a lock of all, or a fence epoch.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{LockKind, Window};
    /// # mpikit::run(|world| {
    /// let win = Window::<u64>::allocate(world, 4)?;
    /// let lock = win.lock(0, LockKind::Exclusive)?;
    /// lock.put(0, 0, &[1, 2, 3, 4])?;
    /// assert!(win.lock(0, LockKind::Shared).is_err()); // taken twice
    /// drop(lock);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn lock(&self, target: Rank, kind: LockKind) -> Result<Lock<'_, T>> {
        self.check(target, 0, 0, "lock")?;
        let epoch = self.epoch.get();
        if epoch == Epoch::Fence || epoch == Epoch::All || self.locked[target as usize].get() {
            return Err(Error::Window(format!(
                "lock of rank {target}: this rank already holds {}",
                if epoch == Epoch::Locks {
                    "a lock of it".to_string()
                } else {
                    format!("a {epoch:?} epoch")
                }
            )));
        }
        let raw_kind = match kind {
            LockKind::Shared => rma::LOCK_SHARED,
            LockKind::Exclusive => rma::LOCK_EXCLUSIVE,
        };
        // SAFETY: a live window; this rank holds no lock of `target` and no other epoch.
        unsafe { rma::win_lock(raw_kind, target, 0, self.raw) };
        self.locked[target as usize].set(true);
        self.epoch.set(Epoch::Locks);
        Ok(Lock {
            passive: Passive(Access::new(self, Some(target))),
            target,
        })
    }

    /// Locks every rank's window, shared (`MPI_Win_lock_all`), until the guard drops. An
    /// `Err` if this rank already holds a lock or an epoch of this window.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # use mpikit::ReduceOp;
    /// # mpikit::run(|world| {
    /// let win = Window::<i64>::allocate(world, 1)?;
    /// let all = win.lock_all()?;
    /// let before = all.fetch_and_op(0, 0, 1, ReduceOp::Sum)?; // a ticket
    /// assert!(before < world.size() as i64);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn lock_all(&self) -> Result<LockAll<'_, T>> {
        if self.epoch.get() != Epoch::Closed {
            return Err(Error::Window(format!(
                "lock_all: this rank already holds a {:?} epoch",
                self.epoch.get()
            )));
        }
        // SAFETY: a live window; no epoch of this rank is open.
        unsafe { rma::win_lock_all(0, self.raw) };
        self.epoch.set(Epoch::All);
        Ok(LockAll {
            passive: Passive(Access::new(self, None)),
        })
    }
}

/// The accesses of a passive-target epoch ([`Lock`] and [`LockAll`] dereference to it).
/// Each call is complete at the origin when it returns (`MPI_Win_flush_local`), so its
/// buffers are free again at once; [`flush`](Passive::flush) or the unlock completes it at
/// the target.
pub struct Passive<'a, T: Element>(Access<'a, T>);

impl<T: Element> Passive<'_, T> {
    fn done_locally(&self, target: Rank) -> Result<()> {
        // SAFETY: a live window with this rank's passive epoch open on `target` (the guard
        // that owns `self` exists); `target` was checked by the access before.
        unsafe { rma::win_flush_local(target, self.0.win.raw) };
        Ok(())
    }

    /// Writes `data` into `target`'s window at element `disp` (`MPI_Put`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{LockKind, Window};
    /// # mpikit::run(|world| {
    /// let win = Window::<u8>::allocate(world, world.size() as usize)?;
    /// let lock = win.lock(0, LockKind::Shared)?;
    /// lock.put(0, world.rank() as usize, &[1])?; // each rank its own slot
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn put(&self, target: Rank, disp: usize, data: &[T]) -> Result<()> {
        // SAFETY: completed locally before `data`'s borrow ends.
        unsafe { self.0.put(target, disp, data)? };
        self.done_locally(target)
    }

    /// Reads `buf.len()` elements of `target`'s window from element `disp` (`MPI_Get`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{LockKind, Window};
    /// # mpikit::run(|world| {
    /// let win = Window::<u8>::allocate(world, 8)?;
    /// let mut buf = [9u8; 8];
    /// win.lock(0, LockKind::Shared)?.get(0, 0, &mut buf)?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn get(&self, target: Rank, disp: usize, buf: &mut [T]) -> Result<()> {
        // SAFETY: completed locally before `buf`'s borrow ends.
        unsafe { self.0.get(target, disp, buf)? };
        self.done_locally(target)
    }

    /// Combines `data` into `target`'s window at `disp` with `op`, atomically per element
    /// (`MPI_Accumulate`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{LockKind, Window};
    /// # use mpikit::ReduceOp;
    /// # mpikit::run(|world| {
    /// let win = Window::<u64>::allocate(world, 1)?;
    /// win.lock(0, LockKind::Shared)?.accumulate(0, 0, &[1u64 << world.rank()], ReduceOp::BitOr)?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn accumulate(
        &self,
        target: Rank,
        disp: usize,
        data: &[T],
        op: impl Into<RmaOp>,
    ) -> Result<()> {
        // SAFETY: completed locally before `data`'s borrow ends.
        unsafe { self.0.accumulate((target, disp), data, None, op.into())? };
        self.done_locally(target)
    }

    /// As [`accumulate`](Passive::accumulate), and `result` receives the target's values
    /// from before (`MPI_Get_accumulate`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{LockKind, RmaOp, Window};
    /// # mpikit::run(|world| {
    /// let win = Window::<i32>::allocate(world, 2)?;
    /// let mut before = [0i32; 2];
    /// win.lock(0, LockKind::Shared)?.get_accumulate(0, 0, &[0, 0], &mut before, RmaOp::NoOp)?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn get_accumulate(
        &self,
        target: Rank,
        disp: usize,
        data: &[T],
        result: &mut [T],
        op: impl Into<RmaOp>,
    ) -> Result<()> {
        // SAFETY: completed locally before the buffers' borrows end.
        unsafe {
            self.0
                .accumulate((target, disp), data, Some(result), op.into())?
        };
        self.done_locally(target)
    }

    /// Combines `value` into one element of `target`'s window with `op` and returns the
    /// element from before, atomically (`MPI_Fetch_and_op`): a shared counter's step.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{RmaOp, Window};
    /// # use mpikit::ReduceOp;
    /// # mpikit::run(|world| {
    /// let win = Window::<i64>::allocate(world, 1)?;
    /// let all = win.lock_all()?;
    /// let ticket = all.fetch_and_op(0, 0, 1, ReduceOp::Sum)?;
    /// let now = all.fetch_and_op(0, 0, 0, RmaOp::NoOp)?; // an atomic read
    /// assert!(now > ticket);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn fetch_and_op(
        &self,
        target: Rank,
        disp: usize,
        value: T,
        op: impl Into<RmaOp>,
    ) -> Result<T> {
        let what = "fetch_and_op";
        self.0.target(target, what)?;
        self.0.win.check(target, disp, 1, what)?;
        let op = op.into().raw::<T>(what)?;
        let mut before = T::default();
        let dt = Window::<T>::datatype();
        // SAFETY: inside this rank's passive epoch; the element checked; both buffers are
        // locals completed by the flush below before they go.
        unsafe {
            rma::fetch_and_op(
                send_ptr(std::slice::from_ref(&value)),
                recv_ptr(std::slice::from_mut(&mut before)),
                dt,
                target,
                disp as rma::MPI_Aint,
                op,
                self.0.win.raw,
            );
        }
        self.done_locally(target)?;
        Ok(before)
    }

    /// Writes `value` into one element of `target`'s window if it equals `compare`, and
    /// returns the element from before, atomically (`MPI_Compare_and_swap`). Integer and
    /// `bool` elements only (MPI's rule): an `Err` for others.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let win = Window::<i32>::allocate(world, 1)?;
    /// let all = win.lock_all()?;
    /// // The first rank to swap 0 for its rank + 1 wins.
    /// let before = all.compare_and_swap(0, 0, 0, world.rank() + 1)?;
    /// let won = before == 0;
    /// # let _ = won;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn compare_and_swap(&self, target: Rank, disp: usize, compare: T, value: T) -> Result<T> {
        let what = "compare_and_swap";
        if !matches!(kind::<T>(), Kind::Integer | Kind::Logical) {
            return Err(Error::Window(format!(
                "{what}: MPI compares and swaps integers and bools only, not {}",
                std::any::type_name::<T>()
            )));
        }
        self.0.target(target, what)?;
        self.0.win.check(target, disp, 1, what)?;
        let mut before = T::default();
        // SAFETY: as in `fetch_and_op`.
        unsafe {
            rma::compare_and_swap(
                send_ptr(std::slice::from_ref(&value)),
                send_ptr(std::slice::from_ref(&compare)),
                recv_ptr(std::slice::from_mut(&mut before)),
                Window::<T>::datatype(),
                target,
                disp as rma::MPI_Aint,
                self.0.win.raw,
            );
        }
        self.done_locally(target)?;
        Ok(before)
    }

    /// Completes this rank's accesses to `target` there too (`MPI_Win_flush`): the target
    /// and every rank that reads it afterwards sees them.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{LockKind, Window};
    /// # mpikit::run(|world| {
    /// let win = Window::<u8>::allocate(world, 1)?;
    /// let lock = win.lock(0, LockKind::Shared)?;
    /// lock.put(0, 0, &[1])?;
    /// lock.flush(0)?; // visible at rank 0 now
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn flush(&self, target: Rank) -> Result<()> {
        self.0.target(target, "flush")?;
        self.0.win.check(target, 0, 0, "flush")?;
        // SAFETY: a live window with this rank's passive epoch open on `target`.
        unsafe { rma::win_flush(target, self.0.win.raw) };
        Ok(())
    }
}

/// The guards' accesses are [`Passive`]'s: `Deref` to the guard's `passive` field.
macro_rules! deref_to_passive {
    ($($guard:ident),*) => {$(
        impl<'a, T: Element> Deref for $guard<'a, T> {
            type Target = Passive<'a, T>;
            fn deref(&self) -> &Passive<'a, T> {
                &self.passive
            }
        }
    )*};
}

deref_to_passive!(Lock, LockAll);

/// A lock of one rank's window ([`Window::lock`]); unlocks when dropped, which completes
/// every access at the target. Its accesses are [`Passive`]'s, to the locked rank only.
pub struct Lock<'a, T: Element> {
    passive: Passive<'a, T>,
    target: Rank,
}

impl<T: Element> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        let win = self.passive.0.win;
        // SAFETY: this guard's lock of `target`, still held (the guard exists once).
        unsafe { rma::win_unlock(self.target, win.raw) };
        win.locked[self.target as usize].set(false);
        if win.locked.iter().all(|l| !l.get()) {
            win.epoch.set(Epoch::Closed);
        }
    }
}

/// A shared lock of every rank's window ([`Window::lock_all`]); unlocks when dropped,
/// which completes every access everywhere. Its accesses are [`Passive`]'s.
pub struct LockAll<'a, T: Element> {
    passive: Passive<'a, T>,
}

impl<T: Element> Drop for LockAll<'_, T> {
    fn drop(&mut self) {
        let win = self.passive.0.win;
        // SAFETY: this guard's lock of all, still held.
        unsafe { rma::win_unlock_all(win.raw) };
        win.epoch.set(Epoch::Closed);
    }
}

impl<T: Element> Window<T> {
    /// Opens a lock of all that lasts as long as the window (its `Drop` unlocks): the
    /// epoch of the counters and locks built on a window. Not collective.
    pub(crate) fn lock_all_for_life(&self) -> Result<()> {
        std::mem::forget(self.lock_all()?);
        Ok(())
    }

    /// The accesses of the lock of all opened by [`lock_all_for_life`](Self::lock_all_for_life).
    pub(crate) fn held(&self) -> Passive<'_, T> {
        debug_assert_eq!(self.epoch.get(), Epoch::All);
        Passive(Access::new(self, None))
    }
}
