//! Moving blocks between ranks: a new layout (redistribution, kept as a plan), permuted axes
//! and transposes, rebalancing, filtering, and the whole array on one or every rank.

use mpi::topology::Rank;
use ndarray::{Array, Array1, Dimension, Ix1, IxDyn};

use crate::collective::element::Element;
use crate::collective::large::{self, INTERNAL_TAG};
use crate::collective::object::ObjectCollectives;
use crate::collective::shape::check_root;
use crate::distarray::array::{boxed, shaped, DistArray};
use crate::distarray::copy::{Assign, Combine};
use crate::distarray::grid::Grid;
use crate::distarray::plan::{Key, Plan};
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;

/// `axes` must be a permutation of `0..ndim`.
fn check_axes(axes: &[usize], ndim: usize, what: &str) -> Result<()> {
    let mut seen = vec![false; ndim];
    let ok = axes.len() == ndim
        && axes
            .iter()
            .all(|&a| a < ndim && !std::mem::replace(&mut seen[a], true));
    if ok {
        Ok(())
    } else {
        Err(Error::Shape(format!(
            "{what}: axes {axes:?} are not an order of the {ndim} axes"
        )))
    }
}

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// The same global array laid out by `grid` (same shape), on the same communicator and
    /// threads: [`redistribute_into`](Self::redistribute_into) a new array. Collective; the
    /// same `Err` on every rank if `grid` has another shape, does not fit the communicator, or
    /// differs between ranks.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let rows = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[100, 10], n))?;
    ///     // Row blocks into column blocks.
    ///     let cols = rows.redistribute(Grid::with_dims(&[100, 10], &[1, n])?)?;
    ///     assert_eq!(cols.grid().dims(), &[1, n]);
    ///     assert_eq!(cols.sum()?, rows.sum()?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn redistribute(&self, grid: Grid) -> Result<DistArray<T, D>> {
        let same = if grid.shape() == self.grid.shape() {
            Ok(())
        } else {
            Err(Error::Shape(format!(
                "redistribute: the new grid has shape {:?}, the array {:?}",
                grid.shape(),
                self.grid.shape()
            )))
        };
        agree_on(&*self.comm, same)?;
        Self::check_grid(&self.comm, &grid)?;
        let mut out = self.derived(grid)?;
        self.redistribute_into(&mut out)?;
        Ok(out)
    }

    /// This array laid out by `grid`: itself, untouched, when `grid` is already its layout,
    /// else [`redistribute`](Self::redistribute).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[100, 10], n))?;
    ///     // Balanced over both axes, whatever layout `a` had; `a` itself if it had that one.
    ///     let b = a.into_redistributed(Grid::balanced(&[100, 10], n, &[0, 1])?)?;
    ///     assert_eq!(b.sum()?, 499_500.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn into_redistributed(self, grid: Grid) -> Result<DistArray<T, D>> {
        if grid == self.grid {
            return Ok(self);
        }
        self.redistribute(grid)
    }

    /// Copies this array into `out`, an array of the same shape laid out by any grid over the
    /// same ranks (with or without ghost cells): each rank sends the overlap of its block
    /// with every other rank's block of `out`, all pieces in flight at once, straight from and
    /// into the blocks where a box lies in one run in memory, packed and unpacked by runs on
    /// the threads where it does not. The plan (which boxes go where) and the staging buffers
    /// are kept in `out` and reused while the layouts stay the same, so a loop that
    /// redistributes into the same array allocates nothing and needs no agreement after the
    /// first call.
    ///
    /// Both layouts are known on every rank, so a mismatch (another shape, another number of
    /// ranks) is the same `Err` everywhere, found without a message.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let p = world.size() as usize;
    ///     let rows = Grid::with_dims(&[512, 512], &[p, 1])?;
    ///     let cols = Grid::with_dims(&[512, 512], &[1, p])?;
    ///     let a = DistArray::<f64, Ix2>::arange(world, rows)?;
    ///     let mut b = DistArray::<f64, Ix2>::zeros(world, cols)?;
    ///     for _ in 0..10 {
    ///         a.redistribute_into(&mut b)?; // planned once, then no allocation
    ///     }
    ///     assert_eq!(b.sum()?, a.sum()?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn redistribute_into(&self, out: &mut DistArray<T, D>) -> Result<()> {
        let axes: Vec<usize> = (0..self.grid.shape().len()).collect();
        self.move_into(
            out,
            &axes,
            &Combine::<Assign<T>>::Assign,
            "redistribute_into",
        )
    }

    /// [`redistribute_into`](Self::redistribute_into) combining each element of `out` with
    /// the one that arrives: `out = f(out, self)` (for example `|o, x| o + x` adds this
    /// array into `out`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix2>::from_elem(world, Grid::rows(&[100, 10], n), 1.0)?;
    ///     let mut b = DistArray::<f64, Ix2>::from_elem(world, Grid::with_dims(&[100, 10], &[1, n])?, 2.0)?;
    ///     a.redistribute_into_with(&mut b, |o, x| o + x)?; // b += a
    ///     assert_eq!(b.sum()?, 3000.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn redistribute_into_with<F>(&self, out: &mut DistArray<T, D>, f: F) -> Result<()>
    where
        F: Fn(T, T) -> T + Sync,
    {
        let axes: Vec<usize> = (0..self.grid.shape().len()).collect();
        self.move_into(out, &axes, &Combine::With(&f), "redistribute_into_with")
    }

    /// The array with its axes in the order `axes` (numpy's `transpose(axes)`: axis `k` of
    /// the result is axis `axes[k]` of this one), laid out by this array's grid with its axes
    /// permuted the same way: each rank permutes its own block, no message.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix3;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix3>::arange(world, Grid::rows(&[4, 5, 6], n))?;
    ///     // b[k, i, j] = a[i, j, k]; the grid's axes move too, so no element changes rank.
    ///     let b = a.permuted_axes(&[2, 0, 1])?;
    ///     assert_eq!(b.shape(), &[6, 4, 5]);
    ///     assert_eq!(b.grid().dims(), &[1, n, 1]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn permuted_axes(&self, axes: &[usize]) -> Result<DistArray<T, D>> {
        check_axes(axes, self.grid.shape().len(), "permuted_axes")?;
        let grid = Grid::with_counts(
            &axes
                .iter()
                .map(|&a| self.grid.shape()[a])
                .collect::<Vec<_>>(),
            axes.iter().map(|&a| self.grid.counts(a).to_vec()).collect(),
        )?;
        let mut out = self.derived(grid)?;
        self.move_into(
            &mut out,
            axes,
            &Combine::<Assign<T>>::Assign,
            "permuted_axes",
        )?;
        Ok(out)
    }

    /// The transpose (axes reversed), laid out by the transposed grid: no message (see
    /// [`permuted_axes`](Self::permuted_axes)). To transpose into another layout (a
    /// row-distributed matrix into a row-distributed matrix, PRK's Transpose), use
    /// [`transpose_into`](Self::transpose_into).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[100, 10], n))?;
    ///     let t = a.transpose()?;
    ///     assert_eq!(t.shape(), &[10, 100]);
    ///     assert_eq!(t.grid().dims(), &[1, n]); // column blocks: every rank keeps its elements
    ///     assert_eq!(t.allgather()?[[3, 7]], 73.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn transpose(&self) -> Result<DistArray<T, D>> {
        let axes: Vec<usize> = (0..self.grid.shape().len()).rev().collect();
        self.permuted_axes(&axes)
    }

    /// Writes the transpose of this array into `out`, whose shape is this array's reversed,
    /// laid out by any grid over the same ranks: [`permute_axes_into`](Self::permute_axes_into)
    /// with the axes reversed.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let grid = Grid::rows(&[1000, 1000], world.size() as usize);
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), |i| (1000 * i[0] + i[1]) as f64)?;
    ///     let mut b = DistArray::<f64, Ix2>::zeros(world, grid)?;
    ///     a.transpose_into_with(&mut b, |b, a| b + a)?; // b += aᵀ
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn transpose_into(&self, out: &mut DistArray<T, D>) -> Result<()> {
        let axes: Vec<usize> = (0..self.grid.shape().len()).rev().collect();
        self.move_into(out, &axes, &Combine::<Assign<T>>::Assign, "transpose_into")
    }

    /// [`transpose_into`](Self::transpose_into) combining: `out = f(out, selfᵀ)`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 100], n), |i| i[0] as f64)?;
    ///     let mut sym = a.map(|x| x); // a copy
    ///     a.transpose_into_with(&mut sym, |s, t| s + t)?; // sym = a + aᵀ
    ///     assert_eq!(sym.allgather()?[[3, 7]], 10.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn transpose_into_with<F>(&self, out: &mut DistArray<T, D>, f: F) -> Result<()>
    where
        F: Fn(T, T) -> T + Sync,
    {
        let axes: Vec<usize> = (0..self.grid.shape().len()).rev().collect();
        self.move_into(out, &axes, &Combine::With(&f), "transpose_into_with")
    }

    /// Writes this array with its axes in the order `axes` into `out` (axis `k` of `out` is
    /// axis `axes[k]` of this array), laid out by any grid over the same ranks; the
    /// redistribution machinery of [`redistribute_into`](Self::redistribute_into), with the
    /// boxes packed in `out`'s axis order (in cache tiles where the last axis changes).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix3;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix3>::arange(world, Grid::rows(&[4, 5, 6], n))?;
    ///     // Axes (2, 0, 1) into row blocks of a 6 x 4 x 5 array: b[k, i, j] = a[i, j, k].
    ///     let mut b = DistArray::<f64, Ix3>::zeros(world, Grid::rows(&[6, 4, 5], n))?;
    ///     a.permute_axes_into(&[2, 0, 1], &mut b)?;
    ///     assert_eq!(b.allgather()?[[1, 2, 3]], 79.0); // a[2, 3, 1] = 2 × 30 + 3 × 6 + 1
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn permute_axes_into(&self, axes: &[usize], out: &mut DistArray<T, D>) -> Result<()> {
        self.move_into(
            out,
            axes,
            &Combine::<Assign<T>>::Assign,
            "permute_axes_into",
        )
    }

    /// The body of every redistribution: checks, the plan (kept in `out`), the run.
    fn move_into<F: Fn(T, T) -> T + Sync>(
        &self,
        out: &mut DistArray<T, D>,
        axes: &[usize],
        combine: &Combine<'_, F>,
        what: &str,
    ) -> Result<()> {
        check_axes(axes, self.grid.shape().len(), what)?;
        let want: Vec<usize> = axes.iter().map(|&a| self.grid.shape()[a]).collect();
        if out.grid.shape() != want.as_slice() || out.grid.ranks() != self.grid.ranks() {
            return Err(Error::Shape(format!(
                "{what}: an array of shape {:?} over {} ranks cannot receive shape {want:?} \
                 from {} ranks",
                out.grid.shape(),
                out.grid.ranks(),
                self.grid.ranks()
            )));
        }
        out.finish_halos()?;
        let key = Key {
            from: self.grid.clone(),
            from_ghosts: self.ghosts.clone(),
            to: out.grid.clone(),
            to_ghosts: out.ghosts.clone(),
            axes: axes.to_vec(),
        };
        let mut plan = match out.plan.take() {
            Some(plan) if plan.key == key => plan,
            _ => Box::new(Plan::new(key, self.rank)),
        };
        let src = self
            .data
            .as_slice()
            .expect("DistArray blocks are in standard layout");
        let dst = out
            .data
            .as_slice_mut()
            .expect("DistArray blocks are in standard layout");
        plan.run(&self.comm, src, dst, combine, &self.pool);
        out.plan = Some(plan);
        Ok(())
    }

    /// [`redistribute`](Self::redistribute) onto balanced blocks over the same grid of
    /// ranks: after a program left blocks uneven (irregular counts, a filter).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix1;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[1000], n))?;
    ///     // The last 100 elements, all on the last ranks.
    ///     let tail = a.filter(|x| x >= 900.0)?;
    ///     let even = tail.rebalance()?;
    ///     assert_eq!(even.grid(), &Grid::rows(&[100], n));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn rebalance(&self) -> Result<DistArray<T, D>> {
        let grid = Grid::with_dims(self.grid.shape(), self.grid.dims())?;
        self.redistribute(grid)
    }

    /// The whole array on the root (`Some` there, `None` elsewhere): the root receives one
    /// block at a time.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::{Array2, Ix2};
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[4, 3], n))?;
    ///     if let Some(whole) = a.gather(0)? {
    ///         // Rank 0 only: np.arange(12).reshape(4, 3).
    ///         assert_eq!(whole, Array2::from_shape_fn((4, 3), |(i, j)| (3 * i + j) as f64));
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn gather(&self, root: Rank) -> Result<Option<Array<T, D>>> {
        check_root(&*self.comm, root)?; // the same verdict everywhere: root and size agree
        if self.rank != root as usize {
            let mine = self.local_elements();
            large::send(&*self.comm, root, INTERNAL_TAG, &mine);
            return Ok(None);
        }
        let shape = self.grid.shape().to_vec();
        let mut whole = Array::from_elem(IxDyn(&shape), T::default());
        for r in 0..self.grid.ranks() {
            let (off, bs) = (self.grid.block_offset(r), self.grid.block_shape(r));
            let mut place = boxed(whole.view_mut(), &bs, &off);
            if r == root as usize {
                place.assign(&self.local().into_dyn());
            } else {
                let mut block = vec![T::default(); bs.iter().product()];
                large::receive_into(&*self.comm, r as i32, INTERNAL_TAG, &mut block);
                for (x, v) in place.iter_mut().zip(block) {
                    *x = v;
                }
            }
        }
        Ok(Some(shaped(&shape, whole.into_raw_vec_and_offset().0)?))
    }

    /// The whole array on every rank (a gather to rank 0 and a broadcast).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[4, 3], n))?;
    ///     let whole = a.allgather()?; // on every rank
    ///     assert_eq!(whole[[3, 2]], 11.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn allgather(&self) -> Result<Array<T, D>> {
        let gathered = self.gather(0)?;
        let shape = self.grid.shape().to_vec();
        let mut flat = match gathered {
            Some(a) => a.into_raw_vec_and_offset().0,
            None => vec![T::default(); shape.iter().product()],
        };
        large::broadcast(&*self.comm, 0, &mut flat);
        shaped(&shape, flat)
    }
}

impl<T: Element> DistArray<T, Ix1> {
    /// The elements for which `keep` is true, in global order, as a new 1-D array whose
    /// blocks are what each rank kept (uneven: [`rebalance`](DistArray::rebalance) evens
    /// them out). One small allgather of the counts.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix1;
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[100], n))?;
    ///     let even = a.filter(|x| x % 2.0 == 0.0)?;
    ///     assert_eq!(even.len(), 50);
    ///     assert_eq!(even.sum()?, 2450.0); // 0 + 2 + ... + 98
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn filter(&self, keep: impl Fn(T) -> bool + Sync) -> Result<DistArray<T, Ix1>> {
        let kept: Vec<T> = self.local().iter().copied().filter(|&x| keep(x)).collect();
        let counts = self.comm.allgather_objects(&kept.len())?;
        let grid = Grid::with_counts(&[counts.iter().sum()], vec![counts])?;
        Ok(self.sibling(grid, Array1::from_vec(kept)))
    }
}
