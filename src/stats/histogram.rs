//! Histograms with numpy's equal-width bins, counted by the threads of a pool and combined
//! across ranks in one reduction.

use crate::runtime::world::Comm;

use crate::collective::reduce::{ArrayReductions, ReduceOp};
use crate::error::{Error, Result};
use crate::runtime::threads::map_parts;
use crate::stats::kernels::Real;

/// Counts of values in `bins` equal-width bins over `[low, high]`, as `numpy.histogram(x,
/// bins, range=(low, high))` counts them: the edges are numpy's `linspace(low, high, bins +
/// 1)`, bin `i` holds `edges[i] <= x < edges[i + 1]`, the last bin also holds `x == high`,
/// and values outside the range and NaNs are not counted. f32 data is binned as f64.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::data::Random;
/// use mpikit::stats::Histogram;
/// mpikit::run(|world| {
///     let rng = Random::new(1);
///     let mine = world.block(1_000_000);
///     let x: Vec<f64> = mine.map(|i| rng.normal(i as u64)).collect();
///     let mut h = Histogram::new(64, (-4.0, 4.0))?;
///     h.add(&x, world.pool());                  // this rank's block, with its threads
///     let h = h.combine(world)?;                // every rank's counts, on every rank
///     if world.is_root() {
///         println!("{:?}", h.counts());
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    edges: Vec<f64>,
    counts: Vec<u64>,
}

impl Histogram {
    /// An empty histogram of `bins` bins over `range = (low, high)`. As numpy does,
    /// `low == high` widens the range to `[low - 0.5, high + 0.5]`. The same `bins, range`
    /// as [`stats::histogram`](crate::stats::histogram) and
    /// [`DistArray::histogram`](crate::DistArray::histogram), where the range may be left to
    /// the data.
    ///
    /// Fails if `bins` is zero, a bound is not finite, or `low > high`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::Histogram;
    /// let h = Histogram::new(4, (0.0, 4.0))?;
    /// assert_eq!(h.edges(), &[0.0, 1.0, 2.0, 3.0, 4.0]);
    /// assert!(Histogram::new(0, (0.0, 1.0)).is_err());
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn new(bins: usize, range: (f64, f64)) -> Result<Histogram> {
        let (low, high) = range;
        if bins == 0 {
            return Err(Error::input("a histogram needs at least one bin"));
        }
        if !low.is_finite() || !high.is_finite() {
            return Err(Error::input(format!(
                "histogram range [{low}, {high}] is not finite"
            )));
        }
        if low > high {
            return Err(Error::input(format!(
                "histogram range [{low}, {high}]: the low end must not exceed the high end"
            )));
        }
        let (low, high) = if low == high {
            (low - 0.5, high + 0.5)
        } else {
            (low, high)
        };
        Ok(Histogram {
            edges: linspace(low, high, bins + 1),
            counts: vec![0; bins],
        })
    }

