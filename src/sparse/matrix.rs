//! [`SparseMatrix`]: a block of rows per rank in compressed sparse rows, the columns renumbered
//! locally (the rank's own block of `x` first, then the ghost entries it needs), and the
//! values it can hold ([`SparseElement`]); sizes, row sums and the diagonal.

use std::cell::RefCell;
use std::ops::{Add, AddAssign, Mul, Neg};
use std::rc::Rc;
use std::sync::Arc;

use mpi::topology::SimpleCommunicator;
use ndarray::{Array1, Ix1};
use num_complex::Complex;

use crate::collective::element::Element;
use crate::collective::op::ReduceOp;
use crate::collective::reduce::ArrayReductions;
use crate::distarray::{DistArray, Grid};
use crate::error::{Error, Result};
use crate::sparse::pattern::Pattern;

/// A number a [`SparseMatrix`] holds: `f64`, `f32`, `i64`, `i32`, `Complex<f64>` and
/// `Complex<f32>`, with how each reads from and writes to a Matrix Market file.
///
/// # Examples
/// ```
/// use mpikit::num_complex::Complex;
/// use mpikit::sparse::SparseElement;
/// assert_eq!(f64::FIELD, "real");
/// assert_eq!(Complex::<f64>::from_market(1.5, Some(-2.0)), Some(Complex::new(1.5, -2.0)));
/// assert_eq!(i64::from_market(2.5, None), None); // not an integer
/// assert_eq!(i64::from_market(3.0, None), Some(3));
/// ```
pub trait SparseElement:
    Element + Add<Output = Self> + Mul<Output = Self> + AddAssign + Neg<Output = Self>
{
    /// The Matrix Market field this type writes as: `real`, `integer` or `complex`.
    const FIELD: &'static str;
    /// The value of a Matrix Market entry (`re`, and `im` for a complex file), or `None`
    /// when this type cannot hold it (a fraction for an integer type, a complex value for a
    /// real one).
    fn from_market(re: f64, im: Option<f64>) -> Option<Self>;
    /// The entry as a Matrix Market file writes it (every digit kept).
    fn to_market(self) -> String;
    /// The complex conjugate (the value itself for real types): a Hermitian file's mirror.
    fn conj(self) -> Self {
        self
    }
}

macro_rules! real_elements {
    ($($t:ty),*) => {$(
        impl SparseElement for $t {
            const FIELD: &'static str = "real";
            fn from_market(re: f64, im: Option<f64>) -> Option<Self> {
                im.map_or(true, |i| i == 0.0).then_some(re as $t)
            }
            fn to_market(self) -> String {
                format!("{self:e}")
            }
        }
    )*};
}
macro_rules! integer_elements {
    ($($t:ty),*) => {$(
        impl SparseElement for $t {
            const FIELD: &'static str = "integer";
            fn from_market(re: f64, im: Option<f64>) -> Option<Self> {
                let whole = re.fract() == 0.0 && re >= <$t>::MIN as f64 && re <= <$t>::MAX as f64;
                (whole && im.map_or(true, |i| i == 0.0)).then_some(re as $t)
            }
            fn to_market(self) -> String {
                self.to_string()
            }
        }
    )*};
}
macro_rules! complex_elements {
    ($($t:ty),*) => {$(
        impl SparseElement for Complex<$t> {
            const FIELD: &'static str = "complex";
            fn from_market(re: f64, im: Option<f64>) -> Option<Self> {
                Some(Complex::new(re as $t, im.unwrap_or(0.0) as $t))
            }
            fn to_market(self) -> String {
                format!("{:e} {:e}", self.re, self.im)
            }
            fn conj(self) -> Self {
                Complex::conj(&self)
            }
        }
    )*};
}
real_elements!(f64, f32);
integer_elements!(i64, i32);
complex_elements!(f64, f32);

/// A sparse matrix distributed by rows: each rank holds a block of consecutive rows (the
/// `rows` grid) in compressed sparse rows; the vectors it multiplies are [`DistArray`]s split
/// like its columns (the `cols` grid). See [the module](crate::sparse) for an example.
pub struct SparseMatrix<T: SparseElement> {
    pub(crate) comm: Rc<SimpleCommunicator>,
    pub(crate) pool: Arc<rayon::ThreadPool>,
    pub(crate) rank: usize,
    pub(crate) rows: Grid,
    pub(crate) cols: Grid,
    /// Where each local row's entries start in `col` and `values` (local rows + 1).
    pub(crate) row_start: Vec<usize>,
    /// Each entry's column: below the own block's length, an index into this rank's block of
    /// `x`; above, one of the ghost entries (`pattern.ghosts`).
    pub(crate) col: Vec<u32>,
    pub(crate) values: Vec<T>,
    pub(crate) pattern: Pattern,
    /// This rank's block of `x` followed by its ghost entries, kept between products.
    pub(crate) scratch: RefCell<Vec<T>>,
}

