//! [`SharedArray`]: one copy of an array per node, which every rank of the node reads as an
//! ndarray view (`MPI_Win_allocate_shared` on the node's ranks), filled collectively and
//! written only in explicit write phases.

use std::ops::Range;
use std::path::Path;

use mpi::collective::CommunicatorCollectives;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, SimpleCommunicator};
use ndarray::{ArrayView, Dimension, IntoDimension};

use crate::buffers::Element;
use crate::collective::shape::agree_same_shape;
use crate::data::partition::Partition;
use crate::distarray::io::{descr, read_header};
use crate::distarray::placement::read_runs;
use crate::error::{Error, Result};
use crate::raw::c_void;
use crate::raw::rma::{self, MPI_Win};
use crate::rma::window::creation_failed;
use crate::runtime::agree::agree_on;
use crate::runtime::threads::for_each_part_mut;
use crate::runtime::{check_memory, Comm};

/// An array held once per node and read by every rank of the node in place: 8 ranks that
/// all need the same 2 GiB table hold 2 GiB, not 16 (the Python articles' `shared_memory`,
/// mpi4py's `Win.Allocate_shared`). Across hosts each node holds its own copy.
///
/// Collective over the communicator it is made on (every rank passes the same shape):
/// [`zeros`](SharedArray::zeros), [`from_fn`](SharedArray::from_fn) (each rank of a node
/// computes its block of rows on its threads), [`read_npy`](SharedArray::read_npy) (each
/// rank reads its block). Then it is read-only: [`view`](SharedArray::view) borrows it;
/// changes happen only in a write phase ([`write_with`](SharedArray::write_with), collective
/// over the node), which takes `&mut self`, so no view can be alive across one.
///
/// # Examples
/// ```no_run
/// use mpikit::rma::SharedArray;
/// use mpikit::ndarray::Ix2;
/// mpikit::run(|world| {
///     // A 1000 x 1000 table, one copy per node, computed by every rank's threads.
///     let table = SharedArray::<f64, Ix2>::from_fn(world, (1000, 1000), world.pool(), |i| i as f64)?;
///     let view = table.view();
///     assert_eq!(view[[2, 3]], 2003.0);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct SharedArray<T: Element, D: Dimension> {
    win: MPI_Win,
    base: *mut T,
    /// The shape of the storage (the file's axes reversed for a Fortran-ordered `.npy`).
    stored: D,
    fortran: bool,
    node: SimpleCommunicator,
}

impl<T: Element, D: Dimension> SharedArray<T, D> {
    /// A zeroed array of `shape`, one copy per node (collective over `comm`; the same shape
    /// on every rank, else the same `Err` everywhere; an array a node cannot hold is the same
    /// `Err` everywhere before anything is allocated, counted once per node). The memory is
    /// first touched by every rank of the node, a block of rows each.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let a = SharedArray::<u32, Ix1>::zeros(world, 10)?;
    /// assert_eq!(a.view().sum(), 0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn zeros<A, Sh>(comm: &A, shape: Sh) -> Result<SharedArray<T, D>>
    where
        A: Comm + ?Sized,
        Sh: IntoDimension<Dim = D>,
    {
        Self::allocate(comm.as_comm(), shape.into_dimension(), false)
    }

