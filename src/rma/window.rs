//! [`Window`]: memory every rank of a communicator exposes to the others' one-sided access
//! (`MPI_Win_allocate`), its creation, bounds and lock bookkeeping, and its release.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Range;

use mpi::collective::CommunicatorCollectives;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};

use crate::buffers::Element;
use crate::collective::large;
use crate::error::{Error, Result};
use crate::raw::rma::{self, MPI_Win};
use crate::raw::{c_void, MPI_Datatype};
use crate::runtime::Comm;

/// Which epoch this rank has open on a window.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Epoch {
    /// None: the local memory is this rank's to read and write.
    Closed,
    /// A fence epoch (collective).
    Fence,
    /// Locks of single targets (`Window::locked` says which).
    Locks,
    /// A lock of every rank.
    All,
}

/// Memory of `len` elements of `T` on every rank (each rank its own length, zero included)
/// that the other ranks of the communicator can read, write and update without this rank's
/// help: mpi4py's `MPI.Win.Allocate`. Displacements count elements of `T`.
///
/// Access happens inside an epoch, expressed in types: a collective fence epoch
/// ([`fence_with`](Window::fence_with)), a lock of one target ([`lock`](Window::lock)) or of
/// all ([`lock_all`](Window::lock_all)), guards that unlock when dropped. The local memory
/// ([`local`](Window::local), [`local_mut`](Window::local_mut)) needs `&mut self`, so it
/// cannot be borrowed while this rank holds an epoch open. Dropping the window frees it
/// (`MPI_Win_free`, collective: every rank drops its window at the same point of the
/// program, as with every collective).
///
/// # Examples
/// ```no_run
/// use mpikit::mpi::traits::*;
/// use mpikit::rma::{LockKind, Window};
/// use mpikit::ReduceOp;
/// mpikit::run(|world| {
///     // One counter on rank 0; every rank adds its rank to it, atomically.
///     let len = if world.rank() == 0 { 1 } else { 0 };
///     let mut win = Window::<i64>::allocate(world, len)?;
///     {
///         let lock = win.lock(0, LockKind::Shared)?;
///         lock.accumulate(0, 0, &[world.rank() as i64], ReduceOp::Sum)?;
///     } // unlocked: the update is complete at rank 0
///     world.barrier();
///     if world.rank() == 0 {
///         let n = world.size() as i64;
///         assert_eq!(win.local()[0], n * (n - 1) / 2);
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Window<T: Element> {
    pub(crate) raw: MPI_Win,
    base: *mut T,
    lens: Vec<usize>,
    rank: Rank,
    pub(crate) epoch: Cell<Epoch>,
    pub(crate) locked: Vec<Cell<bool>>,
    _elements: PhantomData<T>,
}

