//! A reduction run: generated data (verified against closed forms) or a data file.

use std::path::PathBuf;
use std::time::Duration;

use mpikit::data::par_arange;
use mpikit::io::{Axis, ByteOrder, Dtype, FileLayout, ReadMode};
use mpikit::ndarray::{Array1, Ix1};
use mpikit::prelude::*;
use mpikit::runtime::{MemorySummary, PhaseSummary, PhaseTimer, Watchdog};
use mpikit::stats::{summarize_floats, Op, Spec, Summary, Value};
use mpikit::{DistArray, Grid, ReduceOp, World};
use serde::Serialize;

use crate::cli::{MethodArg, Mode, NanArg, OpArg, Phase, RunArgs, WhenArg};
use crate::h5::{self, Access};
use crate::output;
use crate::print_once;

const DEFAULT_LEN: u64 = 100_000_000;

#[derive(Serialize)]
struct Timings {
    setup: f64,
    distribute: f64,
    compute: f64,
    reduce: f64,
    total: f64,
}

#[derive(Serialize)]
struct InputInfo {
    path: PathBuf,
    format: &'static str,
    dtype: Dtype,
    byte_order: ByteOrder,
    shape: Vec<u64>,
    read: ReadMode,
}

#[derive(Serialize)]
struct Report {
    op: &'static str,
    len: u64,
    ranks: i32,
    /// Nodes the ranks run on (distinct shared-memory domains).
    nodes: u32,
    threads: usize,
    /// generate, scatter or file.
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<InputInfo>,
    nan: mpikit::stats::NanPolicy,
    reproducible: bool,
    /// One value, or one per column with --axis 0.
    result: Result1,
    /// Generated data only: the closed form, and the check against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rel_error: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tolerance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
    /// Bytes reduced per second of the slowest rank's compute phase.
    compute_gb_per_s: Value,
    /// Seconds, the slowest rank.
    timings: Timings,
    phases: Vec<PhaseSummary>,
    /// Peak resident memory per rank, bytes.
    peak_rss: MemorySummary,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Result1 {
    One(Value),
    Columns(Vec<Value>),
}

/// The closed form for x_i = i, i in 0..n.
fn expected(op: Op, n: u64) -> Value {
    let n128 = u128::from(n);
    let f = |v: f64| Value::Float(v);
    let sum = n128 * n128.saturating_sub(1) / 2;
    let var = if n == 0 {
        f64::NAN
    } else {
        ((n128 * n128 - 1) as f64) / 12.0
    };
    match (op, n) {
        (Op::Min, 0) => f(f64::INFINITY),
        (Op::Max, 0) => f(f64::NEG_INFINITY),
        (Op::Mean, 0) => f(f64::NAN),
        (Op::Sum, _) => f(sum as f64),
        (Op::Sumsq, _) => {
            f((n128.saturating_sub(1) * n128 * (2 * n128).saturating_sub(1) / 6) as f64)
        }
        (Op::Min, _) => f(0.0),
        (Op::Max, _) => f((n - 1) as f64),
        (Op::Mean, _) => f((n - 1) as f64 / 2.0),
        (Op::Var, _) => f(var),
        (Op::Std, _) => f(var.sqrt()),
        (Op::Count, _) => Value::Int(i128::from(n)),
        (Op::Stats, _) => Value::Stats(Box::new(mpikit::stats::Stats {
            count: n,
            sum: f(sum as f64),
            mean: expected(Op::Mean, n),
            std: f(var.sqrt()),
            min: expected(Op::Min, n),
            max: expected(Op::Max, n),
        })),
    }
}

fn rel_error(result: f64, expected: f64) -> f64 {
    if !expected.is_finite() || !result.is_finite() {
        let same = result == expected || (result.is_nan() && expected.is_nan());
        return if same { 0.0 } else { f64::INFINITY };
    }
    let diff = (result - expected).abs();
    if expected == 0.0 {
        diff
    } else {
        diff / expected.abs()
    }
}

/// The largest relative error over a result's fields.
fn value_error(result: &Value, expected: &Value) -> f64 {
    match (result, expected) {
        (Value::Stats(r), Value::Stats(e)) => [
            rel_error(r.count as f64, e.count as f64),
            value_error(&r.sum, &e.sum),
            value_error(&r.mean, &e.mean),
            value_error(&r.std, &e.std),
            value_error(&r.min, &e.min),
            value_error(&r.max, &e.max),
        ]
        .into_iter()
        .fold(0.0, f64::max),
        (r, e) => rel_error(r.to_f64(), e.to_f64()),
    }
}

fn tolerance(spec: &Spec, n: u64) -> f64 {
    match spec.op {
        Op::Min | Op::Max | Op::Count => 0.0,
        Op::Sum | Op::Sumsq if spec.reproducible => 0.0,
        _ => (n as f64 + 2.0) * f64::EPSILON,
    }
}

struct Data {
    summaries: Vec<Summary>,
    /// An order statistic's result (its summaries are empty).
    value: Option<Value>,
    len: u64,
    bytes: u64,
    input: Option<InputInfo>,
}

/// Runs the job; prints the report on rank 0 and returns the exit status.
pub fn main(world: &World, args: RunArgs) -> u8 {
    let json = args.json;
    match run(world, args) {
        Ok((report, output)) => {
            let text = serde_json::to_string(&report).expect("report serialises");
            if world.is_root() {
                if json {
                    println!("{text}");
                } else {
                    print_table(&report);
                }
            }
            if let Some(output) = output {
                let path = output.path.display().to_string();
                if let Err(e) = output.commit(&text) {
                    eprintln!("parsum: --output {path}: {e}");
                    return 2;
                }
            }
            if report.verified == Some(false) {
                print_once(world.rank(), "parsum: result outside the tolerance");
                1
            } else {
                0
            }
        }
        Err(e) => {
            print_once(world.rank(), &format!("parsum: {e}"));
            2
        }
    }
}

/// `--threads` beyond this many per CPU a rank may use is capped (more only adds start-up
/// time and contention).
pub const THREADS_PER_CPU: usize = 8;

/// The flags of order statistics fit the op (checked on every rank alike, before any work).
fn check_order_flags(args: &RunArgs) -> Result<(), String> {
    let op = args.op;
    if op == OpArg::Quantile && args.q.is_none() {
        return Err("--op quantile needs --q Q,... (quantiles in [0, 1], e.g. --q 0.5)".into());
    }
    if op != OpArg::Quantile && args.q.is_some() {
        return Err(format!("--q is for --op quantile, not --op {}", op.name()));
    }
    if op != OpArg::Quantile && args.method != MethodArg::Linear {
        return Err(format!(
            "--method is for --op quantile, not --op {}",
            op.name()
        ));
    }
    if op != OpArg::Histogram && args.range.is_some() {
        return Err(format!(
            "--range is for --op histogram, not --op {}",
            op.name()
        ));
    }
    if op.is_order() && args.axis.is_some() {
        return Err(format!(
            "--op {} runs over every element: --axis is not supported with it",
            op.name()
        ));
    }
    if op.is_order() && args.read.is_some_and(|r| r == crate::cli::ReadArg::Root) {
        return Err(format!(
            "--op {} reads the file several times, each rank its own slice: use --read \
             parallel (a shared file system)",
            op.name()
        ));
    }
    Ok(())
}

/// `asked` threads, at most [`THREADS_PER_CPU`] per CPU this process may run on.
fn capped_threads(asked: usize) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    asked.min(THREADS_PER_CPU * cpus)
}

