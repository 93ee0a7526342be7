//! One run's settings, checked on every rank alike before any work: the flags become a
//! [`Job`], which the phases and the report read.

use std::time::Duration;

use mpikit::runtime::Watchdog;
use mpikit::stats::Spec;
use mpikit::World;

use crate::cli::{MethodArg, OpArg, RunArgs, WhenArg};

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
pub struct Job<'a> {
    pub args: &'a RunArgs,
    pub spec: Spec,
    pub columns: bool,
    pub threads: usize,
    /// The world's pool, which the DistArrays share.
    pub pool: &'a mpikit::rayon::ThreadPool,
    pub progress: bool,
    pub dog: Option<Watchdog>,
    pub rank: i32,
}

impl<'a> Job<'a> {
    pub fn prepare(world: &'a World, args: &'a RunArgs) -> Result<Job<'a>, mpikit::Error> {
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
                stat: args.op.into(),
                nan: args.nan.into(),
                reproducible: args.reproducible,
            },
            columns: args.columns().map_err(mpikit::Error::input)?,
            threads,
            pool,
            progress: match args.progress {
                WhenArg::Always => true,
                WhenArg::Never => false,
                WhenArg::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
            },
            dog: args
                .timeout
                .map(|t| Watchdog::start(Duration::from_secs_f64(t), "parsum")),
            rank: world.rank(),
        })
    }
}