    fn allocate<C: Communicator + ?Sized>(
        comm: &C,
        stored: D,
        fortran: bool,
    ) -> Result<SharedArray<T, D>> {
        agree_same_shape(comm, stored.slice(), "SharedArray")?;
        let unit = std::mem::size_of::<T>();
        let bytes = stored
            .size_checked()
            .and_then(|n| n.checked_mul(unit))
            .filter(|&b| b <= isize::MAX as usize - 64)
            .ok_or_else(|| {
                Error::Shape(format!(
                    "SharedArray: shape {:?} is too large",
                    stored.slice()
                ))
            })?;
        let node = comm.split_shared(comm.rank());
        // Counted once per node: the node's first rank holds the copy.
        let held = if node.rank() == 0 { bytes as u64 } else { 0 };
        let what = format!("a shared array of shape {:?}", stored.slice());
        check_memory(comm, &what, held, "use a smaller array or more nodes")?;
        let mine = if node.rank() == 0 {
            // Whole 64-byte lines (MPICH 4.0.2's placement bug: see Window::allocate).
            bytes.next_multiple_of(64)
        } else {
            0
        };
        let mut first: *mut T = std::ptr::null_mut();
        let mut win = rma::win_null();
        // SAFETY: collective over the node's ranks, every one of which reached this point
        // with the same shape (agreed above); valid out-pointers; `node` is live.
        let made = unsafe {
            crate::raw::errors_returned(node.as_raw(), || {
                rma::win_allocate_shared(
                    mine as rma::MPI_Aint,
                    unit.max(1) as i32,
                    rma::info_null(),
                    node.as_raw(),
                    (&mut first as *mut *mut T).cast::<c_void>(),
                    &mut win,
                )
            })
        };
        made.map_err(|text| creation_failed("MPI_Win_allocate_shared", &text))?;
        let (mut size, mut disp, mut base) = (0, 0, std::ptr::null_mut::<T>());
        // SAFETY: a live shared window; node rank 0 exists; valid out-pointers. Then a lock
        // of all for the array's lifetime (the shared-memory pattern of MPI 3: loads and
        // stores, ordered by `MPI_Win_sync` and barriers).
        unsafe {
            rma::win_shared_query(
                win,
                0,
                &mut size,
                &mut disp,
                (&mut base as *mut *mut T).cast::<c_void>(),
            );
            rma::win_lock_all(rma::MODE_NOCHECK, win);
        }
        if bytes == 0 {
            base = std::ptr::NonNull::dangling().as_ptr();
        }
        let mut array = SharedArray {
            win,
            base,
            stored,
            fortran,
            node,
        };
        array.write_with(|block, _| {
            // SAFETY: every Element is valid as all-zero bytes.
            unsafe { std::ptr::write_bytes(block.as_mut_ptr(), 0, block.len()) };
        })?;
        Ok(array)
    }

