//! Files read and written by every rank at once: `.npy`, `.npz` and raw binary files
//! summarised in small pieces (each rank its own slice, or rank 0 for all), `.npy` files
//! written in parallel, and any source of bytes through [`ReadAt`] / [`DataFile`].
//!
//! [`FileLayout`] says where the values are and how they are stored ([`Dtype`],
//! [`ByteOrder`]); [`FileSummary`] reduces a file without holding it; [`FilePasses`]
//! reads it again for exact medians and quantiles
//! ([`stats::median`](crate::stats::median)); [`write_npy`] writes a file whose values come
//! from their global index; [`write_file_with`] writes any format atomically across ranks
//! (a temporary file, filled by every rank, renamed once all succeeded), and
//! [`write_values_at`] fills a rank's part of it. Every read and write error is agreed
//! across ranks. DistArray has its own
//! [`write_npy`](crate::DistArray::write_npy) and `read_npy`, and `.npz` archives:
//! [`read_npz`](crate::DistArray::read_npz) reads a stored or deflated member
//! (`np.savez`, `np.savez_compressed`), [`NpzWriter`] writes several arrays into one archive
//! that `np.load` reads, and [`DataFile::npz`] feeds a member to the file readers.
//!
//! ```no_run
//! use mpikit::io::{write_npy, ByteOrder, Dtype, FileLayout, FileSummary};
//! use mpikit::stats::{Stat, Spec};
//! use std::path::Path;
//!
//! mpikit::run(|world| {
//!     let path = Path::new("values.npy");
//!     // 1000 values, value i = i, written by every rank's threads.
//!     write_npy(world, path, (Dtype::F64, ByteOrder::Little), 1000, &|i| i as f64, world.pool())?;
//!     let layout = FileLayout::npy(path)?;
//!     let spec = Spec::new(Stat::Mean);
//!     let mine = FileSummary::new(path, &layout, spec).run(world, world.pool())?;
//!     let mean = mine[0].combine(world)?.result(&spec)?;
//!     if world.is_root() {
//!         println!("mean = {mean}");
//!     }
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```
//!
//! An archive of two arrays of different types, deflated, read back in another layout:
//! ```no_run
//! use mpikit::io::{Compression, NpzWriter};
//! use mpikit::ndarray::{Ix1, Ix2};
//! use mpikit::{DistArray, Grid};
//!
//! mpikit::run(|world| {
//!     let n = world.size() as usize;
//!     let t = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[1000, 100], n))?;
//!     let ids = DistArray::<u32, Ix1>::from_fn(world, Grid::rows(&[1000], n), |i| i[0] as u32)?;
//!     let mut npz = NpzWriter::create(world, "state.npz".as_ref(), Compression::Deflated)?;
//!     npz.add("t", &t)?;
//!     npz.add("ids", &ids)?;
//!     npz.finish()?; // np.load("state.npz")["t"]
//!     let back = DistArray::<f64, Ix2>::read_npz(world, "state.npz".as_ref(), Some("t"), |shape| {
//!         Grid::balanced(shape, n, &[0, 1])
//!     })?;
//!     assert_eq!(back.sum()?, t.sum()?);
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub use crate::data::dtype::{ByteOrder, Dtype};
pub use crate::data::file_summary::FileSummary;
pub use crate::data::npy::{open as open_file, FileLayout};
pub use crate::data::npz::is_zip;
pub use crate::data::passes::FilePasses;
pub use crate::data::source::{DataFile, ReadAt};
pub use crate::data::summarize::{Axis, ReadMode, IO_BYTES};
pub use crate::data::write::{write_file_with, write_npy, write_values_at};
pub use crate::distarray::mpiio::Transfer;
pub use crate::distarray::npz_write::{Compression, NpzWriter};
