//! Unit tests of the parent module.
use super::*;

#[path = "../../../tests/common/fsum.rs"]
mod fsum_impl;
use fsum_impl::fsum;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Random sign, mantissa and an exponent in [lo, hi].
    fn wide(&mut self, lo: i32, hi: i32) -> f64 {
        let r = self.next();
        let e = lo + (r % (hi - lo + 1) as u64) as i32;
        let m = 1.0 + (self.next() >> 12) as f64 / (1u64 << 52) as f64;
        let v = m * 2f64.powi(e);
        if r >> 63 == 1 {
            -v
        } else {
            v
        }
    }
}

fn exact(x: &[f64]) -> f64 {
    let mut s = ExactSum::new();
    s.add_slice(x);
    s.value()
}

#[test]
fn matches_fsum_on_hard_data() {
    let mut rng = Rng(7);
    for (n, lo, hi) in [
        (0usize, 0, 0),
        (1, -5, 5),
        (7, -60, 60),
        (5000, -60, 60),
        (10_001, -300, 300),
        (3000, -1070, -1000),
        (3000, 900, 1015),
    ] {
        let mut x: Vec<f64> = (0..n).map(|_| rng.wide(lo, hi)).collect();
        assert_eq!(exact(&x).to_bits(), fsum(&x).to_bits(), "n={n} [{lo},{hi}]");
        // Cancellation: append the negation of all but a few values.
        let neg: Vec<f64> = x.iter().skip(3).map(|v| -v).collect();
        x.extend(neg);
        assert_eq!(exact(&x).to_bits(), fsum(&x).to_bits(), "cancel n={n}");
    }
}

#[test]
fn fast_paths_match_fsum() {
    // Narrow ranges take the one- and two-level passes; growing magnitudes break the
    // guess from the previous block; a wide block in the middle takes the general path.
    let mut rng = Rng(5);
    let mut cases: Vec<Vec<f64>> = vec![
        (0..50_000).map(|i| i as f64).collect(),
        (0..50_000)
            .map(|_| (rng.next() >> 11) as f64 / 2f64.powi(53))
            .collect(),
        (0..50_000).map(|i| (i as f64).powi(3) * 1e-3).collect(),
        (0..50_000).map(|_| rng.wide(-20, 20)).collect(),
    ];
    let mut mixed: Vec<f64> = (0..20_000).map(|_| rng.wide(-3, 3)).collect();
    mixed.extend((0..2048).map(|_| rng.wide(-200, 200)));
    mixed.extend((0..20_000).map(|_| rng.wide(-3, 3)));
    cases.push(mixed);
    // Full mantissas in [1, 2) need the second level; they cancel in pairs, so a lost
    // bit of either level would show against the tiny remainder.
    let mut pairs = Vec::new();
    for _ in 0..25_000 {
        let v = 1.0 + (rng.next() >> 12) as f64 / 2f64.powi(52);
        pairs.extend([v, -v]);
    }
    pairs.push(2f64.powi(-80));
    cases.push(pairs);
    for (k, x) in cases.iter().enumerate() {
        assert_eq!(exact(x).to_bits(), fsum(x).to_bits(), "case {k}");
    }
}

#[test]
fn order_and_chunking_do_not_matter() {
    let mut rng = Rng(11);
    let x: Vec<f64> = (0..20_000).map(|_| rng.wide(-80, 80)).collect();
    let whole = exact(&x);
    let mut rev = x.clone();
    rev.reverse();
    assert_eq!(exact(&rev).to_bits(), whole.to_bits());
    for cut in [1usize, 3, 2047, 2048, 2049, 9999] {
        let mut a = ExactSum::new();
        let mut b = ExactSum::new();
        a.add_slice(&x[..cut]);
        b.add_slice(&x[cut..]);
        b.merge(&a);
        assert_eq!(b.value().to_bits(), whole.to_bits(), "cut {cut}");
        // Through the digits, as across ranks.
        let sum: Vec<i64> = a
            .to_digits()
            .iter()
            .zip(ExactSum::new().to_digits())
            .map(|(p, q)| p + q)
            .collect();
        let mut c = ExactSum::from_digits(&sum);
        let mut d = ExactSum::new();
        d.add_slice(&x[cut..]);
        c.merge(&d);
        assert_eq!(c.value().to_bits(), whole.to_bits(), "digits cut {cut}");
    }
}

#[test]
fn special_values_and_edges() {
    assert!(exact(&[1.0, f64::NAN]).is_nan());
    assert!(exact(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
    assert_eq!(exact(&[f64::INFINITY, 1.0]), f64::INFINITY);
    assert_eq!(exact(&[-f64::INFINITY, 1.0]), f64::NEG_INFINITY);
    assert_eq!(exact(&[f64::MAX, f64::MAX]), f64::INFINITY);
    assert_eq!(exact(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX);
    let tiny = f64::from_bits(1);
    assert_eq!(exact(&[tiny, tiny, tiny]), f64::from_bits(3));
    assert_eq!(exact(&[1.0, tiny, -1.0]), tiny);
    assert_eq!(exact(&[-0.5, -0.25]), -0.75);
    // Ties to even: 1 + 2^-53 rounds to 1, 1 + 2^-53 + 2^-100 rounds up.
    assert_eq!(exact(&[1.0, 2f64.powi(-53)]), 1.0);
    assert_eq!(
        exact(&[1.0, 2f64.powi(-53), 2f64.powi(-100)]),
        1.0 + f64::EPSILON
    );
}

#[test]
fn squares() {
    let mut rng = Rng(3);
    let x: Vec<f64> = (0..5000).map(|_| rng.wide(-100, 100)).collect();
    let mut parts = Vec::new();
    for &v in &x {
        let h = v * v;
        parts.push(h);
        parts.push(v.mul_add(v, -h));
    }
    let mut s = ExactSum::new();
    s.add_squares(&x);
    assert_eq!(s.value().to_bits(), fsum(&parts).to_bits());
}
