//! Copies between boxes of blocks at memory speed: a box is walked in the destination's
//! axis order, axes that lie contiguous in both memories are merged into runs copied as
//! slices, and when the destination's last axis is another axis of the source (a transpose)
//! the two axes are copied in cache tiles. The outermost axis is split over the threads when
//! there is enough to copy. Redistribution packs, unpacks and moves its local part with this.

use crate::runtime::threads::for_each_part;

/// Side of the square tiles of a transposing copy (elements).
const TILE: usize = 32;

/// One side of a copy: a buffer, the offset of the box's first element in it, and the
/// stride (in elements) of each axis of the walk.
pub(crate) struct Side {
    pub(crate) offset: usize,
    pub(crate) strides: Vec<usize>,
}

impl Side {
    /// The box `start` (one index per axis) of a standard-layout array of `shape`, its axes
    /// walked in the order `axes` (a permutation of the array's axes).
    pub(crate) fn of_box(shape: &[usize], start: &[usize], axes: &[usize]) -> Side {
        let strides = standard_strides(shape);
        Side {
            offset: start.iter().zip(&strides).map(|(i, s)| i * s).sum(),
            strides: axes.iter().map(|&a| strides[a]).collect(),
        }
    }

    /// A packed buffer holding a box of `shape` in standard order, from `offset` on.
    pub(crate) fn packed(shape: &[usize], offset: usize) -> Side {
        Side {
            offset,
            strides: standard_strides(shape),
        }
    }

    /// Whether the box of `shape` lies in one run in memory, in walk order.
    pub(crate) fn is_contiguous(&self, shape: &[usize]) -> bool {
        let mut want = 1;
        for (&n, &s) in shape.iter().zip(&self.strides).rev() {
            if n > 1 && s != want {
                return false;
            }
            want *= n;
        }
        true
    }
}

/// Strides of a standard-layout (C order) array of `shape`.
pub(crate) fn standard_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for a in (0..shape.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * shape[a + 1];
    }
    strides
}

/// How the destination's elements are combined with the copied ones.
pub(crate) enum Combine<'f, F> {
    /// Overwritten.
    Assign,
    /// `f(old, new)` (a generic closure, so the copy loops inline it).
    With(&'f F),
}

/// A plain copy, for calls that combine nothing.
pub(crate) type Assign<T> = fn(T, T) -> T;

/// A raw pointer that may cross to the pool's threads: the walks below give each thread a
/// disjoint part of the destination.
#[derive(Clone, Copy)]
struct Ptr<T>(*mut T);
// SAFETY: see the type's doc; the copies only read the source.
unsafe impl<T> Send for Ptr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Ptr<T> {}

impl<T> Ptr<T> {
    /// The pointer (a method, so closures capture the whole `Ptr`).
    fn get(self) -> *mut T {
        self.0
    }
}

/// Copies the box of `shape` (walk order) from `src` at `from` into `dst` at `to`, combining
/// as `combine` says; on `pool`'s threads when it is worth it.
///
/// # Panics
/// If the box reaches past either buffer.
#[cfg(test)]
pub(crate) fn copy_box<T: Copy + Send + Sync, F: Fn(T, T) -> T + Sync>(
    src: &[T],
    from: &Side,
    dst: &mut [T],
    to: &Side,
    shape: &[usize],
    combine: &Combine<'_, F>,
    pool: &rayon::ThreadPool,
) {
    BoxCopy::new(from, to, shape).run(src, dst, combine, pool);
}

/// A copy between two boxes worked out once (the walk, the bounds), to run many times.
pub(crate) struct BoxCopy {
    walk: Walk,
    from: usize,
    to: usize,
    /// One past the last element each side touches (0 for an empty box).
    src_end: usize,
    dst_end: usize,
    len: usize,
}

impl BoxCopy {
    /// The copy of the box of `shape` from `from` to `to`.
    pub(crate) fn new(from: &Side, to: &Side, shape: &[usize]) -> BoxCopy {
        let len: usize = shape.iter().product();
        let end = |side: &Side| -> usize {
            if len == 0 {
                return 0;
            }
            side.offset
                + 1
                + shape
                    .iter()
                    .zip(&side.strides)
                    .map(|(n, s)| (n - 1) * s)
                    .sum::<usize>()
        };
        BoxCopy {
            walk: Walk::new(shape, &from.strides, &to.strides),
            from: from.offset,
            to: to.offset,
            src_end: end(from),
            dst_end: end(to),
            len,
        }
    }

