//! Moments merged exactly as Welford's and Chan's formulas have them: counts, means and sums
//! of squared deviations, combined pairwise in a fixed order.

/// Chan et al.'s merge of (count, mean, m2) for the values of `a` then `b`.
pub(crate) fn merge_moments(na: u64, ma: f64, m2a: f64, nb: u64, mb: f64, m2b: f64) -> (f64, f64) {
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
pub(crate) fn sum_sq_dev(x: &[f64], m: f64) -> f64 {
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
