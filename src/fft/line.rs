//! The FFT of a 1-D [`DistArray`] along its one axis, split over ranks (numpy's `fft.fft` of
//! a long array; FFTW's 1-D MPI transform): the four-step algorithm. The length `n` is
//! factored as `n1 · n2` (`n1` the largest factor not above `√n`) and the line is read as an
//! `n1 × n2` matrix in row blocks:
//!
//! 1. transform every column (length `n1`: the ranks move onto the columns and back);
//! 2. multiply element `(k1, j2)` by the twiddle `ω^(j2·k1)`, `ω = exp(∓2πi/n)`;
//! 3. transform every row (length `n2`, whole on each rank: no communication);
//! 4. transpose: `X[k1 + n1·k2]` is element `(k1, k2)`, so the `n2 × n1` transpose read row
//!    by row is the spectrum in order.
//!
//! Three all-to-all exchanges in all, as FFTW's in-order 1-D transform, plus two shifts of
//! block boundaries between the line's blocks and whole rows. A prime length has no such
//! factoring and is transformed whole on one rank.
//!
//! Twiddles come from two tables of `√n` exact values (`ω^m = ω^(s·⌊m/s⌋) · ω^(m mod s)`), so
//! each is within a few rounding errors whatever `n`.

use ndarray::{Axis, Ix1, Ix2};
use num_complex::Complex;
use rayon::prelude::*;

use crate::collective::element::Element;
use crate::distarray::{DistArray, Grid};
use crate::error::Result;
use crate::fft::local::{transform_axis, LocalFfts};
use crate::fft::FftFloat;

/// A planned 1-D transform of length `n = n1 · n2` over the ranks of a 1-D array.
pub(crate) struct LinePlan<T: FftFloat>
where
    Complex<T>: Element,
{
    n1: usize,
    n2: usize,
    /// The line on the caller's blocks (the transform reads and writes it).
    line: DistArray<Complex<T>, Ix1>,
    /// The line on blocks of whole matrix rows; its block becomes `rows`' and back.
    aligned: DistArray<Complex<T>, Ix1>,
    /// The `n1 × n2` matrix in row blocks.
    rows: DistArray<Complex<T>, Ix2>,
    /// The matrix in column blocks (every column whole on its rank).
    columns: DistArray<Complex<T>, Ix2>,
    /// The `n2 × n1` transpose in row blocks; its block becomes `spectrum`'s and back.
    transposed: DistArray<Complex<T>, Ix2>,
    /// The transposed matrix read as the line, on blocks of whole rows.
    spectrum: DistArray<Complex<T>, Ix1>,
    twiddles: Twiddles<T>,
    ffts: LocalFfts<T>,
}

impl<T: FftFloat> LinePlan<T>
where
    Complex<T>: Element,
{
    /// Plans the transform of arrays laid out like `like` (1-D). Collective.
    pub(crate) fn new<D: ndarray::Dimension>(
        like: &DistArray<Complex<T>, D>,
    ) -> Result<LinePlan<T>> {
        let n = like.grid().shape()[0];
        let p = like.grid().ranks();
        let n1 = largest_factor_up_to_root(n);
        let n2 = n / n1.max(1);
        let (n1, n2) = if n == 0 { (0, 0) } else { (n1, n2) };
        let rows = Grid::rows(&[n1, n2], p).counts(0).to_vec();
        let spectrum_rows = Grid::rows(&[n2, n1], p).counts(0).to_vec();
        let times = |c: &[usize], k: usize| c.iter().map(|&r| r * k).collect::<Vec<_>>();
        let line = like.derived(like.grid().clone())?;
        let aligned = like.derived(Grid::with_counts(&[n], vec![times(&rows, n2)])?)?;
        let matrix = like.derived(Grid::with_counts(&[n1, n2], vec![rows, vec![n2]])?)?;
        let columns = like.derived(Grid::with_dims(&[n1, n2], &[1, p])?)?;
        let transposed = like.derived(Grid::with_counts(
            &[n2, n1],
            vec![spectrum_rows.clone(), vec![n1]],
        )?)?;
        let spectrum = like.derived(Grid::with_counts(&[n], vec![times(&spectrum_rows, n1)])?)?;
        Ok(LinePlan {
            n1,
            n2,
            line,
            aligned,
            rows: matrix,
            columns,
            transposed,
            spectrum,
            twiddles: Twiddles::new(n),
            ffts: LocalFfts::new(),
        })
    }

    /// Copies this rank's block of the caller's (1-D) array in.
    pub(crate) fn load<D: ndarray::Dimension>(
        &mut self,
        block: ndarray::ArrayView<'_, Complex<T>, D>,
    ) {
        let mut mine = self.line.local_mut();
        mine.iter_mut().zip(block.iter()).for_each(|(m, v)| *m = *v);
    }

    /// Copies the transformed block out to the caller's (1-D) array.
    pub(crate) fn store<D: ndarray::Dimension>(
        &self,
        mut block: ndarray::ArrayViewMut<'_, Complex<T>, D>,
    ) {
        let mine = self.line.local();
        block.iter_mut().zip(mine.iter()).for_each(|(v, m)| *v = *m);
    }

    /// Transforms the loaded line in place, unscaled (forward: `exp(-2πi jk/n)`). Collective.
    pub(crate) fn transform(&mut self, forward: bool) -> Result<()> {
        if self.n1 * self.n2 == 0 {
            return Ok(());
        }
        self.line.redistribute_into(&mut self.aligned)?;
        move_block(&mut self.aligned, &mut self.rows);
        let pool = self.rows.pool.clone();
        self.rows.redistribute_into(&mut self.columns)?;
        let fft = self.ffts.plan(self.n1, forward);
        transform_axis(self.columns.local_mut(), 0, &fft, &pool);
        self.columns.redistribute_into(&mut self.rows)?;
        let first = self.rows.offset()[0];
        let twiddles = &self.twiddles;
        let mut block = self.rows.local_mut();
        pool.install(|| {
            block
                .axis_iter_mut(Axis(0))
                .into_par_iter()
                .enumerate()
                .for_each(|(i, mut row)| {
                    let row = row.as_slice_mut().expect("a standard-layout row");
                    twiddles.multiply_row(row, first + i, forward);
                })
        });
        let fft = self.ffts.plan(self.n2, forward);
        transform_axis(self.rows.local_mut(), 1, &fft, &pool);
        self.rows.transpose_into(&mut self.transposed)?;
        move_block(&mut self.rows, &mut self.aligned);
        move_block(&mut self.transposed, &mut self.spectrum);
        self.spectrum.redistribute_into(&mut self.line)?;
        move_block(&mut self.spectrum, &mut self.transposed);
        Ok(())
    }
}

