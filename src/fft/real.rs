//! [`RealFftPlan`]: n-D FFTs of real DistArrays (numpy's `rfftn` / `irfftn`): the last axis
//! by realfft on each rank (it must not be split over ranks), to `n/2 + 1` complex values,
//! then the other axes as complex transforms through an [`FftPlan`].

use std::sync::Arc;

use ndarray::{Axis, Dimension};
use num_complex::Complex;
use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::collective::element::Element;
use crate::distarray::{DistArray, Grid};
use crate::error::{Error, Result};
use crate::fft::plan::FftPlan;
use crate::fft::{FftFloat, Norm};

/// Repeated real-to-complex FFTs over every axis of real arrays laid out on one grid whose
/// last axis is whole on every rank (slabs and pencils are): the spectrum keeps the first
/// `n/2 + 1` values along the last axis (the rest are their conjugates), on a grid with the
/// same ranks per axis. Planned once ([`new`](RealFftPlan::new), collective).
pub struct RealFftPlan<T: FftFloat, D: Dimension>
where
    Complex<T>: Element,
{
    real: Grid,
    spectrum: Grid,
    r2c: Arc<dyn RealToComplex<T>>,
    c2r: Arc<dyn ComplexToReal<T>>,
    /// The complex transform over the other axes (with the whole transform's normalisation).
    rest: FftPlan<T, D>,
}

impl<T: FftFloat, D: Dimension> RealFftPlan<T, D>
where
    Complex<T>: Element,
{
    /// Plans transforms of real arrays laid out like `like`. A last axis split over ranks is
    /// the same `Err` on every rank. Collective.
    pub fn new(like: &DistArray<T, D>, norm: Norm) -> Result<Self> {
        let (shape, dims) = (like.grid().shape(), like.grid().dims());
        let last = shape.len() - 1;
        if dims[last] != 1 {
            return Err(Error::Shape(format!(
                "RealFftPlan: the last axis is split over {} ranks; a real transform needs it whole on every rank (split the other axes)",
                dims[last]
            )));
        }
        let mut half = shape.to_vec();
        half[last] = shape[last] / 2 + 1;
        let spectrum = Grid::with_counts(
            &half,
            (0..shape.len())
                .map(|a| {
                    if a == last {
                        vec![half[last]]
                    } else {
                        like.grid().counts(a).to_vec()
                    }
                })
                .collect(),
        )?;
        let template = like.sibling_filled(spectrum.clone(), Complex::default())?;
        let others: Vec<usize> = (0..last).collect();
        let mut rest = FftPlan::new(&template, &others, norm)?;
        rest.points = shape.iter().map(|&n| n as f64).product();
        let mut planner = RealFftPlanner::<T>::new();
        Ok(RealFftPlan {
            real: like.grid().clone(),
            spectrum,
            r2c: planner.plan_fft_forward(shape[last]),
            c2r: planner.plan_fft_inverse(shape[last]),
            rest,
        })
    }

    /// The spectrum of `input` (numpy's `rfftn`): a new complex array. Collective.
    pub fn forward(&mut self, input: &DistArray<T, D>) -> Result<DistArray<Complex<T>, D>> {
        if input.grid() != &self.real {
            return Err(Error::Shape(format!(
                "RealFftPlan: the input has shape {:?} over ranks {:?}, the plan was made for {:?} over {:?}",
                input.grid().shape(),
                input.grid().dims(),
                self.real.shape(),
                self.real.dims()
            )));
        }
        let mut out = input.sibling_filled(self.spectrum.clone(), Complex::default())?;
        let r2c = &self.r2c;
        each_lane(input, &mut out, |mut lane, mut y| {
            let mut spec = r2c.make_output_vec();
            r2c.process(&mut lane, &mut spec)
                .expect("lengths from the plan");
            y.assign(&ndarray::ArrayView1::from(&spec[..]));
        });
        self.rest.forward_in_place(&mut out)?;
        Ok(out)
    }

    /// The real array whose spectrum is `spectrum` (numpy's `irfftn` with the plan's shape);
    /// `spectrum` is left holding the intermediate values. Collective.
    pub fn inverse(&mut self, spectrum: &mut DistArray<Complex<T>, D>) -> Result<DistArray<T, D>> {
        self.rest.inverse_in_place(spectrum)?;
        let mut out = spectrum.sibling_filled(self.real.clone(), T::zero())?;
        let n = *self.real.shape().last().expect("an axis");
        let c2r = &self.c2r;
        each_lane(spectrum, &mut out, |mut spec, mut y| {
            // numpy ignores the imaginary parts of the zero and Nyquist terms.
            spec[0].im = T::zero();
            if n % 2 == 0 {
                spec[n / 2].im = T::zero();
            }
            let mut lane = c2r.make_output_vec();
            c2r.process(&mut spec, &mut lane)
                .expect("lengths from the plan");
            y.assign(&ndarray::ArrayView1::from(&lane[..]));
        });
        Ok(out)
    }
}

/// `f(a copy of x's lane, y's lane)` for every lane along the last axis of the two blocks,
/// on `x`'s threads.
fn each_lane<A: Element, B: Element, D: Dimension>(
    x: &DistArray<A, D>,
    y: &mut DistArray<B, D>,
    f: impl Fn(Vec<A>, ndarray::ArrayViewMut1<'_, B>) + Sync,
) {
    let pool = x.pool.clone();
    let last = Axis(x.grid().shape().len() - 1);
    let (x, mut y) = (x.local(), y.local_mut());
    pool.install(|| {
        x.lanes(last)
            .into_iter()
            .zip(y.lanes_mut(last))
            .par_bridge()
            .for_each(|(x, y)| f(x.to_vec(), y))
    });
}
