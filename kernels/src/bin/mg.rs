//! NPB MG on mpikit: V-cycle multigrid for the 3-D Poisson equation on a periodic n³ grid,
//! from NPB's right-hand side (+1 at the ten largest and -1 at the ten smallest of NPB's
//! random field). Every level is a pair of `DistArray`s over the same grid of ranks with one
//! periodic ghost layer (corners included): the residual and the smoother are 27-point
//! `Stencil`s combined into their output (`stencil_into_with`; the finest residual
//! r = v - A·u with v as a third array, `stencil_zip_into_with`), the ghosts exchanged after
//! each step as NPB's `comm3` does; restriction and prolongation work on each rank's block,
//! coarse point c sitting on fine point 2c + 1, so a rank's coarse block lies inside its fine
//! one plus the ghost layer.
//!
//! `mpirun -n 4 target/release/npb-mg A` (NPB: `mg.A.x`; a power-of-two rank count, at most
//! as many ranks along an axis as the coarsest level has points along it: 8 ranks). With a
//! file `timer.flag` in the working directory it also prints the time of each routine (the
//! slowest rank's), as NPB's `mg.x` does with the same file.

use std::process::ExitCode;

use mpikit::distarray::{Boundary, Halo, Stencil};
use mpikit::mpi::traits::*;
use mpikit::ndarray::Ix3;
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, ReduceOp, World};
use mpikit_kernels::npb::{
    banner, finish, fortran_e, skip, timed, vranlc, Args, Class, Progress, Report, RoutineTimes,
    Size, MULTIPLIER,
};
use mpikit_kernels::{kernel_main, Outcome};

type Field = DistArray<f64, Ix3>;

/// The routines NPB's `timer.flag` times (comm3 is also inside the others, as in NPB).
const ROUTINES: [&str; 5] = ["resid", "psinv", "rprj3", "interp", "comm3"];

/// Ghosts exchanged, timed as NPB's comm3.
fn comm3(f: &mut Field) -> Result<(), Error> {
    timed(4, || f.exchange_halos())
}

/// (log2 of the grid's side, iterations, published L2 norm of the residual).
#[allow(clippy::excessive_precision)]
fn problem(class: Class) -> (u32, usize, f64) {
    match class {
        Class::S => (5, 4, 0.5307707005734e-04),
        Class::W => (7, 4, 0.6467329375339e-05),
        Class::A => (8, 4, 0.2433365309069e-05),
        Class::B => (8, 20, 0.1800564401355e-05),
        Class::C => (9, 20, 0.5706732285740e-06),
    }
}

/// A 27-point stencil whose weight depends on how many offsets are nonzero (zero weights left
/// out): NPB's operators A and the smoothers.
fn by_distance(w: [f64; 4]) -> Stencil<f64> {
    let mut points = Vec::new();
    for d0 in -1..=1isize {
        for d1 in -1..=1isize {
            for d2 in -1..=1isize {
                let far = [d0, d1, d2].iter().filter(|&&d| d != 0).count();
                if w[far] != 0.0 {
                    points.push((vec![d0, d1, d2], w[far]));
                }
            }
        }
    }
    Stencil::new(points)
}

/// A zero field of side `n` over `dims` ranks per axis, with one periodic ghost layer.
fn field(world: &World, n: usize, dims: &[usize]) -> Result<Field, Error> {
    let mut f = DistArray::zeros(world, Grid::with_dims(&[n, n, n], dims)?)?;
    let mut halo = Halo::new(3, 1).corners(true);
    for axis in 0..3 {
        halo = halo.boundary(axis, Boundary::Periodic);
    }
    f.set_halo(halo)?;
    Ok(f)
}

/// The whole grid's index ranges.
fn everywhere(f: &Field) -> Vec<std::ops::Range<usize>> {
    f.grid().shape().iter().map(|&n| 0..n).collect()
}

/// NPB's `resid`: r = v - A·u, then r's ghosts. `r` holds v on entry.
fn resid(u: &mut Field, r: &mut Field, a: &Stencil<f64>) -> Result<(), Error> {
    timed(0, || {
        let all = everywhere(u);
        u.stencil_into_with(a, r, &all, |v, au| v - au)?;
        comm3(r)
    })
}

/// NPB's `psinv`: u = u + C·r, then u's ghosts.
fn psinv(r: &mut Field, u: &mut Field, c: &Stencil<f64>) -> Result<(), Error> {
    timed(1, || {
        let all = everywhere(r);
        r.stencil_into_with(c, u, &all, |u, cr| u + cr)?;
        comm3(u)
    })
}

