//! The run's report: what the phases hand over ([`Data`]), the JSON schema ([`Report`]),
//! and its making, checked against the closed form for generated data.

use std::path::PathBuf;

use mpikit::io::{ByteOrder, Dtype, ReadMode};
use mpikit::prelude::*;
use mpikit::runtime::{MemorySummary, PhaseSummary, PhaseTimer};
use mpikit::stats::{Stat, Summary, Value};
use mpikit::{ReduceOp, World};
use serde::Serialize;

use crate::cli::{Mode, OpArg};
use crate::closed_form::{expected, tolerance, value_error};
use crate::job::Job;

#[derive(Serialize)]
pub struct Timings {
    pub setup: f64,
    pub distribute: f64,
    pub compute: f64,
    pub reduce: f64,
    pub total: f64,
}

#[derive(Serialize)]
pub struct InputInfo {
    pub path: PathBuf,
    pub format: &'static str,
    pub dtype: Dtype,
    pub byte_order: ByteOrder,
    pub shape: Vec<u64>,
    pub read: ReadMode,
}

#[derive(Serialize)]
pub struct Report {
    pub op: &'static str,
    pub len: u64,
    pub ranks: i32,
    /// Nodes the ranks run on (distinct shared-memory domains).
    pub nodes: u32,
    pub threads: usize,
    /// generate, scatter or file.
    pub mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<InputInfo>,
    pub nan: mpikit::stats::NanPolicy,
    pub reproducible: bool,
    /// One value, or one per column with --axis 0.
    pub result: Result1,
    /// Generated data only: the closed form, and the check against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_error: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Bytes reduced per second of the slowest rank's compute phase.
    pub compute_gb_per_s: Value,
    /// Seconds, the slowest rank.
    pub timings: Timings,
    pub phases: Vec<PhaseSummary>,
    /// Peak resident memory per rank, bytes.
    pub peak_rss: MemorySummary,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Result1 {
    One(Value),
    Columns(Vec<Value>),
}

pub struct Data {
    pub summaries: Vec<Summary>,
    /// An order statistic's result (its summaries are empty).
    pub value: Option<Value>,
    pub len: u64,
    pub bytes: u64,
    pub input: Option<InputInfo>,
}

impl Job<'_> {
    /// The results, checked against the closed form for generated data, with the phase
    /// timings and peak memory of every rank.
    pub fn report(
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
                .map(|p| match spec.stat {
                    Stat::Count => p[0].clone(),
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
            _ => generated.then(|| expected(spec.stat, data.len)),
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
