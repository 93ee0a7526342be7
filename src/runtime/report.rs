//! Phase timers on MPI's wall clock, and their summary over ranks (min / mean / max),
//! printed by rank 0 as a table or serialised as JSON.

use crate::runtime::world::Comm;
use mpi::collective::CommunicatorCollectives;
use mpi::topology::Communicator;
use serde::Serialize;

use crate::collective::reduce::ReduceOp;
use crate::error::Result;

/// Named phases, each timed with `MPI_Wtime`.
///
/// Every rank must record the same phases in the same order (as SPMD code naturally does):
/// [`PhaseTimer::summarize`] reduces them position by position.
///
/// # Examples
/// ```no_run
/// use mpikit::runtime::PhaseTimer;
/// mpikit::run(|world| {
///     let mut timer = PhaseTimer::new();
///     let v: Vec<f64> = timer.time("setup", || (0..1000).map(|i| i as f64).collect());
///     let s: f64 = timer.time("compute", || v.iter().sum());
///     let phases = timer.summarize(world)?;
///     if world.is_root() {
///         print!("{}", mpikit::runtime::report::table(&phases));
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct PhaseTimer {
    phases: Vec<(&'static str, f64)>,
}

impl PhaseTimer {
    /// An empty timer.
    ///
    /// # Examples
    /// ```
    /// let mut timer = mpikit::runtime::PhaseTimer::new();
    /// let n = timer.time("count", || (0..1000).count());
    /// assert_eq!((n, timer.phases().len()), (1000, 1));
    /// ```
    pub fn new() -> PhaseTimer {
        PhaseTimer::default()
    }

    /// Runs `f`, records its wall time under `name`, and returns its result.
    ///
    /// # Examples
    /// ```
    /// let mut timer = mpikit::runtime::PhaseTimer::new();
    /// let sum: u64 = timer.time("sum", || (1..=100).sum());
    /// assert_eq!(sum, 5050);
    /// assert!(timer.get("sum").is_some());
    /// ```
    pub fn time<R>(&mut self, name: &'static str, f: impl FnOnce() -> R) -> R {
        let start = mpi::time();
        let out = f();
        self.record(name, mpi::time() - start);
        out
    }

    /// Records `seconds` under `name`, adding to the phase if it exists.
    ///
    /// # Examples
    /// ```
    /// let mut timer = mpikit::runtime::PhaseTimer::new();
    /// timer.record("read", 1.5);
    /// assert_eq!(timer.get("read"), Some(1.5));
    /// ```
    pub fn record(&mut self, name: &'static str, seconds: f64) {
        match self.phases.iter_mut().find(|(n, _)| *n == name) {
            Some((_, s)) => *s += seconds,
            None => self.phases.push((name, seconds)),
        }
    }

    /// The phases recorded on this rank, in order.
    ///
    /// # Examples
    /// ```
    /// let mut timer = mpikit::runtime::PhaseTimer::new();
    /// timer.record("read", 1.0);
    /// timer.record("reduce", 0.5);
    /// assert_eq!(timer.phases(), &[("read", 1.0), ("reduce", 0.5)]);
    /// ```
    pub fn phases(&self) -> &[(&'static str, f64)] {
        &self.phases
    }

    /// Seconds recorded under `name` on this rank.
    ///
    /// # Examples
    /// ```
    /// let mut timer = mpikit::runtime::PhaseTimer::new();
    /// timer.record("read", 2.0);
    /// assert_eq!((timer.get("read"), timer.get("write")), (Some(2.0), None));
    /// ```
    pub fn get(&self, name: &str) -> Option<f64> {
        self.phases
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, s)| s)
    }

    /// Min, mean and max of every phase over the ranks of `comm` (three reductions in all).
    /// Collective: every rank must call it; every rank gets the summary.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::runtime::{report, PhaseTimer};
    /// mpikit::run(|world| {
    ///     let mut timer = PhaseTimer::new();
    ///     timer.time("work", || std::thread::sleep(std::time::Duration::from_millis(10)));
    ///     let phases = timer.summarize(world)?; // min, mean and max over the ranks
    ///     if world.is_root() {
    ///         print!("{}", report::table(&phases));
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn summarize<A: Comm + ?Sized>(&self, comm: &A) -> Result<Vec<PhaseSummary>> {
        let comm = comm.as_comm();
        let local: Vec<f64> = self.phases.iter().map(|&(_, s)| s).collect();
        let reduce = |op: ReduceOp| {
            let mut out = vec![0.0; local.len()];
            comm.all_reduce_into(&local[..], &mut out[..], op.system());
            out
        };
        let (min, sum, max) = (
            reduce(ReduceOp::Min),
            reduce(ReduceOp::Sum),
            reduce(ReduceOp::Max),
        );
        let ranks = f64::from(comm.size());
        Ok(self
            .phases
            .iter()
            .enumerate()
            .map(|(i, &(name, _))| PhaseSummary {
                name,
                min: min[i],
                mean: sum[i] / ranks,
                max: max[i],
            })
            .collect())
    }
}