/// NPB's `rprj3`: full weighting of the fine residual onto the coarse grid (coarse c at fine
/// 2c + 1, the weights 1/2, 1/4, 1/8, 1/16 by distance): per coarse row, the sums of the four
/// face rows and the four corner rows of the fine cross-section under it, then each coarse
/// point from the centre row and those sums as NPB's loops do; then the coarse ghosts.
fn rprj3(fine: &Field, coarse: &mut Field) -> Result<(), Error> {
    timed(2, || rprj3_block(fine, coarse))
}

/// [`rprj3`]'s work.
fn rprj3_block(fine: &Field, coarse: &mut Field) -> Result<(), Error> {
    let (fo, co) = (fine.offset().to_vec(), coarse.offset().to_vec());
    let rf = fine.padded();
    let fshape = rf.shape().to_vec();
    let rf = rf.as_slice().expect("a padded block is contiguous");
    let (s0, s1, len) = (fshape[1] * fshape[2], fshape[2], fshape[2]);
    let mut sp = coarse.padded_mut();
    let cshape = sp.shape().to_vec();
    let sp = sp.as_slice_mut().expect("a padded block is contiguous");
    let (t0, t1) = (cshape[1] * cshape[2], cshape[2]);
    // Padded fine index of the fine point under coarse local index c along axis a.
    let under = |a: usize, c: usize| 2 * (co[a] + c) + 2 - fo[a];
    let (mut x1, mut y1) = (vec![0.0; len], vec![0.0; len]);
    for c0 in 0..cshape[0] - 2 {
        for c1 in 0..cshape[1] - 2 {
            let (i0, i1) = (under(0, c0), under(1, c1));
            let row = |d0: usize, d1: usize| {
                let at = (i0 + d0 - 1) * s0 + (i1 + d1 - 1) * s1;
                &rf[at..at + len]
            };
            let (f0, f1, f2, f3) = (row(0, 1), row(2, 1), row(1, 0), row(1, 2));
            let (k0, k1, k2, k3) = (row(0, 0), row(0, 2), row(2, 0), row(2, 2));
            for k in 0..len {
                x1[k] = f0[k] + f1[k] + f2[k] + f3[k];
                y1[k] = k0[k] + k1[k] + k2[k] + k3[k];
            }
            let c = row(1, 1);
            let out = (c0 + 1) * t0 + (c1 + 1) * t1 + 1;
            for (c2, v) in sp[out..out + cshape[2] - 2].iter_mut().enumerate() {
                let i = under(2, c2);
                *v = 0.5 * c[i]
                    + 0.25 * (c[i - 1] + c[i + 1] + x1[i])
                    + 0.125 * (x1[i - 1] + x1[i + 1] + y1[i])
                    + 0.0625 * (y1[i - 1] + y1[i + 1]);
            }
        }
    }
    comm3(coarse)
}

/// NPB's `interp`: u += the trilinear interpolation of the coarse correction z (fine 2c + 1
/// takes z[c]; fine 2c + 2 the mean of z[c] and z[c + 1], axis by axis: each fine row from
/// one weighted sum of up to four coarse rows), then u's ghosts.
fn interp(z: &Field, u: &mut Field) -> Result<(), Error> {
    timed(3, || interp_block(z, u))
}

