//! Order statistics of a [`DistArray`] of floats, exactly and without gathering the
//! blocks: median, quantiles and histograms over every element, with numpy's semantics.

use crate::distarray::array::DistArray;
use crate::error::Result;
use crate::stats::histogram::Histogram;
use crate::stats::order::{histogram, median, quantiles, QuantileMethod};
use crate::stats::radix::InMemory;
use crate::stats::spec::NanPolicy;
use ndarray::Dimension;

impl<D: Dimension> DistArray<f64, D> {
    /// numpy's `histogram(a, bins, range)` of every element, the same on every rank: `bins`
    /// equal bins over `range = (low, high)`, or over the data's min and max when `range` is
    /// `None`; NaNs are not counted (see [`stats::histogram`](crate::stats::histogram), which
    /// this is over the blocks).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::stats::NanPolicy;
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64 + 0.5)?;
    ///     // 0.5, 1.5, ..., 99.5 ten times each: 100 values in each of 10 bins over [0, 100].
    ///     let h = a.histogram(10, Some((0.0, 100.0)), NanPolicy::Propagate)?;
    ///     assert_eq!(h.counts(), &[100; 10]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn histogram(
        &self,
        bins: usize,
        range: Option<(f64, f64)>,
        nan: NanPolicy,
    ) -> Result<Histogram> {
        let x = self.local_elements();
        let data = InMemory {
            data: &x,
            pool: &self.pool,
        };
        histogram(&*self.comm, &data, bins, range, nan)
    }

    /// numpy's `median` of every element (`NaN` if any is NaN; `nanmedian` with
    /// [`NanPolicy::Skip`]), exactly and without gathering the blocks: a distributed radix
    /// selection over the blocks (see [`quantiles`](crate::stats::quantiles)).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, stats::NanPolicy, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     assert_eq!(a.median(NanPolicy::Propagate)?, 49.5);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn median(&self, nan: NanPolicy) -> Result<f64> {
        let x = self.local_elements();
        median(
            &*self.comm,
            &InMemory {
                data: &x,
                pool: &self.pool,
            },
            nan,
        )
    }

    /// numpy's `quantile(x, qs, method=...)` of every element, exactly, the same on every
    /// rank (see [`quantiles`](crate::stats::quantiles)).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, stats::{NanPolicy, QuantileMethod}, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     let q = a.quantiles(&[0.0, 0.5, 1.0], QuantileMethod::Linear, NanPolicy::Propagate)?;
    ///     assert_eq!(q, vec![0.0, 49.5, 99.0]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn quantiles(
        &self,
        qs: &[f64],
        method: QuantileMethod,
        nan: NanPolicy,
    ) -> Result<Vec<f64>> {
        let x = self.local_elements();
        quantiles(
            &*self.comm,
            &InMemory {
                data: &x,
                pool: &self.pool,
            },
            qs,
            method,
            nan,
        )
    }
}
