//! Access epochs on a [`Window`]: a collective fence epoch scoped by a closure
//! ([`Fence`]), and passive-target locks of one rank or of all ([`Lock`], [`LockAll`]) as
//! guards that unlock when dropped; the accesses each allows.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;

use mpi::topology::Rank;

use crate::buffers::Element;
use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::element::{kind, Kind};
use crate::collective::op::ReduceOp;
use crate::error::{Error, Result};
use crate::raw::rma;
use crate::raw::MPI_Op;
use crate::rma::window::{Epoch, Window};

/// How a passive-target lock shares its target: `MPI_LOCK_SHARED` (other ranks' shared
/// locks at once; atomic accumulates stay atomic) or `MPI_LOCK_EXCLUSIVE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Other ranks may hold shared locks of the target at the same time.
    Shared,
    /// No other rank holds a lock of the target meanwhile.
    Exclusive,
}

/// What an accumulate does at the target: a [`ReduceOp`] with the origin's value,
/// [`Replace`](RmaOp::Replace) (an atomic put, `MPI_REPLACE`) or [`NoOp`](RmaOp::NoOp)
/// (an atomic read, `MPI_NO_OP`). A `ReduceOp` converts with `.into()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmaOp {
    /// Combine with the target's value.
    Reduce(ReduceOp),
    /// Overwrite the target's value.
    Replace,
    /// Leave the target's value as it is.
    NoOp,
}

impl From<ReduceOp> for RmaOp {
    fn from(op: ReduceOp) -> RmaOp {
        RmaOp::Reduce(op)
    }
}

impl RmaOp {
    fn raw<T: Element>(self, what: &str) -> Result<MPI_Op> {
        use mpi::raw::AsRaw;
        Ok(match self {
            RmaOp::Reduce(op) => op.for_type::<T>(what)?.as_raw(),
            RmaOp::Replace => rma::op_replace(),
            RmaOp::NoOp => rma::op_no_op(),
        })
    }
}

/// Starts MPI's accesses on `win`. `'a` bounds the buffers MPI reads and writes until the
/// epoch completes them (see each epoch type).
#[derive(Clone, Copy)]
pub(crate) struct Access<'a, T: Element> {
    win: &'a Window<T>,
    /// A lock of one target allows accesses to it alone.
    only: Option<Rank>,
}

impl<'a, T: Element> Access<'a, T> {
    fn target(&self, target: Rank, what: &str) -> Result<()> {
        match self.only {
            Some(t) if t != target => Err(Error::Window(format!(
                "{what}: rank {target} is outside this lock, which holds rank {t}"
            ))),
            _ => Ok(()),
        }
    }

    /// `MPI_Put` of `data` to `target` at `disp`, in pieces.
    ///
    /// # Safety
    /// `data` stays alive and unwritten until the epoch completes the puts.
    unsafe fn put(&self, target: Rank, disp: usize, data: &[T]) -> Result<()> {
        self.target(target, "put")?;
        let (dt, win) = (Window::<T>::datatype(), self.win.raw);
        self.win.pieces((target, disp, data.len()), "put", |r, at| {
            let (p, n) = (send_ptr(&data[r.clone()]), r.len() as i32);
            // SAFETY: inside an open epoch of this rank; the range checked; `data` per the
            // caller's contract.
            unsafe { rma::put(p, n, dt, target, at, n, dt, win) };
        })
    }

    /// `MPI_Get` of `buf.len()` elements from `target` at `disp` into `buf`, in pieces.
    ///
    /// # Safety
    /// `buf` stays alive and unread until the epoch completes the gets.
    unsafe fn get(&self, target: Rank, disp: usize, buf: &mut [T]) -> Result<()> {
        self.target(target, "get")?;
        let (dt, win) = (Window::<T>::datatype(), self.win.raw);
        self.win.pieces((target, disp, buf.len()), "get", |r, at| {
            let n = r.len() as i32;
            let p = recv_ptr(&mut buf[r]);
            // SAFETY: as in `put`, with `buf` per the caller's contract.
            unsafe { rma::get(p, n, dt, target, at, n, dt, win) };
        })
    }

