//! [`Writer`]: an HDF5 file of DistArrays and attributes, written by every rank and renamed
//! into place once all of it is on disk.

use std::path::{Path, PathBuf};

use hdf5_metno as h5;
use mpi::topology::{Communicator, SimpleCommunicator};
use ndarray::Dimension;
use serde::Serialize;
use serde_json::Value;

use super::find::tidy;
use super::types::{datatype, element_dtype};
use crate::collective::element::Element;
use crate::collective::object::ObjectCollectives;
use crate::data::dtype::{ByteOrder, Dtype};
use crate::distarray::mpiio::Transfer;
use crate::distarray::placement::rename_into_place;
use crate::distarray::DistArray;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

/// How a dataset is stored.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Storage {
    /// One contiguous run of C-ordered values, allocated when the dataset is made and filled
    /// by every rank at once, as `.npy` is written: positioned writes on each rank's threads
    /// or one collective MPI-IO write, by [`Transfer`]'s rule.
    #[default]
    Contiguous,
    /// Chunks of `chunk` elements per axis (about 1 MiB when `None`), deflated at `deflate`
    /// (0-9) if set, written through the HDF5 library: by every rank at once where it is
    /// the MPI build ([`PARALLEL`](super::PARALLEL)), one rank at a time otherwise.
    Chunked {
        /// Elements per chunk along each axis.
        chunk: Option<Vec<usize>>,
        /// zlib level, 0-9.
        deflate: Option<u8>,
    },
}

impl Storage {
    /// Chunked (about 1 MiB a chunk) and deflated at `level` (0-9), as h5py's
    /// `compression="gzip", compression_opts=level`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::hdf5::Storage;
    /// assert_eq!(Storage::deflate(4), Storage::Chunked { chunk: None, deflate: Some(4) });
    /// ```
    pub fn deflate(level: u8) -> Storage {
        Storage::Chunked {
            chunk: None,
            deflate: Some(level),
        }
    }
}

/// Chunk dimensions of about 1 MiB for `shape`: the whole array, the longest axis halved
/// until a chunk fits.
fn default_chunk(shape: &[usize], width: usize) -> Vec<usize> {
    let mut chunk: Vec<usize> = shape.iter().map(|&n| n.max(1)).collect();
    while chunk.iter().product::<usize>() * width > 1 << 20 {
        let (a, _) = chunk
            .iter()
            .enumerate()
            .max_by_key(|(_, &n)| n)
            .unwrap_or((0, &1));
        if chunk[a] == 1 {
            break;
        }
        chunk[a] = chunk[a].div_ceil(2);
    }
    chunk
}

/// An HDF5 file being written by every rank of a communicator: DistArrays as datasets
/// ([`write`](Writer::write)), attributes ([`attr`](Writer::attr)), then
/// [`finish`](Writer::finish), which syncs the file and renames it into place. Until then
/// the data lives in a temporary file beside the target (removed if the writer is dropped
/// unfinished or anything fails), so a reader never sees half a file. Every method is
/// collective and returns the same `Err` on every rank.
///
/// # Examples
/// ```no_run
/// use mpikit::hdf5::{Storage, Writer};
/// use mpikit::{ndarray::Ix3, DistArray, Grid};
/// mpikit::run(|world| {
///     let grid = Grid::balanced(&[64, 64, 64], world.size() as usize, &[0, 1, 2])?;
///     let u = DistArray::<f64, Ix3>::random(world, grid, 7)?;
///     let mut out = Writer::create(world, "fields.h5".as_ref())?;
///     out.write("/fields/u", &u, &Storage::Contiguous)?;
///     out.write("/fields/u_small", &u.map(|x| x as f32), &Storage::deflate(4))?;
///     out.attr("/fields/u", "units", &"m/s")?;
///     out.attr("/", "step", &1200u64)?;
///     out.finish()?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Writer {
    comm: SimpleCommunicator,
    path: PathBuf,
    tmp: PathBuf,
    attrs: Vec<(String, String, Value)>,
    finished: bool,
}

