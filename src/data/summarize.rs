//! Reducing a data file across ranks without loading it: every rank streams its own slice
//! through small I/O buffers (positioned reads on a shared file system), or rank 0 reads
//! and scatters piece by piece (a node-local file). No rank holds more than its threads'
//! I/O buffers, so files larger than memory work.
use std::ops::Range;

use crate::data::source::{DataFile, ReadAt};

use crate::runtime::world::Comm;
use mpi::topology::Communicator;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::collective::large;
use crate::collective::object::ObjectCollectives;
use crate::data::dtype::Dtype;
use crate::data::npy::{decode_floats, decode_ints, FileLayout};
use crate::data::partition::Partition;
use crate::error::{Error, Result};
use crate::runtime::progress::Progress;
use crate::stats::spec::Spec;
use crate::stats::summary::{FloatSummary, IntSummary, Summary};

/// Bytes per I/O buffer (one per thread; rank 0 in [`ReadMode::Root`] holds one per rank).
pub const IO_BYTES: usize = 1 << 20;

/// Who reads the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadMode {
    /// Every rank reads its own slice (the file is on a shared file system).
    Parallel,
    /// Rank 0 reads everything and scatters it (the file is on rank 0's node only).
    Root,
}

/// What the statistic runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Every element.
    All,
    /// Each column of a 2-D array (numpy's `axis=0`): one result per column.
    Columns,
}

/// How a layout's elements group into the summaries. A complex element counts as two
/// floats, its real and imaginary parts, each with its own summary: groups 2k and 2k + 1.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grouping {
    /// Elements per partition unit (a C-order row when reducing columns, else 1).
    unit: u64,
    /// Number of summaries.
    groups: usize,
    /// C-order rows (`Some(columns)`), Fortran columns (`None` with `column_len`).
    row_len: Option<u64>,
    column_len: u64,
    /// Floats per element: 2 for complex, else 1.
    parts: u64,
}

impl Grouping {
    pub(crate) fn new(layout: &FileLayout, axis: Axis) -> Result<Grouping> {
        let parts = if layout.dtype.is_complex() { 2 } else { 1 };
        match axis {
            Axis::All => Ok(Grouping {
                unit: 1,
                groups: parts as usize,
                // Complex: one row of two parts per element.
                row_len: (parts == 2).then_some(2),
                column_len: layout.len.max(1),
                parts,
            }),
            Axis::Columns => {
                let [rows, cols] = layout.shape[..] else {
                    return Err(Error::input(format!(
                        "--axis 0 needs a 2-D array; this one has shape {:?}",
                        layout.shape
                    )));
                };
                let groups =
                    usize::try_from(cols * parts).map_err(|_| Error::input("too many columns"))?;
                Ok(if layout.fortran {
                    Grouping {
                        unit: 1,
                        groups,
                        row_len: None,
                        column_len: rows.max(1),
                        parts,
                    }
                } else {
                    Grouping {
                        unit: cols.max(1),
                        groups,
                        row_len: Some(cols * parts),
                        column_len: rows.max(1),
                        parts,
                    }
                })
            }
        }
    }

    fn empty(&self, layout: &FileLayout, spec: &Spec) -> Vec<Summary> {
        (0..self.groups)
            .map(|_| {
                if layout.dtype.is_float() {
                    Summary::from(FloatSummary::new(spec))
                } else {
                    Summary::from(IntSummary::new())
                }
            })
            .collect()
    }

    /// This rank's element range.
    pub(crate) fn slice(&self, layout: &FileLayout, size: usize, rank: usize) -> Range<u64> {
        let units = Partition::new((layout.len / self.unit) as usize, size).range(rank);
        units.start as u64 * self.unit..units.end as u64 * self.unit
    }

    /// Elements per I/O block (whole units).
    fn block(&self, dtype: Dtype) -> u64 {
        let per = (IO_BYTES / dtype.size()) as u64;
        (per / self.unit).max(1) * self.unit
    }
}