    /// The `bins + 1` bin edges.
    ///
    /// # Examples
    /// ```
    /// let h = mpikit::stats::Histogram::new(2, (0.0, 1.0))?;
    /// assert_eq!(h.edges(), &[0.0, 0.5, 1.0]);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// The count in each bin.
    ///
    /// # Examples
    /// ```
    /// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    /// let mut h = mpikit::stats::Histogram::new(4, (0.0, 4.0))?;
    /// h.add(&[0.5, 1.5, 1.7, 4.0], &pool);
    /// assert_eq!(h.counts(), &[1, 2, 0, 1]); // the last bin holds its right edge, as numpy's
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The number of bins.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::stats::Histogram::new(10, (0.0, 1.0))?.bins(), 10);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn bins(&self) -> usize {
        self.counts.len()
    }

    /// Counts every value of `data`, split into blocks over the threads of `pool`.
    ///
    /// # Examples
    /// ```
    /// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    /// let mut h = mpikit::stats::Histogram::new(2, (0.0, 2.0))?;
    /// h.add(&[0.1f32, 0.2, 1.5, 9.0], &pool); // 9.0 is outside the range: not counted
    /// assert_eq!(h.counts(), &[2, 1]);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn add<T: Real>(&mut self, data: &[T], pool: &rayon::ThreadPool) {
        let parts: Vec<Vec<u64>> = map_parts(pool, data.len(), |r| {
            let mut counts = vec![0u64; self.bins()];
            self.count_into(&data[r], &mut counts);
            counts
        });
        for part in parts {
            for (c, p) in self.counts.iter_mut().zip(part) {
                *c += p;
            }
        }
    }

    /// Adds another histogram's counts (same edges).
    ///
    /// # Panics
    /// If the edges differ.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::Histogram;
    /// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    /// let (mut a, mut b) = (Histogram::new(2, (0.0, 2.0))?, Histogram::new(2, (0.0, 2.0))?);
    /// a.add(&[0.5], &pool);
    /// b.add(&[1.5, 1.6], &pool);
    /// a.merge(&b);
    /// assert_eq!(a.counts(), &[1, 2]);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn merge(&mut self, other: &Histogram) {
        assert_eq!(self.edges, other.edges, "histograms with different bins");
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
    }

    /// Every rank's counts added together, on every rank (one `MPI_Allreduce`). Fails on
    /// every rank if the ranks' bins differ.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::stats::Histogram;
    /// mpikit::run(|world| {
    ///     let mut h = Histogram::new(10, (0.0, 1.0))?;
    ///     h.add(&[0.05, 0.95], world.pool());
    ///     let total = h.combine(world)?; // every rank's counts, on every rank
    ///     assert_eq!(total.counts()[0], world.size() as u64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn combine<A: Comm + ?Sized>(&self, comm: &A) -> Result<Histogram> {
        let comm = comm.as_comm();
        let first = [self.edges[0], *self.edges.last().expect("bins + 1 edges")];
        let lows = comm.allreduce_array(&first[..], ReduceOp::Min)?;
        let highs = comm.allreduce_array(&first[..], ReduceOp::Max)?;
        if lows != highs {
            return Err(Error::Shape(
                "Histogram::combine: the ranks' histograms have different ranges".into(),
            ));
        }
        let counts = comm.allreduce_array(&self.counts, ReduceOp::Sum)?;
        Ok(Histogram {
            edges: self.edges.clone(),
            counts,
        })
    }

    /// The bin of `x`, or `None` outside `[low, high]` (NaN included): numpy's index from
    /// the scaled offset, then corrected by one against the edges, as numpy corrects it.
    ///
    /// # Examples
    /// ```
    /// let h = mpikit::stats::Histogram::new(4, (0.0, 4.0))?;
    /// assert_eq!((h.bin_of(0.0), h.bin_of(3.5), h.bin_of(4.0), h.bin_of(5.0)), (Some(0), Some(3), Some(3), None));
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    #[inline]
    pub fn bin_of(&self, x: f64) -> Option<usize> {
        let bins = self.bins();
        let (low, high) = (self.edges[0], self.edges[bins]);
        if !(x >= low && x <= high) {
            return None;
        }
        let mut i = (((x - low) / (high - low)) * bins as f64) as usize;
        i = i.min(bins - 1);
        if x < self.edges[i] {
            i -= 1;
        } else if i != bins - 1 && x >= self.edges[i + 1] {
            i += 1;
        }
        Some(i)
    }

    /// These edges with `counts` (one per bin).
    pub(crate) fn with_counts(mut self, counts: Vec<u64>) -> Histogram {
        assert_eq!(counts.len(), self.bins(), "a count per bin");
        self.counts = counts;
        self
    }

    pub(crate) fn count_into<T: Real>(&self, data: &[T], counts: &mut [u64]) {
        let bins = self.bins();
        let last = bins - 1;
        let edges = &self.edges[..bins + 1];
        let (low, high) = (edges[0], edges[bins]);
        // numpy's scale: (x - first_edge) * (bins / (last_edge - first_edge)).
        let norm = bins as f64 / (high - low);
        // With a finite span and scale, an x in [low, high] scales into [0, bins] (rounding
        // is monotonic), so the float-to-integer conversion needs no saturation.
        let exact = (high - low).is_finite() && norm.is_finite();
        for &x in data {
            let x = x.to_f64();
            if !(x >= low && x <= high) {
                continue;
            }
            let f = (x - low) * norm;
            let g = if exact {
                // SAFETY: f is finite and in [0, bins] (see above).
                unsafe { f.to_int_unchecked::<i64>() as usize }
            } else {
                f as usize
            };
            // One step down or up where the scaled offset rounded wrongly (as in bin_of);
            // the last edge stays in the last bin.
            let mut i = g.min(last);
            if x < edges[i] {
                i -= 1;
            } else if i != last && x >= edges[i + 1] {
                i += 1;
            }
            counts[i] += 1;
        }
    }
}