impl Writer {
    /// Starts a new HDF5 file at `path` (replacing any file there once finished): rank 0
    /// creates it under a temporary name in the same directory. Collective.
    pub fn create(comm: &(impl Comm + ?Sized), path: &Path) -> Result<Writer> {
        let comm = comm.as_comm().duplicate();
        let pid = comm.broadcast_object(0, (comm.rank() == 0).then_some(&std::process::id()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(".{}.tmp-{pid}", name.clone().unwrap_or_default()));
        let writer = Writer {
            comm,
            path: path.to_path_buf(),
            tmp,
            attrs: Vec::new(),
            finished: false,
        };
        let created = if writer.comm.rank() == 0 {
            if name.is_none() || path.is_dir() {
                Err(writer.error("not a file name"))
            } else {
                h5::File::create(&writer.tmp)
                    .and_then(|f| f.close())
                    .map_err(|e| writer.error(tidy(&e)))
            }
        } else {
            Ok(())
        };
        agree_on(&writer.comm, created)?;
        Ok(writer)
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::input(format!("{}: {e}", self.path.display()))
    }

    /// Writes `array` as dataset `name` (`/group/dataset`; groups are made as needed),
    /// stored as `storage` says, in the array's element type (native byte order). The
    /// array's ranks must be this writer's. Collective.
    pub fn write<T: Element, D: Dimension>(
        &mut self,
        name: &str,
        array: &DistArray<T, D>,
        storage: &Storage,
    ) -> Result<()> {
        let dtype = element_dtype::<T>();
        let shape = array.grid.shape().to_vec();
        let same = if array.comm.size() != self.comm.size() {
            Err(self.error(format!(
                "{name}: the array is on {} ranks, the writer on {}",
                array.comm.size(),
                self.comm.size()
            )))
        } else {
            Ok(())
        };
        agree_on(&self.comm, same)?;
        let created = if self.comm.rank() == 0 {
            self.create_dataset(name, dtype, &shape, storage)
                .map_err(|e| self.error(format!("{name}: {}", tidy(&e))))
        } else {
            Ok(None)
        };
        let offset = agree_on(&self.comm, created)?;
        let offset = self.comm.broadcast_object(0, offset.as_ref())?;
        if storage == &Storage::Contiguous {
            let block = array.grid.block_shape(array.rank);
            return match Transfer::agreed(&self.comm, None, &self.path, &shape, &block)? {
                Transfer::Positioned => {
                    let written = std::fs::File::options()
                        .write(true)
                        .open(&self.tmp)
                        .and_then(|f| array.write_block_at(&f, offset))
                        .map_err(|e| self.error(format!("{name}: {e}")));
                    agree_on(&self.comm, written)
                }
                Transfer::Collective => array.write_collective(&self.tmp, offset),
            };
        }
        self.write_chunked(name, array, dtype)
    }

    /// Every rank's block of `array` into chunked dataset `name`: one collective write of
    /// parallel HDF5.
    #[cfg(mpikit_hdf5_parallel)]
    fn write_chunked<T: Element, D: Dimension>(
        &self,
        name: &str,
        array: &DistArray<T, D>,
        dtype: Dtype,
    ) -> Result<()> {
        let written = super::parallel::write_slabs(&self.tmp, &self.comm, name, array, dtype)
            .map_err(|e| self.error(format!("{name}: {}", tidy(&e))));
        agree_on(&self.comm, written)
    }

    /// Every rank's block of `array` into chunked dataset `name`, through serial HDF5: one
    /// rank at a time opens the file, writes its hyperslab and closes it (each agreement is
    /// also the turn's barrier).
    #[cfg(not(mpikit_hdf5_parallel))]
    fn write_chunked<T: Element, D: Dimension>(
        &self,
        name: &str,
        array: &DistArray<T, D>,
        dtype: Dtype,
    ) -> Result<()> {
        for turn in 0..self.comm.size() {
            let mine = if turn == self.comm.rank() {
                self.write_slab(name, array, dtype)
                    .map_err(|e| self.error(format!("{name}: {}", tidy(&e))))
            } else {
                Ok(())
            };
            agree_on(&self.comm, mine)?;
        }
        Ok(())
    }

    /// Makes the dataset in the temporary file (rank 0); the byte offset of a contiguous
    /// one's values.
    fn create_dataset(
        &self,
        name: &str,
        dtype: Dtype,
        shape: &[usize],
        storage: &Storage,
    ) -> h5::Result<Option<u64>> {
        use h5::dataset::{AllocTime, FillTime};
        let file = h5::File::open_rw(&self.tmp)?;
        let mut builder = file
            .new_dataset_builder()
            .empty_as(&datatype(dtype, ByteOrder::native())?)
            .shape(shape)
            .create_intermediate_group(true);
        match storage {
            Storage::Contiguous => {
                builder = builder
                    .alloc_time(Some(AllocTime::Early))
                    .fill_time(FillTime::Never);
            }
            Storage::Chunked { chunk, deflate } => {
                let chunk = match chunk {
                    Some(c) if c.len() != shape.len() || c.contains(&0) => {
                        return Err(format!(
                            "chunk {c:?} for a dataset of shape {shape:?}: one positive length \
                             per axis"
                        )
                        .into())
                    }
                    Some(c) => c.clone(),
                    None => default_chunk(shape, dtype.size()),
                };
                if shape.iter().product::<usize>() > 0 {
                    builder = builder.chunk(chunk);
                }
                if let Some(level) = deflate {
                    builder = builder.deflate(*level);
                }
            }
        }
        let ds = builder.create(name)?;
        let offset = match storage {
            Storage::Contiguous if shape.iter().product::<usize>() > 0 => Some(
                ds.offset()
                    .ok_or_else(|| h5::Error::from("the dataset has no space in the file"))?,
            ),
            _ => None,
        };
        drop(ds);
        file.close()?;
        Ok(Some(offset.unwrap_or(0)))
    }

    /// This rank's block of `array` into dataset `name` through the serial library.
    #[cfg(not(mpikit_hdf5_parallel))]
    fn write_slab<T: Element, D: Dimension>(
        &self,
        name: &str,
        array: &DistArray<T, D>,
        dtype: Dtype,
    ) -> h5::Result<()> {
        use super::find::hyperslab;
        use super::types::{recast_slice, with_h5_type};
        use ndarray::IxDyn;
        let block = array.grid.block_shape(array.rank);
        if block.contains(&0) {
            return Ok(());
        }
        let file = h5::File::open_rw(&self.tmp)?;
        let ds = file.dataset(name)?;
        let local = array.local_elements();
        with_h5_type!(dtype, U => {
            let values: &[U] = recast_slice(&local);
            let view = ndarray::ArrayView::from_shape(IxDyn(&block), values)
                .map_err(|e| h5::Error::from(e.to_string()))?;
            ds.as_writer().write_slice(&view, hyperslab(&array.offset, &block))?;
        });
        drop(ds);
        file.close()
    }

    /// Sets attribute `name` of `object` (a dataset or group written before, or `"/"` for
    /// the file) to `value`: numbers, bools and strings as HDF5 scalars, anything else
    /// serde can serialise as its JSON text (read back by
    /// [`read_attr`](crate::hdf5::read_attr)). Written by rank 0 at
    /// [`finish`](Writer::finish), from rank 0's value. Collective.
    pub fn attr(&mut self, object: &str, name: &str, value: &impl Serialize) -> Result<()> {
        let value = super::attrs::to_value(&format!("{object} {name}"), value);
        let value = agree_on(&self.comm, value)?;
        self.attrs
            .push((object.to_string(), name.to_string(), value));
        Ok(())
    }

    /// Writes the attributes, syncs the file and renames it to its path: afterwards the file
    /// is complete on disk, and before, the path holds what it held. Collective.
    pub fn finish(mut self) -> Result<()> {
        let rank = self.comm.rank();
        let closed = if rank == 0 {
            (|| -> Result<()> {
                let file = h5::File::open_rw(&self.tmp).map_err(|e| self.error(tidy(&e)))?;
                for (object, name, value) in &self.attrs {
                    super::attrs::put(&file, object, name, value).map_err(|e| {
                        self.error(format!("attribute {name:?} of {object}: {}", tidy(&e)))
                    })?;
                }
                file.close().map_err(|e| self.error(tidy(&e)))?;
                std::fs::File::open(&self.tmp)
                    .and_then(|f| f.sync_all())
                    .and_then(|()| rename_into_place(&self.tmp, &self.path))
                    .map_err(|e| self.error(e))
            })()
        } else {
            Ok(())
        };
        agree_on(&self.comm, closed)?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.finished && self.comm.rank() == 0 {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::default_chunk;

    #[test]
    fn default_chunks_hold_about_a_mebibyte() {
        assert_eq!(default_chunk(&[100, 10], 8), vec![100, 10]);
        let c = default_chunk(&[4096, 4096], 8);
        assert!(c.iter().product::<usize>() * 8 <= 1 << 20, "{c:?}");
        assert!(c.iter().product::<usize>() * 8 > 1 << 18, "{c:?}");
        assert_eq!(default_chunk(&[0, 5], 8), vec![1, 5]);
    }
}
