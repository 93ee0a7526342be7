//! Local reduction kernels that run on one rank's chunk with threads and vectorise, and their
//! combination across ranks in a single MPI reduction.
//!
//! Each kernel keeps [`LANES`] independent accumulators so that the compiler can use SIMD
//! registers (a plain `iter().sum()` of floats is one long dependency chain and does not
//! vectorise). The chunk is split into a fixed number of blocks per thread; block results
//! are combined in block order, so a given chunk and thread count always gives the same bits.

use crate::runtime::world::Comm;
use mpi::collective::CommunicatorCollectives;
use mpi::topology::Communicator;

use crate::collective::element::Element;
use crate::collective::reduce::ReduceOp;
use crate::error::{Error, Result};
use crate::runtime::threads::map_parts;
use crate::stats::spec::Stat;

/// Independent accumulators per kernel.
pub const LANES: usize = 16;

/// Floating-point element types the kernels accept.
pub trait Real:
    Element + PartialOrd + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Identity of `min`.
    const INFINITY: Self;
    /// Identity of `max`.
    const NEG_INFINITY: Self;
    /// Widening conversion used for the cross-rank combination.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::Real;
    /// assert_eq!(1.5f32.to_f64(), 1.5);
    /// ```
    fn to_f64(self) -> f64;
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const INFINITY: Self = f64::INFINITY;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    fn to_f64(self) -> f64 {
        self
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const INFINITY: Self = f32::INFINITY;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
    fn to_f64(self) -> f64 {
        self as f64
    }
}

/// One rank's contribution to a one-value statistic: its partial value and how many items it
/// saw, computed on the rank's threads with the vectorised kernels and combined across ranks
/// in one reduction. Every [`Stat`] but [`Stat::Stats`] (several values: a
/// [`Summary`](crate::stats::Summary)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Partial {
    /// The statistic.
    pub stat: Stat,
    /// The partial value: the sum for `Mean`, the mean for `Var` and `Std`.
    pub value: f64,
    /// Items seen.
    pub count: u64,
    /// Σ (x − mean)² of this rank's items, for `Var` and `Std`.
    m2: f64,
}

impl Partial {
    /// Computes this rank's partial statistic of `data` on the threads of `pool`; an `Err`
    /// for [`Stat::Stats`], which has several values.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{Partial, Stat};
    /// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    /// let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    /// let p = Partial::local(Stat::SumSq, &x, &pool)?;
    /// assert_eq!(p.value, 332_833_500.0);
    /// assert_eq!(p.count, 1000);
    /// assert!(Partial::local(Stat::Stats, &x, &pool).is_err());
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn local<T: Real>(stat: Stat, data: &[T], pool: &rayon::ThreadPool) -> Result<Partial> {
        let count = data.len() as u64;
        let kernel: fn(&[T]) -> T = match stat {
            Stat::Sum | Stat::Mean | Stat::Var | Stat::Std => sum,
            Stat::SumSq => sum_sq,
            Stat::Min => min,
            Stat::Max => max,
            Stat::Count => {
                return Ok(Partial {
                    stat,
                    value: count as f64,
                    count,
                    m2: 0.0,
                })
            }
            Stat::Stats => {
                return Err(Error::input(
                    "Partial computes one value; Stat::Stats has several: use \
                     stats::summarize_floats and Summary::combine",
                ))
            }
        };
        let combine = |a: T, b: T| match stat {
            Stat::Min => pick(a, b, |x, y| x < y),
            Stat::Max => pick(a, b, |x, y| x > y),
            _ => a + b,
        };
        let partials: Vec<T> = map_parts(pool, data.len(), |r| kernel(&data[r]));
        let value = partials
            .into_iter()
            .reduce(combine)
            .unwrap_or(identity(stat))
            .to_f64();
        if matches!(stat, Stat::Var | Stat::Std) {
            // Two passes: the mean, then the squared deviations from it (no cancellation).
            let mean = if count == 0 {
                0.0
            } else {
                value / count as f64
            };
            let m2 = map_parts(pool, data.len(), |r| {
                data[r]
                    .iter()
                    .map(|&x| (x.to_f64() - mean).powi(2))
                    .sum::<f64>()
            })
            .into_iter()
            .sum();
            return Ok(Partial {
                stat,
                value: mean,
                count,
                m2,
            });
        }
        Ok(Partial {
            stat,
            value,
            count,
            m2: 0.0,
        })
    }

