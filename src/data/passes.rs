//! This rank's slice of a data file, read again pass after pass for the order statistics
//! (exact medians, quantiles and histograms): [`FilePasses`], and its sample of the slice
//! for the one-pass route. Every rank reads its own slice with positioned reads on its
//! threads, in I/O buffers of [`IO_BYTES`].

use std::ops::Range;

use mpi::topology::Communicator;
use rayon::prelude::*;

use crate::data::dtype::{ByteOrder, Dtype};
use crate::data::npy::{decode_floats, decode_ints, FileLayout};
use crate::data::partition::Partition;
use crate::data::source::{DataFile, ReadAt};
use crate::data::summarize::{Axis, Grouping, IO_BYTES};
use crate::error::{Error, Result};
use crate::runtime::world::Comm;
use crate::stats::radix::{Fold, Init, Merge, Passes};

/// This rank's slice of a data file, read again for each pass of an order statistic
/// ([`quantiles`](crate::stats::quantiles), [`median`](crate::stats::median),
/// [`histogram`](crate::stats::histogram)): every rank reads its own slice with positioned reads
/// on its threads, each value as an `f64`.
pub struct FilePasses<'a> {
    file: Box<dyn ReadAt + 'a>,
    /// The file's name, for messages.
    name: String,
    layout: &'a FileLayout,
    range: Range<u64>,
    pool: &'a rayon::ThreadPool,
}

impl<'a> FilePasses<'a> {
    /// Opens `file` (a path, or a [`DataFile`] with a reader of its own; laid out as
    /// `layout`, the same on every rank) for this rank's slice; an error opening it is
    /// agreed on by every rank. Complex data has no order: refused.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::{FileLayout, FilePasses};
    /// use mpikit::stats::{quantiles, NanPolicy, QuantileMethod};
    /// use std::path::Path;
    /// mpikit::run(|world| {
    ///     let path = Path::new("values.npy");
    ///     let layout = FileLayout::npy(path)?;
    ///     // Each rank reads its own slice, as often as the selection needs.
    ///     let data = FilePasses::open(world, path, &layout, world.pool())?;
    ///     let q = quantiles(world, &data, &[0.25, 0.75], QuantileMethod::Linear, NanPolicy::Propagate)?;
    ///     println!("{q:?}");
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
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
            name: source.name().to_string(),
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

impl Passes for FilePasses<'_> {
    fn pass<T: Send>(&self, init: Init<T>, fold: Fold<T>, merge: Merge<T>) -> Result<T> {
        let size = self.layout.dtype.size() as u64;
        let block = (IO_BYTES as u64 / size).max(1);
        let len = (self.range.end - self.range.start) as usize;
        // A sequential source (an inflated member) is read in order by one task.
        let tasks = match self.file.sequential() {
            true => 1,
            false => self.pool.current_num_threads().max(1) * 4,
        };
        let tasks = Partition::new(len, tasks);
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
                p.map_err(|e| Error::input(format!("{}: {e}", self.name)))?,
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
                .map_err(|e| Error::input(format!("{}: {e}", self.name)))?;
            out.extend_from_slice(&floats);
        }
        Ok(out)
    }
}
