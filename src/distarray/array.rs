//! `DistArray`: one block of a global array per rank, over a [`Grid`] of ranks, on a private
//! duplicate of the caller's communicator; constructors, the block, index maps.

use std::ops::Range;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use mpi::topology::{Communicator, Rank, SimpleCommunicator};
use ndarray::{Array, ArrayBase, ArrayView, Dimension, IxDyn, Slice};

use crate::collective::element::Element;
use crate::collective::large;
use crate::collective::object::ObjectCollectives;
use crate::collective::shape::check_root;
use crate::data::alloc::{fill_arange, par_fill};
use crate::runtime::memory::check_memory;

/// Arrays of at least this many bytes in all are checked against the nodes' memory first.
const CHECK_MEMORY_BYTES: usize = 64 << 20;
use crate::data::random::Random;
use crate::distarray::grid::Grid;
use crate::distarray::index::{flat, for_each_index, for_each_row};
use crate::distarray::plan::Plan;
use crate::distarray::state::HaloState;
use crate::distarray::state::StencilBoxes;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::{default_threads, threads_from_env, Comm};

/// A global N-D array cut into blocks over a Cartesian grid of ranks ([`Grid`]): each rank
/// owns one block as an ndarray array, computes on it with threads, and combines with the
/// other ranks through collectives (reductions, halos, redistribution, gathers, `.npy`
/// files). Every method that communicates is collective: every rank of the communicator
/// calls it, in the same order; every data-dependent problem is the same `Err` on every rank.
///
/// The array keeps a private duplicate of the communicator, so its messages never meet the
/// program's. Threads: a rayon pool of `MPIKIT_THREADS` threads, else cores per node / ranks
/// per node (built once per process, shared by every array).
///
/// # Examples
/// ```no_run
/// use mpikit::{DistArray, Grid};
/// use mpikit::ndarray::Ix2;
/// mpikit::run(|world| {
///     // 1000 x 800, split over a balanced 2-D grid of ranks.
///     let grid = Grid::balanced(&[1000, 800], world.size() as usize, &[0, 1])?;
///     let a = DistArray::<f64, Ix2>::from_fn(world, grid, |i| (i[0] * 800 + i[1]) as f64)?;
///     let b = a.map(|x| 2.0 * x);
///     let total = b.sum()?; // every rank gets it
///     assert_eq!(total, 1000.0 * 800.0 * (1000.0 * 800.0 - 1.0));
///     println!("rank {} holds {:?} at {:?}", world.rank(), a.local().dim(), a.offset());
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct DistArray<T: Element, D: Dimension> {
    pub(crate) comm: Rc<SimpleCommunicator>,
    pub(crate) grid: Grid,
    pub(crate) rank: usize,
    pub(crate) offset: Vec<usize>,
    /// The block, with `ghosts[a]` extra elements before and after it along axis `a`.
    pub(crate) data: Array<T, D>,
    pub(crate) ghosts: Vec<[usize; 2]>,
    pub(crate) halo: Option<HaloState<T>>,
    pub(crate) pool: Arc<rayon::ThreadPool>,
    /// The last redistribution into this array, kept for the next (see `redistribute_into`).
    pub(crate) plan: Option<Box<Plan<T>>>,
    /// The boxes of the last stencil over this array (checked against every rank's ghosts
    /// and worked out once while the layout stays the same).
    pub(crate) stencil_boxes: Option<Box<StencilBoxes>>,
}

/// The pool DistArrays on a communicator without its own (not a `World`) compute on.
fn shared_pool(comm: &SimpleCommunicator) -> Result<Arc<rayon::ThreadPool>> {
    use crate::collective::reduce::ArrayReductions;
    static POOL: OnceLock<Arc<rayon::ThreadPool>> = OnceLock::new();
    // Whether every rank has the pool already: the same answer on every rank, so that the
    // node split below is made by all of them or none (a rank that made an array on a
    // smaller communicator before has its pool; the others must not wait for it in a split).
    let have = u8::from(POOL.get().is_some());
    if comm.allreduce_scalar(have, crate::ReduceOp::Min)? == 1 {
        if let Some(pool) = POOL.get() {
            return Ok(pool.clone());
        }
    }
    let threads = match threads_from_env()? {
        Some(t) => t,
        None => default_threads(comm.split_shared(comm.rank()).size() as usize),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::input(format!("DistArray: cannot start {threads} threads: {e}")))?;
    Ok(POOL.get_or_init(|| Arc::new(pool)).clone())
}

