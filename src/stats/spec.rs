//! What to compute: the statistic ([`Stat`]), what NaN
//! values do ([`NanPolicy`]), and whether floating-point sums are exact ([`Spec`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What to compute: the one list of statistics, used by [`Partial`](crate::stats::Partial)
/// (the vectorised one-value kernels), [`Spec`] and [`Summary`](crate::stats::Summary) (NaN
/// policies, exact integer sums), [`DistArray`](crate::DistArray) and parsum's `--op`.
///
/// # Examples
/// ```
/// use mpikit::stats::Stat;
/// let stat: Stat = "sumsq".parse()?;
/// assert_eq!((stat, stat.name()), (Stat::SumSq, "sumsq"));
/// assert!("median".parse::<Stat>().is_err()); // an order statistic: stats::median
/// # Ok::<(), mpikit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    /// Σ x
    Sum,
    /// Σ x²
    SumSq,
    /// min x (`+inf` for no data)
    Min,
    /// max x (`-inf` for no data)
    Max,
    /// Σ x / n (`NaN` for no data)
    Mean,
    /// Population variance Σ (x − mean)² / n (numpy's default, ddof = 0).
    Var,
    /// √var
    Std,
    /// n (values that are not NaN, with `NanPolicy::Skip`)
    Count,
    /// count, sum, mean, std, min and max in one pass (a [`Summary`](crate::stats::Summary)
    /// only: several values).
    Stats,
}

impl Stat {
    /// Every statistic, in a fixed order.
    pub const ALL: [Stat; 9] = [
        Stat::Sum,
        Stat::SumSq,
        Stat::Min,
        Stat::Max,
        Stat::Mean,
        Stat::Var,
        Stat::Std,
        Stat::Count,
        Stat::Stats,
    ];

    /// The flag spelling: `sum`, `sumsq`, `min`, `max`, `mean`, `var`, `std`, `count`,
    /// `stats`.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::stats::Stat::Std.name(), "std");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Stat::Sum => "sum",
            Stat::SumSq => "sumsq",
            Stat::Min => "min",
            Stat::Max => "max",
            Stat::Mean => "mean",
            Stat::Var => "var",
            Stat::Std => "std",
            Stat::Count => "count",
            Stat::Stats => "stats",
        }
    }

    pub(crate) fn moments(self) -> bool {
        matches!(self, Stat::Var | Stat::Std | Stat::Stats)
    }

    pub(crate) fn extremes(self) -> bool {
        matches!(self, Stat::Min | Stat::Max | Stat::Stats)
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Stat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Stat> {
        Stat::ALL
            .into_iter()
            .find(|stat| stat.name() == s)
            .ok_or_else(|| {
                Error::input(format!(
                    "unknown statistic {s:?} (expected sum, sumsq, min, max, mean, var, std, \
                     count or stats)"
                ))
            })
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
    pub stat: Stat,
    /// NaN handling.
    pub nan: NanPolicy,
    /// Floating-point sums (sum, sumsq, mean and the sum and mean of stats) exact and
    /// correctly rounded, so bitwise identical for any ranks, threads and chunking.
    pub reproducible: bool,
}

impl Spec {
    /// `stat` with NaN propagation and plain sums.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{NanPolicy, Stat, Spec};
    /// let spec = Spec::new(Stat::Mean);
    /// assert_eq!((spec.nan, spec.reproducible), (NanPolicy::Propagate, false));
    /// let nanmean = Spec { nan: NanPolicy::Skip, ..spec };
    /// assert_eq!(nanmean.stat, Stat::Mean);
    /// ```
    pub fn new(stat: Stat) -> Spec {
        Spec {
            stat,
            nan: NanPolicy::Propagate,
            reproducible: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_names_round_trip() {
        for s in Stat::ALL {
            assert_eq!(s.name().parse::<Stat>().unwrap(), s);
            assert_eq!(s.to_string(), s.name());
        }
        let err = "median".parse::<Stat>().unwrap_err().to_string();
        assert!(err.contains("median"), "{err}");
    }
}
