//! Where a DistArray's blocks lie in a C- or Fortran-ordered file of its values
//! ([`Placement`], [`runs`]), and the positioned reads and writes that move them: each rank
//! its own runs, 1 MiB at a time on its threads ([`read_runs`], `write_block_at`), files
//! preallocated first ([`allocate`]) and renamed into place last ([`rename_into_place`]).
//! The formats (`.npy`, `.npz`, raw, HDF5, checkpoints) build on these.

use std::any::TypeId;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use ndarray::{Dimension, IxDyn};
use rayon::prelude::*;

use crate::collective::element::Element;
use crate::data::alloc::zeroed_vec;
use crate::data::summarize::IO_BYTES;
use crate::distarray::array::{shaped, DistArray};
use crate::distarray::grid::Grid;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

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
/// its block filled by `fill` in file order; every failure agreed on (`path` names the data
/// in messages). The body of [`DistArray::read_npy`], `read_npz`, `read_raw` and
/// `read_hdf5`.
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
            "{}: the data's shape is {shape:?}, the grid's {:?}",
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

/// Gives `f` its full `len` bytes (sparse), after checking that the file system has room
/// for them (`statvfs` of the folder of `path`): a disk too small says so now, in one line,
/// rather than in the middle of the ranks' writes (Open MPI's MPI-IO reported a full tmpfs as
/// a successful collective write). `posix_fallocate` would make that certain; with it 800 MB
/// `.npy` writes took 1.75 s against 0.73 s for the same bytes in HDF5 (ext4), measured
/// before the benchmark kept this disk's discard of replaced files out of its timings
/// (docs/performance.md), so part of that gap may have been the discard.
pub(crate) fn allocate(f: &File, path: &Path, len: u64) -> std::io::Result<()> {
    if let Ok(c) = std::ffi::CString::new(folder_of(path).as_os_str().as_encoded_bytes()) {
        // SAFETY: `c` is a NUL-terminated path and `fs` a valid out-pointer for one statvfs.
        let mut fs: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(c.as_ptr(), &mut fs) } == 0 {
            let free = fs.f_bavail as u64 * fs.f_frsize as u64;
            let have = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len > free + have {
                return Err(std::io::Error::other(format!(
                    "No space left on device: the file needs {len} bytes, the file system \
                         has {free} free"
                )));
            }
        }
    }
    f.set_len(len)
}

/// Renames the finished (synced) file `tmp` to `path` and syncs the directory, so that the
/// new file, and not the old one or none, is what the path holds after a crash.
pub(crate) fn rename_into_place(tmp: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::rename(tmp, path)?;
    File::open(folder_of(path))?.sync_all()
}

/// The folder holding `path` (`.` for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The `bool` elements of a block read as bytes are 0 or 1 (other bytes are no `bool`).
pub(crate) fn check_bools<T: Element>(path: &Path, values: &[T]) -> Result<()> {
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