/// One phase summarised over ranks, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PhaseSummary {
    /// Phase name.
    pub name: &'static str,
    /// Fastest rank.
    pub min: f64,
    /// Mean over ranks.
    pub mean: f64,
    /// Slowest rank: the time the job spent in this phase.
    pub max: f64,
}

/// A fixed-width table of phase summaries, one line per phase, with a header.
///
/// ```
/// let rows = [mpikit::runtime::PhaseSummary { name: "compute", min: 0.5, mean: 0.75, max: 1.0 }];
/// let t = mpikit::runtime::report::table(&rows);
/// assert!(t.contains("compute"));
/// assert!(t.lines().count() == 2);
/// ```
pub fn table(phases: &[PhaseSummary]) -> String {
    let mut out = format!(
        "{:<12} {:>10} {:>10} {:>10}\n",
        "phase (s)", "min", "mean", "max"
    );
    for p in phases {
        out += &format!(
            "{:<12} {:>10.4} {:>10.4} {:>10.4}\n",
            p.name, p.min, p.mean, p.max
        );
    }
    out
}

/// This process's peak resident memory in bytes (`VmHWM` in `/proc/self/status`), where
/// the OS reports it (Linux).
///
/// # Examples
/// ```
/// let v = vec![1u8; 10 << 20];
/// if let Some(peak) = mpikit::runtime::report::peak_rss_bytes() {
///     assert!(peak >= v.len() as u64);
/// }
/// ```
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Peak resident memory over the ranks of a communicator, in bytes (0 where unknown).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemorySummary {
    /// The smallest rank's peak.
    pub min: u64,
    /// Mean over ranks.
    pub mean: f64,
    /// The largest rank's peak.
    pub max: u64,
    /// Every rank's peak, in rank order.
    pub per_rank: Vec<u64>,
}

impl MemorySummary {
    /// Gathers every rank's [`peak_rss_bytes`] so far (collective: one allgather).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::runtime::MemorySummary;
    /// mpikit::run(|world| {
    ///     let memory = MemorySummary::gather(world)?;
    ///     if world.is_root() {
    ///         print!("{}", memory.line());
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn gather<A: Comm + ?Sized>(comm: &A) -> Result<MemorySummary> {
        let comm = comm.as_comm();
        let mine = peak_rss_bytes().unwrap_or(0);
        let mut per_rank = vec![0u64; comm.size() as usize];
        comm.all_gather_into(&mine, &mut per_rank[..]);
        Ok(MemorySummary {
            min: per_rank.iter().copied().min().unwrap_or(0),
            mean: per_rank.iter().sum::<u64>() as f64 / per_rank.len() as f64,
            max: per_rank.iter().copied().max().unwrap_or(0),
            per_rank,
        })
    }

    /// One table line in MiB.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::runtime::MemorySummary;
    /// mpikit::run(|world| {
    ///     let line = MemorySummary::gather(world)?.line();
    ///     assert!(line.ends_with('\n'));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn line(&self) -> String {
        let mib = |b: f64| b / (1 << 20) as f64;
        format!(
            "{:<12} {:>10.1} {:>10.1} {:>10.1}\n",
            "peak RSS MiB",
            mib(self.min as f64),
            mib(self.mean),
            mib(self.max as f64)
        )
    }
}
