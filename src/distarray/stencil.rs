//! Stencils over a haloed DistArray: weighted sums of neighbours ([`Stencil`], a star or any
//! set of points) or any closure over a neighbourhood, computed over a global index range into
//! another array of the same layout, a row at a time on the threads, and overlapped with the
//! halo exchange when one is in flight (the points that need no ghost cell first).

use std::ops::Range;

use ndarray::Dimension;

use crate::collective::element::Element;
use crate::distarray::array::DistArray;
use crate::distarray::copy::standard_strides;
use crate::distarray::stencil_iso::{by_distance, distance_row};
use crate::distarray::stencil_kernel::{weighted_row, StencilElement};
use crate::error::{Error, Result};

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
        self.stencil_rows(stencil, out, within, None, f)
    }

    /// [`stencil_into_with`](Self::stencil_into_with) combining with a third array:
    /// `out = f(base, Σ w · self[i + offset])` at the points of `within`, in one pass (a
    /// residual `r = b - A·x` without first copying `b` into `r`). `base` has this array's
    /// layout: the same grid and the same ghost widths (else the same `Err` on every rank).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::{Halo, Stencil}, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let grid = Grid::rows(&[100, 100], world.size() as usize);
    ///     let mut x = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), |i| (i[0] + i[1]) as f64)?;
    ///     let mut b = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), |_| 1.0)?;
    ///     x.set_halo(Halo::new(2, 1))?;
    ///     b.set_halo(Halo::new(2, 1))?;
    ///     x.exchange_halos()?;
    ///     let mut r = DistArray::<f64, Ix2>::zeros(world, grid)?;
    ///     let laplace = Stencil::star(2, 1, -4.0, |_, _| 1.0);
    ///     // r = b - A·x; the Laplacian of a linear x is 0, so r = b inside.
    ///     x.stencil_zip_into_with(&laplace, &b, &mut r, &[1..99, 1..99], |b, ax| b - ax)?;
    ///     assert_eq!(r.sum()?, 98.0 * 98.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn stencil_zip_into_with<F>(
        &mut self,
        stencil: &Stencil<T>,
        base: &DistArray<T, D>,
        out: &mut DistArray<T, D>,
        within: &[Range<usize>],
        f: F,
    ) -> Result<()>
    where
        T: StencilElement,
        F: Fn(T, T) -> T + Sync,
    {
        // Grids and halo widths are the same on every rank, so is this answer.
        if base.grid != self.grid || base.ghosts != self.ghosts {
            return Err(Error::Shape(
                "stencil_zip_into_with: the base must have the input's grid and ghost widths"
                    .into(),
            ));
        }
        let base = base.data.as_slice().expect("blocks are in standard layout");
        self.stencil_rows(stencil, out, within, Some(base), f)
    }

    /// The work of [`stencil_into_with`](Self::stencil_into_with): with `base` (a padded
    /// block laid out as this one's), each output row starts as `base`'s row there.
    pub(crate) fn stencil_rows<F>(
        &mut self,
        stencil: &Stencil<T>,
        out: &mut DistArray<T, D>,
        within: &[Range<usize>],
        base: Option<&[T]>,
        f: F,
    ) -> Result<()>
    where
        T: StencilElement,
        F: Fn(T, T) -> T + Sync,
    {
        let start = |src: &[T], at: usize, row: &mut [T]| {
            if let Some(b) = base {
                debug_assert_eq!(b.len(), src.len());
                row.copy_from_slice(&b[at..at + row.len()]);
            }
        };
        // 3-D stencils in the 3 x 3 x 3 box weighted by distance class: partial sums per row.
        if self.grid.shape().len() == 3 {
            if let Some(w) = by_distance(&stencil.points) {
                return self.over_points(
                    out,
                    stencil.reach,
                    within,
                    "stencil_into",
                    |src, at, strides, row, _| distance_row(src, at, strides, &w, (row, base), &f),
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
            |src, at, _, row, tmp| {
                start(src, at, row);
                weighted_row(src, at, &deltas, row, tmp, &f)
            },
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
}
