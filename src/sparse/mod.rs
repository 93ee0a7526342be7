//! Distributed sparse matrices: a [`SparseMatrix`] holds a block of consecutive rows per rank
//! in compressed sparse rows (PETSc's `MPIAIJ`, scipy's `csr_matrix` cut by rows), built
//! from (row, column, value) triplets that any rank may give (duplicates summed), and
//! multiplies [`DistArray`](crate::DistArray) vectors: `y = A·x`
//! ([`matvec`](SparseMatrix::matvec)) moves only the entries of `x` that each rank's rows
//! read from other ranks, point to point, by a pattern worked out once when the matrix is
//! built (never an allgather of `x`); `y = Aᵀ·x`
//! ([`transpose_matvec`](SparseMatrix::transpose_matvec)); the number of entries, row sums,
//! the diagonal; Matrix Market files read and written by every rank.
//!
//! Every method that communicates is collective, and every problem with the input (an entry
//! outside the shape, a vector split unlike the matrix, a malformed file) is the same `Err` on
//! every rank.
//!
//! ```no_run
//! use mpikit::ndarray::Ix1;
//! use mpikit::sparse::SparseMatrix;
//! use mpikit::{DistArray, Grid};
//!
//! mpikit::run(|world| {
//!     let (p, n) = (world.size() as usize, 1000);
//!     let grid = Grid::rows(&[n], p);
//!     // A ring: row i holds 1 at column i and 0.5 at column i + 1 (mod n). Rank 0 gives
//!     // every entry; each travels to the rank owning its row.
//!     let t: Vec<(usize, usize, f64)> = if world.rank() == 0 {
//!         (0..n).flat_map(|i| [(i, i, 1.0), (i, (i + 1) % n, 0.5)]).collect()
//!     } else {
//!         Vec::new()
//!     };
//!     let a = SparseMatrix::from_triplets(world, grid.clone(), grid.clone(), &t)?;
//!     let x = DistArray::<f64, Ix1>::from_fn(world, grid.clone(), |i| i[0] as f64)?;
//!     let mut y = DistArray::<f64, Ix1>::zeros(world, grid)?;
//!     for _ in 0..10 {
//!         a.matvec_into(&x, &mut y)?; // one neighbour entry moves per rank boundary
//!     }
//!     println!("{} entries, sum of A·x = {}", a.nnz()?, y.sum()?);
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub(crate) mod build;
pub(crate) mod market;
pub(crate) mod matrix;
pub(crate) mod multiply;
pub(crate) mod pattern;

pub use matrix::{SparseElement, SparseMatrix};
