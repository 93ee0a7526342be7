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
use crate::stats::kernels;
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

/// A [`Summary`] of integer values: exact 128-bit sums.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntSummary {
    count: u64,
    sum: i128,
    sumsq: u128,
    overflow: bool,
    min: i128,
    max: i128,
    mean: f64,
    m2: f64,
}

/// Chan et al.'s merge of (count, mean, m2) for the values of `a` then `b`.
fn merge_moments(na: u64, ma: f64, m2a: f64, nb: u64, mb: f64, m2b: f64) -> (f64, f64) {
    if nb == 0 {
        return (ma, m2a);
    }
    if na == 0 {
        return (mb, m2b);
    }
    let (na, nb) = (na as f64, nb as f64);
    let n = na + nb;
    let delta = mb - ma;
    (
        ma + delta * (nb / n),
        m2a + m2b + delta * delta * (na * nb / n),
    )
}

/// Σ (x − m)², eight lanes.
fn sum_sq_dev(x: &[f64], m: f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for j in 0..8 {
            let d = c[j] - m;
            acc[j] += d * d;
        }
    }
    for (j, &v) in tail.iter().enumerate() {
        acc[j] += (v - m) * (v - m);
    }
    acc.iter().sum()
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

impl IntSummary {
    /// An empty summary of integer values, summed exactly.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{IntSummary, Spec, Stat, Summary, Value};
    /// let spec = Spec::new(Stat::Sum);
    /// let mut s = IntSummary::new();
    /// s.push(&spec, &[i64::MAX as i128, i64::MAX as i128]);
    /// assert_eq!(Summary::from(s).result(&spec)?, Value::Int(2 * i64::MAX as i128)); // exact
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn new() -> IntSummary {
        IntSummary {
            count: 0,
            sum: 0,
            sumsq: 0,
            overflow: false,
            min: i128::MAX,
            max: i128::MIN,
            mean: 0.0,
            m2: 0.0,
        }
    }

    /// Adds the next block of values.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{IntSummary, Spec, Stat, Summary, Value};
    /// let spec = Spec::new(Stat::Min);
    /// let mut s = IntSummary::new();
    /// s.push(&spec, &[5, -3, 2]);
    /// assert_eq!(Summary::from(s).result(&spec)?, Value::Int(-3));
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn push(&mut self, spec: &Spec, x: &[i128]) {
        if x.is_empty() {
            return;
        }
        let n = x.len() as u64;
        let op = spec.stat;
        // |x| < 2^64 and n < 2^63, so the sum cannot leave i128.
        let sum: i128 = x.iter().sum();
        self.sum += sum;
        if op == Stat::SumSq {
            for &v in x {
                let sq = v.unsigned_abs() * v.unsigned_abs();
                match self.sumsq.checked_add(sq) {
                    Some(s) => self.sumsq = s,
                    None => self.overflow = true,
                }
            }
        }
        if op.extremes() {
            self.min = self.min.min(*x.iter().min().expect("not empty"));
            self.max = self.max.max(*x.iter().max().expect("not empty"));
        }
        if op.moments() {
            let mb = sum as f64 / n as f64;
            let m2b = x
                .iter()
                .map(|&v| {
                    let d = v as f64 - mb;
                    d * d
                })
                .sum();
            (self.mean, self.m2) = merge_moments(self.count, self.mean, self.m2, n, mb, m2b);
        }
        self.count += n;
    }

    /// Appends the summary of the values that follow this one's.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{IntSummary, Spec, Stat, Summary, Value};
    /// let spec = Spec::new(Stat::Count);
    /// let (mut a, mut b) = (IntSummary::new(), IntSummary::new());
    /// a.push(&spec, &[1, 2]);
    /// b.push(&spec, &[3]);
    /// a.merge(&b);
    /// assert_eq!(Summary::from(a).result(&spec)?, Value::Int(3));
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn merge(&mut self, b: &IntSummary) {
        (self.mean, self.m2) = merge_moments(self.count, self.mean, self.m2, b.count, b.mean, b.m2);
        self.count += b.count;
        self.sum += b.sum;
        match self.sumsq.checked_add(b.sumsq) {
            Some(s) => self.sumsq = s,
            None => self.overflow = true,
        }
        self.overflow |= b.overflow;
        self.min = self.min.min(b.min);
        self.max = self.max.max(b.max);
    }

    fn result(&self, spec: &Spec) -> Result<Value> {
        let count = self.count;
        let empty = count == 0;
        let mean = if empty {
            f64::NAN
        } else {
            self.sum as f64 / count as f64
        };
        let std = if empty {
            f64::NAN
        } else {
            (self.m2 / count as f64).sqrt()
        };
        let min = if empty {
            Value::Float(f64::INFINITY)
        } else {
            Value::Int(self.min)
        };
        let max = if empty {
            Value::Float(f64::NEG_INFINITY)
        } else {
            Value::Int(self.max)
        };
        Ok(match spec.stat {
            Stat::Sum => Value::Int(self.sum),
            Stat::SumSq if self.overflow => {
                return Err(Error::input(
                    "the sum of squares does not fit in 128 bits (an exact integer); \
                     convert the data to f64 for an approximate sum",
                ))
            }
            Stat::SumSq => Value::UInt(self.sumsq),
            Stat::Min => min,
            Stat::Max => max,
            Stat::Mean => Value::Float(mean),
            Stat::Var => Value::Float(std * std),
            Stat::Std => Value::Float(std),
            Stat::Count => Value::Int(i128::from(count)),
            Stat::Stats => Value::Stats(Box::new(Stats {
                count,
                sum: Value::Int(self.sum),
                mean: Value::Float(mean),
                std: Value::Float(std),
                min,
                max,
            })),
        })
    }
}

impl Default for IntSummary {
    fn default() -> Self {
        IntSummary::new()
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
