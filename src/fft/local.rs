//! The in-rank half of the distributed FFT: transforms along one axis of a rank's block by
//! rustfft (planned once per length and direction), on the pool's threads. A contiguous last
//! axis is transformed in place, lanes after lanes; any other axis a few lanes at a time,
//! copied into a buffer in runs of consecutive elements (so the strided reads stay
//! cache-friendly), transformed, and copied back.

use std::collections::HashMap;
use std::sync::Arc;

use ndarray::{ArrayViewMut, Axis, Dimension, Ix3};
use num_complex::Complex;
use rayon::prelude::*;
use rustfft::{Fft, FftDirection, FftNum, FftPlanner};

/// Lanes transformed together along a strided axis.
const LANES: usize = 16;

/// Local transforms of every length a plan needs, in both directions.
pub(crate) struct LocalFfts<T: FftNum> {
    planner: FftPlanner<T>,
    plans: HashMap<(usize, bool), Arc<dyn Fft<T>>>,
}

impl<T: FftNum> LocalFfts<T> {
    pub(crate) fn new() -> LocalFfts<T> {
        LocalFfts {
            planner: FftPlanner::new(),
            plans: HashMap::new(),
        }
    }

    /// The transform of length `n` (forward, or inverse: unnormalised either way).
    pub(crate) fn plan(&mut self, n: usize, forward: bool) -> Arc<dyn Fft<T>> {
        let planner = &mut self.planner;
        self.plans
            .entry((n, forward))
            .or_insert_with(|| {
                let direction = if forward {
                    FftDirection::Forward
                } else {
                    FftDirection::Inverse
                };
                planner.plan_fft(n, direction)
            })
            .clone()
    }
}

/// Transforms every lane of `block` along `axis` with `fft` (whose length is the axis's), on
/// `pool`'s threads. `block` must be in standard layout.
pub(crate) fn transform_axis<T: FftNum, D: Dimension>(
    block: ArrayViewMut<'_, Complex<T>, D>,
    axis: usize,
    fft: &Arc<dyn Fft<T>>,
    pool: &rayon::ThreadPool,
) {
    let shape = block.shape().to_vec();
    let n = shape[axis];
    if n <= 1 || block.is_empty() {
        return;
    }
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let mut cube = block
        .into_shape_with_order(Ix3(outer, n, inner))
        .expect("a block in standard layout");
    let threads = pool.current_num_threads();
    if inner == 1 {
        // Contiguous lanes: in place, a run of lanes per task.
        let data = cube.as_slice_mut().expect("standard layout");
        let per_task = (outer.div_ceil(4 * threads)).max(1) * n;
        pool.install(|| {
            data.par_chunks_mut(per_task).for_each(|lanes| {
                let mut scratch =
                    vec![Complex::new(T::zero(), T::zero()); fft.get_inplace_scratch_len()];
                fft.process_with_scratch(lanes, &mut scratch);
            })
        });
        return;
    }
    let strided = |mut matrix: ArrayViewMut<'_, Complex<T>, ndarray::Ix2>| {
        // `matrix` is n x w: w lanes side by side.
        let w = matrix.shape()[1];
        let mut buf = vec![Complex::new(T::zero(), T::zero()); n * w];
        let mut scratch = vec![Complex::new(T::zero(), T::zero()); fft.get_inplace_scratch_len()];
        for (j, row) in matrix.outer_iter().enumerate() {
            for (l, &v) in row.iter().enumerate() {
                buf[l * n + j] = v;
            }
        }
        fft.process_with_scratch(&mut buf, &mut scratch);
        for (j, mut row) in matrix.outer_iter_mut().enumerate() {
            for (l, v) in row.iter_mut().enumerate() {
                *v = buf[l * n + j];
            }
        }
    };
    pool.install(|| {
        if outer >= threads {
            cube.outer_iter_mut().into_par_iter().for_each(|mut m| {
                for chunk in m.axis_chunks_iter_mut(Axis(1), LANES) {
                    strided(chunk);
                }
            });
        } else {
            for mut m in cube.outer_iter_mut() {
                m.axis_chunks_iter_mut(Axis(1), LANES)
                    .into_par_iter()
                    .for_each(strided);
            }
        }
    });
}

/// Multiplies every element of `data` by `factor` on `pool`'s threads.
pub(crate) fn scale<T: FftNum>(data: &mut [Complex<T>], factor: T, pool: &rayon::ThreadPool) {
    pool.install(|| data.par_iter_mut().for_each(|v| *v = *v * factor));
}
