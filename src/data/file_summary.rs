//! [`FileSummary`]: what to summarise in a data file and how (by column or not, read by every
//! rank or by rank 0, with progress lines or not), built step by step and run on every rank.

use crate::data::npy::FileLayout;
use crate::data::source::DataFile;
use crate::data::summarize::{summarize_file, Axis, ReadMode};
use crate::error::Result;
use crate::runtime::world::Comm;
use crate::stats::spec::Spec;
use crate::stats::summary::Summary;

/// A data file summarised across ranks: the file (a path, or a [`DataFile`] with a reader of
/// its own), its [`FileLayout`] (the same on every rank) and what to compute ([`Spec`]);
/// optionally by column ([`axis`](FileSummary::axis)), read by rank 0 alone
/// ([`mode`](FileSummary::mode)), with progress lines ([`progress`](FileSummary::progress)).
/// [`run`](FileSummary::run) gives each rank the summaries of its own slice, one per group,
/// still to be combined. Read errors are agreed on by every rank.
///
/// # Examples
/// ```no_run
/// use mpikit::io::{Axis, FileLayout, FileSummary, ReadMode};
/// use mpikit::stats::{Spec, Stat};
/// use std::path::Path;
/// mpikit::run(|world| {
///     let path = Path::new("matrix.npy"); // a 2-D array
///     let layout = FileLayout::npy(path)?;
///     let spec = Spec::new(Stat::Max);
///     // One summary per column, of this rank's rows; combined across ranks below.
///     let mine = FileSummary::new(path, &layout, spec)
///         .axis(Axis::Columns)
///         .mode(ReadMode::Parallel)
///         .run(world, world.pool())?;
///     for (column, s) in mine.iter().enumerate() {
///         let max = s.combine(world)?.result(&spec)?;
///         if world.is_root() {
///             println!("column {column}: max {max}");
///         }
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct FileSummary<'f> {
    file: DataFile<'f>,
    layout: &'f FileLayout,
    spec: Spec,
    axis: Axis,
    mode: ReadMode,
    progress: bool,
}

impl<'f> FileSummary<'f> {
    /// `spec` of every element of `file`, read by every rank in parallel, without progress
    /// lines.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::{FileLayout, FileSummary};
    /// use mpikit::stats::{Spec, Stat};
    /// mpikit::run(|world| {
    ///     let layout = FileLayout::npy("x.npy".as_ref())?;
    ///     let spec = Spec::new(Stat::Mean);
    ///     let mine = FileSummary::new(std::path::Path::new("x.npy"), &layout, spec).run(world, world.pool())?;
    ///     println!("mean {}", mine[0].combine(world)?.result(&spec)?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn new(file: impl Into<DataFile<'f>>, layout: &'f FileLayout, spec: Spec) -> Self {
        FileSummary {
            file: file.into(),
            layout,
            spec,
            axis: Axis::All,
            mode: ReadMode::Parallel,
            progress: false,
        }
    }

    /// What the statistic runs over: every element ([`Axis::All`], the default) or each
    /// column of a 2-D array ([`Axis::Columns`]).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::io::{Axis, FileLayout, FileSummary};
    /// # use mpikit::stats::{Spec, Stat};
    /// # let layout = FileLayout::npy("m.npy".as_ref()).unwrap();
    /// let by_column = FileSummary::new(std::path::Path::new("m.npy"), &layout, Spec::new(Stat::Sum)).axis(Axis::Columns);
    /// ```
    pub fn axis(mut self, axis: Axis) -> Self {
        self.axis = axis;
        self
    }

    /// Who reads: every rank its own slice ([`ReadMode::Parallel`], the default: the file is
    /// on a shared file system) or rank 0 for all ([`ReadMode::Root`]).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::io::{FileLayout, FileSummary, ReadMode};
    /// # use mpikit::stats::{Spec, Stat};
    /// # let layout = FileLayout::npy("x.npy".as_ref()).unwrap();
    /// let from_root = FileSummary::new(std::path::Path::new("x.npy"), &layout, Spec::new(Stat::Sum)).mode(ReadMode::Root);
    /// ```
    pub fn mode(mut self, mode: ReadMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether rank 0 prints progress lines (rate and ETA) on stderr while reading.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::io::{FileLayout, FileSummary};
    /// # use mpikit::stats::{Spec, Stat};
    /// # let layout = FileLayout::npy("x.npy".as_ref()).unwrap();
    /// let loud = FileSummary::new(std::path::Path::new("x.npy"), &layout, Spec::new(Stat::Sum)).progress(true);
    /// ```
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Reads and summarises this rank's part (every rank calls it): one [`Summary`] per
    /// group, of this rank's slice, to be combined with [`Summary::combine`](crate::stats::Summary::combine).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::{FileLayout, FileSummary};
    /// use mpikit::stats::{Spec, Stat};
    /// mpikit::run(|world| {
    ///     let layout = FileLayout::npy("x.npy".as_ref())?;
    ///     let spec = Spec::new(Stat::Count);
    ///     let mine = FileSummary::new(std::path::Path::new("x.npy"), &layout, spec).run(world, world.pool())?;
    ///     assert_eq!(mine.len(), 1);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn run<A: Comm + ?Sized>(self, comm: &A, pool: &rayon::ThreadPool) -> Result<Vec<Summary>> {
        summarize_file(
            comm,
            self.file,
            self.layout,
            &self.spec,
            self.axis,
            self.mode,
            pool,
            self.progress,
        )
    }
}
