//! Results of a statistic: a float, an exact integer of any size, or the fields of
//! `stats`, with their JSON spelling (non-finite floats as "nan", "inf", "-inf").

use std::fmt;

use serde::{Serialize, Serializer};

/// A result: a float, an exact integer, a complex number, or the fields of `stats`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A floating-point result (JSON: a number, or "nan", "inf", "-inf").
    Float(f64),
    /// An exact integer result (JSON: an integer of any size).
    Int(i128),
    /// An exact unsigned integer result (sums of squares of integers).
    UInt(u128),
    /// The fields of `--op stats`.
    Stats(Box<Stats>),
    /// A complex result: real and imaginary parts (JSON: `{"re": .., "im": ..}`).
    Complex(f64, f64),
    /// Several floats (quantiles; JSON: a list).
    Floats(Vec<f64>),
    /// A histogram (JSON: `{"edges": [..], "counts": [..]}`).
    Histogram {
        /// The bins + 1 edges.
        edges: Vec<f64>,
        /// The count in each bin.
        counts: Vec<u64>,
    },
}

/// The result of `--op stats`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Values counted.
    pub count: u64,
    /// Σ x
    pub sum: Value,
    /// Σ x / n
    pub mean: Value,
    /// Population standard deviation.
    pub std: Value,
    /// min x
    pub min: Value,
    /// max x
    pub max: Value,
}

impl Value {
    /// The value as an `f64` (rounded for large integers; `NaN` for stats).
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::Value;
    /// assert_eq!(Value::Int(3).to_f64(), 3.0);
    /// assert_eq!(Value::Float(0.5).to_f64(), 0.5);
    /// ```
    pub fn to_f64(&self) -> f64 {
        match self {
            Value::Float(v) => *v,
            Value::Int(v) => *v as f64,
            Value::UInt(v) => *v as f64,
            Value::Stats(_) | Value::Complex(..) | Value::Floats(_) | Value::Histogram { .. } => {
                f64::NAN
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(v) => write!(f, "{v:e}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Complex(re, im) => write!(f, "({re:e}{im:+e}j)"),
            Value::Floats(v) => {
                let all: Vec<String> = v.iter().map(|x| format!("{x:e}")).collect();
                write!(f, "{}", all.join(" "))
            }
            Value::Histogram { edges, counts } => write!(
                f,
                "{} bins over [{:e}, {:e}]: {:?}",
                counts.len(),
                edges[0],
                edges[edges.len() - 1],
                counts
            ),
            Value::Stats(s) => write!(
                f,
                "count {} sum {} mean {} std {} min {} max {}",
                s.count, s.sum, s.mean, s.std, s.min, s.max
            ),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Value::Float(x) if x.is_finite() => s.serialize_f64(*x),
            Value::Float(x) if x.is_nan() => s.serialize_str("nan"),
            Value::Float(x) if *x > 0.0 => s.serialize_str("inf"),
            Value::Float(_) => s.serialize_str("-inf"),
            Value::Int(v) => s.serialize_i128(*v),
            Value::UInt(v) => s.serialize_u128(*v),
            Value::Stats(st) => st.serialize(s),
            Value::Floats(v) => s.collect_seq(v.iter().map(|x| Value::Float(*x))),
            Value::Histogram { edges, counts } => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(2))?;
                let edges: Vec<Value> = edges.iter().map(|x| Value::Float(*x)).collect();
                m.serialize_entry("edges", &edges)?;
                m.serialize_entry("counts", counts)?;
                m.end()
            }
            Value::Complex(re, im) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("re", &Value::Float(*re))?;
                m.serialize_entry("im", &Value::Float(*im))?;
                m.end()
            }
        }
    }
}
