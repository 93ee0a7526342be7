//! `.npz` members into DistArrays: a stored member is read like an `.npy` file (every rank
//! its own runs, by position); a deflated one has no index, so it is inflated from its
//! start, once, by rank 0, in 4 MiB pieces, each piece scattered to the ranks whose blocks
//! hold its bytes.
//!
//! Two ways were measured, reading `np.savez_compressed` of 10^8 random f64 (800 MB, 754 MB
//! deflated) into a 1-D DistArray on this 2-core machine (Open MPI, the best of four reads;
//! the other cores' load varied): rank 0 inflating and scattering took 4.9 s on 1 rank,
//! 6.5 s on 2 and 3.8 s on 4; every rank inflating from the start to the end of its own
//! block (the last rank to the end) took 4.1, 7.1 and 8.2 s. Inflating is the cost (about
//! 200 MB/s of output) and only rank 0 pays it once, while the other way inflates the
//! member's first half again on every rank (2.5 times the work at 4 ranks).

use std::any::TypeId;
use std::path::Path;

use ndarray::Dimension;

use crate::collective::element::Element;
use crate::collective::large;
use crate::data::inflate::{Inflater, Member};
use crate::data::npy::FileLayout;
use crate::distarray::array::DistArray;
use crate::distarray::grid::Grid;
use crate::distarray::io::descr;
use crate::distarray::placement::{read_placed, read_runs, Placement};
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

/// Bytes inflated per piece (and scattered per round when rank 0 inflates).
const PIECE: u64 = 1 << 22;

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Reads array `member` of the `.npz` archive at `path` (its only array when `None`),
    /// laid out by `grid(shape)`, with the checks of [`read_npy`](DistArray::read_npy): the
    /// member's type must be `T`'s (little-endian), C or Fortran order. A stored member
    /// (`np.savez`) is read by position, each rank its own block; a deflated one
    /// (`np.savez_compressed`) is inflated once by rank 0 in 4 MiB pieces, each scattered to
    /// the ranks whose blocks it holds (no rank holds more than its block and two pieces), and
    /// its CRC-32 checked at the end. The same `Err` on
    /// every rank for a missing archive or member, a wrong type or shape, or a damaged
    /// member (bad deflate data, a short stream, a CRC mismatch).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let size = world.size() as usize;
    ///     // np.savez_compressed("run.npz", pressure=p) with p a 2-D float64 array.
    ///     let p = DistArray::<f64, Ix2>::read_npz(world, "run.npz".as_ref(), Some("pressure"), |shape| {
    ///         Grid::balanced(shape, size, &[0, 1])
    ///     })?;
    ///     println!("sum {}", p.sum()?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn read_npz(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        member: Option<&str>,
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        let want = descr::<T>();
        let header = crate::data::npz::member(path, member).and_then(|m| {
            let layout = FileLayout::npz_member(path, &m)?;
            let d = layout.dtype.descr(layout.order);
            if d != want {
                return Err(Error::input(format!(
                    "{}: holds dtype '{d}', the array is '{want}' ({})",
                    m.what,
                    std::any::type_name::<T>()
                )));
            }
            let shape = layout.shape.iter().map(|&n| n as usize).collect();
            Ok((m, shape, layout.fortran, layout.offset))
        });
        let (m, shape, fortran, offset) = agree_on(comm.as_comm(), header)?;
        read_placed(comm, path, (shape, fortran), grid, |p, values, pool| {
            if !m.deflated {
                let (fshape, foffset, fblock) = p.file_block(p.rank);
                return read_runs(path, offset, &fshape, &foffset, &fblock, values, pool);
            }
            inflate_scatter(comm.as_comm(), path, &m, offset, p, values)
        })
    }
}

/// A rank's runs as byte ranges of the member, in file order, with where each starts in
/// the rank's block; walked piece by piece.
struct Cursor {
    runs: Vec<(u64, u64, u64)>,
    next: usize,
}

impl Cursor {
    fn new(runs: &[(usize, usize)], offset: u64, width: u64) -> Cursor {
        let mut local = 0;
        let runs = runs
            .iter()
            .map(|&(first, len)| {
                let run = (offset + first as u64 * width, len as u64 * width, local);
                local += len as u64 * width;
                run
            })
            .collect();
        Cursor { runs, next: 0 }
    }

