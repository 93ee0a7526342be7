//! numpy's order statistics written out from its definitions, on sorted copies: what the
//! order-statistic tests compare parsum's distributed answers with.
#![allow(dead_code)]

/// numpy's quantile of sorted `a` at `q` by `method`, written out from numpy's definitions:
/// virtual index (n - 1) q, neighbours clipped to the ends, `_lerp` computed from the
/// upper neighbour when the weight is at least one half.
pub fn numpy_quantile(a: &[f64], q: f64, method: &str) -> f64 {
    let n = a.len();
    let h = (n - 1) as f64 * q;
    let at = |i: f64| a[(i.max(0.0) as usize).min(n - 1)];
    let lerp = |x: f64, y: f64, t: f64| {
        if t >= 0.5 {
            y - (y - x) * (1.0 - t)
        } else {
            x + (y - x) * t
        }
    };
    let (lo, hi) = (h.floor(), h.floor() + 1.0);
    match method {
        "linear" => lerp(at(lo), at(hi), h - lo),
        "lower" => at(lo),
        "higher" => at(h.ceil()),
        // numpy.around: halves to even.
        "nearest" => {
            let r = if (h - h.floor()) == 0.5 {
                if h.floor() % 2.0 == 0.0 {
                    h.floor()
                } else {
                    h.ceil()
                }
            } else {
                h.round()
            };
            at(r)
        }
        "midpoint" if h.fract() == 0.0 => at(lo),
        "midpoint" => lerp(at(lo), at(hi), 0.5),
        _ => unreachable!(),
    }
}

pub fn numpy_median(a: &[f64]) -> f64 {
    let n = a.len();
    if n % 2 == 1 {
        a[n / 2]
    } else {
        (a[n / 2 - 1] + a[n / 2]) / 2.0
    }
}

/// numpy's histogram by its edges alone: `linspace` edges, bin i holds
/// `edges[i] <= x < edges[i + 1]`, the last bin also its right edge.
pub fn numpy_histogram(x: &[f64], bins: usize, range: Option<(f64, f64)>) -> (Vec<f64>, Vec<u64>) {
    let (mut lo, mut hi) = range.unwrap_or_else(|| {
        let v = x.iter().filter(|v| !v.is_nan());
        (
            v.clone().copied().fold(f64::INFINITY, f64::min),
            v.copied().fold(f64::NEG_INFINITY, f64::max),
        )
    });
    if lo == hi {
        lo -= 0.5;
        hi += 0.5;
    }
    let step = (hi - lo) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + lo).collect();
    edges[bins] = hi;
    let mut counts = vec![0u64; bins];
    for &v in x {
        if let Some(i) = (0..bins)
            .find(|&i| v >= edges[i] && (v < edges[i + 1] || (i == bins - 1 && v == edges[bins])))
        {
            counts[i] += 1;
        }
    }
    (edges, counts)
}
