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

use crate::stats::extract::{
    extract, extract1, extract2, extract_in_place, max_abs_bits, split_squares,
};

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
/// use mpikit::stats::ExactSum;
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
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::ExactSum;
    /// let mut s = ExactSum::new();
    /// for x in [1e100, 1.0, -1e100] {
    ///     s.add(x);
    /// }
    /// assert_eq!(s.value(), 1.0); // a plain f64 sum gives 0.0
    /// ```
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
    ///
    /// # Examples
    /// ```
    /// let mut s = mpikit::stats::ExactSum::new();
    /// s.add(0.1);
    /// s.add(0.2);
    /// assert_eq!(s.value(), 0.30000000000000004); // the correctly rounded 0.1 + 0.2
    /// ```
    pub fn add(&mut self, x: f64) {
        self.add_scalar(x);
    }

    /// Adds every value of `x` exactly.
    ///
    /// # Examples
    /// ```
    /// let mut s = mpikit::stats::ExactSum::new();
    /// s.add_slice(&[1e16, 1.0, 1.0, -1e16]);
    /// assert_eq!(s.value(), 2.0);
    /// ```
    pub fn add_slice(&mut self, x: &[f64]) {
        let mut buf = [0.0f64; BLOCK];
        for block in x.chunks(BLOCK) {
            self.add_block(block, &mut buf[..block.len()]);
        }
    }

    /// Adds every square `x²` of `x` exactly (each square split into `h + l` with a fused
    /// multiply-add; exact unless a square overflows to infinity or falls below 2^-1022).
    ///
    /// # Examples
    /// ```
    /// let mut s = mpikit::stats::ExactSum::new();
    /// s.add_squares(&[1.0, 2.0, 3.0]);
    /// assert_eq!(s.value(), 14.0);
    /// ```
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
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::ExactSum;
    /// let (mut a, mut b) = (ExactSum::new(), ExactSum::new());
    /// a.add(1e100);
    /// b.add_slice(&[1.0, -1e100]);
    /// a.merge(&b);
    /// assert_eq!(a.value(), 1.0);
    /// ```
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
    ///
    /// # Examples
    /// ```
    /// let mut s = mpikit::stats::ExactSum::new();
    /// s.add_slice(&[0.5, 0.25]);
    /// assert_eq!(s.value(), 0.75);
    /// ```
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
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::ExactSum;
    /// let mut s = ExactSum::new();
    /// s.add(3.5);
    /// // The digits travel between ranks (an allgather of i64s) and rebuild the same sum.
    /// assert_eq!(ExactSum::from_digits(&s.to_digits()).value(), 3.5);
    /// ```
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
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::ExactSum;
    /// let mut s = ExactSum::new();
    /// s.add(-2.25);
    /// assert_eq!(ExactSum::from_digits(&s.to_digits()).value(), -2.25);
    /// ```
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

#[cfg(test)]
mod tests;
