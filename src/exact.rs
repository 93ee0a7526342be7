//! Exact, bitwise-reproducible floating-point sums: a superaccumulator.
//!
//! [`ExactSum`] holds the exact sum of any number of `f64` values as one fixed-point integer
//! wide enough for every finite double (2^-1074 up to 2^1066), so the order of the additions
//! — threads, ranks, chunk boundaries — cannot change the result. [`ExactSum::value`] rounds
//! it once, to nearest-even: the correctly rounded sum. Two accumulators merge exactly
//! ([`ExactSum::merge`]), and across ranks the digits add in one `MPI_Allreduce` of integers.
//!
//! The bulk path is vectorised: a block of values is split with Rump's error-free
//! extraction `q = (σ + x) − σ`, `r = x − q` against a power of two σ above the block's
//! largest magnitude; every `q` is an integer multiple of one unit, so a whole block adds up
//! exactly in 64-bit integers (read straight from the bits of `σ + x`), and the residuals
//! `r` go round again with a unit 2^50 times smaller until they are all zero (two rounds for
//! typical data). Infinities, NaN and the far ends of the exponent range take a scalar path.

use serde::{Deserialize, Serialize};

/// Digits of 32 bits held in `i64`s; digit `i` weighs 2^(32 i + LOW).
const DIGITS: usize = 72;
/// Weight of the lowest digit's lowest bit (below the smallest subnormal, 2^-1074).
const LOW: i32 = -1152;
/// Values per vectorised block: each extracted integer is below 2^50, so 2^11 of them
/// cannot overflow an `i64`.
const BLOCK: usize = 2048;
/// Digit additions allowed before a carry pass (each adds less than 2^32 to a digit).
const MAX_PENDING: u32 = 1 << 30;
const SIGN: u64 = 1 << 63;
const EXP_MASK: u64 = 0x7ff0_0000_0000_0000;

/// The exact sum of `f64` values, with counts of the infinities and NaNs met.
///
/// # Examples
/// ```
/// use mpikit::ExactSum;
/// let x = [1e100, 1.0, -1e100, 1e-100];
/// let mut s = ExactSum::new();
/// s.add_slice(&x);
/// assert_eq!(s.value(), 1.0 + 1e-100); // a plain sum gives 1e-100
/// assert_eq!(x.iter().sum::<f64>(), 1e-100);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactSum {
    digits: Vec<i64>,
    pending: u32,
    /// The extraction level of the last block added (a guess for the next one).
    #[serde(skip)]
    guess: Option<i32>,
    /// Whether the last block needed a second level.
    #[serde(skip)]
    deep: bool,
    /// +inf values seen.
    pub pos_inf: u64,
    /// -inf values seen.
    pub neg_inf: u64,
    /// NaN values seen.
    pub nan: u64,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum::new()
    }
}

impl ExactSum {
    /// An empty sum (zero).
    pub fn new() -> ExactSum {
        ExactSum {
            digits: vec![0; DIGITS],
            pending: 0,
            guess: None,
            deep: false,
            pos_inf: 0,
            neg_inf: 0,
            nan: 0,
        }
    }

    /// Adds one value exactly.
    pub fn add(&mut self, x: f64) {
        self.add_scalar(x);
    }

    /// Adds every value of `x` exactly.
    pub fn add_slice(&mut self, x: &[f64]) {
        let mut buf = [0.0f64; BLOCK];
        for block in x.chunks(BLOCK) {
            self.add_block(block, &mut buf[..block.len()]);
        }
    }

    /// Adds every square `x²` of `x` exactly (each square split into `h + l` with a fused
    /// multiply-add; exact unless a square overflows to infinity or falls below 2^-1022).
    pub fn add_squares(&mut self, x: &[f64]) {
        let mut hi = [0.0f64; BLOCK];
        let mut lo = [0.0f64; BLOCK];
        let mut buf = [0.0f64; BLOCK];
        for block in x.chunks(BLOCK) {
            let n = block.len();
            split_squares(block, &mut hi[..n], &mut lo[..n]);
            self.add_block(&hi[..n], &mut buf[..n]);
            self.add_block(&lo[..n], &mut buf[..n]);
        }
    }