/// Reusable per-thread buffers.
#[derive(Default)]
struct Scratch {
    floats: Vec<f64>,
    ints: Vec<i128>,
    column: Vec<f64>,
    column_ints: Vec<i128>,
    imag: Vec<f64>,
    skip: Vec<f64>,
}

/// Adds the decoded block of elements `first..first + n` to the summaries.
fn push_block(
    sums: &mut [Summary],
    spec: &Spec,
    layout: &FileLayout,
    g: &Grouping,
    first: u64,
    bytes: &[u8],
    s: &mut Scratch,
) {
    let float = layout.dtype.is_float();
    if float {
        decode_floats(layout.dtype, layout.order, bytes, &mut s.floats);
    } else {
        decode_ints(layout.dtype, layout.order, bytes, &mut s.ints);
    }
    let n = (bytes.len() / layout.dtype.size()) as u64;
    match g.row_len {
        Some(cols) => {
            // Whole C-order rows: gather each column.
            let cols = cols as usize;
            for (c, sum) in sums.iter_mut().enumerate() {
                if float {
                    s.column.clear();
                    s.column.extend(s.floats.iter().skip(c).step_by(cols));
                } else {
                    s.column_ints.clear();
                    s.column_ints.extend(s.ints.iter().skip(c).step_by(cols));
                }
                push(sum, spec, &s.column, &s.column_ints, &mut s.skip);
            }
        }
        None => {
            // Fortran order: runs of one column each.
            let mut i = first;
            while i < first + n {
                let col = i / g.column_len;
                let end = ((col + 1) * g.column_len).min(first + n);
                let r = (i - first) as usize..(end - first) as usize;
                if g.parts == 2 {
                    // Complex: the run's real and imaginary parts, each to its summary.
                    let run = &s.floats[2 * r.start..2 * r.end];
                    s.column.clear();
                    s.column.extend(run.iter().step_by(2));
                    s.imag.clear();
                    s.imag.extend(run.iter().skip(1).step_by(2));
                    let (re, im) = sums[2 * col as usize..].split_at_mut(1);
                    push(&mut re[0], spec, &s.column, &[], &mut s.skip);
                    push(&mut im[0], spec, &s.imag, &[], &mut s.skip);
                    i = end;
                    continue;
                }
                let (f, k) = if float {
                    (&s.floats[r], &s.ints[..0])
                } else {
                    (&s.floats[..0], &s.ints[r])
                };
                push(&mut sums[col as usize], spec, f, k, &mut s.skip);
                i = end;
            }
        }
    }
}

/// The block's values into a group's summary: floats into a float summary, integers into
/// an integer one (`empty` made each group's summary of the layout's kind).
fn push(sum: &mut Summary, spec: &Spec, f: &[f64], k: &[i128], skip: &mut Vec<f64>) {
    match sum {
        Summary::Float(s) => s.push(spec, f, skip),
        Summary::Int(s) => s.push(spec, k),
    }
}

fn merge_all(into: &mut [Summary], later: &[Summary]) -> Result<()> {
    for (a, b) in into.iter_mut().zip(later) {
        a.merge(b)?;
    }
    Ok(())
}