    /// An array of `shape` whose element at flat (C-order) index `i` is `f(i)`, one copy per
    /// node: each rank of the node computes its block of rows on `pool`'s threads.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let squares = SharedArray::<u64, Ix1>::from_fn(world, 100, world.pool(), |i| (i * i) as u64)?;
    /// assert_eq!(squares.view()[9], 81);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn from_fn<A, Sh>(
        comm: &A,
        shape: Sh,
        pool: &rayon::ThreadPool,
        f: impl Fn(usize) -> T + Sync,
    ) -> Result<SharedArray<T, D>>
    where
        A: Comm + ?Sized,
        Sh: IntoDimension<Dim = D>,
    {
        let mut array = Self::zeros(comm, shape)?;
        array.fill_with(pool, f)?;
        Ok(array)
    }

    /// Reads a `.npy` file of `T`'s dtype (C or Fortran order) into one copy per node:
    /// each rank of the node reads its block with positioned reads on `pool`'s threads. A
    /// missing file, another dtype or another number of axes is the same `Err` on every
    /// rank.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix2;
    /// # mpikit::run(|world| {
    /// let table = SharedArray::<f64, Ix2>::read_npy(world, "table.npy".as_ref(), world.pool())?;
    /// println!("{:?}", table.view().shape());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn read_npy<A: Comm + ?Sized>(
        comm: &A,
        path: &Path,
        pool: &rayon::ThreadPool,
    ) -> Result<SharedArray<T, D>> {
        let comm = comm.as_comm();
        let header = read_header(path, std::mem::size_of::<T>()).and_then(|h| {
            let (d, shape, fortran, offset) = h;
            if d != descr::<T>() {
                return Err(Error::input(format!(
                    "{}: holds dtype '{d}', the array is '{}'",
                    path.display(),
                    descr::<T>()
                )));
            }
            match D::NDIM {
                Some(n) if n != shape.len() => Err(Error::Shape(format!(
                    "{}: {} axes, the array has {n}",
                    path.display(),
                    shape.len()
                ))),
                _ => Ok((shape, fortran, offset)),
            }
        });
        let (mut shape, fortran, offset) = agree_on(comm, header)?;
        if fortran {
            shape.reverse(); // stored as the C-ordered array of the reversed shape
        }
        Self::read_blocks(comm, path, (&shape, fortran, offset), pool)
    }

    /// Reads a raw binary file of `shape`'s elements in C order, as the machine stores them
    /// (numpy's `a.tofile(path)`, C's `fwrite`), into one copy per node, each rank of the
    /// node its block of rows on `pool`'s threads. A missing file or one of another size is
    /// the same `Err` on every rank.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix2;
    /// # mpikit::run(|world| {
    /// let t = SharedArray::<f32, Ix2>::read_raw(world, "t.bin".as_ref(), (1000, 64), world.pool())?;
    /// println!("{}", t.view()[[999, 63]]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn read_raw<A, Sh>(
        comm: &A,
        path: &Path,
        shape: Sh,
        pool: &rayon::ThreadPool,
    ) -> Result<SharedArray<T, D>>
    where
        A: Comm + ?Sized,
        Sh: IntoDimension<Dim = D>,
    {
        let comm = comm.as_comm();
        let shape = shape.into_dimension().slice().to_vec();
        let want = shape
            .iter()
            .try_fold(std::mem::size_of::<T>() as u64, |b, &n| {
                b.checked_mul(n as u64)
            });
        let size = std::fs::metadata(path)
            .map_err(|e| Error::input(format!("{}: {e}", path.display())))
            .and_then(|m| match want {
                Some(b) if b == m.len() => Ok(()),
                _ => Err(Error::Shape(format!(
                    "{}: {} bytes, the shape {shape:?} of {}-byte elements needs {}",
                    path.display(),
                    m.len(),
                    std::mem::size_of::<T>(),
                    want.map_or("more than 2^64".into(), |b| b.to_string())
                ))),
            });
        agree_on(comm, size)?;
        Self::read_blocks(comm, path, (&shape, false, 0), pool)
    }

    /// The body of [`read_npy`](Self::read_npy) and [`read_raw`](Self::read_raw), once the
    /// file's stored shape, order and data offset are agreed.
    fn read_blocks<C: Communicator + ?Sized>(
        comm: &C,
        path: &Path,
        (shape, fortran, offset): (&[usize], bool, u64),
        pool: &rayon::ThreadPool,
    ) -> Result<SharedArray<T, D>> {
        let mut stored = D::zeros(shape.len());
        stored.slice_mut().copy_from_slice(shape);
        let mut array = Self::allocate(comm, stored, fortran)?;
        let row_len: usize = shape.iter().skip(1).product();
        let read = array.write_with(|block, flat| {
            if block.is_empty() {
                return Ok(());
            }
            let mut start = vec![0; shape.len()];
            let mut extent = shape.to_vec();
            start[0] = flat.start / row_len;
            extent[0] = flat.len() / row_len;
            read_runs(path, offset, shape, &start, &extent, block, pool)
        })?;
        agree_on(comm, read)?;
        Ok(array)
    }

    /// The array, read in place (no copy).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix2;
    /// # mpikit::run(|world| {
    /// let a = SharedArray::<f32, Ix2>::zeros(world, (3, 4))?;
    /// assert_eq!(a.view().shape(), &[3, 4]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn view(&self) -> ArrayView<'_, T, D> {
        // SAFETY: the node's copy holds `stored.size()` elements for the array's lifetime
        // (or none, with a dangling aligned pointer); writes happen only in write phases,
        // which need `&mut self`, so no one writes while this view lives.
        let view = unsafe { ArrayView::from_shape_ptr(self.stored.clone(), self.base) };
        if self.fortran {
            view.reversed_axes()
        } else {
            view
        }
    }

    /// The ranks that share this copy (the node's ranks).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let a = SharedArray::<u8, Ix1>::zeros(world, 4)?;
    /// assert_eq!(a.node_size(), world.local_size() as usize);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn node_size(&self) -> usize {
        self.node.size() as usize
    }

    /// A write phase (collective over the node's ranks): each rank gets its block of rows of
    /// the storage (C order) as a mutable slice, with the range of flat indices it covers;
    /// when every rank of the node has returned, the writes are visible to all of them.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let mut a = SharedArray::<u64, Ix1>::zeros(world, 1000)?;
    /// a.write_with(|block, range| {
    ///     for (x, i) in block.iter_mut().zip(range) {
    ///         *x = 2 * i as u64;
    ///     }
    /// })?;
    /// assert_eq!(a.view()[999], 1998);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn write_with<R>(&mut self, f: impl FnOnce(&mut [T], Range<usize>) -> R) -> Result<R> {
        let range = self.my_rows();
        self.sync();
        // SAFETY: `range` is this rank's own part of the storage (the node's row blocks do
        // not overlap); `&mut self` means no view of this rank is alive, and the other ranks
        // of the node write only their own blocks until the closing barrier.
        let block =
            unsafe { std::slice::from_raw_parts_mut(self.base.add(range.start), range.len()) };
        let result = f(block, range);
        self.sync();
        Ok(result)
    }

    /// A write phase in which the node's first rank writes the whole storage (C order) and
    /// the others wait: the array filled by one rank, as one process fills a
    /// `multiprocessing.shared_memory` block. Returns `f`'s value on that rank.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let mut a = SharedArray::<u8, Ix1>::zeros(world, 4)?;
    /// a.write_whole_with(|all| all.copy_from_slice(b"MPI!"))?;
    /// assert_eq!(a.view()[3], b'!');
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn write_whole_with<R>(&mut self, f: impl FnOnce(&mut [T]) -> R) -> Result<Option<R>> {
        let len: usize = self.stored.size();
        self.sync();
        let result = (self.node.rank() == 0).then(|| {
            // SAFETY: the whole storage, written by the node's first rank alone: `&mut self`
            // means no view of this rank is alive, and the other ranks of the node only wait
            // in the closing barrier.
            f(unsafe { std::slice::from_raw_parts_mut(self.base, len) })
        });
        self.sync();
        Ok(result)
    }

    /// A write phase that sets every element from its flat (C-order) index of the storage,
    /// each rank its block of rows on `pool`'s threads.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::SharedArray;
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let mut a = SharedArray::<i32, Ix1>::zeros(world, 10)?;
    /// a.fill_with(world.pool(), |i| -(i as i32))?;
    /// assert_eq!(a.view()[4], -4);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn fill_with(
        &mut self,
        pool: &rayon::ThreadPool,
        f: impl Fn(usize) -> T + Sync,
    ) -> Result<()> {
        self.write_with(|block, range| {
            for_each_part_mut(pool, block, |first, part| {
                for (k, x) in part.iter_mut().enumerate() {
                    *x = f(range.start + first + k);
                }
            });
        })
    }

    /// This node rank's flat range: whole rows of the storage, balanced over the node.
    fn my_rows(&self) -> Range<usize> {
        let shape = self.stored.slice();
        let rows = shape.first().copied().unwrap_or(1);
        let row_len: usize = shape.iter().skip(1).product();
        let part = Partition::new(rows, self.node.size() as usize).range(self.node.rank() as usize);
        part.start * row_len..part.end * row_len
    }

    /// Orders every node rank's loads and stores before the barrier against those after.
    fn sync(&self) {
        // SAFETY: a live shared window inside this array's lock of all.
        unsafe { rma::win_sync(self.win) };
        self.node.barrier();
        // SAFETY: as above.
        unsafe { rma::win_sync(self.win) };
    }
}

impl<T: Element, D: Dimension> Drop for SharedArray<T, D> {
    fn drop(&mut self) {
        // SAFETY: closes the lock of all opened at creation, then frees the window
        // (collective over the node: every rank drops the array at the same point).
        unsafe {
            rma::win_unlock_all(self.win);
            rma::win_free(&mut self.win);
        }
    }
}