/// [`interp`]'s work, by coarse row pairs as NPB's loops: each coarse (c0, c1) gives the
/// (up to) four fine rows 2c + 1 and 2c + 2 along axes 0 and 1 from one read of the four
/// coarse rows around it, instead of a weighted sum of coarse rows per fine row.
fn interp_block(z: &Field, u: &mut Field) -> Result<(), Error> {
    let (zo, uo) = (z.offset().to_vec(), u.offset().to_vec());
    let zp = z.padded();
    let zshape = zp.shape().to_vec();
    let zp = zp.as_slice().expect("a padded block is contiguous");
    let (t0, t1, len) = (zshape[1] * zshape[2], zshape[2], zshape[2]);
    let mut up = u.padded_mut();
    let ushape = up.shape().to_vec();
    let up = up.as_slice_mut().expect("a padded block is contiguous");
    let (s0, s1) = (ushape[1] * ushape[2], ushape[2]);
    let pairs0 = fine_pairs(uo[0], ushape[0] - 2, zo[0]);
    let pairs1 = fine_pairs(uo[1], ushape[1] - 2, zo[1]);
    let mut tmp = vec![0.0; len];
    let row = |p0: usize, p1: usize| &zp[p0 * t0 + p1 * t1..p0 * t0 + p1 * t1 + len];
    for &(p0, odd0, even0) in &pairs0 {
        for &(p1, odd1, even1) in &pairs1 {
            let (zc, zr, zd, zdr) = (
                row(p0, p1),
                row(p0, p1 + 1),
                row(p0 + 1, p1),
                row(p0 + 1, p1 + 1),
            );
            let fine = |f0: usize, f1: usize| (f0 + 1) * s0 + (f1 + 1) * s1 + 1;
            let width = ushape[2] - 2;
            if let (Some(f0), Some(f1)) = (odd0, odd1) {
                let at = fine(f0, f1);
                along_row(&mut up[at..at + width], zc, uo[2], zo[2]);
            }
            if let (Some(f0), Some(f1)) = (odd0, even1) {
                for (t, (&a, &b)) in tmp.iter_mut().zip(zc.iter().zip(zr)) {
                    *t = 0.5 * a + 0.5 * b;
                }
                let at = fine(f0, f1);
                along_row(&mut up[at..at + width], &tmp, uo[2], zo[2]);
            }
            if let (Some(f0), Some(f1)) = (even0, odd1) {
                for (t, (&a, &b)) in tmp.iter_mut().zip(zc.iter().zip(zd)) {
                    *t = 0.5 * a + 0.5 * b;
                }
                let at = fine(f0, f1);
                along_row(&mut up[at..at + width], &tmp, uo[2], zo[2]);
            }
            if let (Some(f0), Some(f1)) = (even0, even1) {
                for (k, t) in tmp.iter_mut().enumerate() {
                    *t = 0.25 * zc[k] + 0.25 * zr[k] + 0.25 * zd[k] + 0.25 * zdr[k];
                }
                let at = fine(f0, f1);
                along_row(&mut up[at..at + width], &tmp, uo[2], zo[2]);
            }
        }
    }
    comm3(u)
}

/// The coarse points under a fine block along one axis (fine block from global `first`,
/// `count` points; coarse block from global `z0`): per coarse point c (as a padded index of
/// the coarse block, the low ghost 0), the local fine indices of 2c + 1 and 2c + 2 if they
/// lie in the block. Fine blocks start at twice their coarse block's start, so c >= z0 - 1.
fn fine_pairs(first: usize, count: usize, z0: usize) -> Vec<(usize, Option<usize>, Option<usize>)> {
    let mut out: Vec<(usize, Option<usize>, Option<usize>)> = Vec::new();
    for f in 0..count {
        let g = first + f;
        // Fine 2c + 1 (odd) and 2c + 2 (even) share coarse c; padded index c + 1 - z0.
        let padded = g.div_ceil(2) - z0;
        if out.last().map(|e| e.0) != Some(padded) {
            out.push((padded, None, None));
        }
        let entry = out.last_mut().expect("just pushed");
        if g % 2 == 1 {
            entry.1 = Some(f);
        } else {
            entry.2 = Some(f);
        }
    }
    out
}

/// Adds the 1-D interpolation of the coarse row `z` (padded) to the fine row `out`, whose
/// first point is global index `g0` (coarse blocks start at `z0`): an odd fine point 2c + 1
/// takes z[c], an even one the mean of its two coarse neighbours; in pairs, no branch per
/// point.
fn along_row(out: &mut [f64], z: &[f64], g0: usize, z0: usize) {
    // Padded coarse index j: fine g0 (or g0 + 1 when g0 is even) takes z[j + 1].
    let j = g0 / 2 - z0;
    let mut rest = out;
    if g0 % 2 == 0 && !rest.is_empty() {
        rest[0] += 0.5 * (z[j] + z[j + 1]);
        rest = &mut rest[1..];
    }
    let z = &z[j + 1..];
    let done = rest.len() / 2;
    let mut pairs = rest.chunks_exact_mut(2);
    for (p, pair) in (&mut pairs).enumerate() {
        pair[0] += z[p];
        pair[1] += 0.5 * (z[p] + z[p + 1]);
    }
    if let Some(last) = pairs.into_remainder().first_mut() {
        *last += z[done];
    }
}

