//! The closed forms of the generated data (x_i = i), and how far a result may stray from them.

use mpikit::stats::{Spec, Stat, Value};

/// The closed form for x_i = i, i in 0..n.
pub fn expected(op: Stat, n: u64) -> Value {
    let n128 = u128::from(n);
    let f = |v: f64| Value::Float(v);
    let sum = n128 * n128.saturating_sub(1) / 2;
    let var = if n == 0 {
        f64::NAN
    } else {
        ((n128 * n128 - 1) as f64) / 12.0
    };
    match (op, n) {
        (Stat::Min, 0) => f(f64::INFINITY),
        (Stat::Max, 0) => f(f64::NEG_INFINITY),
        (Stat::Mean, 0) => f(f64::NAN),
        (Stat::Sum, _) => f(sum as f64),
        (Stat::SumSq, _) => {
            f((n128.saturating_sub(1) * n128 * (2 * n128).saturating_sub(1) / 6) as f64)
        }
        (Stat::Min, _) => f(0.0),
        (Stat::Max, _) => f((n - 1) as f64),
        (Stat::Mean, _) => f((n - 1) as f64 / 2.0),
        (Stat::Var, _) => f(var),
        (Stat::Std, _) => f(var.sqrt()),
        (Stat::Count, _) => Value::Int(i128::from(n)),
        (Stat::Stats, _) => Value::Stats(Box::new(mpikit::stats::Stats {
            count: n,
            sum: f(sum as f64),
            mean: expected(Stat::Mean, n),
            std: f(var.sqrt()),
            min: expected(Stat::Min, n),
            max: expected(Stat::Max, n),
        })),
    }
}

fn rel_error(result: f64, expected: f64) -> f64 {
    if !expected.is_finite() || !result.is_finite() {
        let same = result == expected || (result.is_nan() && expected.is_nan());
        return if same { 0.0 } else { f64::INFINITY };
    }
    let diff = (result - expected).abs();
    if expected == 0.0 {
        diff
    } else {
        diff / expected.abs()
    }
}

/// The largest relative error over a result's fields.
pub fn value_error(result: &Value, expected: &Value) -> f64 {
    match (result, expected) {
        (Value::Stats(r), Value::Stats(e)) => [
            rel_error(r.count as f64, e.count as f64),
            value_error(&r.sum, &e.sum),
            value_error(&r.mean, &e.mean),
            value_error(&r.std, &e.std),
            value_error(&r.min, &e.min),
            value_error(&r.max, &e.max),
        ]
        .into_iter()
        .fold(0.0, f64::max),
        (r, e) => rel_error(r.to_f64(), e.to_f64()),
    }
}

pub fn tolerance(spec: &Spec, n: u64) -> f64 {
    match spec.stat {
        Stat::Min | Stat::Max | Stat::Count => 0.0,
        Stat::Sum | Stat::SumSq if spec.reproducible => 0.0,
        _ => (n as f64 + 2.0) * f64::EPSILON,
    }
}
