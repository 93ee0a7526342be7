//! Element-wise work on the threads (no communication) and reductions over all elements or
//! along an axis, built on the `stats` kernels and combined across ranks.

use mpi::collective::CommunicatorCollectives;
use ndarray::{Array, Axis, Dimension, IxDyn, RemoveAxis, Zip};

use crate::collective::element::Element;
use crate::collective::object::ObjectCollectives;
use crate::collective::op::ReduceOp;
use crate::collective::reduce::ArrayReductions;
use crate::distarray::array::DistArray;
use crate::error::{Error, Result};
use crate::runtime::threads::{map_parts, parallel};
use crate::stats::exact::ExactSum;
use crate::stats::kernels::{Partial, Real};
use crate::stats::spec::{Spec, Stat};
use crate::stats::summary::summarize_floats;

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// `f` of every element, into a new array of the same decomposition; on the threads, no
    /// communication.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     let squares = a.map(|x| x * x); // a new array of the same layout
    ///     assert_eq!(squares.sum()?, 3_283_500.0); // 10 × (0² + 1² + ... + 99²)
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn map<U: Element>(&self, f: impl Fn(T) -> U + Sync + Send) -> DistArray<U, D> {
        let local = self.local();
        let data = if parallel(&self.pool, local.len()) {
            self.pool
                .install(|| Zip::from(&local).par_map_collect(|&x| f(x)))
        } else {
            Zip::from(&local).map_collect(|&x| f(x))
        };
        self.like(data)
    }

    /// Replaces every element `x` with `f(x)`, on the threads.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.map_inplace(|x| 2.0 * x + 1.0);
    ///     assert_eq!(a.sum()?, 100_000.0); // 10 × (1 + 3 + ... + 199)
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn map_inplace(&mut self, f: impl Fn(T) -> T + Sync + Send) {
        let pool = self.pool.clone();
        let local = self.local_mut();
        if parallel(&pool, local.len()) {
            pool.install(|| Zip::from(local).par_for_each(|x| *x = f(*x)));
        } else {
            Zip::from(local).for_each(|x| *x = f(*x));
        }
    }

    /// `f(a, b)` of this array's and `other`'s elements, into a new array. The same `Err` on
    /// every rank unless both have the same decomposition (shape and grid); no other
    /// communication.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     let c = a.zip_with(&a.map(|x| 100.0 - x), |x, y| x + y)?; // same layout needed
    ///     assert_eq!((c.min()?, c.max()?), (100.0, 100.0));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn zip_with<U: Element, V: Element>(
        &self,
        other: &DistArray<U, D>,
        f: impl Fn(T, U) -> V + Sync + Send,
    ) -> Result<DistArray<V, D>> {
        if self.grid != other.grid {
            // Grids are the same on every rank of an array, so every rank takes this branch.
            return Err(Error::Shape(format!(
                "zip_with: arrays of shape {:?} over {:?} and shape {:?} over {:?} are laid out \
                 differently (redistribute one first)",
                self.grid.shape(),
                self.grid.dims(),
                other.grid.shape(),
                other.grid.dims()
            )));
        }
        let (a, b) = (self.local(), other.local());
        let data = if parallel(&self.pool, a.len()) {
            self.pool
                .install(|| Zip::from(&a).and(&b).par_map_collect(|&x, &y| f(x, y)))
        } else {
            Zip::from(&a).and(&b).map_collect(|&x, &y| f(x, y))
        };
        Ok(self.like(data))
    }

    /// The number of elements of the global array.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.len(), 10); // elements over every rank
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn len(&self) -> usize {
        self.grid.shape().iter().product()
    }

    /// Whether the global array has no elements.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert!(!a.is_empty());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// This rank's block as one slice in standard order: borrowed when it has no ghost
    /// cells, else copied.
    pub(crate) fn local_elements(&self) -> std::borrow::Cow<'_, [T]> {
        match self.data.as_slice() {
            Some(s) if self.ghosts.iter().all(|g| g == &[0, 0]) => std::borrow::Cow::Borrowed(s),
            _ => std::borrow::Cow::Owned(self.local().iter().copied().collect()),
        }
    }
}

impl<T: Element + Real, D: Dimension> DistArray<T, D> {
    fn stat(&self, stat: Stat) -> Result<f64> {
        Partial::local(stat, &self.local_elements(), &self.pool)?.combine(&*self.comm)
    }

    /// Σ x over every element (every rank gets it).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     assert_eq!(a.sum()?, 49_500.0); // 10 × (0 + 1 + ... + 99), on every rank
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn sum(&self) -> Result<f64> {
        self.stat(Stat::Sum)
    }