    /// The parts of the runs inside bytes `a..b` of the member (pieces come in order):
    /// `f(member byte, block byte, length)`.
    fn within(&mut self, a: u64, b: u64, mut f: impl FnMut(u64, u64, u64)) {
        while let Some(&(start, len, local)) = self.runs.get(self.next) {
            if start >= b {
                return;
            }
            let (lo, hi) = (start.max(a), (start + len).min(b));
            if lo < hi {
                f(lo, local + (lo - start), hi - lo);
            }
            if start + len > b {
                return;
            }
            self.next += 1;
        }
    }

    /// The bytes of the runs inside `a..b` (the cursor stays where it is).
    fn count(&self, a: u64, b: u64) -> usize {
        let mut n = 0;
        for &(start, len, _) in self.runs.iter().skip(self.next) {
            if start >= b {
                break;
            }
            n += ((start + len).min(b).saturating_sub(start.max(a))) as usize;
        }
        n
    }
}

/// The block's bytes (element types are plain numbers; bools are checked before use).
fn bytes_of<T: Element>(values: &mut [T]) -> &mut [u8] {
    // SAFETY: the values' own bytes; every byte pattern is written only after it is checked
    // to be a valid `T` (see `copy_checked`).
    unsafe {
        std::slice::from_raw_parts_mut(
            values.as_mut_ptr().cast::<u8>(),
            std::mem::size_of_val(values),
        )
    }
}

/// Copies `src` into `dst`, refusing bool bytes other than 0 and 1.
fn copy_checked<T: 'static>(what: &str, dst: &mut [u8], src: &[u8]) -> Result<()> {
    if TypeId::of::<T>() == TypeId::of::<bool>() && src.iter().any(|&b| b > 1) {
        return Err(Error::input(format!(
            "{what}: a bool element is neither 0 nor 1"
        )));
    }
    dst.copy_from_slice(src);
    Ok(())
}

/// Rank 0 inflates the member in 4 MiB pieces and scatters each piece's bytes to the ranks
/// whose runs hold them. A failure on rank 0 is kept and the rounds go on (with zeros), so
/// no rank is left waiting; the caller agrees on it.
fn inflate_scatter<T: Element, C: mpi::topology::Communicator + ?Sized>(
    comm: &C,
    path: &Path,
    m: &Member,
    offset: u64,
    p: &Placement<'_>,
    values: &mut [T],
) -> Result<()> {
    let width = std::mem::size_of::<T>() as u64;
    let ranks = p.grid.ranks();
    let mut cursors: Vec<Cursor> = (0..ranks)
        .map(|r| Cursor::new(&p.runs(r), offset, width))
        .collect();
    let end = offset + p.shape.iter().product::<usize>() as u64 * width;
    let io = |e: std::io::Error| Error::input(format!("{}: {e}", m.what));
    let mut problem: Option<Error> = None;
    let mut stream = None;
    if comm.rank() == 0 {
        match Inflater::open(path, m).and_then(|mut s| s.skip_to(offset).map(|()| s)) {
            Ok(s) => stream = Some(s),
            Err(e) => problem = Some(io(e)),
        }
    }
    let block = bytes_of(values);
    let mut own = Cursor::new(&p.runs(p.rank), offset, width);
    let (mut piece, mut send, mut recv) = (Vec::new(), Vec::new(), Vec::new());
    let mut a = offset;
    while a < end {
        let b = (a + PIECE).min(end);
        let counts: Vec<usize> = cursors.iter().map(|c| c.count(a, b)).collect();
        if p.rank == 0 {
            piece.resize((b - a) as usize, 0);
            if let Some(s) = &mut stream {
                if let Err(e) = s.fill(&mut piece) {
                    problem = Some(io(e));
                    stream = None;
                }
            }
            send.clear();
        }
        for c in cursors.iter_mut() {
            c.within(a, b, |at, _, len| {
                if p.rank == 0 {
                    send.extend_from_slice(&piece[(at - a) as usize..(at - a + len) as usize]);
                }
            });
        }
        recv.resize(counts[p.rank], 0u8);
        large::scatterv(
            comm,
            0,
            (p.rank == 0).then_some(&send[..]),
            &counts,
            &mut recv,
        );
        let mut from = 0;
        own.within(a, b, |_, local, len| {
            let dst = &mut block[local as usize..(local + len) as usize];
            let src = &recv[from..from + len as usize];
            if let Err(e) = copy_checked::<T>(&m.what, dst, src) {
                problem.get_or_insert(e);
            }
            from += len as usize;
        });
        a = b;
    }
    if let Some(s) = &mut stream {
        if let Err(e) = s.skip_to(m.size) {
            problem = Some(io(e));
        }
    }
    match problem {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