impl<T: Element> Window<T> {
    /// Allocates `len` zeroed elements on this rank (collective over `comm`; each rank
    /// passes its own `len`). An `Err` on every rank if any rank's length is more bytes than
    /// an address can hold.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::rma::Window;
    /// mpikit::run(|world| {
    ///     let win = Window::<f64>::allocate(world, 1000)?;
    ///     assert_eq!(win.len_of(world.rank())?, 1000);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn allocate<A: Comm + ?Sized>(comm: &A, len: usize) -> Result<Window<T>> {
        let comm = comm.as_comm();
        let unit = std::mem::size_of::<T>();
        let bytes = len
            .checked_mul(unit)
            .filter(|&b| b <= isize::MAX as usize - 64);
        let mine = [len as u64, u64::from(bytes.is_some())];
        let mut all = vec![0u64; 2 * comm.size() as usize];
        comm.all_gather_into(&mine[..], &mut all[..]);
        if let Some(r) = all.chunks(2).position(|c| c[1] == 0) {
            return Err(Error::Window(format!(
                "rank {r} asked for {} elements of {unit} bytes: more than an address holds",
                all[2 * r]
            )));
        }
        let lens: Vec<usize> = all.chunks(2).map(|c| c[0] as usize).collect();
        let mut base: *mut T = std::ptr::null_mut();
        let mut raw = rma::win_null();
        // Whole 64-byte lines: MPICH 4.0.2 places the ranks' memory wrongly when a size is
        // not a multiple of 16 bytes (an 8-byte window: rank 0's accesses to rank 1 land in
        // rank 0's memory; measured with a C program, sizes 8, 12, 24, 40, 72 and 4104 wrong,
        // 16, 32, 48, 64 and 4096 right).
        let padded = bytes.unwrap_or(0).next_multiple_of(64);
        // SAFETY: collective over `comm`, reached by every rank after the same all-gather;
        // `base` and `raw` are valid out-pointers; `padded` fits MPI_Aint (`bytes` was
        // checked to leave room for the rounding). `comm` is live.
        let made = unsafe {
            crate::raw::errors_returned(comm.as_raw(), || {
                rma::win_allocate(
                    padded as rma::MPI_Aint,
                    unit as i32,
                    rma::info_null(),
                    comm.as_raw(),
                    (&mut base as *mut *mut T).cast::<c_void>(),
                    &mut raw,
                )
            })
        };
        made.map_err(|text| creation_failed("MPI_Win_allocate", &text))?;
        if len > 0 {
            // SAFETY: MPI allocated `len` elements at `base`; every Element is valid as
            // all-zero bytes (integers, floats, `false`, complex zero).
            unsafe { std::ptr::write_bytes(base, 0, len) };
        }
        // SAFETY: a live window, collective; completes the zeroing before any access and
        // opens no epoch (MODE_NOSUCCEED), so locks may follow.
        unsafe { rma::win_fence(rma::MODE_NOSUCCEED, raw) };
        let locked = (0..lens.len()).map(|_| Cell::new(false)).collect();
        Ok(Window {
            raw,
            base,
            lens,
            rank: comm.rank(),
            epoch: Cell::new(Epoch::Closed),
            locked,
            _elements: PhantomData,
        })
    }

    /// Completes this rank's accesses to `targets` (repeats allowed) at the origin, and with
    /// `at_targets` at the targets too: one `MPI_Win_flush_local` / `MPI_Win_flush` per
    /// distinct target, inside this rank's lock of all. Not `MPI_Win_flush_all` or
    /// `MPI_Win_flush_local_all`: MPICH 4.0.2 returns from those before every get has arrived
    /// (8 ranks on 2 cores, gets from one rank: 9-11% of the elements not yet written;
    /// flushing that target: none; Open MPI: none either way).
    pub(crate) fn flush_targets(&self, targets: impl IntoIterator<Item = Rank>, at_targets: bool) {
        let mut done = vec![false; self.lens.len()];
        for t in targets {
            if std::mem::replace(&mut done[t as usize], true) {
                continue;
            }
            // SAFETY: a live window with this rank's lock of all open (the callers hold one);
            // `t` is one of its ranks (the callers' accesses went there).
            unsafe {
                if at_targets {
                    rma::win_flush(t, self.raw);
                } else {
                    rma::win_flush_local(t, self.raw);
                }
            }
        }
    }

    /// [`flush_targets`](Window::flush_targets) of every rank of the window, at the targets.
    pub(crate) fn flush_everywhere(&self) {
        self.flush_targets(0..self.lens.len() as Rank, true);
    }

    /// Orders this rank's loads and stores of its memory against others' accesses, across a
    /// barrier of the window's ranks (inside a lock of all).
    pub(crate) fn sync_with<C: Communicator + ?Sized>(&self, comm: &C) {
        // SAFETY: a live window inside this rank's lock of all.
        unsafe { rma::win_sync(self.raw) };
        comm.barrier();
        // SAFETY: as above.
        unsafe { rma::win_sync(self.raw) };
    }

    /// This rank's elements (no epoch of this rank is open: `&mut self`). Other ranks'
    /// accesses are complete here after a fence, or once they have unlocked and told this
    /// rank so (a barrier, a message).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let mut win = Window::<u8>::allocate(world, 4)?;
    /// assert_eq!(win.local(), &[0, 0, 0, 0]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn local(&mut self) -> &[T] {
        self.local_mut()
    }

    /// This rank's elements, to write (no epoch of this rank is open: `&mut self`). Writes
    /// are visible to the others' accesses after the next fence or barrier.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let mut win = Window::<u8>::allocate(world, 4)?;
    /// win.local_mut().fill(world.rank() as u8);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn local_mut(&mut self) -> &mut [T] {
        let len = self.lens[self.rank as usize];
        if len == 0 {
            return &mut [];
        }
        // SAFETY: MPI allocated `len` elements at `base` for the window's lifetime, zeroed
        // at creation; `&mut self` means no epoch of this rank is open.
        unsafe { std::slice::from_raw_parts_mut(self.base, len) }
    }

    /// The number of elements `rank` exposes: an `Err` for a rank outside the window.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let win = Window::<u8>::allocate(world, world.rank() as usize)?;
    /// assert_eq!(win.len_of(world.size() - 1)?, world.size() as usize - 1);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn len_of(&self, rank: Rank) -> Result<usize> {
        self.check(rank, 0, 0, "len_of")?;
        Ok(self.lens[rank as usize])
    }

    /// The number of ranks of the window's communicator.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let win = Window::<u8>::allocate(world, 1)?;
    /// assert_eq!(win.size(), world.size());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn size(&self) -> Rank {
        self.lens.len() as Rank
    }

    /// This rank's rank in the window's communicator.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Window;
    /// # mpikit::run(|world| {
    /// let win = Window::<u8>::allocate(world, 1)?;
    /// assert_eq!(win.rank(), world.rank());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn rank(&self) -> Rank {
        self.rank
    }

    /// `Ok` when `[disp, disp + n)` lies in `target`'s window.
    pub(crate) fn check(&self, target: Rank, disp: usize, n: usize, what: &str) -> Result<()> {
        let size = self.lens.len();
        if target < 0 || target as usize >= size {
            return Err(Error::Rank {
                rank: target,
                size: size as Rank,
            });
        }
        let have = self.lens[target as usize];
        match disp.checked_add(n) {
            Some(end) if end <= have => Ok(()),
            _ => Err(Error::Window(format!(
                "{what}: elements {disp}..{} of rank {target}'s window, which holds {have}",
                disp.saturating_add(n)
            ))),
        }
    }

    /// Checks `[disp, disp + n)` at `target`, then calls `f` once per piece MPI's counts
    /// can hold: the piece's range in the origin buffer and its target displacement.
    pub(crate) fn pieces(
        &self,
        (target, disp, n): (Rank, usize, usize),
        what: &str,
        mut f: impl FnMut(Range<usize>, rma::MPI_Aint),
    ) -> Result<()> {
        self.check(target, disp, n, what)?;
        for r in large::pieces::<T>(n) {
            let at = (disp + r.start) as rma::MPI_Aint;
            f(r, at);
        }
        Ok(())
    }

    /// `T`'s MPI datatype.
    pub(crate) fn datatype() -> MPI_Datatype {
        T::equivalent_datatype().as_raw()
    }
}

