//! `.npy` files in parallel: every rank reads its own block with positioned reads (C- or
//! Fortran-ordered files, any grid), threads reading 1 MiB at a time; writes go to a
//! temporary file renamed once every rank has succeeded. Errors are agreed on every rank.

use std::any::TypeId;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use ndarray::{Dimension, IxDyn};
use num_complex::Complex;
use rayon::prelude::*;

use crate::collective::element::Element;
use crate::collective::object::ObjectCollectives;
use crate::data::alloc::zeroed_vec;
use crate::data::summarize::IO_BYTES;
use crate::distarray::array::{shaped, DistArray};
use crate::distarray::grid::Grid;
use crate::distarray::mpiio::{self, Direction, Transfer};
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

/// Runs of a block that are contiguous in a C-ordered file of `shape`: (first flat index in
/// the file, length), in the block's standard order.
pub(crate) fn runs(shape: &[usize], offset: &[usize], block: &[usize]) -> Vec<(usize, usize)> {
    let n = shape.len();
    if block.contains(&0) {
        return Vec::new();
    }
    // Axes k.. that the block spans whole (after its first partial axis) merge into one run.
    let mut k = n - 1;
    while k > 0 && block[k] == shape[k] {
        k -= 1;
    }
    // Axes after k are whole, so the run is block[k] rows of everything after k.
    let run: usize = block[k..].iter().product();
    let mut out = Vec::new();
    let mut index = vec![0usize; k];
    loop {
        let first = (0..n).fold(0, |acc, a| {
            let i = if a < k {
                offset[a] + index[a]
            } else {
                offset[a]
            };
            acc * shape[a] + i
        });
        out.push((first, run));
        let mut a = k;
        loop {
            if a == 0 {
                return out;
            }
            a -= 1;
            index[a] += 1;
            if index[a] < block[a] {
                break;
            }
            index[a] = 0;
        }
    }
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
                        // SAFETY: Element types are plain numbers: any bytes read are values (a
                        // bool block is checked below).
                        let bytes = unsafe {
                            std::slice::from_raw_parts_mut(
                                values.as_mut_ptr().cast::<u8>(),
                                std::mem::size_of_val(values),
                            )
                        };
                        let placed = (&fshape[..], &foffset[..], &fblock[..]);
                        mpiio::transfer(
                            comm.as_comm(),
                            path,
                            offset,
                            width,
                            placed,
                            Direction::Read(bytes),
                        )?;
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
        let comm = &*self.comm;
        let name = path.display();
        let header = npy_header(descr::<T>(), self.grid.shape());
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
                f.write_all_at(&header, 0)?;
                allocate(&f, (header.len() + self.len() * width) as u64)
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
                std::fs::rename(&tmp, path).map_err(io)
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
}

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Writes this rank's block into `file`, a C-ordered array of the grid's shape whose
    /// first element is at byte `data_offset`: positioned writes of 1 MiB on the threads,
    /// then `fsync`.
    pub(crate) fn write_block_at(&self, f: &File, data_offset: u64) -> std::io::Result<()> {
        let width = std::mem::size_of::<T>();
        let local = self.local_elements();
        let runs = runs(
            self.grid.shape(),
            &self.offset,
            &self.grid.block_shape(self.rank),
        );
        let mut pos = 0;
        let mut jobs = Vec::new();
        for (first, len) in runs {
            for p in (0..len).step_by((IO_BYTES / width).max(1)) {
                let n = (IO_BYTES / width).max(1).min(len - p);
                jobs.push((first + p, pos + p, n));
            }
            pos += len;
        }
        self.pool.install(|| {
            jobs.par_iter().try_for_each(|&(file_at, at, n)| {
                // SAFETY: Element types are plain numbers: their bytes are the file's data.
                let bytes = unsafe {
                    std::slice::from_raw_parts(local[at..at + n].as_ptr().cast::<u8>(), n * width)
                };
                f.write_all_at(bytes, data_offset + (file_at * width) as u64)
            })
        })?;
        f.sync_all()
    }
}

/// Where the blocks of an array of a grid lie in a file of its values in C or Fortran order.
pub(crate) struct Placement<'g> {
    /// The array's shape.
    pub shape: &'g [usize],
    /// The grid.
    pub grid: &'g Grid,
    /// Fortran-ordered file.
    pub fortran: bool,
    /// This rank.
    pub rank: usize,
}

impl Placement<'_> {
    /// Rank `rank`'s block as a block of a C-ordered file (a Fortran-ordered file of shape S
    /// is a C-ordered one of reversed(S)): file shape, block offset, block shape.
    pub fn file_block(&self, rank: usize) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
        let (block, start) = (self.grid.block_shape(rank), self.grid.block_offset(rank));
        let rev = |v: &[usize]| -> Vec<usize> { v.iter().rev().copied().collect() };
        match self.fortran {
            true => (rev(self.shape), rev(&start), rev(&block)),
            false => (self.shape.to_vec(), start, block),
        }
    }

    /// Rank `rank`'s runs in the file: (first flat index, length), in file order.
    pub fn runs(&self, rank: usize) -> Vec<(usize, usize)> {
        let (shape, offset, block) = self.file_block(rank);
        runs(&shape, &offset, &block)
    }
}