    /// Σ x² over every element.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.sumsq()?, 285.0); // 0² + 1² + ... + 9²
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn sumsq(&self) -> Result<f64> {
        self.stat(Stat::SumSq)
    }

    /// The mean (`NaN` for no elements).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     assert_eq!(a.mean()?, 49.5);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn mean(&self) -> Result<f64> {
        self.stat(Stat::Mean)
    }

    /// The smallest element (`+inf` for none).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.min()?, 0.0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn min(&self) -> Result<f64> {
        self.stat(Stat::Min)
    }

    /// The largest element (`-inf` for none).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.max()?, 9.0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn max(&self) -> Result<f64> {
        self.stat(Stat::Max)
    }

    /// The Euclidean norm √Σx².
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.norm_l2()?, 285f64.sqrt());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn norm_l2(&self) -> Result<f64> {
        Ok(self.sumsq()?.sqrt())
    }

    /// The sum of magnitudes Σ|x| (numpy's `norm(x, 1)` of a vector), on the threads, one
    /// reduction across ranks.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64 - 50.0)?;
    ///     assert_eq!(a.norm_l1()?, 25_000.0); // 10 × (50 + 49 + ... + 1 + 0 + 1 + ... + 49)
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn norm_l1(&self) -> Result<f64> {
        let local = self.local();
        let mine: f64 = match local.as_slice() {
            Some(flat) => map_parts(&self.pool, flat.len(), |r| {
                flat[r].iter().map(|x| x.to_f64().abs()).sum::<f64>()
            })
            .into_iter()
            .sum(),
            None => local.iter().map(|x| x.to_f64().abs()).sum(),
        };
        self.comm.allreduce_scalar(mine, ReduceOp::Sum)
    }

    /// The largest magnitude max |x| (numpy's `norm(x, inf)`; 0 for no elements).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.norm_inf()?, 9.0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn norm_inf(&self) -> Result<f64> {
        let (lo, hi) = (self.min()?, self.max()?);
        Ok(if self.is_empty() {
            0.0
        } else {
            lo.abs().max(hi.abs())
        })
    }

    /// The population variance Σ(x − mean)²/n (numpy's `var`), by the Welford merge of
    /// `stats::summary`, across ranks in rank order.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| (i[0] % 2) as f64)?;
    ///     assert!((a.var()? - 0.25).abs() < 1e-12); // half zeros, half ones
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn var(&self) -> Result<f64> {
        self.summary(Stat::Var)
    }

    /// √var (numpy's `std`).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.std()?, 8.25f64.sqrt()); // numpy's std, ddof = 0
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn std(&self) -> Result<f64> {
        self.summary(Stat::Std)
    }

    fn summary(&self, op: Stat) -> Result<f64> {
        let spec = Spec::new(op);
        let x: Vec<f64> = self.local_elements().iter().map(|v| v.to_f64()).collect();
        let s = summarize_floats(&spec, &x, &self.pool).combine(&*self.comm)?;
        Ok(s.result(&spec)?.to_f64())
    }

    /// Σ x exact and correctly rounded ([`ExactSum`]): bitwise the same for any ranks and
    /// threads.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix1>::from_fn(world, Grid::rows(&[3], world.size() as usize), |i| [1e16, 1.0, -1e16][i[0]])?;
    ///     assert_eq!(a.sum_exact()?, 1.0); // 1e16 + 1 - 1e16: the 1 survives in any order
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn sum_exact(&self) -> Result<f64> {
        let x: Vec<f64> = self.local_elements().iter().map(|v| v.to_f64()).collect();
        let mut acc = ExactSum::new();
        acc.add_slice(&x);
        let all = self.comm.allgather_objects(&acc.to_digits())?;
        let mut total = ExactSum::new();
        for digits in &all {
            total.merge(&ExactSum::from_digits(digits));
        }
        Ok(total.value())
    }

    /// Σ a·b of two arrays of the same decomposition.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     assert_eq!(a.dot(&a.map(|_| 2.0))?, 99_000.0); // 2 × Σ a
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn dot(&self, other: &DistArray<T, D>) -> Result<f64> {
        self.zip_with(other, |a, b| a * b)?.sum()
    }

    /// The smallest element and its global index (the lowest index among ties; NaNs are
    /// skipped). `None` for an array with no elements (or only NaNs).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// assert_eq!(a.argmin()?, Some((0.0, vec![0])));
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn argmin(&self) -> Result<Option<(f64, Vec<usize>)>> {
        self.arg(|a, b| a < b)
    }

    /// The largest element and its global index (the lowest index among ties; NaNs are
    /// skipped).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     assert_eq!(a.argmax()?, Some((99.0, vec![99, 0]))); // the first of the ten 99s
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn argmax(&self) -> Result<Option<(f64, Vec<usize>)>> {
        self.arg(|a, b| a > b)
    }

    fn arg(&self, better: fn(f64, f64) -> bool) -> Result<Option<(f64, Vec<usize>)>> {
        let local = self.local().into_dyn();
        let mut best: Option<(f64, Vec<usize>)> = None;
        for (index, &x) in local.indexed_iter() {
            let x = x.to_f64();
            if x.is_nan() {
                continue;
            }
            if best.as_ref().map_or(true, |(b, _)| better(x, *b)) {
                best = Some((x, self.global_index(index.slice())));
            }
        }
        let all = self.comm.allgather_objects(&best)?;
        // Lowest global index among ties: compare values, then indices.
        Ok(all
            .into_iter()
            .flatten()
            .fold(None, |acc, (x, i)| match acc {
                None => Some((x, i)),
                Some((b, j)) if better(x, b) || (x == b && i < j) => Some((x, i)),
                keep => keep,
            }))
    }
}

