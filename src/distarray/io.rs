//! `.npy` and raw binary files in parallel: every rank reads its own block with positioned
//! reads (C- or Fortran-ordered files, any grid), threads reading 1 MiB at a time, or by
//! collective MPI-IO ([`Transfer`]); writes go to a temporary file renamed once every rank
//! has succeeded. Raw files (numpy's `a.tofile`) are the values alone, C order, this
//! machine's byte order, the shape given by the caller. Errors are agreed on every rank.

use std::any::TypeId;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use ndarray::Dimension;
use num_complex::Complex;

use crate::collective::element::Element;
use crate::collective::object::ObjectCollectives;
use crate::distarray::array::DistArray;
use crate::distarray::grid::Grid;
use crate::distarray::mpiio::{self, Transfer};
use crate::distarray::placement::{
    allocate, check_bools, read_placed, read_runs, rename_into_place,
};
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

/// numpy's type string of `T` in this machine's byte order (little-endian x86 and Arm).
pub(crate) fn descr<T: 'static>() -> &'static str {
    let t = TypeId::of::<T>();
    let table: [(TypeId, &str); 16] = [
        (TypeId::of::<f64>(), "<f8"),
        (TypeId::of::<f32>(), "<f4"),
        (TypeId::of::<i64>(), "<i8"),
        (TypeId::of::<i32>(), "<i4"),
        (TypeId::of::<i16>(), "<i2"),
        (TypeId::of::<i8>(), "|i1"),
        (TypeId::of::<u64>(), "<u8"),
        (TypeId::of::<u32>(), "<u4"),
        (TypeId::of::<u16>(), "<u2"),
        (TypeId::of::<u8>(), "|u1"),
        (TypeId::of::<usize>(), "<u8"),
        (TypeId::of::<isize>(), "<i8"),
        (TypeId::of::<bool>(), "|b1"),
        (TypeId::of::<Complex<f64>>(), "<c16"),
        (TypeId::of::<Complex<f32>>(), "<c8"),
        (TypeId::of::<()>(), ""),
    ];
    table.iter().find(|(id, _)| *id == t).map_or("", |(_, d)| d)
}

