//! What a [`Summary`](crate::stats::Summary) computes: the statistic ([`Op`]), what NaN
//! values do ([`NanPolicy`]), and whether floating-point sums are exact ([`Spec`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A statistic parsum can compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Σ x
    Sum,
    /// Σ x²
    Sumsq,
    /// min x
    Min,
    /// max x
    Max,
    /// Σ x / n
    Mean,
    /// Population variance Σ (x − mean)² / n (numpy's default, ddof = 0).
    Var,
    /// √var
    Std,
    /// n (values that are not NaN, with `NanPolicy::Skip`)
    Count,
    /// count, sum, mean, std, min and max in one pass.
    Stats,
}

impl Op {
    /// The flag spelling.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::stats::Op::Std.name(), "std");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Op::Sum => "sum",
            Op::Sumsq => "sumsq",
            Op::Min => "min",
            Op::Max => "max",
            Op::Mean => "mean",
            Op::Var => "var",
            Op::Std => "std",
            Op::Count => "count",
            Op::Stats => "stats",
        }
    }

    pub(crate) fn moments(self) -> bool {
        matches!(self, Op::Var | Op::Std | Op::Stats)
    }

    pub(crate) fn extremes(self) -> bool {
        matches!(self, Op::Min | Op::Max | Op::Stats)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What NaN values do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NanPolicy {
    /// Any NaN makes every floating-point result NaN (numpy's `sum`, `min`, ...).
    Propagate,
    /// NaNs are left out, and not counted (numpy's `nansum`, `nanmin`, ...).
    Skip,
}

/// What to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// The statistic.
    pub op: Op,
    /// NaN handling.
    pub nan: NanPolicy,
    /// Floating-point sums (sum, sumsq, mean and the sum and mean of stats) exact and
    /// correctly rounded, so bitwise identical for any ranks, threads and chunking.
    pub reproducible: bool,
}

impl Spec {
    /// `op` with NaN propagation and plain sums.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{NanPolicy, Op, Spec};
    /// let spec = Spec::new(Op::Mean);
    /// assert_eq!((spec.nan, spec.reproducible), (NanPolicy::Propagate, false));
    /// let nanmean = Spec { nan: NanPolicy::Skip, ..spec };
    /// assert_eq!(nanmean.op, Op::Mean);
    /// ```
    pub fn new(op: Op) -> Spec {
        Spec {
            op,
            nan: NanPolicy::Propagate,
            reproducible: false,
        }
    }
}
