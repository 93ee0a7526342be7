//! [`FftPlan`]: n-D complex FFTs of DistArrays on one grid, planned once: the layouts the
//! transform passes through (each transformed axis whole on every rank when its turn comes:
//! slab decompositions need one change of layout, pencils two), the redistributions between
//! them (planned once and kept, so repeated transforms allocate nothing), and the local
//! transforms by rustfft on each rank's threads.

use ndarray::Dimension;
use num_complex::Complex;

use crate::collective::element::Element;
use crate::distarray::{DistArray, Grid};
use crate::error::{Error, Result};
use crate::fft::line::LinePlan;
use crate::fft::local::{scale, transform_axis, LocalFfts};
use crate::fft::{FftFloat, Norm};

/// One layout of the transform: the array in it and the axes transformed there.
struct Stage<T: FftFloat, D: Dimension>
where
    Complex<T>: Element,
{
    work: DistArray<Complex<T>, D>,
    axes: Vec<usize>,
}

/// Repeated complex FFTs over some axes of arrays laid out on one grid: planned once
/// ([`new`](FftPlan::new), collective), then [`forward_into`](FftPlan::forward_into),
/// [`inverse_into`](FftPlan::inverse_into) or in place, as often as needed. The result has
/// the input's layout. See [the module](crate::fft) for the normalisation and an example.
pub struct FftPlan<T: FftFloat, D: Dimension>
where
    Complex<T>: Element,
{
    grid: Grid,
    stages: Vec<Stage<T, D>>,
    /// The four-step transform of a 1-D array split over ranks (then `stages` is empty).
    line: Option<Box<LinePlan<T>>>,
    ffts: LocalFfts<T>,
    norm: Norm,
    /// The number of points the normalisation divides by.
    pub(crate) points: f64,
}