    /// Runs the copy from `src` into `dst`.
    ///
    /// # Panics
    /// If the box reaches past either buffer.
    pub(crate) fn run<T: Copy + Send + Sync, F: Fn(T, T) -> T + Sync>(
        &self,
        src: &[T],
        dst: &mut [T],
        combine: &Combine<'_, F>,
        pool: &rayon::ThreadPool,
    ) {
        assert!(
            self.len == 0 || (self.src_end <= src.len() && self.dst_end <= dst.len()),
            "box outside its block"
        );
        // SAFETY: both boxes lie in their buffers (checked above); `src` and `dst` are
        // distinct borrows, so no element is both read and written.
        unsafe { self.run_raw(src.as_ptr(), dst.as_mut_ptr(), combine, pool) }
    }

    /// Runs the copy within one buffer: the source box of `data` into its destination box.
    ///
    /// # Safety
    /// The two boxes share no element (so no line read overlaps a line written).
    ///
    /// # Panics
    /// If either box reaches past `data`.
    pub(crate) unsafe fn run_within<T: Copy + Send + Sync>(
        &self,
        data: &mut [T],
        pool: &rayon::ThreadPool,
    ) {
        assert!(
            self.len == 0 || (self.src_end <= data.len() && self.dst_end <= data.len()),
            "box outside its block"
        );
        let p = data.as_mut_ptr();
        // SAFETY: both boxes lie in `data` (checked above) and share no element (the
        // caller's contract).
        unsafe { self.run_raw(p.cast_const(), p, &Combine::<Assign<T>>::Assign, pool) }
    }

    /// The copy's walk from buffer `src` into buffer `dst`, the outermost axis split over the
    /// pool's threads when it is worth it.
    ///
    /// # Safety
    /// The source box lies in `src`'s buffer and the destination box in `dst`'s, and no
    /// element of the destination box is read through the source box.
    unsafe fn run_raw<T: Copy + Send + Sync, F: Fn(T, T) -> T + Sync>(
        &self,
        src: *const T,
        dst: *mut T,
        combine: &Combine<'_, F>,
        pool: &rayon::ThreadPool,
    ) {
        if self.len == 0 {
            return;
        }
        let walk = &self.walk;
        let (s, d) = (Ptr(src.cast_mut()), Ptr(dst));
        let outer = if walk.splittable() { walk.shape[0] } else { 1 };
        let run = |range: std::ops::Range<usize>| {
            // SAFETY: the caller's contract; different values of the outermost index write
            // different elements.
            unsafe { walk.copy(s.get().add(self.from), d.get().add(self.to), range, combine) }
        };
        for_each_part(pool, outer, self.len, run);
    }
}

/// A box walk with unit axes dropped and contiguous axes merged, and how its innermost part
/// is copied.
struct Walk {
    shape: Vec<usize>,
    src: Vec<usize>,
    dst: Vec<usize>,
    /// The axis copied in tiles with the last one (the source's unit-stride axis when the
    /// destination's last axis is not it).
    tile: Option<usize>,
}

impl Walk {
    fn new(shape: &[usize], src: &[usize], dst: &[usize]) -> Walk {
        let (mut shape_w, mut src_w, mut dst_w) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..shape.len() {
            if shape[k] == 1 {
                continue;
            }
            // Merge into the previous axis when both sides continue it contiguously.
            if let (Some(&ps), Some(&pd)) = (src_w.last(), dst_w.last()) {
                if ps == src[k] * shape[k] && pd == dst[k] * shape[k] {
                    *shape_w.last_mut().expect("an axis") *= shape[k];
                    *src_w.last_mut().expect("an axis") = src[k];
                    *dst_w.last_mut().expect("an axis") = dst[k];
                    continue;
                }
            }
            shape_w.push(shape[k]);
            src_w.push(src[k]);
            dst_w.push(dst[k]);
        }
        if shape_w.is_empty() {
            (shape_w, src_w, dst_w) = (vec![1], vec![1], vec![1]);
        }
        let nd = shape_w.len();
        let tile = (nd >= 2 && src_w[nd - 1] != 1 && dst_w[nd - 1] == 1)
            .then(|| (0..nd - 1).rev().find(|&k| src_w[k] == 1))
            .flatten();
        Walk {
            shape: shape_w,
            src: src_w,
            dst: dst_w,
            tile,
        }
    }

    /// Whether parts of the outermost axis can be copied apart (it is walked by the
    /// odometer, or it is the only axis).
    fn splittable(&self) -> bool {
        self.shape.len() == 1 || (self.tile != Some(0) && self.shape.len() > 1)
    }

