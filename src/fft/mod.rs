//! Distributed FFTs of [`DistArray`]s (numpy's `fft.fftn`, `ifftn`, `rfftn`, `irfftn`; FFTW's
//! MPI transforms): 1-D, 2-D and 3-D (any number of axes), complex and real-to-complex,
//! forward and inverse, on slab (one axis split over ranks) and pencil (two) decompositions or
//! any other grid. Each rank transforms the axes that are whole in its block with rustfft /
//! realfft on its threads; an axis split over ranks is made whole by a change of layout (the
//! redistribution of [`DistArray::redistribute_into`], planned once), transformed, and the
//! result returns to the input's layout. A complex 1-D array split over ranks is transformed
//! by the four-step algorithm (its length `n1 · n2` read as a matrix: column transforms,
//! twiddles, row transforms, a transpose; three all-to-all exchanges, as FFTW's in-order 1-D
//! transform). Real transforms need the last axis whole.
//!
//! Normalisation ([`Norm`], numpy's `norm=`): `Backward` (the default) leaves the forward
//! transform unscaled and divides the inverse by the number of points transformed, `Forward`
//! the reverse, `Ortho` divides both by its square root. The forward transform is
//! `X[k] = Σ_j x[j]·exp(-2πi jk/n)` along each axis.
//!
//! For repeated transforms of arrays on one grid, an [`FftPlan`] (complex) or
//! [`RealFftPlan`] keeps the layouts, redistributions and local plans; the methods on
//! `DistArray` plan and transform once.
//!
//! ```no_run
//! use mpikit::fft::Norm;
//! use mpikit::ndarray::Ix3;
//! use mpikit::num_complex::Complex;
//! use mpikit::{DistArray, Grid};
//!
//! mpikit::run(|world| {
//!     // A 64³ complex field in slabs (axis 0 split over the ranks).
//!     let grid = Grid::rows(&[64, 64, 64], world.size() as usize);
//!     let a = DistArray::<Complex<f64>, Ix3>::from_fn(world, grid, |i| {
//!         Complex::new((i[0] + 2 * i[1] + 3 * i[2]) as f64, 0.0)
//!     })?;
//!     let spectrum = a.fftn(Norm::Backward)?;
//!     let back = spectrum.ifftn(Norm::Backward)?;
//!     let err = back.zip_with(&a, |x, y| (x - y).norm())?.max()?;
//!     assert!(err < 1e-9);
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub(crate) mod line;
pub(crate) mod local;
pub(crate) mod plan;
pub(crate) mod real;

use ndarray::Dimension;
use num_complex::Complex;

use crate::collective::element::Element;
use crate::distarray::DistArray;
use crate::error::Result;

pub use plan::FftPlan;
pub use real::RealFftPlan;

/// The float types the FFTs compute in: `f64` and `f32`.
pub trait FftFloat: rustfft::FftNum + realfft::FftNum + Element {}
impl FftFloat for f64 {}
impl FftFloat for f32 {}

/// Which transform is scaled, and by what (numpy's `norm=`).
///
/// # Examples
/// ```
/// use mpikit::fft::Norm;
/// assert_eq!(Norm::default(), Norm::Backward);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Norm {
    /// The inverse divides by the number of points; the forward is unscaled (numpy's default).
    #[default]
    Backward,
    /// Both divide by the square root of the number of points.
    Ortho,
    /// The forward divides by the number of points; the inverse is unscaled.
    Forward,
}

impl Norm {
    /// The factor applied to a transform of `points` points in the given direction.
    pub(crate) fn factor(self, points: f64, forward: bool) -> f64 {
        match (self, forward) {
            (Norm::Backward, true) | (Norm::Forward, false) => 1.0,
            (Norm::Backward, false) | (Norm::Forward, true) => 1.0 / points,
            (Norm::Ortho, _) => 1.0 / points.sqrt(),
        }
    }
}

impl<T: FftFloat, D: Dimension> DistArray<Complex<T>, D>
where
    Complex<T>: Element,
{
    /// The forward FFT over every axis (numpy's `fftn`), a new array on the same grid.
    /// Collective.
    pub fn fftn(&self, norm: Norm) -> Result<DistArray<Complex<T>, D>> {
        let axes: Vec<usize> = (0..self.grid().shape().len()).collect();
        self.fft_axes(&axes, norm)
    }

    /// The inverse FFT over every axis (numpy's `ifftn`). Collective.
    pub fn ifftn(&self, norm: Norm) -> Result<DistArray<Complex<T>, D>> {
        let axes: Vec<usize> = (0..self.grid().shape().len()).collect();
        self.ifft_axes(&axes, norm)
    }

    /// The forward FFT over `axes` (numpy's `fftn(a, axes=...)`; one axis: `fft`).
    /// Collective.
    pub fn fft_axes(&self, axes: &[usize], norm: Norm) -> Result<DistArray<Complex<T>, D>> {
        let mut out = self.map(|v| v);
        FftPlan::new(self, axes, norm)?.forward_into(self, &mut out)?;
        Ok(out)
    }

    /// The inverse FFT over `axes` (numpy's `ifftn(a, axes=...)`). Collective.
    pub fn ifft_axes(&self, axes: &[usize], norm: Norm) -> Result<DistArray<Complex<T>, D>> {
        let mut out = self.map(|v| v);
        FftPlan::new(self, axes, norm)?.inverse_into(self, &mut out)?;
        Ok(out)
    }

    /// The real array of `shape` whose spectrum this is (numpy's `irfftn(a, s=shape)`): the
    /// last axis of this array holds `shape[last] / 2 + 1` values. Collective.
    pub fn irfftn(&self, shape: &[usize], norm: Norm) -> Result<DistArray<T, D>> {
        let real = self.real_like(shape)?;
        let mut spectrum = self.map(|v| v);
        RealFftPlan::new(&real, norm)?.inverse(&mut spectrum)
    }

    /// A zero real array of `shape` over the same ranks per axis, the last axis whole.
    fn real_like(&self, shape: &[usize]) -> Result<DistArray<T, D>> {
        let last = shape.len().saturating_sub(1);
        let mine = self.grid().shape();
        let fits = shape.len() == mine.len()
            && shape[..last] == mine[..last]
            && shape[last] / 2 + 1 == mine[last];
        if !fits {
            return Err(crate::Error::Shape(format!(
                "irfftn: a spectrum of shape {mine:?} is not that of a real array of shape {shape:?}"
            )));
        }
        let counts: Vec<Vec<usize>> = (0..shape.len())
            .map(|a| {
                if a == last {
                    vec![shape[last]]
                } else {
                    self.grid().counts(a).to_vec()
                }
            })
            .collect();
        self.sibling_filled(crate::Grid::with_counts(shape, counts)?, T::zero())
    }
}

impl<T: FftFloat, D: Dimension> DistArray<T, D>
where
    Complex<T>: Element,
{
    /// The FFT of a real array over every axis (numpy's `rfftn`): the last axis keeps
    /// `n/2 + 1` values and must be whole on every rank. Collective.
    pub fn rfftn(&self, norm: Norm) -> Result<DistArray<Complex<T>, D>> {
        RealFftPlan::new(self, norm)?.forward(self)
    }
}
