//! The vectorised kernels behind [`ExactSum`](crate::stats::ExactSum): Rump's error-free
//! extraction `q = (σ + x) − σ`, `r = x − q` over a block, one or two levels per pass (the
//! integers `q / unit` read from the bits of `σ + x` and summed in wrapping `i64`), the
//! block maximum, and exact squares. Each runs AVX-512, AVX2+FMA or baseline code, chosen at
//! run time, with the same arithmetic (so the same bits) in each.

const SIGN: u64 = 1 << 63;

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

/// Defines a function that runs with AVX-512, AVX2+FMA or baseline code, chosen at run time
/// (the same arithmetic in each, so the same bits).
macro_rules! dispatch {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) -> $ret {
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
