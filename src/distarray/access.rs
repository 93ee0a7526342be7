//! What a [`DistArray`] is made of, read back: its global shape, grid, communicator, this
//! rank's block (with or without its ghost cells) and where it lies, index maps between the block and the global array, and
//! the threads it computes on.

use mpi::topology::SimpleCommunicator;
use ndarray::{ArrayView, ArrayViewMut, Dimension, Slice};

use crate::collective::element::Element;
use crate::distarray::array::DistArray;
use crate::distarray::grid::Grid;

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// The global shape.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// assert_eq!(a.shape(), &[6, 4]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.grid.shape()
    }

    /// The decomposition.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// assert_eq!(a.grid().ranks(), world.size() as usize);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The communicator (the array's private duplicate, shared by the arrays derived from
    /// it with `map` and `zip_with`).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// use mpikit::mpi::traits::*;
    /// assert_eq!(a.comm().size(), world.size()); // the array's private duplicate
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn comm(&self) -> &SimpleCommunicator {
        &self.comm
    }

    /// The global index of this rank's first element.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// // This rank's first row: rank r of a row split starts at its block's first row.
    /// assert_eq!(a.offset()[1], 0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn offset(&self) -> &[usize] {
        &self.offset
    }

    /// This rank's block (without ghost cells).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// let block = a.local(); // this rank's rows, all columns
    /// assert_eq!(block.ncols(), 4);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn local(&self) -> ArrayView<'_, T, D> {
        let g = &self.ghosts;
        self.data.slice_each_axis(|ax| {
            Slice::from(g[ax.axis.index()][0]..ax.len - g[ax.axis.index()][1])
        })
    }

    /// This rank's block (without ghost cells), to write.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[100, 10], world.size() as usize))?;
    ///     a.local_mut().fill(1.0); // this rank's block, as an ndarray view
    ///     assert_eq!(a.sum()?, 1000.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// let mut a = a;
    /// a.local_mut().fill(1.0);
    /// assert_eq!(a.sum()?, 24.0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn local_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        let g = self.ghosts.clone();
        self.data.slice_each_axis_mut(|ax| {
            Slice::from(g[ax.axis.index()][0]..ax.len - g[ax.axis.index()][1])
        })
    }

    /// The global index of local index `local` (inside this rank's block).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// // The first element of this rank's block is at the block's offset.
    /// assert_eq!(a.global_index(&[0, 0]), a.offset().to_vec());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn global_index(&self, local: &[usize]) -> Vec<usize> {
        local.iter().zip(&self.offset).map(|(l, o)| l + o).collect()
    }

    /// The local index of global index `global` if this rank owns it.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[100, 10], world.size() as usize))?;
    ///     assert_eq!(a.local_index(&[0, 3]), world.is_root().then(|| vec![0, 3])); // row 0 is rank 0's
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// let first = a.offset().to_vec();
    /// assert_eq!(a.local_index(&first).is_some(), !a.local().is_empty());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn local_index(&self, global: &[usize]) -> Option<Vec<usize>> {
        match self.grid.owner(global) {
            Some((r, local)) if r == self.rank => Some(local),
            _ => None,
        }
    }

    /// The thread pool the array computes on.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// # mpikit::run(|world| {
    /// let a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 4], world.size() as usize))?;
    /// assert_eq!(a.pool().current_num_threads(), world.threads());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn pool(&self) -> &rayon::ThreadPool {
        &self.pool
    }

    /// The block with its ghost cells.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[100, 10], world.size() as usize))?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     let (p, l) = (a.padded().dim(), a.local().dim());
    ///     assert_eq!((p.0 - l.0, p.1 - l.1), (2, 2)); // one ghost row and column each side
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn padded(&self) -> ndarray::ArrayView<'_, T, D> {
        self.data.view()
    }

    /// The block with its ghost cells, to write (to set fixed boundary values once).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?; // no boundary rule: the edge ghosts keep what is written
    ///     a.padded_mut().column_mut(0).fill(-1.0);
    ///     a.exchange_halos()?;
    ///     assert_eq!(a.padded()[[1, 0]], -1.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn padded_mut(&mut self) -> ndarray::ArrayViewMut<'_, T, D> {
        self.data.view_mut()
    }

    /// The ghost widths per axis, `[before, after]`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[100, 10], world.size() as usize))?;
    ///     a.set_halo(Halo::new(2, 2))?;
    ///     assert_eq!(a.ghosts(), &[[2, 2], [2, 2]]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn ghosts(&self) -> &[[usize; 2]] {
        &self.ghosts
    }
}
