//! `DistArray::read_hdf5` and `write_hdf5`: a dataset read onto any grid, each rank its own
//! block, and an array written as a file of one dataset.

use std::path::Path;

use hdf5_metno as h5;
use ndarray::{Dimension, IxDyn};

use super::find::{dataset, hyperslab, tidy};
use super::layout::{open, Access};
use super::types::{element_dtype, recast_vec, with_h5_type};
use super::writer::{Storage, Writer};
use crate::collective::element::Element;
use crate::data::dtype::{ByteOrder, Dtype};
use crate::distarray::mpiio::{self, Transfer};
use crate::distarray::placement::{read_placed, read_runs};
use crate::distarray::{DistArray, Grid};
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Reads dataset `dataset` (`/group/name`) of the HDF5 file at `path`, laid out by
    /// `grid(dataset shape)`: each rank reads only its own block. A contiguous, unfiltered
    /// dataset is read as `.npy` is (either byte order), by position on the rank's threads
    /// or by one collective MPI-IO read, as [`Transfer`](crate::io::Transfer)'s rule says; a
    /// chunked or compressed one through the HDF5 library, a hyperslab per rank. The
    /// dataset's type must be `T`'s numpy type (`usize`/`isize` read 64-bit integers). The
    /// same `Err` on every rank for a missing or damaged file, a missing dataset, another
    /// type, or a grid of another shape.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix3, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let size = world.size() as usize;
    ///     let u = DistArray::<f64, Ix3>::read_hdf5(world, "fields.h5".as_ref(), "/fields/u", |shape| {
    ///         Grid::balanced(shape, size, &[0, 1, 2])
    ///     })?;
    ///     println!("mean {}", u.mean()?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn read_hdf5(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        dataset: &str,
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        let want = element_dtype::<T>();
        let opened = open(path, Some(dataset)).and_then(|o| {
            if o.layout.dtype != want {
                return Err(Error::input(format!(
                    "{}:{dataset}: holds {} values, the array is {} ({})",
                    path.display(),
                    o.layout.dtype,
                    want,
                    std::any::type_name::<T>()
                )));
            }
            Ok((o.layout, o.access))
        });
        let (layout, access) = agree_on(comm.as_comm(), opened)?;
        let shape: Vec<usize> = layout.shape.iter().map(|&n| n as usize).collect();
        let label = format!("{}:{dataset}", path.display());
        read_placed(
            comm,
            Path::new(&label),
            (shape, false),
            grid,
            |p, values: &mut [T], pool| {
                let (shape, start, block) = p.file_block(p.rank);
                match access {
                    Access::Direct => {
                        let how = Transfer::agreed(comm.as_comm(), None, path, &shape, &block)?;
                        match how {
                            // Every rank takes part in a collective read, empty blocks too.
                            Transfer::Collective => {
                                let placed = (&shape[..], &start[..], &block[..]);
                                let at = layout.offset;
                                mpiio::read_collective(comm.as_comm(), path, at, placed, values)?;
                            }
                            Transfer::Positioned => {
                                read_runs(
                                    path,
                                    layout.offset,
                                    &shape,
                                    &start,
                                    &block,
                                    values,
                                    pool,
                                )?;
                            }
                        }
                        if layout.order != ByteOrder::native() {
                            swap_bytes(values, layout.dtype);
                        }
                        Ok(())
                    }
                    Access::Library if block.contains(&0) => Ok(()),
                    Access::Library => {
                        let slab = read_slab::<T>(path, dataset, want, &start, &block)?;
                        values.copy_from_slice(&slab);
                        Ok(())
                    }
                }
            },
        )
    }

    /// Writes the array as the HDF5 file `path` holding one dataset, `dataset`, stored as
    /// `storage` says: [`Writer`]'s create, write and finish in one call (use a [`Writer`]
    /// for several datasets or attributes). Collective.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::hdf5::Storage;
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[1000, 10], world.size() as usize))?;
    ///     a.write_hdf5("a.h5".as_ref(), "/a", &Storage::Contiguous)?;
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn write_hdf5(&self, path: &Path, dataset: &str, storage: &Storage) -> Result<()> {
        let mut out = Writer::create(&*self.comm, path)?;
        out.write(dataset, self, storage)?;
        out.finish()
    }
}

/// The block at `start` of shape `block` of dataset `name`, through the library, in C order.
fn read_slab<T: Element>(
    path: &Path,
    name: &str,
    dtype: Dtype,
    start: &[usize],
    block: &[usize],
) -> Result<Vec<T>> {
    let what = format!("{}:{name}", path.display());
    let h5err = |e: h5::Error| Error::input(format!("{what}: {}", tidy(&e)));
    let file = h5::File::open(path).map_err(h5err)?;
    let ds = dataset(&file, &path.display().to_string(), Some(name))?;
    if block.is_empty() {
        return with_h5_type!(dtype, U => {
            ds.read_scalar::<U>().map(|v| recast_vec::<U, T>(vec![v])).map_err(h5err)
        });
    }
    with_h5_type!(dtype, U => {
        let values = ds
            .as_reader()
            .read_slice::<U, _, IxDyn>(hyperslab(start, block))
            .map_err(h5err)?;
        let values = if values.is_standard_layout() {
            values.into_raw_vec_and_offset().0
        } else {
            values.iter().copied().collect()
        };
        Ok(recast_vec::<U, T>(values))
    })
}

/// Reverses the bytes of every element (of `dtype`'s width; complex: each half).
fn swap_bytes<T>(values: &mut [T], dtype: Dtype) {
    let width = match dtype {
        Dtype::C64 => 4,
        Dtype::C128 => 8,
        d => d.size(),
    };
    // SAFETY: the elements' own bytes; every element type is a plain number (or two) and
    // any byte pattern of a reversed number is a number (bool is one byte: never swapped).
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(
            values.as_mut_ptr().cast::<u8>(),
            std::mem::size_of_val(values),
        )
    };
    if width > 1 {
        bytes.chunks_exact_mut(width).for_each(<[u8]>::reverse);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_bytes_read_big_endian_values() {
        let mut v: Vec<u32> = [1u32, 0x0102_0304].iter().map(|x| x.swap_bytes()).collect();
        swap_bytes(&mut v, Dtype::U32);
        assert_eq!(v, [1, 0x0102_0304]);
    }
}
