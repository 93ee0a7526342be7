//! Statistics of a distributed array, built block by block and merged in order: sums,
//! extremes, counts, Welford moments, exact (reproducible) sums and exact integer sums.
//!
//! A [`Summary`] takes blocks of values ([`Summary::push_floats`] / [`Summary::push_ints`]),
//! merges with the summary of the data after it ([`Summary::merge`]), and is combined over
//! ranks in rank order ([`Summary::combine`]), so every rank gets the same result. Variance
//! uses the parallel formula of Chan, Golub and LeVeque (each block's mean and squared
//! deviations, merged pairwise), not the cancelling Σx² − (Σx)²/n.

use crate::runtime::world::Comm;
use serde::{Deserialize, Serialize};

use crate::collective::object::ObjectCollectives;
use crate::error::{Error, Result};
use crate::runtime::threads::map_parts;
use crate::stats::exact::ExactSum;
pub use crate::stats::int_summary::IntSummary;
use crate::stats::kernels;
use crate::stats::moments::{merge_moments, sum_sq_dev};
use crate::stats::spec::{NanPolicy, Spec, Stat};
use crate::stats::value::{Stats, Value};

/// A partial result: what a run of consecutive values contributes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Summary {
    /// Floating-point data (f32 values are widened exactly to f64).
    Float(FloatSummary),
    /// Integer data, summed exactly.
    Int(IntSummary),
}

/// A [`Summary`] of floating-point values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloatSummary {
    count: u64,
    nan: u64,
    sum: f64,
    sumsq: f64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
    exact: Option<ExactSum>,
}

impl FloatSummary {
    /// An empty summary of floating-point values, for `spec` (an exact sum is kept when it
    /// asks for reproducible sums).
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{FloatSummary, Spec, Stat, Summary, Value};
    /// let spec = Spec::new(Stat::Mean);
    /// let mut s = FloatSummary::new(&spec);
    /// s.push(&spec, &[1.0, 2.0, 3.0], &mut Vec::new());
    /// assert_eq!(Summary::from(s).result(&spec)?, Value::Float(2.0));
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn new(spec: &Spec) -> FloatSummary {
        FloatSummary {
            count: 0,
            nan: 0,
            sum: 0.0,
            sumsq: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            m2: 0.0,
            exact: spec.reproducible.then(ExactSum::new),
        }
    }

    /// Adds the next block of values; `scratch` is reused between calls.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{FloatSummary, NanPolicy, Spec, Stat, Summary, Value};
    /// let spec = Spec { nan: NanPolicy::Skip, ..Spec::new(Stat::Max) };
    /// let mut s = FloatSummary::new(&spec);
    /// s.push(&spec, &[1.0, f64::NAN, 7.0], &mut Vec::new());
    /// assert_eq!(Summary::from(s).result(&spec)?, Value::Float(7.0)); // numpy's nanmax
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn push(&mut self, spec: &Spec, x: &[f64], scratch: &mut Vec<f64>) {
        let op = spec.stat;
        let check = spec.nan == NanPolicy::Skip || op.extremes();
        let nan = if check {
            kernels::count_nan(x) as u64
        } else {
            0
        };
        let x = if nan == 0 {
            x
        } else if spec.nan == NanPolicy::Propagate {
            // The result is NaN whatever else is in the block.
            self.nan += nan;
            self.count += x.len() as u64;
            return;
        } else {
            self.nan += nan;
            scratch.clear();
            scratch.extend(x.iter().copied().filter(|v| !v.is_nan()));
            &scratch[..]
        };
        if x.is_empty() {
            return;
        }
        let n = x.len() as u64;
        match op {
            Stat::Count => {}
            Stat::Sum | Stat::Mean | Stat::Stats | Stat::Var | Stat::Std => {
                let exact = matches!(op, Stat::Sum | Stat::Mean | Stat::Stats)
                    .then_some(self.exact.as_mut())
                    .flatten();
                let plain = match exact {
                    Some(e) => {
                        e.add_slice(x);
                        None
                    }
                    None => {
                        let s = kernels::sum(x);
                        self.sum += s;
                        Some(s)
                    }
                };
                if op.moments() {
                    let s = plain.unwrap_or_else(|| kernels::sum(x));
                    let mb = s / n as f64;
                    let m2b = sum_sq_dev(x, mb);
                    (self.mean, self.m2) =
                        merge_moments(self.count, self.mean, self.m2, n, mb, m2b);
                }
            }
            Stat::SumSq => match &mut self.exact {
                Some(e) => e.add_squares(x),
                None => self.sumsq += kernels::sum_sq(x),
            },
            Stat::Min | Stat::Max => {}
        }
        if op.extremes() {
            self.min = self.min.min(kernels::min(x));
            self.max = self.max.max(kernels::max(x));
        }
        self.count += n;
    }

    /// Appends the summary of the values that follow this one's.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{FloatSummary, Spec, Stat, Summary, Value};
    /// let spec = Spec::new(Stat::Var);
    /// let (mut a, mut b) = (FloatSummary::new(&spec), FloatSummary::new(&spec));
    /// a.push(&spec, &[1.0, 2.0], &mut Vec::new());
    /// b.push(&spec, &[3.0, 4.0], &mut Vec::new());
    /// a.merge(&b);
    /// assert_eq!(Summary::from(a).result(&spec)?, Value::Float(1.25)); // numpy's var([1, 2, 3, 4])
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn merge(&mut self, b: &FloatSummary) {
        (self.mean, self.m2) = merge_moments(self.count, self.mean, self.m2, b.count, b.mean, b.m2);
        self.count += b.count;
        self.nan += b.nan;
        self.sum += b.sum;
        self.sumsq += b.sumsq;
        self.min = self.min.min(b.min);
        self.max = self.max.max(b.max);
        if let (Some(a), Some(b)) = (&mut self.exact, &b.exact) {
            a.merge(b);
        }
    }

