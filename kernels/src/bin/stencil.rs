//! PRK Stencil on mpikit: a star stencil of radius 2 applied to an n x n grid on a 2-D grid
//! of ranks, `OUT += stencil(IN)` then `IN += 1` each iteration, verified by the L1 norm of
//! OUT over the interior. The grid is a DistArray with ghost cells of the stencil's reach;
//! each iteration starts the halo exchange and lets `stencil_into_with` compute the interior
//! while the faces travel.
//!
//! `mpirun -n 4 target/release/prk-stencil 20 4000` (the reference: `stencil 20 4000`).

use std::process::ExitCode;

use clap::Parser;
use mpikit::distarray::{Halo, Stencil};
use mpikit::ndarray::Ix2;
use mpikit::{DistArray, Error, Grid, World};
use mpikit_kernels::{kernel_main, lf, say, validated, Common, Outcome, Timer, PRK_VERSION};

/// The reference's compile-time radius.
const RADIUS: usize = 2;

/// PRK Stencil (star, radius 2, double precision) on mpikit.
#[derive(Parser, Debug)]
#[command(name = "prk-stencil", version)]
struct Args {
    /// Iterations (at least 1; one more untimed warm-up runs first).
    iterations: usize,
    /// Grid size n (an n x n grid).
    n: usize,
    #[command(flatten)]
    common: Common,
}

mpikit_kernels::kernel_args!(Args);

/// The reference's factorisation of the rank count: the largest factor up to √(P+1) first.
fn factor(p: usize) -> (usize, usize) {
    let mut f1 = ((p as f64 + 1.0).sqrt()) as usize;
    while f1 > 1 && p % f1 != 0 {
        f1 -= 1;
    }
    (f1.max(1), p / f1.max(1))
}

fn stencil(world: &World, args: Args) -> Result<Outcome, Error> {
    let (iterations, n, p) = (args.iterations, args.n, world.size() as usize);
    say(world, PRK_VERSION);
    say(world, "MPI stencil execution on 2D grid");
    if iterations < 1 {
        return Ok(Outcome::Invalid(format!(
            "iterations must be >= 1 : {iterations}"
        )));
    }
    if n * n < p {
        return Ok(Outcome::Invalid(format!(
            "grid size {} must be at least # ranks: {p}",
            n * n
        )));
    }
    if 2 * RADIUS + 1 > n {
        return Ok(Outcome::Invalid(format!(
            "Stencil radius {RADIUS} exceeds grid size {n}"
        )));
    }
    // Ranks x-fastest as in the reference: axis 1 is x, axis 0 is y.
    let (npx, npy) = factor(p);
    let grid = Grid::with_dims(&[n, n], &[npy, npx])?;
    let thinnest = (0..p).flat_map(|r| grid.block_shape(r)).min().unwrap_or(0);
    if thinnest < RADIUS {
        return Ok(Outcome::Invalid(format!(
            "a rank has a work tile smaller than the stencil radius ({thinnest} < {RADIUS})"
        )));
    }
    say(world, format!("Number of ranks        = {p}"));
    say(world, format!("Grid size              = {n}"));
    say(world, format!("Radius of stencil      = {RADIUS}"));
    say(world, format!("Tiles in x/y-direction = {npx}/{npy}"));
    say(world, "Type of stencil        = star");
    say(world, "Data type              = double precision");
    say(world, "Compact representation of stencil loop body");
    say(world, format!("Number of iterations   = {iterations}"));

    let mut input = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), |i| (i[0] + i[1]) as f64)?;
    input.set_halo(Halo::new(2, RADIUS))?;
    let mut out = DistArray::<f64, Ix2>::zeros(world, grid)?;
    // W(0, ±k) = W(±k, 0) = ±1/(2kR).
    let weights = Stencil::star(2, RADIUS, 0.0, |_, k| {
        1.0 / (2.0 * k as f64 * RADIUS as f64)
    });
    let interior = [RADIUS..n - RADIUS, RADIUS..n - RADIUS];
    let mut timer = Timer::new();
    for iter in 0..=iterations {
        timer.start(world, iter);
        input.begin_halos()?;
        input.stencil_into_with(&weights, &mut out, &interior, |o, s| o + s)?;
        input.map_inplace(|x| x + 1.0);
    }
    let avg = timer.average(world, iterations)?;
    let active = ((n - 2 * RADIUS) * (n - 2 * RADIUS)) as f64;
    // OUT is zero outside the interior, so its norm is the interior's.
    let norm = out.norm_l1()? / active;
    let reference = (iterations + 1) as f64 * 2.0;
    if (norm - reference).abs() > 1e-8 {
        say(
            world,
            format!(
                "ERROR: L1 norm = {}, Reference L1 norm = {}",
                lf(norm),
                lf(reference)
            ),
        );
        return Ok(Outcome::Failed);
    }
    let flops = (2 * (4 * RADIUS + 1) + 1) as f64 * active;
    Ok(validated(world, "MFlops/s", 1e-6 * flops / avg, avg, "  "))
}

fn main() -> ExitCode {
    kernel_main("prk-stencil", stencil)
}