/// An ndarray array of dimension `D` from a shape and its elements in standard order.
pub(crate) fn shaped<T, D: Dimension>(shape: &[usize], data: Vec<T>) -> Result<Array<T, D>> {
    Array::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| Error::Shape(format!("DistArray: {e}")))?
        .into_dimensionality::<D>()
        .map_err(|_| {
            Error::Shape(format!(
                "DistArray: a {}-axis shape {shape:?} for a {}-axis array type",
                shape.len(),
                D::NDIM.unwrap_or(0)
            ))
        })
}

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Checks `grid` against the communicator (its size, and the same grid on every rank)
    /// and duplicates the communicator. Collective.
    pub(crate) fn setup(
        comm: &(impl Comm + ?Sized),
    ) -> Result<(Rc<SimpleCommunicator>, Arc<rayon::ThreadPool>)> {
        let own = comm.thread_pool();
        let dup = comm.as_comm().duplicate();
        let pool = match own {
            Some(pool) => pool,
            None => agree_on(&dup, shared_pool(&dup))?,
        };
        Ok((Rc::new(dup), pool))
    }

    pub(crate) fn check_grid(comm: &SimpleCommunicator, grid: &Grid) -> Result<()> {
        let size = comm.size() as usize;
        let code = grid.encode();
        let first = comm.broadcast_object(0, (comm.rank() == 0).then_some(&code))?;
        let mine = if D::NDIM.is_some_and(|n| n != grid.shape().len()) {
            Err(Error::Shape(format!(
                "DistArray: a {}-axis grid for a {}-axis array type",
                grid.shape().len(),
                D::NDIM.unwrap_or(0)
            )))
        } else if grid.ranks() != size {
            Err(Error::Shape(format!(
                "DistArray: the grid {:?} needs {} ranks, the communicator has {size}",
                grid.dims(),
                grid.ranks()
            )))
        } else if first != code {
            Err(Error::Shape(format!(
                "DistArray: ranks disagree on the grid (this rank: shape {:?}, dims {:?})",
                grid.shape(),
                grid.dims()
            )))
        } else {
            Ok(())
        };
        agree_on(comm, mine)
    }

    /// Builds each rank's block with `fill(first flat index of a run, run)` on the threads,
    /// which touch the fresh pages first.
    fn build(
        comm: &(impl Comm + ?Sized),
        grid: Grid,
        fill: impl Fn(&[usize], &[usize], usize, &mut [T]) + Sync,
    ) -> Result<DistArray<T, D>> {
        let (comm, pool) = Self::setup(comm)?;
        Self::check_grid(&comm, &grid)?;
        Self::build_on(comm, pool, grid, fill)
    }

    /// A new array on this array's communicator and threads (no duplicate): for arrays
    /// derived from this one, with a grid every rank already agrees on.
    pub(crate) fn derived<U: Element, E: Dimension>(&self, grid: Grid) -> Result<DistArray<U, E>> {
        DistArray::build_on(self.comm.clone(), self.pool.clone(), grid, |_, _, _, _| {})
    }

    /// [`build`](Self::build) on a communicator and pool already set up, for a checked grid.
    fn build_on(
        comm: Rc<SimpleCommunicator>,
        pool: Arc<rayon::ThreadPool>,
        grid: Grid,
        fill: impl Fn(&[usize], &[usize], usize, &mut [T]) + Sync,
    ) -> Result<DistArray<T, D>> {
        let rank = comm.rank() as usize;
        let (block, offset) = (grid.block_shape(rank), grid.block_offset(rank));
        let len: usize = block.iter().product();
        let elem = std::mem::size_of::<T>();
        // Large arrays (the same decision on every rank) are checked against the nodes'
        // memory before any block is allocated.
        let total = grid.shape().iter().try_fold(elem, |a, &n| a.checked_mul(n));
        if !matches!(total, Some(t) if t < CHECK_MEMORY_BYTES) {
            check_memory(
                &*comm,
                &format!(
                    "a DistArray of shape {:?} ({})",
                    grid.shape(),
                    std::any::type_name::<T>()
                ),
                (len as u64).saturating_mul(elem as u64),
                "use more ranks or nodes, or a smaller array",
            )?;
        }
        let values = par_fill(len, &pool, |first, run| fill(&block, &offset, first, run));
        let data = shaped(&block, values)?;
        Ok(DistArray {
            ghosts: vec![[0, 0]; block.len()],
            halo: None,
            comm,
            grid,
            rank,
            offset,
            data,
            pool,
            plan: None,
            stencil_boxes: None,
        })
    }

    /// Zeros everywhere (the blocks' pages are left untouched until written).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f32, Ix2>::zeros(world, Grid::rows(&[100, 3], world.size() as usize))?;
    /// assert_eq!(a.shape(), &[100, 3]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn zeros(comm: &(impl Comm + ?Sized), grid: Grid) -> Result<DistArray<T, D>> {
        Self::build(comm, grid, |_, _, _, _| {})
    }

    /// `value` everywhere, written by the threads.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<u8, Ix2>::from_elem(world, Grid::rows(&[10, 10], world.size() as usize), 7)?;
    /// assert!(a.local().iter().all(|&x| x == 7));
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn from_elem(comm: &(impl Comm + ?Sized), grid: Grid, value: T) -> Result<DistArray<T, D>> {
        Self::build(comm, grid, |_, _, _, run| run.fill(value))
    }

    /// `f(global index)` at every element, computed by the threads (each writes the pages it
    /// fills first). The same array for any number of ranks and threads.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| (10 * i[0] + i[1]) as f64)?;
    ///     assert_eq!(a.sum()?, 499_500.0); // element (i, j) is 10 i + j on any number of ranks
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn from_fn<F>(comm: &(impl Comm + ?Sized), grid: Grid, f: F) -> Result<DistArray<T, D>>
    where
        F: Fn(&[usize]) -> T + Sync,
    {
        Self::build(comm, grid, |block, offset, first, run| {
            for_each_index(block, offset, run, first, |g, x| *x = f(g));
        })
    }

    /// Takes each rank's `local` block as its part of the array laid out by `grid`. The same
    /// `Err` on every rank if any block's shape is not the grid's block for that rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Array2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let grid = Grid::rows(&[100, 10], world.size() as usize);
    ///     let rows = grid.block_shape(world.rank() as usize)[0]; // this rank's share of the rows
    ///     let a = DistArray::from_local(world, grid, Array2::<f64>::ones((rows, 10)))?;
    ///     assert_eq!(a.sum()?, 1000.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn from_local(
        comm: &(impl Comm + ?Sized),
        grid: Grid,
        local: Array<T, D>,
    ) -> Result<DistArray<T, D>> {
        let (comm, pool) = Self::setup(comm)?;
        Self::check_grid(&comm, &grid)?;
        let rank = comm.rank() as usize;
        let want = grid.block_shape(rank);
        let fits = if local.shape() == want.as_slice() {
            Ok(())
        } else {
            Err(Error::Shape(format!(
                "DistArray::from_local: rank {rank}'s block has shape {:?}, the grid gives it {want:?}",
                local.shape()
            )))
        };
        agree_on(&*comm, fits)?;
        let data = if local.is_standard_layout() {
            local
        } else {
            shaped(&want, local.iter().copied().collect())?
        };
        Ok(DistArray {
            ghosts: vec![[0, 0]; want.len()],
            halo: None,
            offset: grid.block_offset(rank),
            comm,
            grid,
            rank,
            data,
            pool,
            plan: None,
            stencil_boxes: None,
        })
    }

    /// Splits the root's `whole` array (of the grid's shape; `None` elsewhere) into the
    /// grid's blocks and sends each rank its own: the root holds one packed block at a time
    /// beyond its array. A root that passes `None`, or an array of another shape, is the same
    /// `Err` on every rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Array2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let whole = world.is_root().then(|| Array2::from_shape_fn((4, 3), |(i, j)| (3 * i + j) as f64));
    ///     let a = DistArray::scatter(world, Grid::rows(&[4, 3], world.size() as usize), 0, whole.as_ref())?;
    ///     assert_eq!(a.sum()?, 66.0); // np.arange(12).reshape(4, 3), read on rank 0 only
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn scatter(
        comm: &(impl Comm + ?Sized),
        grid: Grid,
        root: Rank,
        whole: Option<&Array<T, D>>,
    ) -> Result<DistArray<T, D>> {
        let mut out = Self::zeros(comm, grid)?;
        check_root(&*out.comm, root)?; // the same verdict everywhere: root and size agree
        let is_root = out.rank == root as usize;
        let ok = match (is_root, whole) {
            (true, Some(w)) if w.shape() == out.grid.shape() => Ok(()),
            (true, Some(w)) => Err(Error::Shape(format!(
                "DistArray::scatter: the root's array (rank {root}) has shape {:?}, the grid {:?}",
                w.shape(),
                out.grid.shape()
            ))),
            (true, None) => Err(Error::MissingRoot {
                what: "DistArray::scatter",
                root,
            }),
            (false, _) => Ok(()),
        };
        agree_on(&*out.comm, ok)?;
        if is_root {
            let whole = whole.expect("checked");
            for r in 0..out.grid.ranks() {
                let block = block_of(whole.view().into_dyn(), &out.grid, r);
                if r == root as usize {
                    out.local_mut()
                        .iter_mut()
                        .zip(block.iter())
                        .for_each(|(x, &v)| *x = v);
                } else if let Some(contiguous) = block.as_slice() {
                    // Row blocks of a C-ordered array go as they lie.
                    large::send(&*out.comm, r as i32, large::INTERNAL_TAG, contiguous);
                } else {
                    let packed: Vec<T> = block.iter().copied().collect();
                    large::send(&*out.comm, r as i32, large::INTERNAL_TAG, &packed);
                }
            }
        } else {
            let block = out
                .data
                .as_slice_mut()
                .expect("fresh blocks are contiguous");
            large::receive_into(&*out.comm, root, large::INTERNAL_TAG, block);
        }
        Ok(out)
    }

    /// A new array of the same decomposition (no ghosts) holding `data` as this rank's block.
    pub(crate) fn like<U: Element, E: Dimension>(&self, data: Array<U, E>) -> DistArray<U, E> {
        DistArray {
            comm: self.comm.clone(),
            grid: self.grid.clone(),
            rank: self.rank,
            offset: self.offset.clone(),
            ghosts: vec![[0, 0]; data.ndim()],
            halo: None,
            data,
            pool: self.pool.clone(),
            plan: None,
            stencil_boxes: None,
        }
    }

    /// A new array on the same communicator and threads with another `grid` (over the same
    /// ranks), holding `data` as this rank's block of it. No communication.
    pub(crate) fn sibling<U: Element, E: Dimension>(
        &self,
        grid: Grid,
        data: Array<U, E>,
    ) -> DistArray<U, E> {
        let mut out = self.like(data);
        out.offset = grid.block_offset(self.rank);
        out.grid = grid;
        out
    }

    /// [`sibling`](Self::sibling) with this rank's block of `grid` filled with `value`.
    pub(crate) fn sibling_filled<U: Element>(
        &self,
        grid: Grid,
        value: U,
    ) -> Result<DistArray<U, D>> {
        let block = shaped(
            &grid.block_shape(self.rank),
            vec![value; grid.block_shape(self.rank).iter().product()],
        )?;
        Ok(self.sibling(grid, block))
    }
}