/// numpy's `linspace(start, stop, num)` (endpoint included): `start + i * step`, the last
/// value exactly `stop`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    v[num - 1] = stop;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::runtime::threads::test_pool as pool;

    /// The neighbouring double above (`dir = 1`) or below (`dir = -1`) a finite `x`.
    fn step(x: f64, dir: i64) -> f64 {
        if x == 0.0 {
            return f64::from_bits(1) * dir as f64;
        }
        let away = (x > 0.0) == (dir > 0);
        let bits = x.to_bits();
        f64::from_bits(if away { bits + 1 } else { bits - 1 })
    }

    /// The rule by the edges alone, one value at a time.
    fn by_edges(edges: &[f64], x: f64) -> Option<usize> {
        let n = edges.len() - 1;
        (0..n).find(|&i| x >= edges[i] && (x < edges[i + 1] || (i == n - 1 && x == edges[n])))
    }

    #[test]
    fn numpy_rules_on_edges_and_outside() {
        let h = Histogram::new(4, (0.0, 1.0)).unwrap();
        assert_eq!(h.edges(), &[0.0, 0.25, 0.5, 0.75, 1.0]);
        let x = [
            0.0,
            0.25,
            0.2499999,
            1.0,
            -0.1,
            1.1,
            f64::NAN,
            0.75,
            f64::INFINITY,
        ];
        let mut h = h;
        h.add(&x, &pool(2));
        assert_eq!(h.counts(), &[2, 1, 0, 2]);
    }

    #[test]
    fn matches_the_edge_rule_on_awkward_ranges() {
        // Ranges whose edges are not exact in binary: the scaled index is off by one near
        // edges, and the correction must put every value where the edges say.
        for &(lo, hi, bins) in &[(0.1, 0.7, 3usize), (-1e-3, 2.9, 7), (1e6, 1e6 + 1.0, 10)] {
            let h = Histogram::new(bins, (lo, hi)).unwrap();
            let mut probes: Vec<f64> = Vec::new();
            for &e in h.edges() {
                let mut below = e;
                let mut above = e;
                for _ in 0..3 {
                    below = step(below, -1);
                    above = step(above, 1);
                    probes.extend([below, above]);
                }
                probes.push(e);
            }
            for x in probes {
                assert_eq!(
                    h.bin_of(x),
                    by_edges(h.edges(), x),
                    "x = {x:e}, [{lo}, {hi}] / {bins}"
                );
            }
        }
    }

    #[test]
    fn threads_and_blocks_do_not_change_counts() {
        let x: Vec<f64> = (0..10_007)
            .map(|i| ((i * 7919) % 1000) as f64 / 10.0)
            .collect();
        let serial = {
            let h = Histogram::new(13, (0.0, 100.0)).unwrap();
            let mut c = vec![0u64; 13];
            for &v in &x {
                if let Some(i) = by_edges(h.edges(), v) {
                    c[i] += 1;
                }
            }
            c
        };
        for t in [1, 2, 3] {
            let mut h = Histogram::new(13, (0.0, 100.0)).unwrap();
            h.add(&x, &pool(t));
            assert_eq!(h.counts(), &serial[..]);
        }
    }

    #[test]
    fn bad_bins_and_ranges() {
        assert!(Histogram::new(0, (0.0, 1.0)).is_err());
        assert!(Histogram::new(3, (1.0, 0.0)).is_err());
        assert!(Histogram::new(3, (0.0, f64::INFINITY)).is_err());
        let h = Histogram::new(2, (5.0, 5.0)).unwrap();
        assert_eq!(h.edges(), &[4.5, 5.0, 5.5]);
    }
}
