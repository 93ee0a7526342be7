//! Reducing a data file across ranks without loading it: every rank streams its own slice
//! through small I/O buffers (positioned reads on a shared file system), or rank 0 reads
//! and scatters piece by piece (a node-local file). No rank holds more than its threads'
//! I/O buffers, so files larger than memory work.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::data::source::{DataFile, ReadAt};

use crate::runtime::world::Comm;
use mpi::topology::Communicator;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::collective::large;
use crate::data::npy::{decode_floats, decode_ints, ByteOrder, Dtype, FileLayout};
use crate::data::partition::Partition;
use crate::error::{Error, Result};
use crate::runtime::progress::Progress;
use crate::stats::summary::{Spec, Summary};

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
struct Grouping {
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
    fn new(layout: &FileLayout, axis: Axis) -> Result<Grouping> {
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
                    Summary::floats(spec)
                } else {
                    Summary::ints()
                }
            })
            .collect()
    }

    /// This rank's element range.
    fn slice(&self, layout: &FileLayout, size: usize, rank: usize) -> Range<u64> {
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
                push(sum, spec, float, &s.column, &s.column_ints, &mut s.skip);
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
                    push(&mut re[0], spec, true, &s.column, &[], &mut s.skip);
                    push(&mut im[0], spec, true, &s.imag, &[], &mut s.skip);
                    i = end;
                    continue;
                }
                let (f, k) = if float {
                    (&s.floats[r], &s.ints[..0])
                } else {
                    (&s.floats[..0], &s.ints[r])
                };
                push(&mut sums[col as usize], spec, float, f, k, &mut s.skip);
                i = end;
            }
        }
    }
}

fn push(sum: &mut Summary, spec: &Spec, float: bool, f: &[f64], k: &[i128], skip: &mut Vec<f64>) {
    if float {
        sum.push_floats(spec, f, skip);
    } else {
        sum.push_ints(spec, k);
    }
}

fn merge_all(into: &mut [Summary], later: &[Summary]) {
    for (a, b) in into.iter_mut().zip(later) {
        a.merge(b);
    }
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
    let tasks = Partition::new(units, pool.current_num_threads().max(1) * 4);
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
        merge_all(&mut total, &p?);
    }
    Ok(total)
}

/// Summarises the data file `file` (a path, or a [`DataFile`] with a reader of its own;
/// described by `layout`, the same on every rank) over all ranks of `comm`: each rank gets
/// the summaries of its own slice, one per group (one, or one per column), still to be
/// combined. Read errors are agreed on by every rank.
#[allow(clippy::too_many_arguments)]
pub fn summarize_file<'f, A: Comm + ?Sized>(
    comm: &A,
    file: impl Into<DataFile<'f>>,
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
    let source: DataFile = file.into();
    let name = source.name();
    let bytes_of = |r: &Range<u64>| (r.end - r.start) * layout.dtype.size() as u64;
    let result = match mode {
        ReadMode::Parallel => {
            let mine = g.slice(layout, size, rank);
            let progress = (progress && rank == 0)
                .then(|| Progress::start("parsum: reading", bytes_of(&mine)));
            let local = source.open().and_then(|f| {
                summarize_range(&*f, layout, &g, spec, mine, pool, progress.as_ref())
                    .map_err(|e| Error::input(format!("{name}: {e}")))
            });
            crate::runtime::agree::agree_on(comm, local)
        }
        ReadMode::Root => {
            let file = (rank == 0).then(|| source.open());
            let progress = (progress && rank == 0).then(|| {
                Progress::start("parsum: reading", layout.len * layout.dtype.size() as u64)
            });
            let local = scatter_rounds(comm, file, layout, &g, spec, pool, progress.as_ref());
            crate::runtime::agree::agree_on(comm, local)
        }
    };
    result
}

