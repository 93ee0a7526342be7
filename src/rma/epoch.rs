//! Access epochs on a [`Window`]: what every epoch's accesses share ([`RmaOp`], the checked
//! MPI calls), and the collective fence epoch scoped by a closure ([`Fence`]).

use std::cell::Cell;
use std::marker::PhantomData;

use mpi::topology::Rank;

use crate::buffers::Element;
use crate::collective::address::{recv_ptr, send_ptr};

use crate::collective::op::ReduceOp;
use crate::collective::unsigned_order;
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
    pub(crate) fn raw<T: Element>(self, what: &str) -> Result<MPI_Op> {
        use mpi::raw::AsRaw;
        Ok(match self {
            RmaOp::Reduce(op @ (ReduceOp::Min | ReduceOp::Max))
                if unsigned_order::needs_replacement::<T>() =>
            {
                return Err(Error::input(format!(
                    "{what}: this MPI library compares unsigned integers as signed in {op:?}, \
                     and one-sided accumulates take only its own operations (reduce a signed \
                     type, or use a collective)"
                )));
            }
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
    pub(crate) win: &'a Window<T>,
    /// A lock of one target allows accesses to it alone.
    only: Option<Rank>,
}

impl<'a, T: Element> Access<'a, T> {
    /// Accesses to `win`, to the rank `only` when given.
    pub(crate) fn new(win: &'a Window<T>, only: Option<Rank>) -> Access<'a, T> {
        Access { win, only }
    }

    pub(crate) fn target(&self, target: Rank, what: &str) -> Result<()> {
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
    pub(crate) unsafe fn put(&self, target: Rank, disp: usize, data: &[T]) -> Result<()> {
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
    pub(crate) unsafe fn get(&self, target: Rank, disp: usize, buf: &mut [T]) -> Result<()> {
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
    pub(crate) unsafe fn accumulate(
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
}
