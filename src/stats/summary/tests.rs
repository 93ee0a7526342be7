//! Unit tests of the parent module.
use super::*;

use crate::runtime::threads::test_pool as pool;

fn float(v: Value) -> f64 {
    match v {
        Value::Float(x) => x,
        other => panic!("not a float: {other:?}"),
    }
}

#[test]
fn welford_merge_matches_two_pass() {
    let x: Vec<f64> = (0..30_001).map(|i| 1e9 + ((i * 37) % 101) as f64).collect();
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    for t in [1, 2, 3] {
        let spec = Spec::new(Stat::Var);
        let got = float(summarize_floats(&spec, &x, &pool(t)).result(&spec).unwrap());
        assert!((got - var).abs() <= 1e-9 * var, "{got} vs {var}");
    }
}

#[test]
fn nan_policies() {
    let x = [1.0, f64::NAN, 3.0];
    let p = pool(1);
    for op in [Stat::Sum, Stat::Min, Stat::Max, Stat::Mean, Stat::Std] {
        let spec = Spec::new(op);
        assert!(float(summarize_floats(&spec, &x, &p).result(&spec).unwrap()).is_nan());
    }
    let skip = |op| Spec {
        stat: op,
        nan: NanPolicy::Skip,
        reproducible: false,
    };
    let r = |op| {
        summarize_floats(&skip(op), &x, &p)
            .result(&skip(op))
            .unwrap()
    };
    assert_eq!(r(Stat::Sum), Value::Float(4.0));
    assert_eq!(r(Stat::Min), Value::Float(1.0));
    assert_eq!(r(Stat::Max), Value::Float(3.0));
    assert_eq!(r(Stat::Count), Value::Int(2));
    assert_eq!(r(Stat::Var), Value::Float(1.0));
    let spec = Spec::new(Stat::Count);
    assert_eq!(
        summarize_floats(&spec, &x, &p).result(&spec).unwrap(),
        Value::Int(3)
    );
}

#[test]
fn integer_sums_are_exact_and_overflow_is_reported() {
    let x: Vec<i128> = vec![u64::MAX as i128; 1000];
    let mut s = IntSummary::new();
    s.push(&Spec::new(Stat::Sum), &x);
    assert_eq!(
        Summary::from(s).result(&Spec::new(Stat::Sum)).unwrap(),
        Value::Int(1000 * u64::MAX as i128)
    );
    let spec = Spec::new(Stat::SumSq);
    let mut s = IntSummary::new();
    s.push(&spec, &x[..1]);
    assert_eq!(
        Summary::from(s.clone()).result(&spec).unwrap(),
        Value::UInt(u64::MAX as u128 * u64::MAX as u128)
    );
    s.push(&spec, &x);
    assert!(Summary::from(s).result(&spec).is_err());
}

#[test]
fn json_of_values() {
    let v = serde_json::to_string(&Value::Int(-(1i128 << 100))).unwrap();
    assert_eq!(v, "-1267650600228229401496703205376");
    assert_eq!(
        serde_json::to_string(&Value::Float(f64::NAN)).unwrap(),
        "\"nan\""
    );
}