/// One run's settings, checked before any work: what to compute, the threads, and the
/// watchdog and testing aids that each phase passes through.
struct Job<'a> {
    args: &'a RunArgs,
    spec: Spec,
    columns: bool,
    threads: usize,
    /// The world's pool, which the DistArrays share.
    pool: &'a mpikit::rayon::ThreadPool,
    progress: bool,
    dog: Option<Watchdog>,
    rank: i32,
}

fn run(world: &World, args: RunArgs) -> Result<(Report, Option<output::Output>), mpikit::Error> {
    let output = output::prepare(world, args.output.as_deref())?;
    let job = Job::prepare(world, &args)?;
    world.barrier();
    let start = mpikit::mpi::time();
    let mut timer = PhaseTimer::new();
    job.enter(Phase::Setup);
    let mut data = match &args.input {
        None => job.generated(world, &mut timer)?,
        Some(path) => job.file(world, path, &mut timer)?,
    };
    job.enter(Phase::Reduce);
    let summaries = std::mem::take(&mut data.summaries);
    let combined = timer.time("reduce", || combine(world, summaries))?;
    timer.record("total", mpikit::mpi::time() - start);
    let report = job.report(world, data, &combined, &timer)?;
    Ok((report, output))
}

impl<'a> Job<'a> {
    fn prepare(world: &'a World, args: &'a RunArgs) -> Result<Job<'a>, mpikit::Error> {
        if let Some(asked) = args.threads {
            let threads = capped_threads(asked);
            if threads < asked && world.is_root() {
                eprintln!(
                    "parsum: warning: --threads {asked} is more than {THREADS_PER_CPU}x the \
                     {} CPU(s) a rank may use here; using {threads}",
                    threads / THREADS_PER_CPU
                );
            }
            world.set_threads(threads)?;
        }
        check_order_flags(args).map_err(mpikit::Error::input)?;
        let threads = world.threads();
        let pool = world.pool();
        Ok(Job {
            args,
            spec: Spec {
                op: args.op.into(),
                nan: args.nan.into(),
                reproducible: args.reproducible,
            },
            columns: args.columns().map_err(mpikit::Error::input)?,
            threads,
            pool,
            progress: match args.progress {
                WhenArg::Always => true,
                WhenArg::Never => false,
                WhenArg::Auto => mpikit::cli_support::stderr_is_terminal(),
            },
            dog: args
                .timeout
                .map(|t| Watchdog::start(Duration::from_secs_f64(t), "parsum")),
            rank: world.rank(),
        })
    }

    /// Each phase starts here: the watchdog learns it, and the testing aids act in it.
    fn enter(&self, phase: Phase) {
        if let Some(dog) = &self.dog {
            dog.phase(phase.name());
        }
        let here = self.args.fault_phase == phase;
        if here && self.args.panic_on_rank == Some(self.rank) {
            panic!(
                "deliberate panic requested with --panic-on-rank {} in {}",
                self.rank,
                phase.name()
            );
        }
        if here && self.args.hang_on_rank == Some(self.rank) {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    }

    /// x_i = i for i in 0..len as a DistArray of row blocks: each rank builds its own block,
    /// or rank 0 builds it all and scatters it; then the block's summary.
    fn generated(&self, world: &World, timer: &mut PhaseTimer) -> Result<Data, mpikit::Error> {
        let n = self.args.len.unwrap_or(DEFAULT_LEN);
        let nz = usize::try_from(n)
            .map_err(|_| mpikit::Error::input("--len does not fit this machine's address space"))?;
        let grid = Grid::rows(&[nz], world.size() as usize);
        // What each rank will hold, checked against its node before anything is allocated.
        let block = grid.block_shape(world.rank() as usize)[0] as u64 * 8;
        let (need, advice) = match self.args.mode {
            Mode::Generate => (
                block,
                "use more ranks or nodes, or --input a file (read in pieces)",
            ),
            Mode::Scatter if world.is_root() => (
                block.saturating_add(n.saturating_mul(8)),
                "use --mode generate (no rank holds the whole array), more nodes, or --input \
                 a file",
            ),
            Mode::Scatter => (block, "use --mode generate, more nodes, or --input a file"),
        };
        let what = format!(
            "--len {n} ({} of f64{})",
            mpikit::cli_support::human_bytes(n.saturating_mul(8)),
            if self.args.mode == Mode::Scatter {
                ", all on rank 0 before the scatter"
            } else {
                ""
            }
        );
        mpikit::runtime::check_memory(world, &what, need, advice)?;
        let x: DistArray<f64, Ix1> = match self.args.mode {
            Mode::Generate => {
                let x = timer.time("setup", || DistArray::arange(world, grid))?;
                self.enter(Phase::Distribute);
                timer.record("distribute", 0.0);
                x
            }
            Mode::Scatter => {
                let full = timer.time("setup", || {
                    world
                        .is_root()
                        .then(|| Array1::from_vec(par_arange(0, nz, self.pool)))
                });
                self.enter(Phase::Distribute);
                // The root's full array is dropped as soon as it is scattered.
                timer.time("distribute", || {
                    DistArray::scatter(world, grid, 0, full.as_ref())
                })?
            }
        };
        let local = x.local();
        let block = local.as_slice().expect("fresh blocks are contiguous");
        self.enter(Phase::Compute);
        let (summaries, value) = if self.args.op.is_order() {
            let data = mpikit::stats::InMemory {
                data: block,
                pool: self.pool,
            };
            let v = timer.time("compute", || self.order(world, &data))?;
            (Vec::new(), Some(v))
        } else {
            let s = timer.time("compute", || summarize_floats(&self.spec, block, self.pool));
            (vec![s], None)
        };
        Ok(Data {
            summaries,
            value,
            len: n,
            bytes: n * 8,
            input: None,
        })
    }

    /// A data file's layout agreed on every rank, then its summaries (one per column with
    /// --axis 0), read in pieces.
    fn file(
        &self,
        world: &World,
        path: &std::path::Path,
        timer: &mut PhaseTimer,
    ) -> Result<Data, mpikit::Error> {
        let args = self.args;
        let read: ReadMode = args.read.map_or(ReadMode::Parallel, Into::into);
        let (layout, access, source) =
            timer.time("setup", || open_layout(world.comm(), path, args, read))?;
        let input = path;
        let path = source.file.as_path();
        // What every rank reads: the file's bytes, or an HDF5 dataset through the library.
        let file = || match access {
            Access::Direct => mpikit::io::DataFile::path(path),
            Access::Library => {
                let dataset = source.member.as_deref();
                let layout = &layout;
                mpikit::io::DataFile::with(input.display().to_string(), move || {
                    Ok(Box::new(h5::Reader::open(path, dataset, layout)?)
                        as Box<dyn mpikit::io::ReadAt>)
                })
            }
        };
        let axis = if self.columns {
            Axis::Columns
        } else {
            Axis::All
        };
        self.enter(Phase::Distribute);
        timer.record("distribute", 0.0);
        self.enter(Phase::Compute);
        let (summaries, value) = if self.args.op.is_order() {
            let v = timer.time("compute", || {
                let data = mpikit::io::FilePasses::open(world, file(), &layout, self.pool)?;
                self.order(world, &data)
            })?;
            (Vec::new(), Some(v))
        } else {
            let s = timer.time("compute", || {
                mpikit::io::summarize_file(
                    world,
                    file(),
                    &layout,
                    &self.spec,
                    axis,
                    read,
                    self.pool,
                    self.progress,
                )
            })?;
            (s, None)
        };
        Ok(Data {
            summaries,
            value,
            len: layout.len,
            bytes: layout.len * layout.dtype.size() as u64,
            input: Some(InputInfo {
                path: input.to_path_buf(),
                format: source.format,
                dtype: layout.dtype,
                byte_order: layout.order,
                shape: layout.shape.clone(),
                read,
            }),
        })
    }

    /// An order statistic of every rank's values, exactly (numpy's rules).
    fn order<P: mpikit::stats::Passes>(
        &self,
        world: &World,
        data: &P,
    ) -> Result<Value, mpikit::Error> {
        let nan = self.spec.nan;
        match self.args.op {
            OpArg::Median => mpikit::stats::median(world, data, nan).map(Value::Float),
            OpArg::Quantile => mpikit::stats::quantiles(
                world,
                data,
                self.args.q.as_deref().unwrap_or_default(),
                self.args.method.into(),
                nan,
            )
            .map(Value::Floats),
            _ => mpikit::stats::histogram(world, data, self.args.bins, self.args.range, nan).map(
                |h| Value::Histogram {
                    edges: h.edges().to_vec(),
                    counts: h.counts().to_vec(),
                },
            ),
        }
    }

    /// The results, checked against the closed form for generated data, with the phase
    /// timings and peak memory of every rank.
    fn report(
        &self,
        world: &World,
        mut data: Data,
        combined: &[Summary],
        timer: &PhaseTimer,
    ) -> Result<Report, mpikit::Error> {
        let spec = &self.spec;
        let mut values: Vec<Value> = combined
            .iter()
            .map(|s| s.result(spec))
            .collect::<Result<_, _>>()?;
        if data.input.as_ref().is_some_and(|i| i.dtype.is_complex()) {
            // Summaries 2k and 2k + 1 are element k's real and imaginary parts.
            values = values
                .chunks_exact(2)
                .map(|p| match spec.op {
                    Op::Count => p[0].clone(),
                    _ => Value::Complex(p[0].to_f64(), p[1].to_f64()),
                })
                .collect();
        }
        let phases = timer.summarize(world)?;
        let peak_rss = MemorySummary::gather(world)?;
        let nodes = world.allreduce_scalar(u32::from(world.local_rank() == 0), ReduceOp::Sum)?;
        if let Some(dog) = &self.dog {
            dog.disarm();
        }
        let max_of = |name: &str| {
            phases
                .iter()
                .find(|p| p.name == name)
                .map_or(0.0, |p| p.max)
        };
        if let Some(v) = data.value.take() {
            values = vec![v];
        }
        let generated = data.input.is_none();
        let expected = match self.args.op {
            // The median of 0, 1, ..., n - 1 is (n - 1) / 2; quantiles and histograms are
            // checked by the tests, not here.
            OpArg::Median => generated.then(|| Value::Float((data.len - 1) as f64 / 2.0)),
            op if op.is_order() => None,
            _ => generated.then(|| expected(spec.op, data.len)),
        };
        let err = expected.as_ref().map(|e| value_error(&values[0], e));
        let tol = expected.as_ref().map(|_| match self.args.op {
            OpArg::Median => 0.0,
            _ => tolerance(spec, data.len),
        });
        let compute = max_of("compute");
        Ok(Report {
            op: self.args.op.name(),
            len: data.len,
            ranks: world.size(),
            nodes,
            threads: self.threads,
            mode: match (&data.input, self.args.mode) {
                (Some(_), _) => "file",
                (None, Mode::Generate) => "generate",
                (None, Mode::Scatter) => "scatter",
            },
            input: data.input,
            nan: spec.nan,
            reproducible: spec.reproducible,
            result: if self.columns {
                Result1::Columns(values)
            } else {
                Result1::One(values.into_iter().next().expect("one summary"))
            },
            expected,
            rel_error: err.map(Value::Float),
            tolerance: tol,
            verified: err.zip(tol).map(|(e, t)| e <= t),
            compute_gb_per_s: Value::Float(data.bytes as f64 / compute / 1e9),
            timings: Timings {
                setup: max_of("setup"),
                distribute: max_of("distribute"),
                compute,
                reduce: max_of("reduce"),
                total: max_of("total"),
            },
            phases,
            peak_rss,
        })
    }
}