/// Rank 0 reads one I/O block per rank per round and scatters them; every rank summarises
/// what it receives. A read error on rank 0 is kept and the rounds go on (with zeros), so
/// no rank is left waiting; the caller agrees on it.
fn scatter_rounds<C: Communicator + ?Sized>(
    comm: &C,
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
    let rounds = longest.div_ceil(block);
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
            let a = (s.start + round * block).min(s.end);
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
                if let Some(f) = &file {
                    if let Err(e) =
                        f.read_exact_at(&mut send[start..], layout.offset + p.start * width)
                    {
                        problem = Some(Error::input(format!("reading the file: {e}")));
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
            merge_all(&mut sums, p);
        }
    }
    match problem {
        Some(e) => Err(e),
        None => Ok(sums),
    }
}

/// This rank's slice of a data file, read again for each pass of an order statistic
/// ([`quantiles`](crate::stats::quantiles), [`median`](crate::stats::median),
/// [`histogram`](crate::stats::histogram)): every rank reads its own slice with positioned reads
/// on its threads, each value as an `f64`.
pub struct FilePasses<'a> {
    file: Box<dyn ReadAt + 'a>,
    layout: &'a FileLayout,
    range: Range<u64>,
    pool: &'a rayon::ThreadPool,
}

impl<'a> FilePasses<'a> {
    /// Opens `file` (a path, or a [`DataFile`] with a reader of its own; laid out as
    /// `layout`, the same on every rank) for this rank's slice; an error opening it is
    /// agreed on by every rank. Complex data has no order: refused.
    pub fn open<A: Comm + ?Sized>(
        comm: &A,
        file: impl Into<DataFile<'a>>,
        layout: &'a FileLayout,
        pool: &'a rayon::ThreadPool,
    ) -> Result<FilePasses<'a>> {
        let comm = comm.as_comm();
        let g = Grouping::new(layout, Axis::All)?;
        let range = g.slice(layout, comm.size() as usize, comm.rank() as usize);
        let source: DataFile<'a> = file.into();
        let file = if layout.dtype.is_complex() {
            Err(Error::input(format!(
                "{}: complex values have no order (no median, quantile or histogram)",
                source.name()
            )))
        } else {
            source.open()
        };
        let file = crate::runtime::agree::agree_on(comm, file)?;
        Ok(FilePasses {
            file,
            layout,
            range,
            pool,
        })
    }
}

impl FilePasses<'_> {
    /// Elements `i..i + n` of the file as `f64`s in `floats` (native `f64` data is read
    /// straight into them; other types through `bytes` and, for integers, `ints`).
    fn read_floats(
        &self,
        i: u64,
        n: u64,
        bytes: &mut Vec<u8>,
        floats: &mut Vec<f64>,
        ints: &mut Vec<i128>,
    ) -> std::io::Result<()> {
        let layout = self.layout;
        let size = layout.dtype.size() as u64;
        if layout.dtype == Dtype::F64 && layout.order == ByteOrder::native() {
            floats.resize(n as usize, 0.0);
            // SAFETY: the f64s' bytes, as a byte slice of the same length; every bit
            // pattern is a valid f64.
            let raw = unsafe {
                std::slice::from_raw_parts_mut(floats.as_mut_ptr().cast::<u8>(), floats.len() * 8)
            };
            return self.file.read_exact_at(raw, layout.offset + i * size);
        }
        bytes.resize((n * size) as usize, 0);
        self.file.read_exact_at(bytes, layout.offset + i * size)?;
        if layout.dtype.is_float() {
            decode_floats(layout.dtype, layout.order, bytes, floats);
        } else {
            decode_ints(layout.dtype, layout.order, bytes, ints);
            floats.clear();
            floats.extend(ints.iter().map(|&v| v as f64));
        }
        Ok(())
    }
}

