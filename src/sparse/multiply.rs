//! Products of a [`SparseMatrix`] with [`DistArray`] vectors: `y = A·x` (the ghost entries of
//! `x` fetched point to point, then each rank's rows on its threads) and `y = Aᵀ·x` (each
//! rank's rows scattered into its columns, the ghost columns' sums sent back to their owners).

use ndarray::Ix1;
use rayon::prelude::*;

use crate::distarray::{DistArray, Grid};
use crate::error::{Error, Result};
use crate::sparse::matrix::{SparseElement, SparseMatrix};

/// Rows per parallel task: enough work to outweigh a task's cost.
const ROWS_PER_TASK: usize = 2048;

impl<T: SparseElement> SparseMatrix<T> {
    /// `y = A·x`: a new vector split like the rows; `x` must be split like the columns. Only
    /// the entries of `x` that this rank's rows read and other ranks hold move, point to
    /// point, as the pattern worked out when the matrix was built says. Collective.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::ndarray::Ix1;
    /// use mpikit::sparse::SparseMatrix;
    /// use mpikit::{DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let p = world.size() as usize;
    ///     let n = 100;
    ///     // The 1-D Laplacian: 2 on the diagonal, -1 beside it; each rank gives its own rows.
    ///     let grid = Grid::rows(&[n], p);
    ///     let mine = world.rank() as usize;
    ///     let first = grid.block_offset(mine)[0];
    ///     let mut t = Vec::new();
    ///     for i in first..first + grid.block_shape(mine)[0] {
    ///         t.push((i, i, 2.0));
    ///         if i > 0 { t.push((i, i - 1, -1.0)); }
    ///         if i + 1 < n { t.push((i, i + 1, -1.0)); }
    ///     }
    ///     let a = SparseMatrix::from_triplets(world, grid.clone(), grid.clone(), &t)?;
    ///     let x = DistArray::<f64, Ix1>::from_elem(world, grid, 1.0)?;
    ///     let y = a.matvec(&x)?;
    ///     assert_eq!(y.sum()?, 2.0); // 1 at both ends, 0 inside
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn matvec(&self, x: &DistArray<T, Ix1>) -> Result<DistArray<T, Ix1>> {
        let rows = self.rows.counts(0)[self.rank];
        let mut y = x.sibling(
            self.rows.clone(),
            ndarray::Array1::from_elem(rows, T::default()),
        );
        self.matvec_into(x, &mut y)?;
        Ok(y)
    }

    /// `y = A·x` into an existing `y` split like the rows (no new array: the form for loops).
    /// Vectors split otherwise are the same `Err` on every rank. Collective.
    pub fn matvec_into(&self, x: &DistArray<T, Ix1>, y: &mut DistArray<T, Ix1>) -> Result<()> {
        check("matvec", "x", x.grid(), &self.cols)?;
        check("matvec", "y", y.grid(), &self.rows)?;
        let mut buf = self.scratch.borrow_mut();
        buf.clear();
        buf.extend_from_slice(&x.local_elements());
        buf.resize(self.pattern.own + self.pattern.ghosts.len(), T::default());
        self.pattern.fetch(&self.comm, &mut buf);
        let (row_start, col, values, buf) = (&self.row_start, &self.col, &self.values, &buf[..]);
        let rows = |out: &mut [T], first: usize| {
            for (i, y) in out.iter_mut().enumerate() {
                let (lo, hi) = (row_start[first + i], row_start[first + i + 1]);
                let mut sum = T::default();
                for (&c, &v) in col[lo..hi].iter().zip(&values[lo..hi]) {
                    sum += v * buf[c as usize];
                }
                *y = sum;
            }
        };
        let mut out = y.local_mut();
        let out = out.as_slice_mut().expect("a 1-D block is contiguous");
        if self.pool.current_num_threads() > 1 && out.len() > ROWS_PER_TASK {
            self.pool.install(|| {
                out.par_chunks_mut(ROWS_PER_TASK)
                    .enumerate()
                    .for_each(|(k, chunk)| rows(chunk, k * ROWS_PER_TASK))
            });
        } else {
            rows(out, 0);
        }
        Ok(())
    }

    /// `y = Aᵀ·x` (the transpose, not conjugated): a new vector split like the columns; `x`
    /// must be split like the rows. Collective.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::ndarray::Ix1;
    /// use mpikit::sparse::SparseMatrix;
    /// use mpikit::{DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let p = world.size() as usize;
    ///     // A 1 x 3 matrix [1 2 3], given by rank 0: Aᵀ·[2] = [2 4 6].
    ///     let t = if world.rank() == 0 { vec![(0, 0, 1.0), (0, 1, 2.0), (0, 2, 3.0)] } else { vec![] };
    ///     let a = SparseMatrix::from_triplets(world, Grid::rows(&[1], p), Grid::rows(&[3], p), &t)?;
    ///     let x = DistArray::<f64, Ix1>::from_elem(world, Grid::rows(&[1], p), 2.0)?;
    ///     assert_eq!(a.transpose_matvec(&x)?.allgather()?.to_vec(), vec![2.0, 4.0, 6.0]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn transpose_matvec(&self, x: &DistArray<T, Ix1>) -> Result<DistArray<T, Ix1>> {
        let cols = self.cols.counts(0)[self.rank];
        let mut y = x.sibling(
            self.cols.clone(),
            ndarray::Array1::from_elem(cols, T::default()),
        );
        self.transpose_matvec_into(x, &mut y)?;
        Ok(y)
    }

    /// `y = Aᵀ·x` into an existing `y` split like the columns. Collective.
    pub fn transpose_matvec_into(
        &self,
        x: &DistArray<T, Ix1>,
        y: &mut DistArray<T, Ix1>,
    ) -> Result<()> {
        check("transpose_matvec", "x", x.grid(), &self.rows)?;
        check("transpose_matvec", "y", y.grid(), &self.cols)?;
        let mut buf = self.scratch.borrow_mut();
        buf.clear();
        buf.resize(self.pattern.own + self.pattern.ghosts.len(), T::default());
        let x = x.local_elements();
        for (i, w) in self.row_start.windows(2).enumerate() {
            let xi = x[i];
            for k in w[0]..w[1] {
                buf[self.col[k] as usize] += self.values[k] * xi;
            }
        }
        let (own, ghosts) = buf.split_at(self.pattern.own);
        let mut out = y.local_mut();
        let out = out.as_slice_mut().expect("a 1-D block is contiguous");
        out.copy_from_slice(own);
        self.pattern.return_sums(&self.comm, ghosts, out);
        Ok(())
    }
}

/// A vector split as `want` says, or the same `Err` on every rank (grids are global).
fn check(call: &str, name: &str, got: &Grid, want: &Grid) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(Error::Shape(format!(
        "SparseMatrix::{call}: {name} has length {} in blocks {:?}, the matrix needs length {} in blocks {:?}",
        got.shape().iter().product::<usize>(),
        got.counts(0),
        want.shape()[0],
        want.counts(0)
    )))
}