impl<T: SparseElement> SparseMatrix<T> {
    /// The global shape `[rows, columns]`.
    pub fn shape(&self) -> [usize; 2] {
        [self.rows.shape()[0], self.cols.shape()[0]]
    }

    /// How the rows are split over the ranks (a 1-D grid): `y = A·x` is split this way.
    pub fn row_grid(&self) -> &Grid {
        &self.rows
    }

    /// How the columns are split over the ranks (a 1-D grid): `x` in `A·x` is split this way.
    pub fn col_grid(&self) -> &Grid {
        &self.cols
    }

    /// The global index of this rank's first row.
    pub fn first_row(&self) -> usize {
        self.rows.block_offset(self.rank)[0]
    }

    /// The stored entries of this rank's rows (duplicates summed into one).
    pub fn local_nnz(&self) -> usize {
        self.values.len()
    }

    /// The stored entries of the whole matrix, the same on every rank (one allreduce).
    pub fn nnz(&self) -> Result<usize> {
        self.comm.allreduce_scalar(self.local_nnz(), ReduceOp::Sum)
    }

    /// How many x entries of other ranks this rank's rows read: what each product moves in.
    pub fn ghost_count(&self) -> usize {
        self.pattern.ghosts.len()
    }

    /// The global column of local column `c`.
    pub(crate) fn global_col(&self, c: u32) -> usize {
        let own = self.pattern.own;
        let c = c as usize;
        if c < own {
            self.cols.block_offset(self.rank)[0] + c
        } else {
            self.pattern.ghosts[c - own]
        }
    }

    /// This rank's rows as (global row, global column, value), in row order.
    pub fn local_triplets(&self) -> Vec<(usize, usize, T)> {
        let first = self.first_row();
        let mut out = Vec::with_capacity(self.values.len());
        for (i, w) in self.row_start.windows(2).enumerate() {
            for k in w[0]..w[1] {
                out.push((first + i, self.global_col(self.col[k]), self.values[k]));
            }
        }
        out
    }

    /// The sum of each row (`A·1`), split like the rows.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::sparse::SparseMatrix;
    /// use mpikit::Grid;
    /// mpikit::run(|world| {
    ///     let p = world.size() as usize;
    ///     // Rank 0 gives every entry: row i holds i + 1 ones.
    ///     let t: Vec<(usize, usize, f64)> = if world.rank() == 0 {
    ///         (0..4).flat_map(|i| (0..=i).map(move |j| (i, j, 1.0))).collect()
    ///     } else { vec![] };
    ///     let a = SparseMatrix::from_triplets(world, Grid::rows(&[4], p), Grid::rows(&[4], p), &t)?;
    ///     assert_eq!(a.row_sums()?.allgather()?.to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn row_sums(&self) -> Result<DistArray<T, Ix1>> {
        let sums: Vec<T> = self
            .row_start
            .windows(2)
            .map(|w| {
                self.values[w[0]..w[1]]
                    .iter()
                    .fold(T::default(), |acc, &v| acc + v)
            })
            .collect();
        self.row_vector(sums)
    }

    /// The diagonal `A[i, i]`, split like the rows; a matrix that is not square is the same
    /// `Err` on every rank.
    pub fn diagonal(&self) -> Result<DistArray<T, Ix1>> {
        let [m, n] = self.shape();
        if m != n {
            return Err(Error::Shape(format!(
                "SparseMatrix::diagonal needs a square matrix, this one is {m} x {n}"
            )));
        }
        let first = self.first_row();
        let diag: Vec<T> = self
            .row_start
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                (w[0]..w[1])
                    .find(|&k| self.global_col(self.col[k]) == first + i)
                    .map_or(T::default(), |k| self.values[k])
            })
            .collect();
        self.row_vector(diag)
    }

    /// A new vector split like the rows, holding `local` on this rank.
    pub(crate) fn row_vector(&self, local: Vec<T>) -> Result<DistArray<T, Ix1>> {
        DistArray::from_local(&*self.comm, self.rows.clone(), Array1::from_vec(local))
    }
}
