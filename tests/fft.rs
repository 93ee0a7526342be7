//! Distributed FFTs on 1, 2, 3, 4 and 8 ranks, with MPI's message sizes, with 64-byte pieces
//! and with 3 threads per rank: complex transforms of 2-D and 3-D arrays over every axis and
//! over some, forward and inverse in every normalisation, on slabs, pencils, uneven blocks
//! with empty ones and grids that split the last axis; plans reused and transforms in place;
//! real-to-complex transforms and back, in f64 and f32, with even and odd last axes; 1-D
//! arrays split over ranks (the four-step transform) of square, oblong, prime and tiny
//! lengths on even, uneven and empty blocks. Every result is checked against a direct DFT of
//! the whole array written here (a sum over every point, with exact twiddle angles), to 1e-12
//! of the largest value in f64 (1e-4 in f32); misuse (a real transform with its last axis
//! split, repeated axes, an output on another grid) is the same `Err` on every rank.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::fft::{FftPlan, Norm};
use mpikit::ndarray::{ArrayD, Dimension, Ix1, Ix2, Ix3, IxDyn};
use mpikit::num_complex::Complex;
use mpikit::runtime::{MAX_MESSAGE_ENV, THREADS_ENV};
use mpikit::{DistArray, Error, Grid, World};

type C64 = Complex<f64>;

fn main() {
    common::spmd_main(
        "fft",
        common::RANKS,
        &[&[], &[(MAX_MESSAGE_ENV, "64")], &[(THREADS_ENV, "3")]],
        rank_checks,
    );
}

fn rank_checks() {
    common::run_checks(
        "fft",
        &[complex, some_axes_and_plans, lines, real, refusals],
    );
}

/// The test field: distinct, irregular values.
fn field(i: &[usize]) -> C64 {
    let k = i.iter().fold(0usize, |acc, &x| acc * 131 + x + 1);
    let h = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    C64::new(
        (h % 1000) as f64 / 250.0 - 2.0,
        ((h / 1000) % 1000) as f64 / 500.0 - 1.0,
    )
}

/// The direct DFT of `a` along `axis` (sign -1 forward, +1 inverse), unscaled.
fn dft_axis(a: &ArrayD<C64>, axis: usize, sign: f64) -> ArrayD<C64> {
    let n = a.shape()[axis];
    let mut out = ArrayD::from_elem(a.shape(), C64::new(0.0, 0.0));
    for (idx, v) in out.indexed_iter_mut() {
        let k = idx[axis];
        let mut j_idx = idx.slice().to_vec();
        let mut sum = C64::new(0.0, 0.0);
        for j in 0..n {
            j_idx[axis] = j;
            // exp(sign 2πi jk/n) with jk reduced mod n: exact angles.
            let angle = sign * 2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
            sum += a[IxDyn(&j_idx)] * C64::new(angle.cos(), angle.sin());
        }
        *v = sum;
    }
    out
}

/// The direct transform over `axes`, with numpy's normalisation.
fn dft(a: &ArrayD<C64>, axes: &[usize], forward: bool, norm: Norm) -> ArrayD<C64> {
    let mut out = a.clone();
    for &axis in axes {
        out = dft_axis(&out, axis, if forward { -1.0 } else { 1.0 });
    }
    let points: f64 = axes.iter().map(|&x| a.shape()[x] as f64).product();
    let factor = match (norm, forward) {
        (Norm::Backward, true) | (Norm::Forward, false) => 1.0,
        (Norm::Backward, false) | (Norm::Forward, true) => 1.0 / points,
        (Norm::Ortho, _) => 1.0 / points.sqrt(),
    };
    out.mapv(|v| v * factor)
}

/// This rank's block of `got` equals the same block of `want` to `tol` of want's largest value.
fn close<D: Dimension>(got: &DistArray<C64, D>, want: &ArrayD<C64>, tol: f64, what: &str) {
    let scale = want.iter().map(|v| v.norm()).fold(1e-300, f64::max);
    let offset = got.offset().to_vec();
    for (idx, v) in got.local().into_dyn().indexed_iter() {
        let g: Vec<usize> = idx
            .slice()
            .iter()
            .zip(&offset)
            .map(|(i, o)| i + o)
            .collect();
        let w = want[IxDyn(&g)];
        assert!(
            (*v - w).norm() <= tol * scale,
            "{what}: at {g:?} got {v}, expected {w} (scale {scale:e})"
        );
    }
}