/// Every rank's summaries merged in rank order, on every rank.
fn combine(world: &World, summaries: Vec<Summary>) -> Result<Vec<Summary>, mpikit::Error> {
    let all = world.allgather_objects(&summaries)?;
    let mut it = all.into_iter();
    let mut total = it.next().expect("a communicator has a rank");
    for later in it {
        for (a, b) in total.iter_mut().zip(&later) {
            a.merge(b);
        }
    }
    Ok(total)
}

/// Reads the file's layout — on every rank (parallel reads) or on rank 0 alone (root
/// reads) — and agrees on it, so every rank sees the same layout or the same error.
/// Where `--input` points: the file to read, its format, and the member or dataset inside.
struct Source {
    file: PathBuf,
    format: &'static str,
    member: Option<String>,
}

impl Source {
    /// `FILE`, `FILE.npz:NAME` for one array of an archive, or `FILE.h5:/PATH` for one
    /// dataset of an HDF5 file (when no file is called that whole).
    fn of(input: &std::path::Path, raw: bool) -> Source {
        if !raw {
            if let Some((file, dataset)) = h5::split(input) {
                return Source {
                    file: file.to_path_buf(),
                    format: "hdf5",
                    member: Some(dataset.to_string()),
                };
            }
            if h5::is_hdf5(input) {
                return Source {
                    file: input.to_path_buf(),
                    format: "hdf5",
                    member: None,
                };
            }
        }
        let text = input.to_string_lossy();
        let (file, member) = match text.rsplit_once(':') {
            Some((f, m)) if !input.exists() && f.ends_with(".npz") => {
                (PathBuf::from(f), Some(m.to_string()))
            }
            _ => (input.to_path_buf(), None),
        };
        let format = if raw {
            "raw"
        } else if member.is_some()
            || file.extension().is_some_and(|e| e == "npz")
            || mpikit::cli_support::is_zip(&file)
        {
            "npz"
        } else {
            "npy"
        };
        Source {
            file,
            format,
            member,
        }
    }
}