    fn result(&self, spec: &Spec) -> Value {
        let propagate = spec.nan == NanPolicy::Propagate && self.nan > 0;
        let f = |v: f64| Value::Float(if propagate { f64::NAN } else { v });
        let count = self.count;
        let sum = match &self.exact {
            Some(e) if spec.stat != Stat::SumSq => e.value(),
            _ => self.sum,
        };
        let mean = if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        };
        let var = if count == 0 {
            f64::NAN
        } else {
            self.m2 / count as f64
        };
        match spec.stat {
            Stat::Sum => f(sum),
            Stat::SumSq => f(match &self.exact {
                Some(e) => e.value(),
                None => self.sumsq,
            }),
            Stat::Min => f(self.min),
            Stat::Max => f(self.max),
            Stat::Mean => f(mean),
            Stat::Var => f(var),
            Stat::Std => f(var.sqrt()),
            Stat::Count => Value::Int(i128::from(count)),
            Stat::Stats => Value::Stats(Box::new(Stats {
                count,
                sum: f(sum),
                mean: f(mean),
                std: f(var.sqrt()),
                min: f(self.min),
                max: f(self.max),
            })),
        }
    }
}

impl From<FloatSummary> for Summary {
    fn from(s: FloatSummary) -> Summary {
        Summary::Float(s)
    }
}

impl From<IntSummary> for Summary {
    fn from(s: IntSummary) -> Summary {
        Summary::Int(s)
    }
}

impl Summary {
    /// Appends the summary of the values that follow this one's; an `Err` if one summarises
    /// floating-point values and the other integers.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{summarize_floats, IntSummary, Spec, Stat, Summary, Value};
    /// let spec = Spec::new(Stat::Var);
    /// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    /// let mut a = summarize_floats(&spec, &[1.0, 2.0], &pool);
    /// a.merge(&summarize_floats(&spec, &[3.0, 4.0], &pool))?;
    /// assert_eq!(a.result(&spec)?, Value::Float(1.25)); // numpy's var([1, 2, 3, 4])
    /// assert!(a.merge(&Summary::from(IntSummary::new())).is_err());
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn merge(&mut self, later: &Summary) -> Result<()> {
        match (self, later) {
            (Summary::Float(a), Summary::Float(b)) => a.merge(b),
            (Summary::Int(a), Summary::Int(b)) => a.merge(b),
            _ => {
                return Err(Error::input(
                    "merging a summary of floating-point values with one of integers",
                ))
            }
        }
        Ok(())
    }

    /// Merges every rank's summary in rank order; every rank gets the same total.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::stats::{summarize_floats, Stat, Spec};
    /// mpikit::run(|world| {
    ///     let spec = Spec::new(Stat::Std);
    ///     let x: Vec<f64> = world.block(1000).map(|i| i as f64).collect();
    ///     let total = summarize_floats(&spec, &x, world.pool()).combine(world)?;
    ///     println!("std = {}", total.result(&spec)?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn combine<A: Comm + ?Sized>(&self, comm: &A) -> Result<Summary> {
        let comm = comm.as_comm();
        let all = comm.allgather_objects(self)?;
        let mut it = all.into_iter();
        let mut total = it.next().expect("a communicator has a rank");
        for s in it {
            // Every rank merges the same summaries in the same order: the same Ok or Err.
            total.merge(&s)?;
        }
        Ok(total)
    }

    /// The statistic (an `Err` if an exact integer sum of squares overflowed).
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{FloatSummary, Spec, Stat, Summary, Value};
    /// let spec = Spec::new(Stat::Count);
    /// let mut s = FloatSummary::new(&spec);
    /// s.push(&spec, &[1.0, 2.0], &mut Vec::new());
    /// assert_eq!(Summary::from(s).result(&spec)?, Value::Int(2));
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn result(&self, spec: &Spec) -> Result<Value> {
        match self {
            Summary::Float(s) => Ok(s.result(spec)),
            Summary::Int(s) => s.result(spec),
        }
    }
}

/// Summarises an in-memory slice with the threads of `pool`: blocks of 8192 values, merged
/// in block order.
///
/// # Examples
/// ```
/// use mpikit::stats::{summarize_floats, Stat, Spec, Value};
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
/// let s = summarize_floats(&Spec::new(Stat::Var), &x, &pool);
/// let Value::Float(var) = s.result(&Spec::new(Stat::Var)).unwrap() else { panic!() };
/// assert!((var - (1000.0f64 * 1000.0 - 1.0) / 12.0).abs() < 1e-9);
/// ```
pub fn summarize_floats(spec: &Spec, x: &[f64], pool: &rayon::ThreadPool) -> Summary {
    const BLOCK: usize = 8192;
    let parts: Vec<FloatSummary> = map_parts(pool, x.len(), |r| {
        let mut s = FloatSummary::new(spec);
        let mut scratch = Vec::new();
        for block in x[r].chunks(BLOCK) {
            s.push(spec, block, &mut scratch);
        }
        s
    });
    let mut total = FloatSummary::new(spec);
    for p in &parts {
        total.merge(p);
    }
    Summary::Float(total)
}

#[cfg(test)]
mod tests;