/// NPB's `norm2u3`: the root mean square and the largest magnitude of r's interior (summed
/// over the block's rows in place, in NPB's order, then one allreduce of each).
fn norm2u3(r: &Field) -> Result<(f64, f64), Error> {
    let n = r.len() as f64;
    let padded = r.padded();
    let p = padded.shape().to_vec();
    let data = padded.as_slice().expect("a padded block is contiguous");
    let (mut sum, mut max) = (0.0f64, 0.0f64);
    for z in 1..p[0] - 1 {
        for y in 1..p[1] - 1 {
            let at = (z * p[1] + y) * p[2];
            for &x in &data[at + 1..at + p[2] - 1] {
                sum += x * x;
                // A compare, not f64::max (whose NaN handling doubles the chain's latency).
                let a = x.abs();
                max = if a > max { a } else { max };
            }
        }
    }
    let sum = r.comm().allreduce_scalar(sum, ReduceOp::Sum)?;
    let max = r.comm().allreduce_scalar(max, ReduceOp::Max)?;
    Ok(((sum / n).sqrt(), max))
}

/// NPB's `zran3`: +1 at the ten largest and -1 at the ten smallest of NPB's random field
/// (element (z, y, x) takes number x + n·(y + n·z) + 1 of the sequence), then the ghosts.
fn zran3(v: &mut Field) -> Result<(), Error> {
    let n = v.grid().shape()[0];
    let off = v.offset().to_vec();
    let shape = v.local().shape().to_vec();
    let mut numbers = vec![0.0; shape[2]];
    let mut found: Vec<(f64, [usize; 3])> = Vec::new();
    for z in 0..shape[0] {
        for y in 0..shape[1] {
            let g = off[2] + n * (off[1] + y + n * (off[0] + z));
            let mut seed = skip(314_159_265.0, MULTIPLIER, g as u64);
            vranlc(&mut seed, MULTIPLIER, &mut numbers);
            for (x, &value) in numbers.iter().enumerate() {
                found.push((value, [off[0] + z, off[1] + y, off[2] + x]));
            }
            // Keep this rank's ten largest and ten smallest so far.
            if found.len() > 4096 {
                keep_extremes(&mut found);
            }
        }
    }
    keep_extremes(&mut found);
    let mut all: Vec<(f64, [usize; 3])> = v.comm().allgather_objects(&found)?.concat();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    v.local_mut().fill(0.0);
    let lows = all.iter().take(10).map(|e| (e.1, -1.0));
    let highs = all.iter().rev().take(10).map(|e| (e.1, 1.0));
    for (at, value) in lows.chain(highs).collect::<Vec<_>>() {
        if let Some(l) = v.local_index(&at) {
            v.local_mut()[[l[0], l[1], l[2]]] = value;
        }
    }
    v.exchange_halos()
}

/// Keeps the ten smallest and ten largest values of `found`.
fn keep_extremes(found: &mut Vec<(f64, [usize; 3])>) {
    if found.len() <= 20 {
        return;
    }
    let by_value = |a: &(f64, [usize; 3]), b: &(f64, [usize; 3])| a.0.total_cmp(&b.0);
    found.select_nth_unstable_by(9, by_value);
    let last = found.len() - 10;
    found[10..].select_nth_unstable_by(last - 10, by_value);
    found.drain(10..last);
}

/// The fields of every level: u and r per level (index k: side 2^k), v on the finest.
struct Levels {
    u: Vec<Field>,
    r: Vec<Field>,
    v: Field,
}

/// NPB's `mg3P`: one V-cycle.
fn mg3p(l: &mut Levels, a: &Stencil<f64>, c: &Stencil<f64>) -> Result<(), Error> {
    let lt = l.u.len() - 1;
    for k in (2..=lt).rev() {
        let (coarse, fine) = l.r.split_at_mut(k);
        rprj3(&fine[0], &mut coarse[k - 1])?;
    }
    l.u[1].padded_mut().fill(0.0);
    psinv(&mut l.r[1], &mut l.u[1], c)?;
    for k in 2..lt {
        l.u[k].padded_mut().fill(0.0);
        let (coarse, fine) = l.u.split_at_mut(k);
        interp(&coarse[k - 1], &mut fine[0])?;
        resid(&mut l.u[k], &mut l.r[k], a)?;
        psinv(&mut l.r[k], &mut l.u[k], c)?;
    }
    let (coarse, fine) = l.u.split_at_mut(lt);
    interp(&coarse[lt - 1], &mut fine[0])?;
    finest_resid(l, a)?;
    psinv(&mut l.r[lt], &mut l.u[lt], c)
}

