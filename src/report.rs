//! Phase timers on MPI's wall clock, and their summary over ranks (min / mean / max),
//! printed by rank 0 as a table or serialised as JSON.

use mpi::collective::CommunicatorCollectives;
use mpi::topology::Communicator;
use serde::Serialize;

use crate::array_reduce::ReduceOp;

/// Named phases, each timed with `MPI_Wtime`.
///
/// Every rank must record the same phases in the same order (as SPMD code naturally does):
/// [`PhaseTimer::summarize`] reduces them position by position.
///
/// # Examples
/// ```no_run
/// use mpikit::PhaseTimer;
/// let world = mpikit::World::init()?;
/// let mut timer = PhaseTimer::new();
/// let v: Vec<f64> = timer.time("setup", || (0..1000).map(|i| i as f64).collect());
/// let s: f64 = timer.time("compute", || v.iter().sum());
/// let phases = timer.summarize(world.comm());
/// if world.is_root() {
///     print!("{}", mpikit::report::table(&phases));
/// }
/// # Ok::<(), mpikit::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct PhaseTimer {
    phases: Vec<(&'static str, f64)>,
}

impl PhaseTimer {
    /// An empty timer.
    pub fn new() -> PhaseTimer {
        PhaseTimer::default()
    }

    /// Runs `f`, records its wall time under `name`, and returns its result.
    pub fn time<R>(&mut self, name: &'static str, f: impl FnOnce() -> R) -> R {
        let start = mpi::time();
        let out = f();
        self.record(name, mpi::time() - start);
        out
    }

    /// Records `seconds` under `name`, adding to the phase if it exists.
    pub fn record(&mut self, name: &'static str, seconds: f64) {
        match self.phases.iter_mut().find(|(n, _)| *n == name) {
            Some((_, s)) => *s += seconds,
            None => self.phases.push((name, seconds)),
        }
    }

    /// The phases recorded on this rank, in order.
    pub fn phases(&self) -> &[(&'static str, f64)] {
        &self.phases
    }

    /// Seconds recorded under `name` on this rank.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.phases
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, s)| s)
    }

    /// Min, mean and max of every phase over the ranks of `comm` (three reductions in all).
    /// Collective: every rank must call it; every rank gets the summary.
    pub fn summarize<C: Communicator + ?Sized>(&self, comm: &C) -> Vec<PhaseSummary> {
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
        self.phases
            .iter()
            .enumerate()
            .map(|(i, &(name, _))| PhaseSummary {
                name,
                min: min[i],
                mean: sum[i] / ranks,
                max: max[i],
            })
            .collect()
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
/// let rows = [mpikit::PhaseSummary { name: "compute", min: 0.5, mean: 0.75, max: 1.0 }];
/// let t = mpikit::report::table(&rows);
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
