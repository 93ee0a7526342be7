//! The fast path of 3-D stencils inside the 3 x 3 x 3 box whose weight depends only on how
//! many offsets are nonzero (multigrid's operators and smoothers, 27-point Laplacians): per
//! row, the four face rows and the four corner rows of the cross-section are summed once, and
//! every point takes its 27 neighbours from those two sums and the centre row, as NPB MG's
//! loops do (about 12 flops a point instead of up to 54).

use std::mem::MaybeUninit;

use crate::distarray::stencil_kernel::StencilElement;

/// Points of a row computed together (the partial sums live on the stack).
const CHUNK: usize = 256;

/// The four weights (centre, faces, edges, corners) of a stencil's `points` when it is such
/// a 3-D stencil: every point of a distance class present with that class's weight, absent
/// classes weighing zero.
pub(crate) fn by_distance<T: StencilElement>(points: &[(Vec<isize>, T)]) -> Option<[T; 4]> {
    let mut weights: [Option<T>; 4] = [None; 4];
    let mut counts = [0usize; 4];
    for (offset, w) in points {
        if offset.len() != 3 || offset.iter().any(|o| o.abs() > 1) {
            return None;
        }
        let class = offset.iter().filter(|&&o| o != 0).count();
        match weights[class] {
            Some(seen) if seen != *w => return None,
            _ => weights[class] = Some(*w),
        }
        counts[class] += 1;
    }
    // Each class whole (1 centre, 6 faces, 12 edges, 8 corners) or absent, no point twice.
    let whole = [1, 6, 12, 8];
    if (0..4).any(|c| counts[c] != 0 && counts[c] != whole[c]) {
        return None;
    }
    Some(weights.map(|w| w.unwrap_or_default()))
}

/// One row: `out[x] = f(out[x], Σ w(class) · src[neighbour])` for the row starting at flat
/// position `at` of the padded block with `strides` (the last axis contiguous, one ghost
/// cell each side); with `base` (a padded block laid out as `src`), `f(base[at + x], ...)`.
pub(crate) fn distance_row<T: StencilElement>(
    src: &[T],
    at: usize,
    strides: &[usize],
    w: &[T; 4],
    (out, base): (&mut [T], Option<&[T]>),
    f: &impl Fn(T, T) -> T,
) {
    let (s0, s1) = (strides[0], strides[1]);
    let n = out.len();
    // Bounds once: every row read spans [base - 1, base + n] for bases at ±s0 ± s1.
    assert!(
        at > s0 + s1 && at + s0 + s1 + n < src.len(),
        "a stencil point outside the padded block"
    );
    let row = |d0: isize, d1: isize| (at as isize + d0 * s0 as isize + d1 * s1 as isize) as usize;
    let centre = row(0, 0);
    let faces = [row(-1, 0), row(1, 0), row(0, -1), row(0, 1)];
    let corners = [row(-1, -1), row(-1, 1), row(1, -1), row(1, 1)];
    // Uninitialised: zeroing 2 x 258 elements per call would cost more than a short row's
    // sums (coarse multigrid levels have rows of 2 to 64 points).
    let mut face = [MaybeUninit::<T>::uninit(); CHUNK + 2];
    let mut corner = [MaybeUninit::<T>::uninit(); CHUNK + 2];
    let mut start = 0;
    while start < n {
        let len = CHUNK.min(n - start);
        // Rows as slices over x = start - 1 ..= start + len (the bounds checked once here).
        let span = |base: usize| &src[base + start - 1..base + start + len + 1];
        let (f0, f1, f2, f3) = (
            span(faces[0]),
            span(faces[1]),
            span(faces[2]),
            span(faces[3]),
        );
        let (k0, k1, k2, k3) = (
            span(corners[0]),
            span(corners[1]),
            span(corners[2]),
            span(corners[3]),
        );
        let c = span(centre);
        let (face_w, corner_w) = (&mut face[..len + 2], &mut corner[..len + 2]);
        for k in 0..len + 2 {
            face_w[k] = MaybeUninit::new(f0[k] + f1[k] + f2[k] + f3[k]);
            corner_w[k] = MaybeUninit::new(k0[k] + k1[k] + k2[k] + k3[k]);
        }
        // SAFETY: the first len + 2 elements of both were written just above, and
        // MaybeUninit<T> has T's layout.
        let (face, corner): (&[T], &[T]) = unsafe {
            (
                std::slice::from_raw_parts(face_w.as_ptr().cast(), len + 2),
                std::slice::from_raw_parts(corner_w.as_ptr().cast(), len + 2),
            )
        };
        let out = &mut out[start..start + len];
        let parts = (c, face, corner);
        // A class weighing zero (NPB's residual has no faces, its smoother no corners) left
        // out of the loop; the first operand of `f` from the output or from the base.
        let (no_faces, no_corners) = (w[1] == T::default(), w[3] == T::default());
        match base.map(|b| &b[at + start..at + start + len]) {
            Some(b) => {
                let first = |k: usize, _: T| b[k];
                match (no_faces, no_corners) {
                    (true, false) => combine::<T, false, true>(parts, w, out, first, f),
                    (false, true) => combine::<T, true, false>(parts, w, out, first, f),
                    _ => combine::<T, true, true>(parts, w, out, first, f),
                }
            }
            None => {
                let first = |_: usize, o: T| o;
                match (no_faces, no_corners) {
                    (true, false) => combine::<T, false, true>(parts, w, out, first, f),
                    (false, true) => combine::<T, true, false>(parts, w, out, first, f),
                    _ => combine::<T, true, true>(parts, w, out, first, f),
                }
            }
        }
        start += len;
    }
}

/// `out[k] = f(first(k, out[k]), value at k)` from the centre row `c` and the face and corner
/// sums over `k - 1 ..= k + 1`, with the face (`FACES`) and corner (`CORNERS`) classes'
/// terms or without them.
#[inline(always)]
fn combine<T: StencilElement, const FACES: bool, const CORNERS: bool>(
    (c, face, corner): (&[T], &[T], &[T]),
    w: &[T; 4],
    out: &mut [T],
    first: impl Fn(usize, T) -> T,
    f: &impl Fn(T, T) -> T,
) {
    let len = out.len();
    let (c, face, corner) = (&c[..len + 2], &face[..len + 2], &corner[..len + 2]);
    for k in 0..len {
        // The classes in order (centre, faces, edges, corners), as the sum of all four is.
        let mut value = w[0] * c[k + 1];
        if FACES {
            value = value + w[1] * (c[k] + c[k + 2] + face[k + 1]);
        }
        value = value + w[2] * (corner[k + 1] + face[k] + face[k + 2]);
        if CORNERS {
            value = value + w[3] * (corner[k] + corner[k + 2]);
        }
        out[k] = f(first(k, out[k]), value);
    }
}
