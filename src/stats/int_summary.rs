//! Integer data summarised exactly: [`IntSummary`] keeps 128-bit sums and sums of squares
//! (an overflow is reported, never wrapped), extremes, and moments for var and std.

use crate::error::{Error, Result};
use crate::stats::moments::merge_moments;
use crate::stats::spec::{Spec, Stat};
use crate::stats::value::{Stats, Value};
use serde::{Deserialize, Serialize};

/// A [`Summary`](crate::stats::Summary) of integer values: exact 128-bit sums.
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

    pub(crate) fn result(&self, spec: &Spec) -> Result<Value> {
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