fn open_layout<C: Communicator>(
    comm: &C,
    input: &std::path::Path,
    args: &RunArgs,
    read: ReadMode,
) -> Result<(FileLayout, Access, Source), mpikit::Error> {
    let source = Source::of(input, args.dtype.is_some());
    let path = source.file.as_path();
    let direct = |l: FileLayout| (l, Access::Direct);
    let open = || match (args.dtype, source.format) {
        (Some((dtype, order)), _) => {
            FileLayout::raw(path, dtype, order, args.offset.unwrap_or(0)).map(direct)
        }
        (None, "npz") => FileLayout::npz(path, source.member.as_deref()).map(direct),
        (None, "hdf5") => h5::open(path, source.member.as_deref()).map(|o| (o.layout, o.access)),
        (None, _) => FileLayout::npy(path).map(direct),
    };
    let check = |(l, access): (FileLayout, Access)| -> Result<(FileLayout, Access), mpikit::Error> {
        if l.dtype.is_complex() {
            let op: Op = args.op.into();
            if !matches!(op, Op::Sum | Op::Mean | Op::Count) {
                return Err(mpikit::Error::input(format!(
                    "{}: --op {} of complex data ({}): parsum computes sum, mean and count of \
                     complex values (complex numbers have no order)",
                    path.display(),
                    op.name(),
                    l.dtype
                )));
            }
            if args.nan == NanArg::Skip {
                return Err(mpikit::Error::input(format!(
                    "{}: --nan skip of complex data ({}) is not supported (use --nan propagate)",
                    path.display(),
                    l.dtype
                )));
            }
        }
        if args.axis.is_some() && l.shape.len() != 2 {
            return Err(mpikit::Error::input(format!(
                "{}: --axis 0 needs a 2-D array, but its shape is {:?}",
                path.display(),
                l.shape
            )));
        }
        Ok((l, access))
    };
    match read {
        ReadMode::Parallel => {
            let (layout, access) = mpikit::runtime::agree(comm, open().and_then(check))?;
            // Every rank must see the same file (a shared file system).
            let all = comm.allgather_objects(&layout)?;
            if let Some(r) = all.iter().position(|l| *l != all[0]) {
                return Err(mpikit::Error::input(format!(
                    "{}: rank {r} sees a different file than rank 0 (not on a shared file \
                     system? use --read root)",
                    path.display()
                )));
            }
            Ok((layout, access, source))
        }
        ReadMode::Root => {
            let local = if comm.rank() == 0 {
                open().and_then(check).map(Some)
            } else {
                Ok(None)
            };
            let mine = mpikit::runtime::agree(comm, local)?;
            let (layout, access) = comm.broadcast_object(0, mine.as_ref())?;
            Ok((layout, access, source))
        }
    }
}

