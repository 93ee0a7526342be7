//! Counter-based random numbers by global index: value `i` depends on the seed and `i` only,
//! so an array built block by block on any number of ranks and threads is the same array.

/// A counter-based random generator: [`Random::u64`]`(i)` is a fixed function of the seed
/// and the index `i` (SplitMix64's finaliser over `seed` and `i`), not of any state. A rank
/// that fills elements `start..end` of a global array gets exactly the values a single
/// process would give those elements, whatever the rank and thread counts — numpy's
/// `default_rng(seed).random(n)` cannot be split that way.
///
/// Statistically it passes the uses it is meant for (Monte-Carlo estimates, test data,
/// shuffled work); it is not a cryptographic generator.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::data::Random;
/// mpikit::run(|world| {
///     let rng = Random::new(42);
///     let mine = world.block(1_000_000);
///     // This rank's block of one global array, built by the rank's threads.
///     let x = mpikit::data::par_from_fn(mine.len(), world.pool(), |k| rng.uniform((mine.start + k) as u64));
///     // Monte-Carlo pi with points by global index: the same estimate on any rank count.
///     let hits = mine
///         .filter(|&i| {
///             let (a, b) = (rng.uniform(2 * i as u64), rng.uniform(2 * i as u64 + 1));
///             a * a + b * b < 1.0
///         })
///         .count() as u64;
///     let total = world.allreduce_scalar(hits, mpikit::ReduceOp::Sum)?;
///     if world.is_root() {
///         println!("pi ~ {}", 4.0 * total as f64 / 1e6);
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Random {
    seed: u64,
}

impl Random {
    /// The generator for `seed`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::data::Random;
    /// // The same seed gives the same value for the same index, on any rank.
    /// assert_eq!(Random::new(7).uniform(42), Random::new(7).uniform(42));
    /// ```
    pub fn new(seed: u64) -> Random {
        Random { seed }
    }

    /// The seed.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::Random::new(7).seed(), 7);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// 64 random bits for index `i`.
    ///
    /// ```
    /// let rng = mpikit::data::Random::new(7);
    /// assert_eq!(rng.u64(12), mpikit::data::Random::new(7).u64(12));
    /// assert_ne!(rng.u64(12), rng.u64(13));
    /// ```
    #[inline]
    pub fn u64(&self, i: u64) -> u64 {
        let mut z = self
            .seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(i.wrapping_mul(0xbf58_476d_1ce4_e5b9))
            .wrapping_add(0x94d0_49bb_1331_11eb);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform `f64` in `[0, 1)` for index `i` (53 random bits).
    ///
    /// # Examples
    /// ```
    /// let x = mpikit::data::Random::new(7).uniform(3);
    /// assert!((0.0..1.0).contains(&x));
    /// ```
    #[inline]
    pub fn uniform(&self, i: u64) -> f64 {
        (self.u64(i) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform `f64` in `[low, high)` for index `i`.
    ///
    /// # Examples
    /// ```
    /// let x = mpikit::data::Random::new(7).uniform_in(3, -2.0, 2.0);
    /// assert!((-2.0..2.0).contains(&x));
    /// ```
    #[inline]
    pub fn uniform_in(&self, i: u64, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform(i)
    }

    /// A uniform integer in `0..n` for index `i` (`n > 0`; Lemire's multiply-shift, bias
    /// below 2^-64 · n).
    ///
    /// # Panics
    /// If `n` is zero.
    ///
    /// # Examples
    /// ```
    /// let k = mpikit::data::Random::new(7).below(3, 10);
    /// assert!(k < 10);
    /// ```
    #[inline]
    pub fn below(&self, i: u64, n: u64) -> u64 {
        assert!(n > 0, "Random::below needs n > 0");
        ((u128::from(self.u64(i)) * u128::from(n)) >> 64) as u64
    }

    /// A standard normal `f64` for index `i` (Box–Muller on two uniforms drawn from a
    /// second stream of the same seed, so `normal(i)` and `uniform(i)` are independent).
    ///
    /// # Examples
    /// ```
    /// let r = mpikit::data::Random::new(7);
    /// let mean = (0..10_000).map(|i| r.normal(i)).sum::<f64>() / 10_000.0;
    /// assert!(mean.abs() < 0.05);
    /// ```
    pub fn normal(&self, i: u64) -> f64 {
        let stream = Random::new(self.u64(u64::MAX) ^ self.seed);
        let u1 = 1.0 - stream.uniform(2 * i); // in (0, 1]: ln is finite
        let u2 = stream.uniform(2 * i + 1);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_depend_on_seed_and_index_only() {
        let a = Random::new(1);
        let block: Vec<u64> = (1000..1010).map(|i| a.u64(i)).collect();
        let again: Vec<u64> = (1000..1010).rev().map(|i| Random::new(1).u64(i)).collect();
        assert_eq!(block, again.into_iter().rev().collect::<Vec<_>>());
        assert_ne!(Random::new(1).u64(5), Random::new(2).u64(5));
    }

    #[test]
    fn uniform_moments_and_range() {
        let rng = Random::new(99);
        let n = 200_000u64;
        let (mut sum, mut sumsq) = (0.0, 0.0);
        for i in 0..n {
            let u = rng.uniform(i);
            assert!((0.0..1.0).contains(&u));
            sum += u;
            sumsq += u * u;
        }
        let mean = sum / n as f64;
        let var = sumsq / n as f64 - mean * mean;
        // Standard errors: 1/sqrt(12 n) ~ 6.5e-4 for the mean; allow 5 of them.
        assert!((mean - 0.5).abs() < 3.3e-3, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 2e-3, "var {var}");
    }

    #[test]
    fn below_covers_every_value_evenly() {
        let rng = Random::new(3);
        let mut counts = [0u32; 7];
        for i in 0..70_000 {
            counts[rng.below(i, 7) as usize] += 1;
        }
        for c in counts {
            // Expected 10,000 each, standard deviation ~93.
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn normal_moments() {
        let rng = Random::new(5);
        let n = 200_000u64;
        let xs: Vec<f64> = (0..n).map(|i| rng.normal(i)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.012, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
        let within_one = xs.iter().filter(|x| x.abs() < 1.0).count() as f64 / n as f64;
        assert!((within_one - 0.6827).abs() < 0.005, "{within_one}");
    }
}