    /// `MPI_Accumulate` (or, with `result`, `MPI_Get_accumulate`) of `data` at `target`.
    ///
    /// # Safety
    /// `data` and `result` stay alive (and `result` unread) until the epoch completes them.
    unsafe fn accumulate(
        &self,
        (target, disp): (Rank, usize),
        data: &[T],
        result: Option<&mut [T]>,
        op: RmaOp,
    ) -> Result<()> {
        let what = if result.is_some() {
            "get_accumulate"
        } else {
            "accumulate"
        };
        self.target(target, what)?;
        if result.as_ref().is_some_and(|r| r.len() != data.len()) {
            return Err(Error::Shape(format!(
                "{what}: `result` must have `data`'s length"
            )));
        }
        let op = op.raw::<T>(what)?;
        let (dt, win) = (Window::<T>::datatype(), self.win.raw);
        let mut result = result;
        self.win.pieces((target, disp, data.len()), what, |r, at| {
            let (p, n) = (send_ptr(&data[r.clone()]), r.len() as i32);
            // SAFETY: as in `put`; `result` (when given) has `data`'s length.
            unsafe {
                match result.as_deref_mut() {
                    None => rma::accumulate(p, n, dt, target, at, n, dt, op, win),
                    Some(res) => {
                        let q = recv_ptr(&mut res[r]);
                        rma::get_accumulate(p, n, dt, q, n, dt, target, at, n, dt, op, win)
                    }
                };
            }
        })
    }
}

/// A fence epoch (`MPI_Win_fence`), open for the closure given to
/// [`Window::fence_with`]: every rank of the window takes part, and every access started in
/// it is complete, at origin and target, when `fence_with` returns. The buffers lent to it
/// must outlive the whole `fence_with` call (the borrow checker sees to it: a buffer made
/// inside the closure is refused).
pub struct Fence<'a, T: Element> {
    access: Access<'a, T>,
    /// Invariant in `'a`: the buffers' lifetime cannot shrink below the epoch's.
    _invariant: PhantomData<Cell<&'a ()>>,
}

impl<'a, T: Element> Fence<'a, T> {
    /// Writes `data` into `target`'s window at element `disp` (`MPI_Put`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let mut win = Window::<u32>::allocate(world, 1)?;
    /// let next = (world.rank() + 1) % world.size();
    /// let mine = [world.rank() as u32];
    /// win.fence_with(|epoch| epoch.put(next, 0, &mine))?;
    /// let prev = (world.rank() + world.size() - 1) % world.size();
    /// assert_eq!(win.local()[0], prev as u32);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn put(&self, target: Rank, disp: usize, data: &'a [T]) -> Result<()> {
        // SAFETY: `data` is borrowed for 'a, past the closing fence of `fence_with`.
        unsafe { self.access.put(target, disp, data) }
    }

    /// Reads `buf.len()` elements of `target`'s window from element `disp` (`MPI_Get`);
    /// `buf` holds them once `fence_with` returns.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let mut win = Window::<u32>::allocate(world, 1)?;
    /// win.local_mut()[0] = 10 * world.rank() as u32;
    /// let mut got = [0u32];
    /// win.fence_with(|epoch| epoch.get(0, 0, &mut got))?;
    /// assert_eq!(got[0], 0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn get(&self, target: Rank, disp: usize, buf: &'a mut [T]) -> Result<()> {
        // SAFETY: `buf` is borrowed for 'a, past the closing fence of `fence_with`.
        unsafe { self.access.get(target, disp, buf) }
    }

    /// Combines `data` into `target`'s window at `disp` with `op`, element by element and
    /// atomically per element (`MPI_Accumulate`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # use mpikit::ReduceOp;
    /// # mpikit::run(|world| {
    /// let mut win = Window::<i64>::allocate(world, 1)?;
    /// let one = [1i64];
    /// win.fence_with(|epoch| epoch.accumulate(0, 0, &one, ReduceOp::Sum))?;
    /// if world.rank() == 0 {
    ///     assert_eq!(win.local()[0], world.size() as i64);
    /// }
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn accumulate(
        &self,
        target: Rank,
        disp: usize,
        data: &'a [T],
        op: impl Into<RmaOp>,
    ) -> Result<()> {
        // SAFETY: `data` is borrowed for 'a, past the closing fence of `fence_with`.
        unsafe {
            self.access
                .accumulate((target, disp), data, None, op.into())
        }
    }

    /// As [`accumulate`](Fence::accumulate), and `result` receives the target's values
    /// from before (`MPI_Get_accumulate`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::{RmaOp, Window};
    /// # mpikit::run(|world| {
    /// let mut win = Window::<i64>::allocate(world, 1)?;
    /// let (mine, mut before) = ([world.rank() as i64], [0i64]);
    /// // Swap values round a ring.
    /// let next = (world.rank() + 1) % world.size();
    /// win.fence_with(|epoch| epoch.get_accumulate(next, 0, &mine, &mut before, RmaOp::Replace))?;
    /// assert_eq!(before[0], 0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn get_accumulate(
        &self,
        target: Rank,
        disp: usize,
        data: &'a [T],
        result: &'a mut [T],
        op: impl Into<RmaOp>,
    ) -> Result<()> {
        // SAFETY: both buffers are borrowed for 'a, past the closing fence.
        unsafe {
            self.access
                .accumulate((target, disp), data, Some(result), op.into())
        }
    }
}

