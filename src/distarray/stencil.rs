//! Stencils over a haloed DistArray: weighted sums of neighbours ([`Stencil`], a star or any
//! set of points) or any closure over a neighbourhood, computed over a global index range into
//! another array of the same layout, a row at a time on the threads, and overlapped with the
//! halo exchange when one is in flight (the points that need no ghost cell first).

use std::ops::Range;

use ndarray::Dimension;

use crate::collective::element::Element;
use crate::distarray::array::DistArray;
use crate::distarray::copy::standard_strides;
use crate::distarray::state::{rim_of, StencilBoxes};
use crate::distarray::stencil_iso::{by_distance, distance_row};
use crate::distarray::stencil_kernel::{weighted_row, StencilElement};
use crate::error::{Error, Result};
use crate::runtime::threads::for_each_part;

/// Weighted points around a centre: `out[i] = Σ w · in[i + offset]`.
///
/// # Examples
/// ```
/// use mpikit::distarray::Stencil;
/// // The 5-point Laplacian in 2-D.
/// let laplace = Stencil::star(2, 1, -4.0, |_axis, _k| 1.0);
/// assert_eq!(laplace.points().len(), 5);
/// assert_eq!(laplace.reach(), 1);
/// // PRK's star of radius 2: weights ±1/(2kR) along each axis, 0 at the centre.
/// let prk = Stencil::star(2, 2, 0.0, |_axis, k: isize| 1.0 / (2.0 * k as f64 * 2.0));
/// assert_eq!((prk.points().len(), prk.reach()), (9, 2)); // the centre, weight 0, too
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Stencil<T> {
    points: Vec<(Vec<isize>, T)>,
    reach: usize,
}

impl<T: Copy> Stencil<T> {
    /// Any points: `(offset per axis, weight)`. All offsets must have the same number of axes.
    ///
    /// # Panics
    /// If the offsets have different numbers of axes.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::Stencil;
    /// let forward = Stencil::new(vec![(vec![0, 1], 1.0), (vec![0, 0], -1.0)]); // x[i, j + 1] - x[i, j]
    /// assert_eq!(forward.reach(), 1);
    /// ```
    pub fn new(points: Vec<(Vec<isize>, T)>) -> Stencil<T> {
        let ndim = points.first().map_or(0, |p| p.0.len());
        assert!(
            points.iter().all(|p| p.0.len() == ndim),
            "stencil offsets with different numbers of axes"
        );
        let reach = points
            .iter()
            .flat_map(|p| p.0.iter().map(|o| o.unsigned_abs()))
            .max()
            .unwrap_or(0);
        Stencil { points, reach }
    }

    /// A star of `radius` along each of `ndim` axes: `center` at the centre and `arm(axis,
    /// k)` at offset `k` (±1..=±radius) along `axis`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::Stencil;
    /// let d2 = Stencil::star(1, 1, -2.0, |_axis, _k| 1.0); // x[i - 1] - 2 x[i] + x[i + 1]
    /// assert_eq!(d2.points(), &[(vec![0], -2.0), (vec![-1], 1.0), (vec![1], 1.0)]);
    /// ```
    pub fn star(
        ndim: usize,
        radius: usize,
        center: T,
        arm: impl Fn(usize, isize) -> T,
    ) -> Stencil<T> {
        let mut points = vec![(vec![0; ndim], center)];
        for axis in 0..ndim {
            for k in 1..=radius as isize {
                for k in [-k, k] {
                    let mut at = vec![0; ndim];
                    at[axis] = k;
                    points.push((at, arm(axis, k)));
                }
            }
        }
        Stencil::new(points)
    }

    /// The points and their weights.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::Stencil;
    /// let average = Stencil::new(vec![(vec![0, -1], 0.5), (vec![0, 1], 0.5)]);
    /// assert_eq!(average.points().iter().map(|(_, w)| w).sum::<f64>(), 1.0);
    /// ```
    pub fn points(&self) -> &[(Vec<isize>, T)] {
        &self.points
    }

    /// The farthest any point reaches along an axis: the ghost width it needs.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::Stencil;
    /// assert_eq!(Stencil::star(3, 2, 0.0, |_, _| 1.0).reach(), 2); // needs Halo::new(3, 2)
    /// ```
    pub fn reach(&self) -> usize {
        self.reach
    }
}