    /// Adds `other`, which may hold values from anywhere (the sum does not depend on order).
    pub fn merge(&mut self, other: &ExactSum) {
        self.normalize();
        let mut other = other.clone();
        other.normalize();
        for (d, o) in self.digits.iter_mut().zip(&other.digits) {
            *d += o;
        }
        self.pending = 2;
        self.pos_inf += other.pos_inf;
        self.neg_inf += other.neg_inf;
        self.nan += other.nan;
    }

    /// The sum rounded once to the nearest `f64` (ties to even): `NaN` if a NaN was added
    /// or both infinities were, `±inf` if one was or the exact sum is beyond `f64::MAX`.
    pub fn value(&self) -> f64 {
        if self.nan > 0 || (self.pos_inf > 0 && self.neg_inf > 0) {
            return f64::NAN;
        }
        if self.pos_inf > 0 {
            return f64::INFINITY;
        }
        if self.neg_inf > 0 {
            return f64::NEG_INFINITY;
        }
        let mut d = self.digits.clone();
        carry(&mut d);
        let negative = d[DIGITS - 1] < 0;
        if negative {
            d.iter_mut().for_each(|x| *x = -*x);
            carry(&mut d);
        }
        let magnitude = round_to_f64(&d);
        if negative {
            -magnitude
        } else {
            magnitude
        }
    }

    /// The digits in canonical form, for an integer `MPI_SUM` across ranks
    /// ([`ExactSum::from_digits`] reads the sum back).
    pub fn to_digits(&self) -> Vec<i64> {
        let mut d = self.digits.clone();
        carry(&mut d);
        d.extend([self.pos_inf as i64, self.neg_inf as i64, self.nan as i64]);
        d
    }

    /// Number of `i64`s in [`ExactSum::to_digits`].
    pub const DIGITS_LEN: usize = DIGITS + 3;

    /// The sum of accumulators whose [`to_digits`](ExactSum::to_digits) were added
    /// element-wise (fewer than 2^31 of them).
    pub fn from_digits(sum: &[i64]) -> ExactSum {
        assert_eq!(sum.len(), Self::DIGITS_LEN, "ExactSum::from_digits length");
        ExactSum {
            digits: sum[..DIGITS].to_vec(),
            pending: MAX_PENDING,
            guess: None,
            deep: false,
            pos_inf: sum[DIGITS] as u64,
            neg_inf: sum[DIGITS + 1] as u64,
            nan: sum[DIGITS + 2] as u64,
        }
    }

    fn normalize(&mut self) {
        if self.pending > 0 {
            carry(&mut self.digits);
            self.pending = 0;
        }
    }

    /// Adds `v · 2^e` (`e ≥ -1152`, and `v · 2^e` below 2^1100).
    #[inline]
    fn add_int(&mut self, v: i64, e: i32) {
        if v == 0 {
            return;
        }
        if self.pending >= MAX_PENDING {
            self.normalize();
        }
        self.pending += 1;
        let s = (e - LOW) as usize;
        let (i, r) = (s / 32, s % 32);
        let w = i128::from(v) << r;
        self.digits[i] += (w as u32) as i64;
        self.digits[i + 1] += ((w >> 32) as u32) as i64;
        self.digits[i + 2] += (w >> 64) as i64;
    }