impl crate::stats::radix::Passes for FilePasses<'_> {
    fn pass<T: Send>(
        &self,
        init: &(dyn Fn() -> T + Sync),
        fold: &(dyn Fn(&mut T, &[f64]) + Sync),
        merge: &(dyn Fn(T, T) -> T + Sync),
    ) -> Result<T> {
        let size = self.layout.dtype.size() as u64;
        let block = (IO_BYTES as u64 / size).max(1);
        let len = (self.range.end - self.range.start) as usize;
        let tasks = Partition::new(len, self.pool.current_num_threads().max(1) * 4);
        let parts: Vec<std::io::Result<T>> = self.pool.install(|| {
            (0..tasks.parts())
                .into_par_iter()
                .map(|t| {
                    let r = tasks.range(t);
                    let (mut i, end) = (
                        self.range.start + r.start as u64,
                        self.range.start + r.end as u64,
                    );
                    let mut acc = init();
                    let (mut bytes, mut floats, mut ints) = (Vec::new(), Vec::new(), Vec::new());
                    while i < end {
                        let n = block.min(end - i);
                        self.read_floats(i, n, &mut bytes, &mut floats, &mut ints)?;
                        fold(&mut acc, &floats);
                        i += n;
                    }
                    Ok(acc)
                })
                .collect()
        });
        let mut total = init();
        for p in parts {
            total = merge(
                total,
                p.map_err(|e| Error::input(format!("reading the file: {e}")))?,
            );
        }
        Ok(total)
    }

    /// Runs of 64 values from up to 2048 places spread evenly over this rank's slice.
    fn sample(&self, want: usize) -> Result<Vec<f64>> {
        let len = self.range.end - self.range.start;
        let run = 64u64.min(len.max(1));
        let places = (want as u64 / run).clamp(1, 2048).min(len.div_ceil(run));
        let mut out = Vec::with_capacity((places * run) as usize);
        let (mut bytes, mut floats, mut ints) = (Vec::new(), Vec::new(), Vec::new());
        for p in 0..places {
            let at = self.range.start + p * len / places;
            let n = run.min(self.range.end - at);
            self.read_floats(at, n, &mut bytes, &mut floats, &mut ints)
                .map_err(|e| Error::input(format!("reading the file: {e}")))?;
            out.extend_from_slice(&floats);
        }
        Ok(out)
    }
}

/// Writes an `.npy` file of `len` elements of `dtype` in parallel: rank 0 creates a
/// temporary file with the header and the full size, every rank writes its slice of the
/// values `value(i)` (as `f64`, converted to `dtype`) with positioned writes, and rank 0
/// renames it to `path` once every rank has succeeded. On any failure the temporary file is
/// removed and every rank returns the same error.
pub fn write_npy<A: Comm + ?Sized>(
    comm: &A,
    path: &Path,
    (dtype, order): (Dtype, ByteOrder),
    len: u64,
    value: &(dyn Fn(u64) -> f64 + Sync),
    pool: &rayon::ThreadPool,
) -> Result<()> {
    let header = FileLayout::npy_header(dtype, order, len)?;
    let start = header.len() as u64;
    let create = |tmp: &Path| -> std::io::Result<()> {
        let f = File::create(tmp)?;
        f.write_all_at(&header, 0)?;
        f.set_len(start + len * dtype.size() as u64)
    };
    let fill = |tmp: &Path, mine: Range<u64>| {
        write_values_at(tmp, start, (dtype, order), mine, value, pool)
    };
    write_file_with(comm, path, &create, &fill, len, false)
}