impl<T: Element + Real, D: RemoveAxis> DistArray<T, D> {
    /// Σ along `axis`: the whole result (the global shape without `axis`) on every rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     assert_eq!(a.sum_axis(0)?.to_vec(), vec![4950.0; 10]); // down each column, on every rank
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn sum_axis(&self, axis: usize) -> Result<Array<f64, D::Smaller>> {
        self.along(axis, ReduceOp::Sum, 0.0, |a, b| a + b)
    }

    /// The mean along `axis` (`NaN` where the axis is empty).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, mpikit::ndarray::Ix2>::from_fn(world, Grid::rows(&[4, 3], world.size() as usize), |i| (3 * i[0] + i[1]) as f64)?;
    /// assert_eq!(a.mean_axis(0)?.to_vec(), vec![4.5, 5.5, 6.5]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn mean_axis(&self, axis: usize) -> Result<Array<f64, D::Smaller>> {
        let n = self.grid.shape().get(axis).copied().unwrap_or(0) as f64;
        Ok(self.sum_axis(axis)?.mapv(|s| s / n))
    }

    /// The smallest element along `axis` (`+inf` where the axis is empty).
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, mpikit::ndarray::Ix2>::from_fn(world, Grid::rows(&[4, 3], world.size() as usize), |i| (3 * i[0] + i[1]) as f64)?;
    /// assert_eq!(a.min_axis(1)?.to_vec(), vec![0.0, 3.0, 6.0, 9.0]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn min_axis(&self, axis: usize) -> Result<Array<f64, D::Smaller>> {
        self.along(axis, ReduceOp::Min, f64::INFINITY, f64::min)
    }

    /// The largest element along `axis` (`-inf` where the axis is empty).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     assert_eq!(a.max_axis(1)?.to_vec(), (0..100).map(|i| i as f64).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn max_axis(&self, axis: usize) -> Result<Array<f64, D::Smaller>> {
        self.along(axis, ReduceOp::Max, f64::NEG_INFINITY, f64::max)
    }

    /// Each rank folds its block along `axis` into its place in a result of the global shape
    /// without `axis` (`identity` elsewhere), then one allreduce combines them.
    fn along(
        &self,
        axis: usize,
        op: ReduceOp,
        identity: f64,
        fold: fn(f64, f64) -> f64,
    ) -> Result<Array<f64, D::Smaller>> {
        let ndim = self.grid.shape().len();
        if axis >= ndim {
            return Err(Error::Shape(format!(
                "a reduction along axis {axis} of a {ndim}-axis array"
            )));
        }
        let local = self.local();
        let mine = local.fold_axis(Axis(axis), identity, |&acc, &x| fold(acc, x.to_f64()));
        let mut shape = self.grid.shape().to_vec();
        shape.remove(axis);
        let mut offset = self.offset.clone();
        offset.remove(axis);
        let mut whole = Array::from_elem(IxDyn(&shape), identity);
        let mut place = whole.view_mut();
        for (a, (&o, &n)) in offset.iter().zip(mine.shape()).enumerate() {
            place.slice_axis_inplace(Axis(a), ndarray::Slice::from(o..o + n));
        }
        place.assign(&mine.view().into_dyn());
        let total = self.comm.allreduce_array(&whole, op)?;
        total
            .into_dimensionality::<D::Smaller>()
            .map_err(|e| Error::Shape(format!("reduction along {axis}: {e}")))
    }
}

/// A barrier on the array's communicator (for timing).
impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Waits until every rank of the array's communicator has called it.
    /// # Examples
    /// ```no_run
    /// # use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// # mpikit::run(|world| { let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    /// a.barrier(); // every rank of the array's communicator got here
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn barrier(&self) {
        self.comm.barrier();
    }
}