    fn add_scalar(&mut self, x: f64) {
        let bits = x.to_bits();
        let exp = ((bits & EXP_MASK) >> 52) as i32;
        let frac = (bits & ((1 << 52) - 1)) as i64;
        if exp == 0x7ff {
            if frac != 0 {
                self.nan += 1;
            } else if bits & SIGN == 0 {
                self.pos_inf += 1;
            } else {
                self.neg_inf += 1;
            }
            return;
        }
        let (m, e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), exp - 1075)
        };
        self.add_int(if bits & SIGN != 0 { -m } else { m }, e);
    }

    /// Adds one block of at most [`BLOCK`] values; `buf` is scratch of the same length.
    ///
    /// The fast path extracts one level (or two, when the previous block needed two) in one
    /// pass that also measures the block's largest magnitude, so the data is read from memory
    /// once and nothing is stored: σ comes from the previous block's maximum. A block that
    /// does not fit the guess is redone from cache: with two levels, or on the general path,
    /// level by level through `buf` (values spanning more than about 100 bits).
    fn add_block(&mut self, x: &[f64], buf: &mut [f64]) {
        if let Some(t) = self.guess.filter(|&t| t >= FAST_MIN_T) {
            let bound = pow2(t - 2).to_bits();
            let mut fits = true;
            if !self.deep {
                let (s1, rest, top) = extract1(x, sigma_for(t));
                fits = top < bound;
                if fits && !rest {
                    self.add_extracted(s1, x.len(), sigma_for(t), t);
                    self.guess = level_for(top).t();
                    return;
                }
                self.deep = fits;
            }
            if fits {
                let (s1, s2, rest1, rest2, top) = extract2(x, sigma_for(t), sigma_for(t - 50));
                if top < bound && !rest2 {
                    self.add_extracted(s1, x.len(), sigma_for(t), t);
                    self.add_extracted(s2, x.len(), sigma_for(t - 50), t - 50);
                    self.guess = level_for(top).t();
                    self.deep = rest1;
                    return;
                }
            }
        }
        let top = max_abs_bits(x);
        self.guess = level_for(top).t();
        match level_for(top) {
            Level::Zero => {}
            Level::Scalar => x.iter().for_each(|&v| self.add_scalar(v)),
            Level::T(t) => self.add_block_levels(x, buf, t),
        }
    }

    /// The general path: one level at a time, the residuals kept in `buf`.
    fn add_block_levels(&mut self, x: &[f64], buf: &mut [f64], mut t: i32) {
        let (sum, mut any, _) = extract(x, buf, sigma_for(t));
        self.add_extracted(sum, x.len(), sigma_for(t), t);
        while any {
            t -= 50;
            if t - 52 < -1074 {
                // The unit would fall below the smallest subnormal.
                return buf.iter().for_each(|&v| self.add_scalar(v));
            }
            any = self.level_in_place(buf, t);
        }
    }

    fn level_in_place(&mut self, r: &mut [f64], t: i32) -> bool {
        let sigma = sigma_for(t);
        let (sum, any) = extract_in_place(r, sigma);
        self.add_extracted(sum, r.len(), sigma, t);
        any
    }

    fn add_extracted(&mut self, bits_sum: i64, n: usize, sigma: f64, t: i32) {
        // Σ bits(σ + x) − n·bits(σ) = Σ q/u, exact in wrapping arithmetic since it fits.
        let k = bits_sum.wrapping_sub((n as i64).wrapping_mul(sigma.to_bits() as i64));
        self.add_int(k, t - 52);
    }
}

enum Level {
    /// Every value is zero.
    Zero,
    /// Infinities, NaN, values near `f64::MAX` (σ would overflow) or only subnormals.
    Scalar,
    /// Extract against σ = 1.5 · 2^t.
    T(i32),
}

/// The extraction level for a block whose largest `|x|` has bits `top`: |x| < 2^(t-2), so
/// σ + x stays within [1.25, 1.75) · 2^t.
fn level_for(top: u64) -> Level {
    let biased = (top >> 52) as i32;
    match biased {
        _ if top == 0 => Level::Zero,
        0 | 2044.. => Level::Scalar,
        _ => Level::T(biased - 1023 + 3),
    }
}

impl Level {
    fn t(&self) -> Option<i32> {
        match self {
            Level::T(t) => Some(*t),
            _ => None,
        }
    }
}

/// The lowest level the two-level pass takes: its second σ stays normal and its unit at
/// or above the smallest subnormal.
const FAST_MIN_T: i32 = -1074 + 52 + 50;

fn sigma_for(t: i32) -> f64 {
    pow2(t) * 1.5
}

/// Elements ahead of the extraction that are requested from memory: the extraction does
/// more work per byte than a plain sum, so the hardware alone keeps fewer loads in flight.
const PREFETCH_AHEAD: usize = 1024;