impl<T: Element> Window<T> {
    /// Runs `f` inside a fence epoch (`MPI_Win_fence` before and after; collective: every
    /// rank of the window calls it, in the same order as its other fences and collectives).
    /// Every access `f` starts is complete everywhere when this returns; `f`'s `Err` is
    /// returned after the closing fence, so the other ranks are never left waiting.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let mut win = Window::<f64>::allocate(world, 2)?;
    /// let data = [1.5, 2.5];
    /// win.fence_with(|epoch| epoch.put(0, 0, &data))?;
    /// if world.rank() == 0 {
    ///     assert_eq!(win.local(), &[1.5, 2.5]);
    /// }
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn fence_with<'a, R>(&'a self, f: impl FnOnce(&Fence<'a, T>) -> Result<R>) -> Result<R> {
        if self.epoch.get() != Epoch::Closed {
            return Err(Error::Window(format!(
                "fence_with inside an open {:?} epoch of this rank",
                self.epoch.get()
            )));
        }
        // SAFETY: a live window; no epoch of this rank is open (checked); collective.
        unsafe { rma::win_fence(rma::MODE_NOPRECEDE, self.raw) };
        self.epoch.set(Epoch::Fence);
        let fence = Fence {
            access: Access {
                win: self,
                only: None,
            },
            _invariant: PhantomData,
        };
        let result = f(&fence);
        // SAFETY: closes the epoch opened above; collective.
        unsafe { rma::win_fence(rma::MODE_NOSUCCEED, self.raw) };
        self.epoch.set(Epoch::Closed);
        result
    }

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
            passive: Passive(Access {
                win: self,
                only: Some(target),
            }),
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
            passive: Passive(Access {
                win: self,
                only: None,
            }),
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

/// A lock of one rank's window ([`Window::lock`]); unlocks when dropped, which completes
/// every access at the target. Its accesses are [`Passive`]'s, to the locked rank only.
pub struct Lock<'a, T: Element> {
    passive: Passive<'a, T>,
    target: Rank,
}

impl<'a, T: Element> Deref for Lock<'a, T> {
    type Target = Passive<'a, T>;
    fn deref(&self) -> &Passive<'a, T> {
        &self.passive
    }
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

impl<'a, T: Element> Deref for LockAll<'a, T> {
    type Target = Passive<'a, T>;
    fn deref(&self) -> &Passive<'a, T> {
        &self.passive
    }
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
        Passive(Access {
            win: self,
            only: None,
        })
    }
}