/// Grids of `shape` on `p` ranks: slabs, pencils over the first two axes, uneven blocks (all
/// of axis 0 on the last rank, some ranks empty), and the last axis split.
fn grids(shape: &[usize], p: usize) -> Vec<Grid> {
    let nd = shape.len();
    let mut out = vec![Grid::rows(shape, p)];
    out.push(Grid::balanced(shape, p, &[0, 1]).expect("a pencil grid"));
    let mut counts: Vec<Vec<usize>> = shape.iter().map(|&n| vec![n]).collect();
    counts[0] = (0..p)
        .map(|r| if r == p - 1 { shape[0] } else { 0 })
        .collect();
    out.push(Grid::with_counts(shape, counts).expect("uneven"));
    let mut dims = vec![1; nd];
    dims[nd - 1] = p;
    out.push(Grid::with_dims(shape, &dims).expect("last axis split"));
    out
}

fn whole(shape: &[usize]) -> ArrayD<C64> {
    ArrayD::from_shape_fn(IxDyn(shape), |i| field(i.slice()))
}

fn complex(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    for shape in [vec![12, 10], vec![8, 6, 5], vec![4, 9, 16]] {
        let a0 = whole(&shape);
        let all: Vec<usize> = (0..shape.len()).collect();
        for grid in grids(&shape, p) {
            let what = format!("{shape:?} over {:?} {:?}", grid.dims(), grid.counts(0));
            let a = DistArray::<C64, IxDyn>::from_fn(world, grid, field)?;
            for norm in [Norm::Backward, Norm::Ortho, Norm::Forward] {
                let f = a.fftn(norm)?;
                assert_eq!(f.grid(), a.grid(), "{what}: the result's layout");
                close(
                    &f,
                    &dft(&a0, &all, true, norm),
                    1e-12,
                    &format!("{what} fftn {norm:?}"),
                );
                let b = f.ifftn(norm)?;
                close(&b, &a0, 1e-12, &format!("{what} ifftn(fftn) {norm:?}"));
                let i = a.ifftn(norm)?;
                close(
                    &i,
                    &dft(&a0, &all, false, norm),
                    1e-12,
                    &format!("{what} ifftn {norm:?}"),
                );
            }
        }
    }
    Ok(())
}

fn some_axes_and_plans(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    let shape = [6usize, 8, 7];
    let a0 = whole(&shape);
    for grid in grids(&shape, p) {
        let what = format!("over {:?}", grid.dims());
        let a = DistArray::<C64, Ix3>::from_fn(world, grid.clone(), field)?;
        for axes in [vec![1], vec![0], vec![2, 0], vec![0, 1]] {
            let f = a.fft_axes(&axes, Norm::Backward)?;
            close(
                &f,
                &dft(&a0, &axes, true, Norm::Backward),
                1e-12,
                &format!("{what} axes {axes:?}"),
            );
        }
        // One plan, used again and again, into the same output and in place.
        let mut plan = FftPlan::new(&a, &[0, 1, 2], Norm::Ortho)?;
        let mut out = DistArray::<C64, Ix3>::zeros(world, grid)?;
        let want = dft(&a0, &[0, 1, 2], true, Norm::Ortho);
        for _ in 0..3 {
            plan.forward_into(&a, &mut out)?;
            close(&out, &want, 1e-12, &format!("{what} plan forward_into"));
        }
        plan.inverse_in_place(&mut out)?;
        close(&out, &a0, 1e-12, &format!("{what} plan inverse_in_place"));
        plan.forward_in_place(&mut out)?;
        close(&out, &want, 1e-12, &format!("{what} plan forward_in_place"));
    }
    Ok(())
}

/// 1-D arrays split over ranks: balanced, all on the last rank, and irregular blocks with
/// an empty one.
fn lines(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    for n in [1usize, 2, 7, 16, 30, 96, 97, 1000] {
        let a0 = whole(&[n]);
        let mut layouts = vec![
            Grid::rows(&[n], p),
            Grid::with_counts(
                &[n],
                vec![(0..p).map(|r| if r + 1 == p { n } else { 0 }).collect()],
            )?,
        ];
        if p > 1 {
            // Rank 0 empty, rank 1 a third, the rest spread over the others.
            let third = n / 3;
            let mut counts = vec![0, third];
            let rest = Grid::rows(&[n - third], p - 1).counts(0).to_vec();
            counts.extend(rest.iter().skip(1));
            counts[1] += rest[0];
            layouts.push(Grid::with_counts(&[n], vec![counts])?);
        }
        for grid in layouts {
            let what = format!("line of {n} over {:?}", grid.counts(0));
            let a = DistArray::<C64, Ix1>::from_fn(world, grid.clone(), field)?;
            for norm in [Norm::Backward, Norm::Ortho, Norm::Forward] {
                let f = a.fftn(norm)?;
                assert_eq!(f.grid(), a.grid(), "{what}: the result's layout");
                close(
                    &f,
                    &dft(&a0, &[0], true, norm),
                    1e-12,
                    &format!("{what} fft {norm:?}"),
                );
                let i = a.ifftn(norm)?;
                close(
                    &i,
                    &dft(&a0, &[0], false, norm),
                    1e-12,
                    &format!("{what} ifft {norm:?}"),
                );
                close(
                    &f.ifftn(norm)?,
                    &a0,
                    1e-12,
                    &format!("{what} ifft(fft) {norm:?}"),
                );
            }
            // A plan, again and again, into an output and in place.
            let mut plan = FftPlan::new(&a, &[0], Norm::Backward)?;
            let mut out = DistArray::<C64, Ix1>::zeros(world, grid)?;
            let want = dft(&a0, &[0], true, Norm::Backward);
            for _ in 0..2 {
                plan.forward_into(&a, &mut out)?;
                close(&out, &want, 1e-12, &format!("{what} plan forward_into"));
            }
            plan.inverse_in_place(&mut out)?;
            close(&out, &a0, 1e-12, &format!("{what} plan inverse_in_place"));
        }
    }
    // Single precision, one length.
    let n = 240;
    let a0 = whole(&[n]);
    let a = DistArray::<Complex<f32>, Ix1>::from_fn(world, Grid::rows(&[n], p), |i| {
        let v = field(i);
        Complex::new(v.re as f32, v.im as f32)
    })?;
    let f = a
        .fftn(Norm::Backward)?
        .map(|v| C64::new(v.re as f64, v.im as f64));
    close(
        &f,
        &dft(&a0, &[0], true, Norm::Backward),
        1e-4,
        "line of 240 in f32",
    );
    Ok(())
}

