//! The chunked array as one type: [`DistArray`] holds one block of a global N-D array per
//! rank over a [`Grid`] of ranks, computes on it with the rank's threads, and combines with
//! the other ranks through collectives — reductions, ghost cells ([`Halo`], [`Boundary`])
//! exchanged while interior points compute, stencils ([`Stencil`]), redistribution to
//! another grid and transposes planned once, sorting ([`DistArray::sort`],
//! [`argsort`](DistArray::argsort), [`unique`](DistArray::unique)), gathers, and files:
//! `.npy`, `.npz`, raw binary ([`read_raw`](DistArray::read_raw),
//! [`write_raw`](DistArray::write_raw)) and, with the `hdf5` feature, HDF5.
//!
//! Every method that communicates is collective: every rank calls it, in the same order, and
//! every data-dependent problem is the same `Err` on every rank.
//!
//! ```no_run
//! use mpikit::distarray::{Boundary, Halo, Stencil};
//! use mpikit::ndarray::Ix2;
//! use mpikit::{DistArray, Grid};
//!
//! mpikit::run(|world| {
//!     // A 512 x 512 grid in row blocks, zero past the edges, one ghost row each side.
//!     let grid = Grid::rows(&[512, 512], world.size() as usize);
//!     let mut u = DistArray::<f64, Ix2>::from_fn(world, grid, |i| (i[0] + i[1]) as f64)?;
//!     u.set_halo(Halo::new(2, 1).boundary(0, Boundary::Constant(0.0)).boundary(1, Boundary::Constant(0.0)))?;
//!     let mut v = u.map(|_| 0.0);
//!     // v = the 5-point Laplacian of u over the interior, halos exchanged inside.
//!     let laplacian = Stencil::star(2, 1, -4.0, |_axis, _offset| 1.0);
//!     u.stencil_into(&laplacian, &mut v, &[1..511, 1..511])?;
//!     println!("l1 norm {}", v.norm_l1()?);
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub(crate) mod access;
pub(crate) mod array;
pub(crate) mod copy;
pub(crate) mod count_sort;
pub(crate) mod grid;
pub(crate) mod halo;
pub(crate) mod index;
pub(crate) mod io;
pub(crate) mod local_sort;
pub(crate) mod mpiio;
pub(crate) mod npz_read;
pub(crate) mod npz_write;
pub(crate) mod one_sided;
pub(crate) mod ops;
pub(crate) mod order;
pub(crate) mod placement;
pub(crate) mod plan;
pub(crate) mod redistribute;
pub(crate) mod sort;
pub(crate) mod state;
pub(crate) mod stencil;
pub(crate) mod stencil_iso;
pub(crate) mod stencil_kernel;
pub(crate) mod stencil_walk;

pub use array::DistArray;
pub use grid::Grid;
pub use local_sort::SortElement;
pub use one_sided::OneSided;
pub use state::{Boundary, Halo};
pub use stencil::{Neighbourhood, Stencil};
pub use stencil_kernel::StencilElement;