    /// Copies the part of the walk whose outermost index is in `range` (all of it when the
    /// walk is not [`splittable`](Self::splittable)).
    ///
    /// # Safety
    /// `s` and `d` point at the box's first element in buffers holding the whole box.
    unsafe fn copy<T: Copy, F: Fn(T, T) -> T>(
        &self,
        s: *const T,
        d: *mut T,
        range: std::ops::Range<usize>,
        combine: &Combine<'_, F>,
    ) {
        let nd = self.shape.len();
        if range.is_empty() {
            return;
        }
        if nd == 1 {
            let (so, dof) = (range.start * self.src[0], range.start * self.dst[0]);
            // SAFETY: the caller's contract: a part of the one line.
            unsafe {
                line(
                    s.add(so),
                    self.src[0],
                    d.add(dof),
                    self.dst[0],
                    range.len(),
                    combine,
                )
            };
            return;
        }
        if nd == 2 && self.tile.is_none() {
            // Rows of a 2-D walk (halo faces, most redistributions): no odometer.
            for i in range {
                // SAFETY: a line of the box.
                unsafe {
                    line(
                        s.add(i * self.src[0]),
                        self.src[1],
                        d.add(i * self.dst[0]),
                        self.dst[1],
                        self.shape[1],
                        combine,
                    )
                };
            }
            return;
        }
        let inner = match self.tile {
            Some(t) => vec![t, nd - 1],
            None => vec![nd - 1],
        };
        let outer: Vec<usize> = (0..nd).filter(|k| !inner.contains(k)).collect();
        let restricted = outer.first() == Some(&0);
        let start = |k: usize| if restricted && k == 0 { range.start } else { 0 };
        let limit = |k: usize| {
            if restricted && k == 0 {
                range.end
            } else {
                self.shape[k]
            }
        };
        let mut index: Vec<usize> = (0..nd).map(start).collect();
        loop {
            let so: usize = (0..nd).map(|k| index[k] * self.src[k]).sum();
            let dof: usize = (0..nd).map(|k| index[k] * self.dst[k]).sum();
            let last = nd - 1;
            // SAFETY: a line or a plane of the box.
            unsafe {
                match self.tile {
                    None => line(
                        s.add(so),
                        self.src[last],
                        d.add(dof),
                        self.dst[last],
                        self.shape[last],
                        combine,
                    ),
                    Some(t) => tiles(
                        s.add(so),
                        self.src[last],
                        d.add(dof),
                        self.dst[t],
                        self.shape[t],
                        self.shape[last],
                        combine,
                    ),
                }
            }
            // The next outer index, the last outer axis fastest.
            let mut advanced = false;
            for &k in outer.iter().rev() {
                index[k] += 1;
                if index[k] < limit(k) {
                    advanced = true;
                    break;
                }
                index[k] = start(k);
            }
            if !advanced {
                return;
            }
        }
    }
}

/// One line of `n` elements: `d[i * ds] = combine(d[i * ds], s[i * ss])`.
///
/// # Safety
/// Both lines lie in their buffers.
unsafe fn line<T: Copy, F: Fn(T, T) -> T>(
    s: *const T,
    ss: usize,
    d: *mut T,
    ds: usize,
    n: usize,
    combine: &Combine<'_, F>,
) {
    // SAFETY: the caller's contract.
    unsafe {
        match (combine, ss, ds) {
            // Short runs (halo faces of a narrow stencil) without a call to memcpy.
            (Combine::Assign, 1, 1) if n <= 8 => {
                for i in 0..n {
                    *d.add(i) = *s.add(i);
                }
            }
            (Combine::Assign, 1, 1) => std::ptr::copy_nonoverlapping(s, d, n),
            (Combine::With(f), 1, 1) => {
                let (src, dst) = (
                    std::slice::from_raw_parts(s, n),
                    std::slice::from_raw_parts_mut(d, n),
                );
                for (x, &v) in dst.iter_mut().zip(src) {
                    *x = f(*x, v);
                }
            }
            (Combine::Assign, _, _) => {
                for i in 0..n {
                    *d.add(i * ds) = *s.add(i * ss);
                }
            }
            (Combine::With(f), _, _) => {
                for i in 0..n {
                    let p = d.add(i * ds);
                    *p = f(*p, *s.add(i * ss));
                }
            }
        }
    }
}

/// A transposing plane: destination element `(r, c)` (row stride `drow`, unit columns) from
/// source element `(c, r)` (row stride `srow` along `c`, unit along `r`), in tiles.
///
/// # Safety
/// Both planes lie in their buffers.
unsafe fn tiles<T: Copy, F: Fn(T, T) -> T>(
    s: *const T,
    srow: usize,
    d: *mut T,
    drow: usize,
    rows: usize,
    cols: usize,
    combine: &Combine<'_, F>,
) {
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for r in r0..r1 {
                // SAFETY: the caller's contract.
                unsafe {
                    let (dr, sr) = (d.add(r * drow), s.add(r));
                    match combine {
                        Combine::Assign => {
                            for c in c0..c1 {
                                *dr.add(c) = *sr.add(c * srow);
                            }
                        }
                        Combine::With(f) => {
                            for c in c0..c1 {
                                let p = dr.add(c);
                                *p = f(*p, *sr.add(c * srow));
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