/// Requests the 8 cache lines (64 values) from `x[at..]` (past the slice's end is fine:
/// a prefetch is a hint and cannot fault).
#[inline(always)]
fn prefetch_ahead(x: &[f64], at: usize) {
    #[cfg(target_arch = "x86_64")]
    for line in 0..8 {
        let p = x.as_ptr().wrapping_add(at + 8 * line);
        // SAFETY: prefetching any address is allowed.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast()) };
    }
}

/// 2^t for -1022 ≤ t ≤ 1023.
fn pow2(t: i32) -> f64 {
    f64::from_bits(((t + 1023) as u64) << 52)
}

/// Carries every digit into [0, 2^32) but the top one, which keeps the sign.
fn carry(d: &mut [i64]) {
    for i in 0..d.len() - 1 {
        let c = d[i] >> 32;
        d[i] -= c << 32;
        d[i + 1] += c;
    }
}

/// Rounds the non-negative integer with canonical digits `d` (times 2^LOW) to an `f64`.
fn round_to_f64(d: &[i64]) -> f64 {
    let Some(j) = d.iter().rposition(|&x| x != 0) else {
        return 0.0;
    };
    let digit = |i: usize| if i < d.len() { d[i] as u128 } else { 0 };
    let j = j.max(2);
    let window = (digit(j) << 64) | (digit(j - 1) << 32) | digit(j - 2);
    let mut sticky = d[..j - 2].iter().any(|&x| x != 0);
    let hb = 127 - window.leading_zeros() as i32;
    // Exponent of the leading bit: value in [2^e, 2^(e+1)).
    let e = 32 * (j as i32 - 2) + LOW + hb;
    if e > 1023 {
        return f64::INFINITY;
    }
    if e < -1022 {
        // Subnormal: exact, since every input is a multiple of 2^-1074 = 2^78 units.
        let shift = -1074 - LOW - 32 * (j as i32 - 2);
        return f64::from_bits((window >> shift) as u64);
    }
    // 64 leading bits, then 53 of them rounded to nearest, ties to even.
    let drop = hb - 63;
    let top = if drop >= 0 {
        sticky |= window & ((1u128 << drop) - 1) != 0;
        (window >> drop) as u64
    } else {
        (window << -drop) as u64
    };
    let mut mant = top >> 11;
    let rest = top & 0x7ff;
    if rest > 0x400 || (rest == 0x400 && (sticky || mant & 1 == 1)) {
        mant += 1;
    }
    let mut e = e;
    if mant == 1 << 53 {
        mant >>= 1;
        e += 1;
        if e > 1023 {
            return f64::INFINITY;
        }
    }
    f64::from_bits((((e + 1023) as u64) << 52) | (mant & ((1 << 52) - 1)))
}

/// Defines a function that runs with AVX-512, AVX2+FMA or baseline code, chosen at run time
/// (the same arithmetic in each, so the same bits).
macro_rules! dispatch {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq,fma")]
                unsafe fn avx512($($arg: $ty),*) -> $ret $body
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) -> $ret $body
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has these features.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body
        }
    };
}

// Integer reductions (add, or, max) are associative, so these plain loops vectorise.

dispatch!(
    /// Largest `|x|` as bits (NaN and inf compare above every finite value).
    fn max_abs_bits(x: &[f64]) -> u64 {
        let mut top = 0u64;
        for v in x {
            top = top.max(v.to_bits() & !SIGN);
        }
        top
    }
);

dispatch!(
    /// q = (σ + x) − σ, r = x − q for each x; returns Σ bits(σ + x) (wrapping), whether
    /// any r is non-zero, and the largest `|x|` as bits.
    fn extract(x: &[f64], r: &mut [f64], sigma: f64) -> (i64, bool, u64) {
        let mut sum = 0i64;
        let mut nz = 0u64;
        let mut top = 0u64;
        for (g, (xs, rs)) in x.chunks(64).zip(r.chunks_mut(64)).enumerate() {
            prefetch_ahead(x, g * 64 + PREFETCH_AHEAD);
            for (v, out) in xs.iter().zip(rs.iter_mut()) {
                top = top.max(v.to_bits() & !SIGN);
                let y = sigma + v;
                sum = sum.wrapping_add(y.to_bits() as i64);
                let rest = v - (y - sigma);
                *out = rest;
                nz |= rest.to_bits() & !SIGN;
            }
        }
        (sum, nz != 0, top)
    }
);