fn print_table(r: &Report) {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let what = match &r.input {
        None => format!("x_i = i, i in 0..{} (f64)", r.len),
        Some(i) => format!(
            "{} ({} {} values, shape {:?}, {} read)",
            i.path.display(),
            r.len,
            i.dtype,
            i.shape,
            serde_json::to_value(i.read)
                .unwrap()
                .as_str()
                .unwrap_or("?")
        ),
    };
    println!(
        "parsum: {}{} of {what}, {} on {} x {} per rank, mode {}",
        r.op,
        if r.reproducible {
            " (reproducible)"
        } else {
            ""
        },
        plural(r.ranks as usize, "rank"),
        plural(r.nodes as usize, "node"),
        plural(r.threads, "thread"),
        r.mode,
    );
    match &r.result {
        Result1::One(v) => println!("  result     {v}"),
        Result1::Columns(vs) => {
            for (c, v) in vs.iter().enumerate() {
                println!("  column {c:<4} {v}");
            }
        }
    }
    if let (Some(e), Some(err), Some(tol), Some(ok)) =
        (&r.expected, &r.rel_error, r.tolerance, r.verified)
    {
        println!("  expected   {e}");
        println!(
            "  rel_error  {:.3e} (tolerance {tol:.3e}): {}",
            err.to_f64(),
            if ok { "verified" } else { "NOT VERIFIED" }
        );
    }
    println!(
        "  compute    {:.2} GB/s (bytes / slowest rank's compute time)",
        r.compute_gb_per_s.to_f64()
    );
    print!("{}", mpikit::runtime::report::table(&r.phases));
    print!("{}", r.peak_rss.line());
}