/// Makes the array of `shape` (C or Fortran order in its file) laid out by `grid(shape)`,
/// its block filled by `fill` in file order; every failure agreed on. The body of
/// [`DistArray::read_npy`] and `read_npz`.
pub(crate) fn read_placed<T: Element, D: Dimension, A: Comm + ?Sized>(
    comm: &A,
    path: &Path,
    (shape, fortran): (Vec<usize>, bool),
    grid: impl FnOnce(&[usize]) -> Result<Grid>,
    fill: impl FnOnce(&Placement<'_>, &mut [T], &rayon::ThreadPool) -> Result<()>,
) -> Result<DistArray<T, D>> {
    let grid = agree_on(comm.as_comm(), grid(&shape))?;
    let mut out = DistArray::<T, D>::zeros(comm, grid)?;
    if out.grid.shape() != shape.as_slice() {
        return Err(Error::Shape(format!(
            "{}: the file's shape is {shape:?}, the grid's {:?}",
            path.display(),
            out.grid.shape()
        )));
    }
    let block = out.grid.block_shape(out.rank);
    let place = Placement {
        shape: &shape,
        grid: &out.grid,
        fortran,
        rank: out.rank,
    };
    let mut values = zeroed_vec(block.iter().product());
    let read = fill(&place, &mut values, &out.pool);
    agree_on(&*out.comm, read)?;
    let data = if fortran {
        let fblock: Vec<usize> = block.iter().rev().copied().collect();
        let transposed = shaped::<T, IxDyn>(&fblock, values)?.reversed_axes();
        shaped(&block, transposed.iter().copied().collect())?
    } else {
        shaped(&block, values)?
    };
    out.data = data;
    Ok(out)
}

/// Gives `f` its full `len` bytes on disk (`posix_fallocate`), so that a disk too small
/// says so now, in one line, rather than in the middle of the ranks' writes (Open MPI's
/// MPI-IO reported a full tmpfs as a successful collective write); where the file system
/// cannot preallocate (some NFS), the file is extended sparsely instead.
pub(crate) fn allocate(f: &File, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    if len == 0 {
        return f.set_len(0);
    }
    // SAFETY: a valid open file descriptor and a byte range; no memory is passed.
    let code = unsafe { libc::posix_fallocate(f.as_raw_fd(), 0, len as libc::off_t) };
    match code {
        0 => f.set_len(len),
        libc::EOPNOTSUPP | libc::EINVAL => f.set_len(len),
        e => Err(std::io::Error::from_raw_os_error(e)),
    }
}

/// The `bool` elements of a block read as bytes are 0 or 1 (other bytes are no `bool`).
fn check_bools<T: Element>(path: &Path, values: &[T]) -> Result<()> {
    if TypeId::of::<T>() != TypeId::of::<bool>() {
        return Ok(());
    }
    // SAFETY: T is bool here, one byte each; reading the bytes reads what was written.
    let bytes = unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), values.len()) };
    if bytes.iter().any(|&b| b > 1) {
        return Err(Error::input(format!(
            "{}: a bool element is neither 0 nor 1",
            path.display()
        )));
    }
    Ok(())
}

/// Reads the block's runs of the file into `values` (the block in standard order), 1 MiB at
/// a time on the pool's threads; `bool` bytes other than 0 and 1 are an error.
pub(crate) fn read_runs<T: Element>(
    path: &Path,
    data_offset: u64,
    shape: &[usize],
    offset: &[usize],
    block: &[usize],
    values: &mut [T],
    pool: &rayon::ThreadPool,
) -> Result<()> {
    let name = path.display();
    let io = |e: std::io::Error| Error::input(format!("{name}: {e}"));
    let file = File::open(path).map_err(io)?;
    let width = std::mem::size_of::<T>();
    let step = (IO_BYTES / width).max(1);
    let mut jobs: Vec<(usize, &mut [T])> = Vec::new();
    let mut rest = values;
    for (first, len) in runs(shape, offset, block) {
        let (mut run, tail) = rest.split_at_mut(len);
        rest = tail;
        let mut at = first;
        while !run.is_empty() {
            let n = step.min(run.len());
            let (piece, more) = run.split_at_mut(n);
            jobs.push((at, piece));
            run = more;
            at += n;
        }
    }
    let is_bool = TypeId::of::<T>() == TypeId::of::<bool>();
    pool.install(|| {
        jobs.into_par_iter().try_for_each(|(at, piece)| {
            let mut bytes = vec![0u8; std::mem::size_of_val(piece)];
            file.read_exact_at(&mut bytes, data_offset + (at * width) as u64)
                .map_err(io)?;
            if is_bool && bytes.iter().any(|&b| b > 1) {
                return Err(Error::input(format!(
                    "{name}: a bool element is neither 0 nor 1"
                )));
            }
            // SAFETY: Element types are plain numbers (and bools, checked above), so any
            // bytes of their size are a value.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    bytes.as_ptr(),
                    piece.as_mut_ptr().cast(),
                    bytes.len(),
                );
            }
            Ok(())
        })
    })
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

    #[test]
    fn runs_cover_blocks_in_order() {
        // A 4 x 6 x 5 array; a block of 2 x 3 x 5 at (1, 2, 0): whole last axis, so runs of 15.
        assert_eq!(
            runs(&[4, 6, 5], &[1, 2, 0], &[2, 3, 5]),
            vec![(40, 15), (70, 15)]
        );
        // A block partial on the last axis: one run per row.
        assert_eq!(runs(&[3, 4], &[1, 1], &[2, 2]), vec![(5, 2), (9, 2)]);
        // Whole rows: one run.
        assert_eq!(runs(&[3, 4], &[1, 0], &[2, 4]), vec![(4, 8)]);
        assert_eq!(runs(&[3, 4], &[0, 0], &[0, 4]), vec![]);
    }
}