impl<T: Element> Drop for Window<T> {
    fn drop(&mut self) {
        // A guard that was forgotten (`mem::forget`) left its epoch open: close it first,
        // so the free that follows is legal.
        // SAFETY (each call): a live window; the epochs closed are the ones this rank has
        // open, by the bookkeeping every guard keeps.
        unsafe {
            match self.epoch.get() {
                Epoch::Closed => {}
                Epoch::Fence => {
                    rma::win_fence(rma::MODE_NOSUCCEED, self.raw);
                }
                Epoch::All => {
                    rma::win_unlock_all(self.raw);
                }
                Epoch::Locks => {
                    for (t, l) in self.locked.iter().enumerate() {
                        if l.get() {
                            rma::win_unlock(t as Rank, self.raw);
                        }
                    }
                }
            }
            // Collective: every rank frees its window at the same point.
            rma::win_free(&mut self.raw);
        }
    }
}

/// The `Err` of a window MPI could not create: MPI's own text, and the known cause.
pub(crate) fn creation_failed(call: &str, text: &str) -> Error {
    Error::Window(format!(
        "{call} failed: {text} (Open MPI 4.1 over TCP alone, without InfiniBand or UCX, \
         has no one-sided component that works by default: launch with `--mca osc sm,pt2pt` \
         or set OMPI_MCA_osc=sm,pt2pt; see docs/clusters.md)"
    ))
}