impl<D: Dimension> DistArray<f64, D> {
    /// `0, 1, 2, ...` in standard (C) order of the global array (numpy's
    /// `np.arange(n).reshape(shape)`); exact below 2^53.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[4, 5], world.size() as usize))?;
    /// assert_eq!(a.sum()?, 190.0); // 0 + 1 + ... + 19, as np.arange(20).reshape(4, 5)
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn arange(comm: &(impl Comm + ?Sized), grid: Grid) -> Result<DistArray<f64, D>> {
        let shape = grid.shape().to_vec();
        Self::build(comm, grid, move |block, offset, first, run| {
            for_each_row(block, offset, run, first, |g, row| {
                fill_arange(row, flat(&shape, g))
            })
        })
    }

    /// Uniform values in [0, 1) from `Random::new(seed)` by flat global index: the same array
    /// for any number of ranks and threads.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// // Uniform in [0, 1) by global index: the same array on any number of ranks.
    /// let a = DistArray::<f64, Ix2>::random(world, Grid::rows(&[1000, 10], world.size() as usize), 42)?;
    /// assert!(a.max()? < 1.0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn random(comm: &(impl Comm + ?Sized), grid: Grid, seed: u64) -> Result<DistArray<f64, D>> {
        let (shape, rng) = (grid.shape().to_vec(), Random::new(seed));
        Self::from_fn(comm, grid, move |i| rng.uniform(flat(&shape, i) as u64))
    }
}

/// Rank `rank`'s block of a whole array laid out by `grid`.
pub(crate) fn block_of<'a, T>(
    whole: ArrayView<'a, T, IxDyn>,
    grid: &Grid,
    rank: usize,
) -> ArrayView<'a, T, IxDyn> {
    boxed(whole, &grid.block_shape(rank), &grid.block_offset(rank))
}

/// The box `ranges` (one per axis) of an array or view.
pub(crate) fn within<S: ndarray::RawData>(
    mut a: ArrayBase<S, IxDyn>,
    ranges: &[Range<usize>],
) -> ArrayBase<S, IxDyn> {
    for (axis, r) in ranges.iter().enumerate() {
        a.slice_axis_inplace(ndarray::Axis(axis), Slice::from(r.clone()));
    }
    a
}

/// The box of `shape` at `offset` of an array or view.
pub(crate) fn boxed<S: ndarray::RawData>(
    a: ArrayBase<S, IxDyn>,
    shape: &[usize],
    offset: &[usize],
) -> ArrayBase<S, IxDyn> {
    let ranges: Vec<Range<usize>> = offset.iter().zip(shape).map(|(&o, &n)| o..o + n).collect();
    within(a, &ranges)
}