fn real(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    for shape in [vec![10usize, 8], vec![6, 5, 9], vec![8, 4, 6]] {
        let nd = shape.len();
        let last = nd - 1;
        let x0 = ArrayD::from_shape_fn(IxDyn(&shape), |i| C64::new(field(i.slice()).re, 0.0));
        let all: Vec<usize> = (0..nd).collect();
        let full = dft(&x0, &all, true, Norm::Backward);
        let half = full.slice_each_axis(|ax| {
            if ax.axis.index() == last {
                mpikit::ndarray::Slice::from(0..shape[last] / 2 + 1)
            } else {
                mpikit::ndarray::Slice::from(..)
            }
        });
        let half = half.to_owned();
        for grid in grids(&shape, p).into_iter().filter(|g| g.dims()[last] == 1) {
            let what = format!("real {shape:?} over {:?}", grid.dims());
            let x = DistArray::<f64, IxDyn>::from_fn(world, grid.clone(), |i| field(i).re)?;
            let s = x.rfftn(Norm::Backward)?;
            close(&s, &half, 1e-12, &format!("{what} rfftn"));
            let back = s.irfftn(&shape, Norm::Backward)?;
            assert_eq!(back.grid(), x.grid(), "{what}: irfftn's layout");
            let diff = back.zip_with(&x, |a, b| (a - b).abs())?.max()?;
            assert!(
                diff <= 1e-12 * 2.0,
                "{what}: irfftn(rfftn(x)) off by {diff:e}"
            );
            // f32: the same transform to single precision.
            let x32 = DistArray::<f32, IxDyn>::from_fn(world, grid, |i| field(i).re as f32)?;
            let s32 = x32.rfftn(Norm::Backward)?;
            let s64 = s32.map(|v| C64::new(v.re as f64, v.im as f64));
            close(&s64, &half, 1e-4, &format!("{what} rfftn f32"));
        }
    }
    Ok(())
}

/// `result` is an `Err(Error::Shape)` saying `says`.
fn refused<T>(result: Result<T, Error>, says: &str) {
    match result {
        Err(Error::Shape(m)) if m.contains(says) => {}
        Err(e) => panic!("expected an error saying {says:?}, got {e}"),
        Ok(_) => panic!("expected an error saying {says:?}, got Ok"),
    }
}

fn refusals(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    let shape = [8usize, 6];
    let split_last = Grid::with_dims(&shape, &[1, p])?;
    let x = DistArray::<f64, Ix2>::from_fn(world, split_last, |i| i[0] as f64)?;
    if p > 1 {
        refused(x.rfftn(Norm::Backward), "last axis is split");
    }
    let a = DistArray::<C64, Ix2>::from_fn(world, Grid::rows(&shape, p), field)?;
    refused(FftPlan::new(&a, &[1, 1], Norm::Backward), "distinct axes");
    refused(FftPlan::new(&a, &[2], Norm::Backward), "distinct axes");
    let mut plan = FftPlan::new(&a, &[0, 1], Norm::Backward)?;
    let mut other = DistArray::<C64, Ix2>::zeros(world, Grid::rows(&[6, 8], p))?;
    refused(plan.forward_into(&a, &mut other), "the output has shape");
    let spectrum = a.fftn(Norm::Backward)?;
    refused(
        spectrum.irfftn(&[8, 20], Norm::Backward),
        "not that of a real array",
    );
    Ok(())
}