    /// Combines every rank's partial into the final statistic (`MPI_Allreduce`; for `Var`
    /// and `Std`, each rank's count, mean and squared deviations merged in rank order);
    /// every rank gets the result.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::stats::{Partial, Stat};
    /// mpikit::run(|world| {
    ///     let x: Vec<f64> = world.block(1000).map(|i| i as f64).collect();
    ///     let max = Partial::local(Stat::Max, &x, world.pool())?.combine(world)?;
    ///     let var = Partial::local(Stat::Var, &x, world.pool())?.combine(world)?;
    ///     assert_eq!((max, var), (999.0, 83_333.25));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn combine<A: Comm + ?Sized>(self, comm: &A) -> Result<f64> {
        let comm = comm.as_comm();
        match self.stat {
            Stat::Mean => {
                // Sum and count travel together: one reduction. Counts are exact in f64 up
                // to 2^53 items.
                let send = [self.value, self.count as f64];
                let mut recv = [0.0f64; 2];
                comm.all_reduce_into(&send[..], &mut recv[..], ReduceOp::Sum.system());
                Ok(recv[0] / recv[1])
            }
            Stat::Var | Stat::Std => {
                let mine = [self.count as f64, self.value, self.m2];
                let mut all = vec![0.0f64; 3 * comm.size() as usize];
                comm.all_gather_into(&mine[..], &mut all[..]);
                // Chan et al.'s pairwise merge, in rank order: the same bits on every rank.
                let (mut n, mut mean, mut m2) = (0.0f64, 0.0f64, 0.0f64);
                for r in all.chunks_exact(3) {
                    let (nb, mb, m2b) = (r[0], r[1], r[2]);
                    if nb == 0.0 {
                        continue;
                    }
                    let total = n + nb;
                    let delta = mb - mean;
                    mean += delta * nb / total;
                    m2 += m2b + delta * delta * n * nb / total;
                    n = total;
                }
                let var = m2 / n;
                Ok(if self.stat == Stat::Std {
                    var.sqrt()
                } else {
                    var
                })
            }
            stat => {
                let op = match stat {
                    Stat::Min => ReduceOp::Min,
                    Stat::Max => ReduceOp::Max,
                    _ => ReduceOp::Sum,
                };
                let mut out = 0.0f64;
                comm.all_reduce_into(&self.value, &mut out, op.system());
                Ok(out)
            }
        }
    }
}

fn identity<T: Real>(stat: Stat) -> T {
    match stat {
        Stat::Min => T::INFINITY,
        Stat::Max => T::NEG_INFINITY,
        _ => T::ZERO,
    }
}

#[inline(always)]
fn pick<T: Real>(a: T, b: T, better: impl Fn(T, T) -> bool) -> T {
    if better(b, a) {
        b
    } else {
        a
    }
}

/// Runs `step` over `LANES` accumulators and the tail, then folds the lanes pairwise.
#[inline(always)]
fn lanes<T: Real>(data: &[T], init: T, step: impl Fn(T, T) -> T, fold: impl Fn(T, T) -> T) -> T {
    let mut acc = [init; LANES];
    let chunks = data.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            acc[j] = step(acc[j], c[j]);
        }
    }
    for (j, &x) in tail.iter().enumerate() {
        acc[j] = step(acc[j], x);
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = fold(acc[j], acc[j + width]);
        }
    }
    acc[0]
}

