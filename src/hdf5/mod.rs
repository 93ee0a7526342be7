//! HDF5 files (the `hdf5` cargo feature): DistArrays read from any dataset onto any grid
//! ([`DistArray::read_hdf5`](crate::DistArray::read_hdf5)) and written as datasets
//! ([`Writer`], [`DistArray::write_hdf5`](crate::DistArray::write_hdf5)), N-D, every numpy
//! number type a DistArray holds, with attributes ([`Writer::attr`], [`read_attr`]).
//!
//! Contiguous, unfiltered datasets (the default, and what h5py writes unless asked for
//! chunks) are read and written like `.npy` files: each rank its own block, by position on
//! its threads or by one collective MPI-IO call, as [`io::Transfer`](crate::io::Transfer)'s
//! rule says, in either byte order when reading. Chunked and compressed datasets go
//! through the system's HDF5 library (the `hdf5-metno` crate): every rank reads its own
//! hyperslab; writes are one collective call of parallel HDF5 where the libhdf5 found at
//! build time is the MPI build (Debian's `libhdf5-openmpi-dev`; [`PARALLEL`] says which),
//! and take turns, one rank at a time, through the serial build (`libhdf5-dev`). Files are
//! written under a temporary name and renamed once complete.
//!
//! parsum reads its `--input FILE.h5:/PATH` through the same code ([`open`], [`Reader`]) and
//! `parsum gen --format h5` writes through [`write_values`].
//!
//! Turn the feature on in your `Cargo.toml` (it needs `libhdf5-dev`, which
//! `scripts/setup.sh` installs):
//! ```toml
//! mpikit = { git = "...", features = ["hdf5"] }
//! ```
//!
//! ```no_run
//! use mpikit::hdf5::{read_attr, Storage, Writer};
//! use mpikit::{ndarray::Ix3, DistArray, Grid};
//!
//! mpikit::run(|world| {
//!     let size = world.size() as usize;
//!     let grid = Grid::balanced(&[40, 30, 20], size, &[0, 1, 2])?;
//!     let t = DistArray::<f64, Ix3>::from_fn(world, grid, |i| (i[0] + i[1] + i[2]) as f64)?;
//!     let mut out = Writer::create(world, "run.h5".as_ref())?;
//!     out.write("/fields/t", &t, &Storage::Contiguous)?;
//!     out.write("/fields/t_packed", &t, &Storage::deflate(4))?;
//!     out.attr("/fields/t", "units", &"K")?;
//!     out.attr("/", "step", &10u64)?;
//!     out.finish()?;
//!     // Read back on another layout: rows of ranks.
//!     let back = DistArray::<f64, Ix3>::read_hdf5(world, "run.h5".as_ref(), "/fields/t_packed", |s| {
//!         Ok(Grid::rows(s, size))
//!     })?;
//!     assert_eq!(back.sum()?, t.sum()?);
//!     let step: u64 = read_attr(world, "run.h5".as_ref(), "/", "step")?;
//!     assert_eq!(step, 10);
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```
//!
//! h5py reads these files as it reads its own: `h5py.File("run.h5")["fields/t"][...]`, and
//! `f["fields/t"].attrs["units"]`.

mod array;
mod attrs;
mod find;
mod layout;
#[cfg(mpikit_hdf5_parallel)]
mod parallel;
mod reader;
mod types;
mod values;
mod writer;

pub use attrs::read_attr;
pub use find::{is_hdf5, split};
pub use layout::{open, Access, Opened};
pub use reader::Reader;
pub use values::write_values;
pub use writer::{Storage, Writer};

/// Whether this build's libhdf5 is the MPI build, so that chunked datasets are written by
/// every rank at once (parallel HDF5 over MPI-IO) rather than one rank at a time. Which
/// libhdf5 is found is `hdf5-metno-sys`'s choice at build time: `HDF5_DIR` if set, else
/// pkg-config's `hdf5` (on Debian, the MPI build once `libhdf5-openmpi-dev` is installed).
/// It must be built for the MPI mpikit uses.
///
/// # Examples
/// ```
/// println!("parallel HDF5: {}", mpikit::hdf5::PARALLEL);
/// ```
pub const PARALLEL: bool = cfg!(mpikit_hdf5_parallel);