/// r = v - A·u on the finest level (one pass: `stencil_zip_into_with`), then r's ghosts.
fn finest_resid(l: &mut Levels, a: &Stencil<f64>) -> Result<(), Error> {
    let lt = l.u.len() - 1;
    let (u, r) = (&mut l.u[lt], &mut l.r[lt]);
    timed(0, || {
        let all = everywhere(u);
        u.stencil_zip_into_with(a, &l.v, r, &all, |v, au| v - au)?;
        comm3(r)
    })
}

fn mg(world: &World, args: Args) -> Result<Outcome, Error> {
    let (lt, nit, published) = problem(args.class);
    let n = 1usize << lt;
    let p = world.size_count();
    banner(world, "MG");
    if world.is_root() {
        println!(
            " Size: {n:>4}x{n:>4}x{n:>4}  (class {})",
            args.class.letter()
        );
        println!(" Iterations: {nit:>4}");
        println!(" Total number of processes: {p:>6}\n");
    }
    if !p.is_power_of_two() {
        return Ok(Outcome::Invalid(format!(
            "Number of processes ({p}) is not a power of two"
        )));
    }
    // Ranks per axis: powers of two, as even as they go (axis 0 first).
    let mut dims = [1usize; 3];
    for k in 0..p.trailing_zeros() as usize {
        dims[k % 3] *= 2;
    }
    if dims.iter().any(|&d| d > 2) {
        return Ok(Outcome::Invalid(format!(
            "{p} processes split an axis over {} ranks; the coarsest level has 2 points per axis (at most 8 processes)",
            dims[0]
        )));
    }
    let a = by_distance([-8.0 / 3.0, 0.0, 1.0 / 6.0, 1.0 / 12.0]);
    let c = match args.class {
        Class::S | Class::W | Class::A => by_distance([-3.0 / 8.0, 1.0 / 32.0, -1.0 / 64.0, 0.0]),
        _ => by_distance([-3.0 / 17.0, 1.0 / 33.0, -1.0 / 61.0, 0.0]),
    };
    let mut levels = Levels {
        // Index k holds the level of side 2^k; index 0 (side 1) is never used.
        u: (0..=lt)
            .map(|k| field(world, 1 << k.max(1), &dims))
            .collect::<Result<_, _>>()?,
        r: (0..=lt)
            .map(|k| field(world, 1 << k.max(1), &dims))
            .collect::<Result<_, _>>()?,
        v: field(world, n, &dims)?,
    };
    let top = lt as usize;
    // One untimed iteration, as NPB does, then the same start again.
    zran3(&mut levels.v)?;
    finest_resid(&mut levels, &a)?;
    mg3p(&mut levels, &a, &c)?;
    finest_resid(&mut levels, &a)?;
    levels.u[top].padded_mut().fill(0.0);
    zran3(&mut levels.v)?;
    let timers = RoutineTimes::start(&ROUTINES);
    let mut progress = Progress::new();
    world.barrier();
    let start = mpikit::mpi::time();
    finest_resid(&mut levels, &a)?;
    norm2u3(&levels.r[top])?;
    for it in 1..=nit {
        if world.is_root() && (it == 1 || it == nit || it % 5 == 0) {
            progress.line(format_args!("  iter {it:>4}"));
        }
        mg3p(&mut levels, &a, &c)?;
        finest_resid(&mut levels, &a)?;
    }
    let (rnm2, _rnmu) = norm2u3(&levels.r[top])?;
    let seconds = world.allreduce_scalar(mpikit::mpi::time() - start, ReduceOp::Max)?;
    progress.flush();
    timers.report(world, seconds)?;
    let err = (rnm2 - published).abs() / published;
    let verified = err <= 1e-8;
    if world.is_root() {
        println!("\n Benchmark completed ");
        if verified {
            println!(" VERIFICATION SUCCESSFUL ");
            println!(" L2 Norm is {}", fortran_e(rnm2, 13));
            println!(" Error is   {}", fortran_e(err, 13));
        } else {
            println!(" VERIFICATION FAILED");
            println!(" L2 Norm is             {}", fortran_e(rnm2, 13));
            println!(" The correct L2 Norm is {}", fortran_e(published, 13));
        }
    }
    let mops = 58.0 * 1e-6 * nit as f64 * (n * n * n) as f64 / seconds;
    finish(
        world,
        &Report {
            name: "MG",
            class: args.class,
            size: Size::Grid([n, n, n]),
            iterations: nit,
            seconds,
            mops,
            operation: "floating point",
            verified,
        },
    )
}

fn main() -> ExitCode {
    kernel_main("npb-mg", mg)
}