/// Writes a file atomically across ranks: rank 0 runs `create` on a temporary file beside
/// `path`, then every rank runs `fill` on it for its own block of `0..len` (all at once, or
/// one rank after the other with `one_at_a_time`, for a library that cannot share a file
/// being written), and rank 0 renames it to `path` once every rank has succeeded. Every
/// step's outcome is agreed on; on any failure the temporary file is removed and every rank
/// returns the same error, so no partial file is left at `path`.
pub fn write_file_with<A: Comm + ?Sized>(
    comm: &A,
    path: &Path,
    create: &(dyn Fn(&Path) -> std::io::Result<()> + Sync),
    fill: &(dyn Fn(&Path, Range<u64>) -> std::io::Result<()> + Sync),
    len: u64,
    one_at_a_time: bool,
) -> Result<()> {
    let comm = comm.as_comm();
    let rank = comm.rank();
    let name = path.display();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Rank 0's pid names the temporary file on every rank.
    let pid = crate::collective::object::ObjectCollectives::broadcast_object(
        comm,
        0,
        (rank == 0).then_some(&std::process::id()),
    )?;
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{pid}"));
    let created = if rank == 0 {
        if file_name.is_empty() || path.is_dir() {
            Err(std::io::Error::other("not a file name"))
        } else {
            create(&tmp)
        }
        .map_err(|e| Error::input(format!("--out {name}: {e}")))
    } else {
        Ok(())
    };
    let agreed = crate::runtime::agree::agree_on(comm, created);
    if agreed.is_err() && rank == 0 {
        let _ = std::fs::remove_file(&tmp);
    }
    agreed?;
    let mine = Partition::new(len as usize, comm.size() as usize).range(rank as usize);
    let mine = mine.start as u64..mine.end as u64;
    let write = || fill(&tmp, mine.clone()).map_err(|e| Error::input(format!("--out {name}: {e}")));
    let written = if one_at_a_time {
        // Each agreement is also the turn's barrier.
        (0..comm.size()).try_for_each(|r| {
            let mine = if r == rank { write() } else { Ok(()) };
            crate::runtime::agree::agree_on(comm, mine)
        })
    } else {
        crate::runtime::agree::agree_on(comm, write())
    };
    let done = written.and_then(|()| {
        let renamed = if rank == 0 {
            std::fs::rename(&tmp, path).map_err(|e| Error::input(format!("--out {name}: {e}")))
        } else {
            Ok(())
        };
        crate::runtime::agree::agree_on(comm, renamed)
    });
    if done.is_err() && rank == 0 {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Writes the values `value(i)` for `i` in `range` (as `f64`, converted to `dtype` in
/// `order`) into the existing file at `path`, element `i` at byte `start + i * size`, with
/// positioned writes on the threads of `pool`, then syncs the file.
pub fn write_values_at(
    path: &Path,
    start: u64,
    (dtype, order): (Dtype, ByteOrder),
    range: Range<u64>,
    value: &(dyn Fn(u64) -> f64 + Sync),
    pool: &rayon::ThreadPool,
) -> std::io::Result<()> {
    let width = dtype.size() as u64;
    let f = File::options().write(true).open(path)?;
    let chunk = (IO_BYTES as u64 / width).max(1);
    let blocks: Vec<Range<u64>> = range
        .clone()
        .step_by(chunk as usize)
        .map(|a| a..(a + chunk).min(range.end))
        .collect();
    pool.install(|| {
        blocks.par_iter().try_for_each(|r| {
            let mut bytes = Vec::with_capacity(((r.end - r.start) * width) as usize);
            for i in r.clone() {
                encode(dtype, order, value(i), &mut bytes);
            }
            f.write_all_at(&bytes, start + r.start * width)
        })
    })?;
    f.sync_all()
}

/// Appends `v` as `dtype` in `order` (integers: `v` is whole; out-of-range values wrap
/// modulo 2^bits; bool: `v` odd; complex: `v` + 0i).
fn encode(dtype: Dtype, order: ByteOrder, v: f64, out: &mut Vec<u8>) {
    macro_rules! put {
        ($x:expr) => {
            if order == ByteOrder::Big {
                out.extend($x.to_be_bytes())
            } else {
                out.extend($x.to_le_bytes())
            }
        };
    }
    match dtype {
        Dtype::F64 => put!(v),
        Dtype::F32 => put!(v as f32),
        Dtype::F16 => put!(half::f16::from_f64(v)),
        Dtype::I64 => put!(v as i128 as i64),
        Dtype::I32 => put!(v as i128 as i32),
        Dtype::I16 => put!(v as i128 as i16),
        Dtype::I8 => out.push(v as i128 as i8 as u8),
        Dtype::U64 => put!(v as i128 as u64),
        Dtype::U32 => put!(v as i128 as u32),
        Dtype::U16 => put!(v as i128 as u16),
        Dtype::U8 => out.push(v as i128 as u8),
        Dtype::Bool => out.push(u8::from(v as i128 % 2 != 0)),
        Dtype::C64 => {
            put!(v as f32);
            put!(0f32);
        }
        Dtype::C128 => {
            put!(v);
            put!(0f64);
        }
    }
}