/// The neighbourhood of one point, for [`DistArray::stencil_map_into`].
pub struct Neighbourhood<'a, T> {
    data: &'a [T],
    center: usize,
    strides: &'a [usize],
}

impl<T: Copy> Neighbourhood<'_, T> {
    /// The value at `offset` (one entry per axis) from the point, within the stencil's reach.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 100], world.size() as usize), |i| 3.0 * i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     a.exchange_halos()?;
    ///     let mut grad = a.map(|_| 0.0); // (a[i + 1, j] - a[i - 1, j]) / 2 on the inner rows
    ///     a.stencil_map_into(1, &mut grad, &[1..99, 0..100], |n| 0.5 * (n.at(&[1, 0]) - n.at(&[-1, 0])))?;
    ///     assert_eq!(grad.max()?, 3.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn at(&self, offset: &[isize]) -> T {
        let at = offset
            .iter()
            .zip(self.strides)
            .fold(self.center as isize, |acc, (&o, &s)| acc + o * s as isize);
        self.data[at as usize]
    }
}

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Writes the stencil of this array into `out` (the same layout) at every point of the
    /// global box `within` (one range per axis) that this rank owns: `out = Σ w · self[i +
    /// offset]`. [`stencil_into_with`](Self::stencil_into_with) combines instead.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::{Halo, Stencil}, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 100], world.size() as usize), |i| (i[0] * i[0]) as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     a.exchange_halos()?;
    ///     let mut d2 = a.map(|_| 0.0); // the second difference along axis 0: 2 for i²
    ///     let along_0 = Stencil::new(vec![(vec![-1, 0], 1.0), (vec![0, 0], -2.0), (vec![1, 0], 1.0)]);
    ///     a.stencil_into(&along_0, &mut d2, &[1..99, 0..100])?;
    ///     assert_eq!(d2.sum()?, 2.0 * 98.0 * 100.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn stencil_into(
        &mut self,
        stencil: &Stencil<T>,
        out: &mut DistArray<T, D>,
        within: &[Range<usize>],
    ) -> Result<()>
    where
        T: StencilElement,
    {
        self.stencil_into_with(stencil, out, within, |_, s| s)
    }

    /// [`stencil_into`](Self::stencil_into) combining: `out = f(out, Σ w · self[i + offset])`
    /// (`|o, s| o + s` accumulates, as PRK's Stencil does).
    ///
    /// The ghost cells must cover the stencil's reach wherever a point of `within` needs
    /// them (checked for every rank's block on every rank, so a mismatch is the same `Err`
    /// everywhere without a message). When a halo exchange is in flight
    /// ([`begin_halos`](Self::begin_halos)), the points that need no ghost cell are computed
    /// first, then the exchange is finished, then the rest: the overlap of communication and
    /// computation, in one call. The rows go to the threads when there is enough work.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::distarray::{Halo, Stencil};
    /// use mpikit::ndarray::Ix2;
    /// mpikit::run(|world| {
    ///     let n = 1000;
    ///     let grid = Grid::balanced(&[n, n], world.size() as usize, &[0, 1])?;
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), |i| (i[0] + i[1]) as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     let mut out = DistArray::<f64, Ix2>::zeros(world, grid)?;
    ///     let laplace = Stencil::star(2, 1, -4.0, |_, _| 1.0);
    ///     a.begin_halos()?; // faces travel while the interior computes
    ///     a.stencil_into(&laplace, &mut out, &[1..n - 1, 1..n - 1])?;
    ///     assert_eq!(out.norm_l1()?, 0.0); // the Laplacian of a linear function
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn stencil_into_with<F>(
        &mut self,
        stencil: &Stencil<T>,
        out: &mut DistArray<T, D>,
        within: &[Range<usize>],
        f: F,
    ) -> Result<()>
    where
        T: StencilElement,
        F: Fn(T, T) -> T + Sync,
    {
        // 3-D stencils in the 3 x 3 x 3 box weighted by distance class: partial sums per row.
        if self.grid.shape().len() == 3 {
            if let Some(w) = by_distance(&stencil.points) {
                return self.over_points(
                    out,
                    stencil.reach,
                    within,
                    "stencil_into",
                    |src, at, strides, row, _| distance_row(src, at, strides, &w, row, &f),
                );
            }
        }
        // Each point as one flat offset in the padded block (worked out once per call).
        let strides = standard_strides(self.data.shape());
        let deltas: Vec<(isize, T)> = stencil
            .points
            .iter()
            .map(|(offset, w)| {
                let d = offset
                    .iter()
                    .zip(&strides)
                    .map(|(&o, &s)| o * s as isize)
                    .sum();
                (d, *w)
            })
            .collect();
        self.over_points(
            out,
            stencil.reach,
            within,
            "stencil_into",
            |src, at, _, row, tmp| weighted_row(src, at, &deltas, row, tmp, &f),
        )
    }

    /// `out = f(neighbourhood)` at every point of the global box `within` this rank owns,
    /// for any closure that reads values up to `reach` cells away along each axis
    /// ([`Neighbourhood::at`]); otherwise as [`stencil_into_with`](Self::stencil_into_with).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 100], world.size() as usize), |i| (i[0] * i[1]) as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     a.exchange_halos()?;
    ///     let mut out = a.map(|_| 0.0); // the largest of the four neighbours: no weighted sum
    ///     a.stencil_map_into(1, &mut out, &[1..99, 1..99], |n| {
    ///         n.at(&[-1, 0]).max(n.at(&[1, 0])).max(n.at(&[0, -1])).max(n.at(&[0, 1]))
    ///     })?;
    ///     assert_eq!(out.max()?, 99.0 * 98.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn stencil_map_into<F>(
        &mut self,
        reach: usize,
        out: &mut DistArray<T, D>,
        within: &[Range<usize>],
        f: F,
    ) -> Result<()>
    where
        F: Fn(&Neighbourhood<'_, T>) -> T + Sync,
    {
        self.over_points(
            out,
            reach,
            within,
            "stencil_map_into",
            |src, at, strides, row, _| {
                for (k, o) in row.iter_mut().enumerate() {
                    *o = f(&Neighbourhood {
                        data: src,
                        center: at + k,
                        strides,
                    });
                }
            },
        )
    }

    /// Checks, then runs `row(padded source, flat position of the row's first point, strides,
    /// the output row, scratch)` over the rows of the local part of `within`, the interior
    /// first while a halo exchange is in flight.
    fn over_points<R>(
        &mut self,
        out: &mut DistArray<T, D>,
        reach: usize,
        within: &[Range<usize>],
        what: &str,
        row: R,
    ) -> Result<()>
    where
        R: Fn(&[T], usize, &[usize], &mut [T], &mut Vec<(usize, T)>) + Sync,
    {
        let nd = self.grid.shape().len();
        if out.grid != self.grid || within.len() != nd || nd == 0 {
            return Err(Error::Shape(format!(
                "{what}: the output must have the input's layout and `within` one range per \
                 axis ({nd})"
            )));
        }
        let boxes = match self.stencil_boxes.take() {
            Some(b) if b.reach == reach && b.within.as_slice() == within => b,
            _ => {
                self.reach_fits(reach, within, what)?;
                Box::new(self.boxes(reach, within))
            }
        };
        let parts = if self.halo_in_flight() {
            &boxes.overlapped
        } else {
            &boxes.blocking
        };
        let mut ran = Ok(());
        for (b, after_halos) in parts {
            if *after_halos {
                ran = self.finish_halos();
                if ran.is_err() {
                    break;
                }
            }
            self.rows_of(out, b, &row);
        }
        self.stencil_boxes = Some(boxes);
        ran?;
        self.finish_halos()
    }

    /// The local boxes a stencil of `reach` over `within` computes, worked out once per
    /// layout: the whole local part, or, while a halo exchange is in flight, the interior
    /// first and the rim (after the exchange) next.
    fn boxes(&self, reach: usize, within: &[Range<usize>]) -> StencilBoxes {
        let nd = within.len();
        let block = self.local().shape().to_vec();
        let local: Vec<Range<usize>> = (0..nd)
            .map(|a| {
                let o = self.offset[a];
                let (lo, hi) = (within[a].start.max(o), within[a].end.min(o + block[a]));
                if lo < hi {
                    lo - o..hi - o
                } else {
                    0..0
                }
            })
            .collect();
        let mut boxes = StencilBoxes {
            reach,
            within: within.to_vec(),
            blocking: Vec::new(),
            overlapped: Vec::new(),
        };
        if local.iter().any(|r| r.is_empty()) {
            return boxes;
        }
        boxes.blocking.push((local.clone(), false));
        let inner = self.interior(reach);
        let cut: Vec<Range<usize>> = (0..nd)
            .map(|a| local[a].start.max(inner[a].start)..local[a].end.min(inner[a].end))
            .collect();
        if cut.iter().all(|r| !r.is_empty()) {
            boxes.overlapped.push((cut.clone(), false));
            for b in rim_of(&local, &cut) {
                boxes.overlapped.push((b, true));
            }
        } else {
            boxes.overlapped.push((local, true));
        }
        boxes
    }

    /// Whether every rank's points of `within` have their neighbours within `reach` inside
    /// the padded block (checked for every rank's block: the same answer on every rank).
    fn reach_fits(&self, reach: usize, within: &[Range<usize>], what: &str) -> Result<()> {
        let shape = self.grid.shape();
        for (a, r) in within.iter().enumerate() {
            if r.end > shape[a] {
                return Err(Error::Shape(format!(
                    "{what}: range {r:?} along axis {a} of an array of shape {shape:?}"
                )));
            }
        }
        for rank in 0..self.grid.ranks() {
            let (off, block) = (self.grid.block_offset(rank), self.grid.block_shape(rank));
            for (a, r) in within.iter().enumerate() {
                let (lo, hi) = (r.start.max(off[a]), r.end.min(off[a] + block[a]));
                if lo >= hi {
                    break;
                }
                let g = self.ghosts[a];
                if lo + g[0] < off[a] + reach || hi + reach > off[a] + block[a] + g[1] {
                    return Err(Error::Shape(format!(
                        "{what}: a reach of {reach} along axis {a} needs ghost cells there \
                         (rank {rank}'s points {lo}..{hi} of its block {}..{}, ghosts {g:?}): \
                         set_halo with a width of at least {reach}, or narrow `within`",
                        off[a],
                        off[a] + block[a]
                    )));
                }
            }
        }
        Ok(())
    }

    /// Runs `row` over the rows (along the last axis) of the local box `b`.
    fn rows_of<R>(&self, out: &mut DistArray<T, D>, b: &[Range<usize>], row: &R)
    where
        R: Fn(&[T], usize, &[usize], &mut [T], &mut Vec<(usize, T)>) + Sync,
    {
        let nd = b.len();
        let src = self.data.as_slice().expect("blocks are in standard layout");
        let strides = standard_strides(self.data.shape());
        let out_strides = standard_strides(out.data.shape());
        let (g, og) = (&self.ghosts, &out.ghosts);
        let rows: usize = b[..nd - 1].iter().map(|r| r.len()).product();
        let len = b[nd - 1].len();
        let dst_len = out.data.len();
        let dst = out
            .data
            .as_slice_mut()
            .expect("blocks are in standard layout");
        let dst = Dst(dst.as_mut_ptr());
        // Row k of the box: its first point in both padded blocks.
        let place = |mut k: usize| -> (usize, usize) {
            let (mut at, mut to) = (0, 0);
            for a in (0..nd).rev() {
                let i = if a == nd - 1 {
                    b[a].start
                } else {
                    let n = b[a].len();
                    let i = b[a].start + k % n;
                    k /= n;
                    i
                };
                at += (i + g[a][0]) * strides[a];
                to += (i + og[a][0]) * out_strides[a];
            }
            (at, to)
        };
        let work = |range: Range<usize>| {
            let mut tmp = Vec::new();
            for k in range {
                let (at, to) = place(k);
                assert!(to + len <= dst_len, "a stencil row past its block");
                // SAFETY: rows of the output box are disjoint; each is written by one caller.
                let out_row = unsafe { std::slice::from_raw_parts_mut(dst.get().add(to), len) };
                row(src, at, &strides, out_row, &mut tmp);
            }
        };
        for_each_part(&self.pool, rows, rows * len, work);
    }
}

/// A pointer to the output block that the rows' threads share (each writes its own rows).
#[derive(Clone, Copy)]
struct Dst<T>(*mut T);
// SAFETY: see the type's doc.
unsafe impl<T> Send for Dst<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Dst<T> {}

impl<T> Dst<T> {
    fn get(self) -> *mut T {
        self.0
    }
}