dispatch!(
    /// One extraction level in one pass, storing nothing: the wrapping sum of bits(σ + x),
    /// whether any residual is non-zero, and the largest `|x|` as bits.
    fn extract1(x: &[f64], s1: f64) -> (i64, bool, u64) {
        let mut sum = 0i64;
        let mut nz = 0u64;
        let mut top = 0u64;
        for (g, xs) in x.chunks(64).enumerate() {
            prefetch_ahead(x, g * 64 + PREFETCH_AHEAD);
            for v in xs {
                top = top.max(v.to_bits() & !SIGN);
                let y = s1 + v;
                sum = sum.wrapping_add(y.to_bits() as i64);
                nz |= (v - (y - s1)).to_bits() & !SIGN;
            }
        }
        (sum, nz != 0, top)
    }
);

dispatch!(
    /// Two extraction levels in one pass, storing nothing: returns the two wrapping sums of
    /// bits(σ + x), whether any first- and second-level residual is non-zero, and the
    /// largest `|x|` as bits.
    fn extract2(x: &[f64], s1: f64, s2: f64) -> (i64, i64, bool, bool, u64) {
        let (mut sum1, mut sum2) = (0i64, 0i64);
        let (mut nz1, mut nz) = (0u64, 0u64);
        let mut top = 0u64;
        for (g, xs) in x.chunks(64).enumerate() {
            prefetch_ahead(x, g * 64 + PREFETCH_AHEAD);
            for v in xs {
                top = top.max(v.to_bits() & !SIGN);
                let y = s1 + v;
                sum1 = sum1.wrapping_add(y.to_bits() as i64);
                let r = v - (y - s1);
                nz1 |= r.to_bits() & !SIGN;
                let z = s2 + r;
                sum2 = sum2.wrapping_add(z.to_bits() as i64);
                nz |= (r - (z - s2)).to_bits() & !SIGN;
            }
        }
        (sum1, sum2, nz1 != 0, nz != 0, top)
    }
);

dispatch!(
    /// [`extract`] with the residuals written over the input.
    fn extract_in_place(r: &mut [f64], sigma: f64) -> (i64, bool) {
        let mut sum = 0i64;
        let mut nz = 0u64;
        for v in r.iter_mut() {
            let y = sigma + *v;
            sum = sum.wrapping_add(y.to_bits() as i64);
            *v -= y - sigma;
            nz |= v.to_bits() & !SIGN;
        }
        (sum, nz != 0)
    }
);

dispatch!(
    /// x² = h + l exactly (h = fl(x²), l = fma(x, x, −h)); l = 0 where h is not finite.
    fn split_squares(x: &[f64], h: &mut [f64], l: &mut [f64]) -> () {
        for i in 0..x.len() {
            let v = x[i];
            let sq = v * v;
            let err = v.mul_add(v, -sq);
            h[i] = sq;
            l[i] = if sq.is_finite() { err } else { 0.0 };
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's math.fsum (Shewchuk's partials, correctly rounded): an independent check.
    pub(crate) fn fsum(xs: &[f64]) -> f64 {
        let mut partials: Vec<f64> = Vec::new();
        for &x0 in xs {
            let mut x = x0;
            let mut i = 0;
            for k in 0..partials.len() {
                let mut y = partials[k];
                if x.abs() < y.abs() {
                    std::mem::swap(&mut x, &mut y);
                }
                let hi = x + y;
                let lo = y - (hi - x);
                if lo != 0.0 {
                    partials[i] = lo;
                    i += 1;
                }
                x = hi;
            }
            partials.truncate(i);
            partials.push(x);
        }
        let mut n = partials.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut hi = partials[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = partials[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi
    }

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
}