impl<T: FftFloat, D: Dimension> FftPlan<T, D>
where
    Complex<T>: Element,
{
    /// Plans transforms over `axes` (each at most once, in any order) of arrays laid out like
    /// `like`. An axis split over ranks is transformed after a change of layout that makes
    /// it whole; a 1-D array split over ranks by the four-step algorithm (its length read as
    /// a matrix: three all-to-all exchanges). Repeated or out-of-range axes are an `Err`, the
    /// same on every rank. Collective.
    pub fn new(like: &DistArray<Complex<T>, D>, axes: &[usize], norm: Norm) -> Result<Self> {
        let shape = like.grid().shape().to_vec();
        let ndim = shape.len();
        let mut seen = vec![false; ndim];
        if axes
            .iter()
            .any(|&a| a >= ndim || std::mem::replace(&mut seen[a], true))
        {
            return Err(Error::Shape(format!(
                "FftPlan: axes {axes:?} must be distinct axes of a {ndim}-axis array"
            )));
        }
        let points = axes.iter().map(|&a| shape[a] as f64).product();
        if ndim == 1 && like.grid().dims()[0] > 1 && !axes.is_empty() {
            return Ok(FftPlan {
                grid: like.grid().clone(),
                stages: Vec::new(),
                line: Some(Box::new(LinePlan::new(like)?)),
                ffts: LocalFfts::new(),
                norm,
                points,
            });
        }
        let mut dims = like.grid().dims().to_vec();
        let mut remaining: Vec<usize> = axes.to_vec();
        let mut done: Vec<usize> = Vec::new();
        let mut layouts: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        loop {
            let local: Vec<usize> = remaining
                .iter()
                .copied()
                .filter(|&a| dims[a] == 1)
                .collect();
            remaining.retain(|a| !local.contains(a));
            done.extend(&local);
            if !local.is_empty() {
                layouts.push((dims.clone(), local));
            }
            let Some(&axis) = remaining.first() else {
                break;
            };
            // Move the ranks off `axis`: onto a whole axis already transformed or not to be
            // transformed, else onto any other axis.
            let whole = (0..ndim).filter(|&t| t != axis && dims[t] == 1);
            let target = whole
                .clone()
                .find(|t| !remaining.contains(t))
                .or_else(|| whole.clone().next())
                .or_else(|| (0..ndim).find(|&t| t != axis));
            let target = target.expect("an array of two or more axes");
            dims[target] *= dims[axis];
            dims[axis] = 1;
        }
        let mut stages = Vec::with_capacity(layouts.len());
        for (d, axes) in layouts {
            let grid = Grid::with_dims(&shape, &d)?;
            stages.push(Stage {
                work: like.sibling_filled(grid, Complex::default())?,
                axes,
            });
        }
        Ok(FftPlan {
            grid: like.grid().clone(),
            stages,
            line: None,
            ffts: LocalFfts::new(),
            norm,
            points,
        })
    }

    /// The forward transform (`exp(-2πi jk/n)`) of `input` into `out`, both laid out on the
    /// plan's grid. Collective.
    pub fn forward_into(
        &mut self,
        input: &DistArray<Complex<T>, D>,
        out: &mut DistArray<Complex<T>, D>,
    ) -> Result<()> {
        self.run(input, out, true)
    }

    /// The inverse transform (`exp(+2πi jk/n)`) of `input` into `out`. Collective.
    pub fn inverse_into(
        &mut self,
        input: &DistArray<Complex<T>, D>,
        out: &mut DistArray<Complex<T>, D>,
    ) -> Result<()> {
        self.run(input, out, false)
    }

    /// The forward transform of `a`, replacing it. Collective.
    pub fn forward_in_place(&mut self, a: &mut DistArray<Complex<T>, D>) -> Result<()> {
        self.run_in_place(a, true)
    }

    /// The inverse transform of `a`, replacing it. Collective.
    pub fn inverse_in_place(&mut self, a: &mut DistArray<Complex<T>, D>) -> Result<()> {
        self.run_in_place(a, false)
    }

    fn check(&self, a: &DistArray<Complex<T>, D>, what: &str) -> Result<()> {
        if a.grid() == &self.grid {
            return Ok(());
        }
        Err(Error::Shape(format!(
            "FftPlan: {what} has shape {:?} over ranks {:?}, the plan was made for shape {:?} over {:?}",
            a.grid().shape(),
            a.grid().dims(),
            self.grid.shape(),
            self.grid.dims()
        )))
    }

    fn run(
        &mut self,
        input: &DistArray<Complex<T>, D>,
        out: &mut DistArray<Complex<T>, D>,
        forward: bool,
    ) -> Result<()> {
        self.check(input, "the input")?;
        self.check(out, "the output")?;
        if let Some(line) = &mut self.line {
            line.load(input.local());
            line.transform(forward)?;
            line.store(out.local_mut());
            return self.finish(out, forward);
        }
        if self.stages.is_empty() {
            input.redistribute_into(out)?;
            return self.finish(out, forward);
        }
        input.redistribute_into(&mut self.stages[0].work)?;
        self.stages_from_first(forward)?;
        let last = self.stages.last_mut().expect("a stage");
        last.work.redistribute_into(out)?;
        self.finish(out, forward)
    }

    fn run_in_place(&mut self, a: &mut DistArray<Complex<T>, D>, forward: bool) -> Result<()> {
        self.check(a, "the array")?;
        self.transform_in_place(a, forward)?;
        self.finish(a, forward)
    }

    /// The transform of `a` in place, unscaled. Collective.
    fn transform_in_place(
        &mut self,
        a: &mut DistArray<Complex<T>, D>,
        forward: bool,
    ) -> Result<()> {
        if let Some(line) = &mut self.line {
            line.load(a.local());
            line.transform(forward)?;
            line.store(a.local_mut());
            return Ok(());
        }
        if let Some(first) = self.stages.first_mut() {
            a.redistribute_into(&mut first.work)?;
            self.stages_from_first(forward)?;
            let last = self.stages.last_mut().expect("a stage");
            last.work.redistribute_into(a)?;
        }
        Ok(())
    }

    /// Transforms in every stage, moving to the next layout between them.
    fn stages_from_first(&mut self, forward: bool) -> Result<()> {
        for s in 0..self.stages.len() {
            if s > 0 {
                let (before, after) = self.stages.split_at_mut(s);
                before[s - 1].work.redistribute_into(&mut after[0].work)?;
            }
            let stage = &mut self.stages[s];
            let shape = stage.work.local().shape().to_vec();
            let pool = stage.work.pool.clone();
            for &axis in &stage.axes {
                let fft = self.ffts.plan(shape[axis], forward);
                transform_axis(stage.work.local_mut(), axis, &fft, &pool);
            }
        }
        Ok(())
    }

    /// Applies the normalisation to `out`.
    fn finish(&self, out: &mut DistArray<Complex<T>, D>, forward: bool) -> Result<()> {
        let factor = self.norm.factor(self.points, forward);
        if factor != 1.0 {
            let pool = out.pool.clone();
            let mut local = out.local_mut();
            match local.as_slice_mut() {
                Some(s) => scale(s, T::from_f64(factor).expect("a float"), &pool),
                None => local.map_inplace(|v| *v = *v * T::from_f64(factor).expect("a float")),
            }
        }
        Ok(())
    }
}