/// Reads elements `range` of the file with positioned reads on the threads of `pool` and
/// summarises them.
fn summarize_range(
    file: &dyn ReadAt,
    layout: &FileLayout,
    g: &Grouping,
    spec: &Spec,
    range: Range<u64>,
    pool: &rayon::ThreadPool,
    progress: Option<&Progress>,
) -> std::io::Result<Vec<Summary>> {
    let block = g.block(layout.dtype);
    let size = layout.dtype.size() as u64;
    let units = ((range.end - range.start) / g.unit) as usize;
    // A sequential source (an inflated member) is read in order by one task.
    let tasks = match file.sequential() {
        true => 1,
        false => pool.current_num_threads().max(1) * 4,
    };
    let tasks = Partition::new(units, tasks);
    let parts: Vec<std::io::Result<Vec<Summary>>> = pool.install(|| {
        (0..tasks.parts())
            .into_par_iter()
            .map(|t| {
                let u = tasks.range(t);
                let (a, b) = (
                    range.start + u.start as u64 * g.unit,
                    range.start + u.end as u64 * g.unit,
                );
                let mut sums = g.empty(layout, spec);
                let mut s = Scratch::default();
                let mut bytes = Vec::new();
                let mut i = a;
                while i < b {
                    let n = block.min(b - i);
                    bytes.resize((n * size) as usize, 0);
                    file.read_exact_at(&mut bytes, layout.offset + i * size)?;
                    push_block(&mut sums, spec, layout, g, i, &bytes, &mut s);
                    if let Some(p) = progress {
                        p.add(n * size);
                    }
                    i += n;
                }
                Ok(sums)
            })
            .collect()
    });
    let mut total = g.empty(layout, spec);
    for p in parts {
        merge_all(&mut total, &p?).map_err(std::io::Error::other)?;
    }
    Ok(total)
}

/// The body of [`FileSummary::run`](crate::io::FileSummary::run).
#[allow(clippy::too_many_arguments)]
pub(crate) fn summarize_file<A: Comm + ?Sized>(
    comm: &A,
    source: DataFile<'_>,
    layout: &FileLayout,
    spec: &Spec,
    axis: Axis,
    mode: ReadMode,
    pool: &rayon::ThreadPool,
    progress: bool,
) -> Result<Vec<Summary>> {
    let comm = comm.as_comm();
    let g = Grouping::new(layout, axis)?;
    let (rank, size) = (comm.rank() as usize, comm.size() as usize);
    let name = source.name();
    let bytes_of = |r: &Range<u64>| (r.end - r.start) * layout.dtype.size() as u64;
    let result = match mode {
        ReadMode::Parallel => {
            let file = crate::runtime::agree::agree_on(comm, source.open())?;
            if file.sequential() {
                // A deflated member: rank 0 inflates it once, in order, and scatters it
                // (measured faster than every rank inflating up to its slice; see
                // DistArray::read_npz).
                let progress = (progress && rank == 0).then(|| {
                    Progress::start("parsum: reading", layout.len * layout.dtype.size() as u64)
                });
                let file = (rank == 0).then_some(Ok(file));
                let local =
                    scatter_rounds(comm, name, file, layout, &g, spec, pool, progress.as_ref());
                return crate::runtime::agree::agree_on(comm, local);
            }
            let mine = g.slice(layout, size, rank);
            let progress = (progress && rank == 0)
                .then(|| Progress::start("parsum: reading", bytes_of(&mine)));
            let local = summarize_range(&*file, layout, &g, spec, mine, pool, progress.as_ref())
                .map_err(|e| Error::input(format!("{name}: {e}")));
            crate::runtime::agree::agree_on(comm, local)
        }
        ReadMode::Root => {
            let file = (rank == 0).then(|| source.open());
            let progress = (progress && rank == 0).then(|| {
                Progress::start("parsum: reading", layout.len * layout.dtype.size() as u64)
            });
            let local = scatter_rounds(comm, name, file, layout, &g, spec, pool, progress.as_ref());
            crate::runtime::agree::agree_on(comm, local)
        }
    };
    result
}