/// A version 1.0 `.npy` header for a C-ordered array (padded to 64 bytes, as numpy does).
pub(crate) fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// What the header of the file at `path` says: type string, shape, Fortran order, and the
/// byte offset of the data; checked against the file's size.
pub(crate) fn read_header(path: &Path, width: usize) -> Result<(String, Vec<usize>, bool, u64)> {
    let name = path.display();
    let io = |e: std::io::Error| Error::input(format!("{name}: {e}"));
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut reader = std::io::BufReader::new(&file);
    let header = npyz::NpyHeader::from_reader(&mut reader)
        .map_err(|e| Error::input(format!("{name}: not a valid npy file: {e}")))?;
    let offset = std::io::Seek::stream_position(&mut reader).map_err(io)?;
    let npy = npyz::NpyFile::with_header(header, std::io::empty());
    let descr = npy.dtype().descr().trim_matches('\'').to_string();
    let shape: Vec<usize> = npy.shape().iter().map(|&n| n as usize).collect();
    let fortran = npy.order() == npyz::Order::Fortran;
    let need = offset + (shape.iter().product::<usize>() * width) as u64;
    if size < need {
        return Err(Error::input(format!(
            "{name}: truncated: {size} bytes, the header's shape {shape:?} needs {need}"
        )));
    }
    Ok((descr, shape, fortran, offset))
}

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Reads an `.npy` file of `T` (the file's type must be `T`'s, little-endian) laid out by
    /// `grid(file shape)`: each rank reads only its own block, with positioned reads on its
    /// threads, 1 MiB at a time. C- and Fortran-ordered files both work (a Fortran-ordered
    /// block is read as its transpose and copied once into standard order). The same `Err`
    /// on every rank for a missing, truncated or mistyped file, or a grid of another shape.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let size = world.size() as usize;
    ///     let a = DistArray::<f64, Ix2>::read_npy(world, "data.npy".as_ref(), |shape| {
    ///         Grid::balanced(shape, size, &[0, 1])
    ///     })?;
    ///     a.map(|x| x * x).write_npy("squares.npy".as_ref())?;
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn read_npy(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        Self::read_npy_using(comm, path, None, grid)
    }

    /// [`read_npy`](Self::read_npy) by `transfer` (`None`: [`Transfer::auto`]'s rule):
    /// positioned reads on each rank's threads, or one collective MPI-IO read per rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::Transfer;
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let size = world.size() as usize;
    ///     let rows = |shape: &[usize]| Ok(Grid::rows(shape, size));
    ///     let a = DistArray::<f64, Ix2>::read_npy_using(world, "a.npy".as_ref(), Some(Transfer::Collective), rows)?;
    ///     println!("{}", a.sum()?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn read_npy_using(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        transfer: Option<Transfer>,
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        let width = std::mem::size_of::<T>();
        let want = descr::<T>();
        let header = read_header(path, width).and_then(|(d, shape, fortran, offset)| {
            if d != want {
                return Err(Error::input(format!(
                    "{}: holds dtype '{d}', the array is '{want}' ({})",
                    path.display(),
                    std::any::type_name::<T>()
                )));
            }
            Ok((shape, fortran, offset))
        });
        let (shape, fortran, offset) = agree_on(comm.as_comm(), header)?;
        Self::read_values_at(comm, path, (shape, fortran), offset, transfer, grid)
    }

    /// Reads a file whose values (C or Fortran order, of `shape`, `T`'s native bytes) start
    /// at byte `offset`, laid out by `grid(shape)`: each rank its own block, by `transfer`
    /// (`None`: [`Transfer::auto`]'s rule). Collective; the same `Err` on every rank.
    pub(crate) fn read_values_at(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        (shape, fortran): (Vec<usize>, bool),
        offset: u64,
        transfer: Option<Transfer>,
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        read_placed(
            comm,
            path,
            (shape, fortran),
            grid,
            |p, values: &mut [T], pool| {
                let (fshape, foffset, fblock) = p.file_block(p.rank);
                let how = Transfer::agreed(comm.as_comm(), transfer, path, &fshape, &fblock)?;
                match how {
                    Transfer::Positioned => {
                        read_runs(path, offset, &fshape, &foffset, &fblock, values, pool)
                    }
                    Transfer::Collective => {
                        let placed = (&fshape[..], &foffset[..], &fblock[..]);
                        mpiio::read_collective(comm.as_comm(), path, offset, placed, values)?;
                        check_bools(path, values)
                    }
                }
            },
        )
    }

    /// Writes the array as a C-ordered `.npy` file: rank 0 creates a temporary file beside
    /// `path` with the header and the full size, every rank writes its block with positioned
    /// writes on its threads, and rank 0 renames it to `path` once every rank has succeeded;
    /// on any failure the temporary file is removed and every rank returns the same `Err`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let size = world.size() as usize;
    ///     // numpy's np.arange(1000).reshape(100, 10), saved as "a.npy".
    ///     let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[100, 10], size))?;
    ///     a.write_npy("a.npy".as_ref())?;
    ///     // Read back in another layout.
    ///     let b = DistArray::<f64, Ix2>::read_npy(world, "a.npy".as_ref(), |shape| Grid::balanced(shape, size, &[0, 1]))?;
    ///     assert_eq!(b.sum()?, a.sum()?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn write_npy(&self, path: &Path) -> Result<()> {
        self.write_npy_using(path, None)
    }

    /// [`write_npy`](Self::write_npy) by `transfer` (`None`: [`Transfer::auto`]'s rule):
    /// positioned writes on each rank's threads, or one collective MPI-IO write per rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::Transfer;
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[100, 10], world.size() as usize))?;
    ///     a.write_npy_using("a.npy".as_ref(), Some(Transfer::Collective))?;
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn write_npy_using(&self, path: &Path, transfer: Option<Transfer>) -> Result<()> {
        let header = npy_header(descr::<T>(), self.grid.shape());
        self.write_values_after(path, &header, transfer)
    }

    /// Writes `header` and then the values in C order (`T`'s native bytes) as the file
    /// `path`, atomically: a temporary file of the full size made by rank 0, every rank's
    /// block written by `transfer` (`None`: [`Transfer::auto`]'s rule), synced, renamed into
    /// place once every rank has succeeded. Collective; the same `Err` on every rank.
    pub(crate) fn write_values_after(
        &self,
        path: &Path,
        header: &[u8],
        transfer: Option<Transfer>,
    ) -> Result<()> {
        let comm = &*self.comm;
        let name = path.display();
        let width = std::mem::size_of::<T>();
        let pid = comm.broadcast_object(0, (self.rank == 0).then_some(&std::process::id()))?;
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{pid}",
            file_name.clone().unwrap_or_default()
        ));
        let io = |e: std::io::Error| Error::input(format!("{name}: {e}"));
        let created = if self.rank == 0 {
            (|| -> std::io::Result<()> {
                if file_name.is_none() || path.is_dir() {
                    return Err(std::io::Error::other("not a file name"));
                }
                let f = File::create(&tmp)?;
                f.write_all_at(header, 0)?;
                allocate(&f, &tmp, (header.len() + self.len() * width) as u64)
            })()
            .map_err(io)
        } else {
            Ok(())
        };
        let created = agree_on(comm, created);
        if created.is_err() && self.rank == 0 {
            let _ = std::fs::remove_file(&tmp);
        }
        created?;
        let block = self.grid.block_shape(self.rank);
        let written = match Transfer::agreed(comm, transfer, path, self.grid.shape(), &block) {
            Ok(Transfer::Positioned) => File::options()
                .write(true)
                .open(&tmp)
                .map_err(io)
                .and_then(|f| self.write_block_at(&f, header.len() as u64).map_err(io)),
            Ok(Transfer::Collective) => self.write_collective(&tmp, header.len() as u64),
            Err(e) => Err(e),
        };
        let done = agree_on(comm, written).and_then(|()| {
            let renamed = if self.rank == 0 {
                rename_into_place(&tmp, path).map_err(io)
            } else {
                Ok(())
            };
            agree_on(comm, renamed)
        });
        if done.is_err() && self.rank == 0 {
            let _ = std::fs::remove_file(&tmp);
        }
        done
    }

    /// Reads the raw file at `path` as a C-ordered array of `shape` (`T`'s values in this
    /// machine's byte order, nothing else: numpy's `a.tofile`), laid out by `grid(shape)`:
    /// each rank reads only its own block, as [`read_npy`](Self::read_npy) does. The file
    /// must hold exactly `shape`'s values; the same `Err` on every rank otherwise.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let size = world.size() as usize;
    ///     // numpy: np.arange(1000.0).reshape(100, 10).tofile("a.bin")
    ///     let a = DistArray::<f64, Ix2>::read_raw(world, "a.bin".as_ref(), &[100, 10], |s| {
    ///         Grid::balanced(s, size, &[0, 1])
    ///     })?;
    ///     a.map(|x| 2.0 * x).write_raw("b.bin".as_ref())?; // np.fromfile("b.bin").reshape(100, 10)
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn read_raw(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        shape: &[usize],
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        Self::read_raw_using(comm, path, shape, None, grid)
    }

    /// [`read_raw`](Self::read_raw) by `transfer` (`None`: [`Transfer::auto`]'s rule).
    pub fn read_raw_using(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        shape: &[usize],
        transfer: Option<Transfer>,
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        let name = path.display();
        let need = shape
            .iter()
            .try_fold(std::mem::size_of::<T>(), |n, &k| n.checked_mul(k))
            .ok_or_else(|| Error::input(format!("{name}: a {shape:?} array is too large")));
        let sized = need.and_then(|need| {
            let size = std::fs::metadata(path)
                .map_err(|e| Error::input(format!("{name}: {e}")))?
                .len();
            if size != need as u64 {
                return Err(Error::input(format!(
                    "{name}: {size} bytes, a {shape:?} array of {} is {need}",
                    std::any::type_name::<T>()
                )));
            }
            Ok(())
        });
        agree_on(comm.as_comm(), sized)?;
        Self::read_values_at(comm, path, (shape.to_vec(), false), 0, transfer, grid)
    }

    /// Writes the array's values as the raw file `path` (C order, this machine's byte
    /// order, no header: what numpy's `a.tofile(path)` writes), atomically, each rank its
    /// own block as [`write_npy`](Self::write_npy) does. Collective; the same `Err` on
    /// every rank.
    pub fn write_raw(&self, path: &Path) -> Result<()> {
        self.write_raw_using(path, None)
    }

    /// [`write_raw`](Self::write_raw) by `transfer` (`None`: [`Transfer::auto`]'s rule).
    pub fn write_raw_using(&self, path: &Path, transfer: Option<Transfer>) -> Result<()> {
        self.write_values_after(path, &[], transfer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_back() {
        for shape in [vec![5usize], vec![3, 4], vec![2, 0, 7]] {
            let h = npy_header("<f8", &shape);
            assert_eq!(h.len() % 64, 0);
            let header = npyz::NpyHeader::from_reader(&h[..]).unwrap();
            let npy = npyz::NpyFile::with_header(header, std::io::empty());
            assert_eq!(
                npy.shape(),
                shape.iter().map(|&n| n as u64).collect::<Vec<_>>()
            );
            assert_eq!(npy.dtype().descr(), "'<f8'");
        }
    }
}
