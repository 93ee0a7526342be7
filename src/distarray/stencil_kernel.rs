//! The inner loop of a weighted stencil, one row at a time: the float types it computes in
//! ([`StencilElement`]), and `weighted_row`, which sums the shifted rows a chunk at a time
//! (several points per pass, in registers for up to 9 points), with AVX2 and FMA when the CPU
//! has them.

use crate::collective::element::Element;

/// A float type the weighted stencils compute in.
///
/// # Examples
/// ```
/// use mpikit::distarray::{Stencil, StencilElement};
/// // f64 and f32: the weights a `Stencil` for `stencil_into` may have.
/// fn laplacian<T: StencilElement>(centre: T, arm: T) -> Stencil<T> {
///     Stencil::star(2, 1, centre, |_, _| arm)
/// }
/// assert_eq!(laplacian(-4.0f32, 1.0).points().len(), 5);
/// ```
pub trait StencilElement:
    Element + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    /// `self * a + b` in one rounding (used where the CPU has FMA).
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::StencilElement;
    /// assert_eq!(2.0f64.fused_mul_add(3.0, 1.0), 7.0);
    /// // One rounding: 0.1 * 10 - 1 keeps what the product rounded away.
    /// assert_ne!(0.1f64.fused_mul_add(10.0, -1.0), 0.0);
    /// ```
    fn fused_mul_add(self, a: Self, b: Self) -> Self;
}

impl StencilElement for f64 {
    #[inline(always)]
    fn fused_mul_add(self, a: f64, b: f64) -> f64 {
        self.mul_add(a, b)
    }
}

impl StencilElement for f32 {
    #[inline(always)]
    fn fused_mul_add(self, a: f32, b: f32) -> f32 {
        self.mul_add(a, b)
    }
}

/// Elements of a row computed together: the partial sums stay in the first-level cache.
const CHUNK: usize = 256;

/// One row of a weighted stencil: `out = f(out, Σ w · src[row shifted by offset])`. The sums
/// build up a chunk at a time, four points per pass; with AVX2 and FMA (detected when the
/// program runs) the passes use them.
pub(crate) fn weighted_row<T: StencilElement>(
    src: &[T],
    at: usize,
    deltas: &[(isize, T)],
    out: &mut [T],
    shifts: &mut Vec<(usize, T)>,
    f: &impl Fn(T, T) -> T,
) {
    shifts.clear();
    shifts.extend(deltas.iter().map(|&(d, w)| ((at as isize + d) as usize, w)));
    // Bounds once, so the passes need no checks.
    for &(shift, _) in shifts.iter() {
        assert!(
            shift + out.len() <= src.len(),
            "a stencil point outside the padded block"
        );
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above); bounds are checked.
        unsafe { row_avx2(src, shifts, out, f) };
        return;
    }
    // SAFETY: bounds are checked.
    unsafe { row_body::<T, _, false>(src, shifts, out, f) };
}

/// [`row_body`] compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA; every `shift + out.len()` is within `src`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_avx2<T: StencilElement>(
    src: &[T],
    shifts: &[(usize, T)],
    out: &mut [T],
    f: &impl Fn(T, T) -> T,
) {
    // SAFETY: the caller's contract.
    unsafe { row_body::<T, _, true>(src, shifts, out, f) }
}

/// The passes of [`weighted_row`]; `FMA` fuses each multiply-add. Up to 9 points (stars of
/// radius 2 with their centre, 3 x 3 boxes) take one pass that sums in registers and
/// combines into `out` at once; more points build up partial sums a chunk at a time.
///
/// # Safety
/// Every `shift + out.len()` is within `src`.
#[inline(always)]
unsafe fn row_body<T: StencilElement, F: Fn(T, T) -> T, const FMA: bool>(
    src: &[T],
    shifts: &[(usize, T)],
    out: &mut [T],
    f: &F,
) {
    // SAFETY (each arm): the caller's contract.
    unsafe {
        match shifts.len() {
            0 => one_pass::<T, F, FMA, 0>(src, shifts, out, f),
            1 => one_pass::<T, F, FMA, 1>(src, shifts, out, f),
            2 => one_pass::<T, F, FMA, 2>(src, shifts, out, f),
            3 => one_pass::<T, F, FMA, 3>(src, shifts, out, f),
            4 => one_pass::<T, F, FMA, 4>(src, shifts, out, f),
            5 => one_pass::<T, F, FMA, 5>(src, shifts, out, f),
            6 => one_pass::<T, F, FMA, 6>(src, shifts, out, f),
            7 => one_pass::<T, F, FMA, 7>(src, shifts, out, f),
            8 => one_pass::<T, F, FMA, 8>(src, shifts, out, f),
            9 => one_pass::<T, F, FMA, 9>(src, shifts, out, f),
            _ => chunked::<T, F, FMA>(src, shifts, out, f),
        }
    }
}

/// `acc + w · x`, fused when `FMA`.
#[inline(always)]
fn madd<T: StencilElement, const FMA: bool>(acc: T, w: T, x: T) -> T {
    if FMA {
        x.fused_mul_add(w, acc)
    } else {
        acc + w * x
    }
}

/// `N` points in one pass: `out[k] = f(out[k], Σ w · x[k])`.
///
/// # Safety
/// As [`row_body`]; `shifts.len() == N`.
#[inline(always)]
unsafe fn one_pass<T: StencilElement, F: Fn(T, T) -> T, const FMA: bool, const N: usize>(
    src: &[T],
    shifts: &[(usize, T)],
    out: &mut [T],
    f: &F,
) {
    let n = out.len();
    let p = src.as_ptr();
    // SAFETY: the caller's contract: each line of `n` elements lies in `src`.
    let lines: [&[T]; N] =
        std::array::from_fn(|i| unsafe { std::slice::from_raw_parts(p.add(shifts[i].0), n) });
    let w: [T; N] = std::array::from_fn(|i| shifts[i].1);
    for (k, o) in out.iter_mut().enumerate() {
        let mut s = T::default();
        for i in 0..N {
            s = madd::<T, FMA>(s, w[i], lines[i][k]);
        }
        *o = f(*o, s);
    }
}

/// Any number of points: partial sums a chunk at a time, eight points per pass.
///
/// # Safety
/// As [`row_body`].
#[inline(always)]
unsafe fn chunked<T, F, const FMA: bool>(src: &[T], shifts: &[(usize, T)], out: &mut [T], f: &F)
where
    T: StencilElement,
    F: Fn(T, T) -> T,
{
    let n = out.len();
    let mut acc = [T::default(); CHUNK];
    let p = src.as_ptr();
    for c0 in (0..n).step_by(CHUNK) {
        let c = (n - c0).min(CHUNK);
        let acc = &mut acc[..c];
        acc.fill(T::default());
        for group in shifts.chunks(8) {
            for &(shift, w) in group {
                // SAFETY: `shift + c0 + c <= shift + n`, within `src`.
                let x = unsafe { std::slice::from_raw_parts(p.add(shift + c0), c) };
                for (a, &x) in acc.iter_mut().zip(x) {
                    *a = madd::<T, FMA>(*a, w, x);
                }
            }
        }
        for (o, &a) in out[c0..c0 + c].iter_mut().zip(acc.iter()) {
            *o = f(*o, a);
        }
    }
}