/// Hands `from`'s block (no ghosts, standard layout) to `to`, whose block has as many
/// elements in another shape; `from` is left empty until a block is handed back.
fn move_block<T: Element, A: ndarray::Dimension, B: ndarray::Dimension>(
    from: &mut DistArray<T, A>,
    to: &mut DistArray<T, B>,
) {
    let shape = to.grid().block_shape(to.rank);
    let empty = ndarray::Array::from_shape_vec(A::zeros(from.data.ndim()), Vec::new())
        .expect("an empty block");
    let data = std::mem::replace(&mut from.data, empty);
    let (values, _) = data.into_raw_vec_and_offset();
    to.data = crate::distarray::array::shaped(&shape, values).expect("a block of the same size");
}

/// `n`'s largest factor not above `√n` (1 for a prime, 0 for 0).
fn largest_factor_up_to_root(n: usize) -> usize {
    let mut root = (n as f64).sqrt() as usize;
    while root * root > n {
        root -= 1;
    }
    while (root + 1) * (root + 1) <= n {
        root += 1;
    }
    (1..=root).rev().find(|d| n % d == 0).unwrap_or(0)
}

/// `ω^m = exp(-2πi m/n)` for `m < n` from two tables: `low[t] = ω^t` for `t < s` and
/// `high[u] = ω^(s·u)`, `s = ⌈√n⌉`.
struct Twiddles<T> {
    step: usize,
    low: Vec<Complex<T>>,
    high: Vec<Complex<T>>,
}

impl<T: FftFloat> Twiddles<T> {
    fn new(n: usize) -> Twiddles<T> {
        let mut step = (n as f64).sqrt().ceil() as usize;
        while step * step < n {
            step += 1;
        }
        let step = step.max(1);
        let omega = |m: usize| {
            let angle = -2.0 * std::f64::consts::PI * (m as f64 / n.max(1) as f64);
            Complex::new(
                T::from_f64(angle.cos()).expect("a float"),
                T::from_f64(angle.sin()).expect("a float"),
            )
        };
        Twiddles {
            step,
            low: (0..step).map(omega).collect(),
            high: (0..n.div_ceil(step).max(1))
                .map(|u| omega(u * step))
                .collect(),
        }
    }

    /// Multiplies `row[j]` by `ω^(j·k)` (its conjugate for the inverse), `j·k < n`.
    fn multiply_row(&self, row: &mut [Complex<T>], k: usize, forward: bool) {
        let (dh, dl) = (k / self.step, k % self.step);
        let (mut h, mut l) = (0usize, 0usize);
        for v in row.iter_mut() {
            let w = self.high[h] * self.low[l];
            *v = *v * if forward { w } else { w.conj() };
            l += dl;
            h += dh;
            if l >= self.step {
                l -= self.step;
                h += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_and_twiddles() {
        for (n, f) in [(0, 0), (1, 1), (7, 1), (12, 3), (16, 4), (1 << 20, 1 << 10)] {
            assert_eq!(largest_factor_up_to_root(n), f, "n = {n}");
        }
        let n = 1000usize;
        let t = Twiddles::<f64>::new(n);
        for k in [0usize, 1, 7, 39] {
            let mut row = vec![Complex::new(1.0, 0.0); n / 40];
            t.multiply_row(&mut row, k, true);
            for (j, v) in row.iter().enumerate() {
                let a = -2.0 * std::f64::consts::PI * ((j * k) as f64) / n as f64;
                assert!((v - Complex::new(a.cos(), a.sin())).norm() < 1e-14);
            }
        }
    }
}