/// Defines a kernel that runs the widest SIMD code the CPU offers (AVX-512, AVX2, else the
/// baseline), chosen at run time so one binary suits every x86-64 node. Each version does the
/// same arithmetic lane by lane (no fused multiply-add), so all give the same bits.
macro_rules! simd_kernel {
    ($(#[$doc:meta])* $name:ident, |$data:ident| $body:expr) => {
        $(#[$doc])*
        pub fn $name<T: Real>($data: &[T]) -> T {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512<T: Real>($data: &[T]) -> T {
                    $body
                }
                #[target_feature(enable = "avx2")]
                fn avx2<T: Real>($data: &[T]) -> T {
                    $body
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: this CPU has AVX-512F.
                    return unsafe { avx512($data) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: this CPU has AVX2.
                    return unsafe { avx2($data) };
                }
            }
            $body
        }
    };
}

simd_kernel!(
    /// Σ x with [`LANES`] accumulators.
    sum, |data| lanes(data, T::ZERO, |a, x| a + x, |a, b| a + b)
);

simd_kernel!(
    /// Σ x² with [`LANES`] accumulators.
    sum_sq, |data| lanes(data, T::ZERO, |a, x| a + x * x, |a, b| a + b)
);

simd_kernel!(
    /// min x (`+inf` for an empty slice).
    min, |data| lanes(data, T::INFINITY, min_of, min_of)
);

simd_kernel!(
    /// max x (`-inf` for an empty slice).
    max, |data| lanes(data, T::NEG_INFINITY, max_of, max_of)
);

simd_kernel!(
    /// Number of NaN values (as a float: exact up to 2^24 for f32, 2^53 for f64).
    count_nan, |data| lanes(
        data,
        T::ZERO,
        #[allow(clippy::eq_op)] // x != x: NaN
        |a, x| if x != x { a + T::ONE } else { a },
        |a, b| a + b
    )
);

#[inline(always)]
fn min_of<T: Real>(a: T, x: T) -> T {
    pick(a, x, |x, y| x < y)
}

#[inline(always)]
fn max_of<T: Real>(a: T, x: T) -> T {
    pick(a, x, |x, y| x > y)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::runtime::threads::test_pool as pool;

    #[test]
    fn kernels_match_serial_exact_integers() {
        // Small integers: every partial sum is exact in f64, so any order gives the same value.
        for n in [0usize, 1, 2, 15, 16, 17, 33, 1000, 4099] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1013) as f64 - 500.0).collect();
            let s: i64 = x.iter().map(|&v| v as i64).sum();
            let q: i64 = x.iter().map(|&v| (v as i64) * (v as i64)).sum();
            assert_eq!(sum(&x), s as f64, "n={n}");
            assert_eq!(sum_sq(&x), q as f64, "n={n}");
            let lo = x
                .iter()
                .map(|&v| v as i64)
                .min()
                .map_or(f64::INFINITY, |v| v as f64);
            let hi = x
                .iter()
                .map(|&v| v as i64)
                .max()
                .map_or(f64::NEG_INFINITY, |v| v as f64);
            assert_eq!(min(&x), lo);
            assert_eq!(max(&x), hi);
            for t in 1..=3 {
                let p = pool(t);
                assert_eq!(Partial::local(Stat::Sum, &x, &p).unwrap().value, s as f64);
                assert_eq!(Partial::local(Stat::SumSq, &x, &p).unwrap().value, q as f64);
                assert_eq!(Partial::local(Stat::Min, &x, &p).unwrap().value, lo);
                assert_eq!(Partial::local(Stat::Max, &x, &p).unwrap().value, hi);
                assert_eq!(Partial::local(Stat::Mean, &x, &p).unwrap().count, n as u64);
            }
        }
    }

    #[test]
    fn simd_versions_give_the_baseline_bits() {
        // Values whose sums round: any change of order would show in the last bits.
        let x: Vec<f64> = (0..10_007)
            .map(|i| ((i * 7919) % 10_007) as f64 / 3.0 + 1e-7 * i as f64)
            .collect();
        let base_sum = lanes(&x, 0.0, |a, v| a + v, |a, b| a + b);
        let base_sq = lanes(&x, 0.0, |a, v| a + v * v, |a, b| a + b);
        assert_eq!(sum(&x).to_bits(), base_sum.to_bits());
        assert_eq!(sum_sq(&x).to_bits(), base_sq.to_bits());
        let y: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        assert_eq!(
            sum(&y).to_bits(),
            lanes(&y, 0.0, |a, v| a + v, |a, b| a + b).to_bits()
        );
        assert_eq!(min(&x[1..]), lanes(&x[1..], f64::INFINITY, min_of, min_of));
        assert_eq!(max(&y), lanes(&y, f32::NEG_INFINITY, max_of, max_of));
    }

    #[test]
    fn nan_count() {
        let mut x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        assert_eq!(count_nan(&x), 0.0);
        for i in [0, 17, 999] {
            x[i] = f64::NAN;
        }
        assert_eq!(count_nan(&x), 3.0);
    }

    #[test]
    fn f32_kernels() {
        let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
        assert_eq!(sum(&x), 4950.0);
        assert_eq!(max(&x), 99.0);
        assert_eq!(min(&x[10..]), 10.0);
    }
}