/// Rank 0 reads one I/O block per rank per round and scatters them; every rank summarises
/// what it receives. A read error on rank 0 is kept and the rounds go on (with zeros), so
/// no rank is left waiting; the caller agrees on it.
#[allow(clippy::too_many_arguments)]
fn scatter_rounds<C: Communicator + ?Sized>(
    comm: &C,
    name: &str,
    file: Option<Result<Box<dyn ReadAt + '_>>>,
    layout: &FileLayout,
    g: &Grouping,
    spec: &Spec,
    pool: &rayon::ThreadPool,
    progress: Option<&Progress>,
) -> Result<Vec<Summary>> {
    let size = comm.size() as usize;
    let rank = comm.rank() as usize;
    let width = layout.dtype.size() as u64;
    let block = g.block(layout.dtype);
    let slices: Vec<Range<u64>> = (0..size).map(|r| g.slice(layout, size, r)).collect();
    let longest = slices.iter().map(|r| r.end - r.start).max().unwrap_or(0);
    // A sequential source (an inflated member) is read in file order: round by round, one
    // block of one rank's slice (rank 0's slice first), so the stream never goes back.
    let sequential = file
        .as_ref()
        .is_some_and(|f| f.as_ref().is_ok_and(|f| f.sequential()));
    let sequential: bool = comm.broadcast_object(0, (rank == 0).then_some(&sequential))?;
    let per_rank: Vec<u64> = slices
        .iter()
        .map(|r| (r.end - r.start).div_ceil(block))
        .collect();
    let rounds = match sequential {
        true => per_rank.iter().sum(),
        false => longest.div_ceil(block),
    };
    // In file order, round `k` is block `k - first[r]` of rank r's slice.
    let first: Vec<u64> = per_rank
        .iter()
        .scan(0, |acc, &n| {
            let at = *acc;
            *acc += n;
            Some(at)
        })
        .collect();
    let mut problem: Option<Error> = None;
    let mut file = match file {
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            problem = Some(e);
            None
        }
        None => None,
    };
    let mut sums = g.empty(layout, spec);
    let mut send: Vec<u8> = Vec::new();
    let mut recv: Vec<u8> = Vec::new();
    for round in 0..rounds {
        let piece = |r: usize| {
            let s = &slices[r];
            let k = match sequential {
                true if (first[r]..first[r] + per_rank[r]).contains(&round) => round - first[r],
                true => return s.end..s.end,
                false => round,
            };
            let a = (s.start + k * block).min(s.end);
            a..(a + block).min(s.end)
        };
        let counts: Vec<usize> = (0..size)
            .map(|r| ((piece(r).end - piece(r).start) * width) as usize)
            .collect();
        if rank == 0 {
            send.clear();
            for (r, &count) in counts.iter().enumerate() {
                let p = piece(r);
                let start = send.len();
                send.resize(start + count, 0);
                if let Some(f) = file.as_ref().filter(|_| count > 0) {
                    if let Err(e) =
                        f.read_exact_at(&mut send[start..], layout.offset + p.start * width)
                    {
                        problem = Some(Error::input(format!("{name}: {e}")));
                        file = None;
                    }
                }
            }
            if let Some(p) = progress {
                p.add(send.len() as u64);
            }
        }
        recv.resize(counts[rank], 0);
        large::scatterv(
            comm,
            0,
            (rank == 0).then_some(&send[..]),
            &counts,
            &mut recv,
        );
        let mine = piece(rank);
        if mine.is_empty() {
            continue;
        }
        // Summarise the received block with the threads: whole units per task.
        let units = ((mine.end - mine.start) / g.unit) as usize;
        let tasks = Partition::new(units, pool.current_num_threads().max(1));
        let parts: Vec<Vec<Summary>> = pool.install(|| {
            (0..tasks.parts())
                .into_par_iter()
                .map(|t| {
                    let u = tasks.range(t);
                    let (a, b) = (u.start as u64 * g.unit, u.end as u64 * g.unit);
                    let mut part = g.empty(layout, spec);
                    // The received bytes are decoded in place: no copy per task.
                    let bytes = &recv[(a * width) as usize..(b * width) as usize];
                    push_block(
                        &mut part,
                        spec,
                        layout,
                        g,
                        mine.start + a,
                        bytes,
                        &mut Scratch::default(),
                    );
                    part
                })
                .collect()
        });
        for p in &parts {
            merge_all(&mut sums, p)?;
        }
    }
    match problem {
        Some(e) => Err(e),
        None => Ok(sums),
    }
}
