//! PRK Transpose on mpikit: `B += Aᵀ` then `A += 1` each iteration, for an order x order
//! matrix split by rows over the ranks, verified against the closed form. A and B are
//! row-distributed DistArrays (each rank's rows lie in memory as the reference's column
//! block); `transpose_into_with` moves the blocks (packed in cache tiles, all in flight at
//! once) and adds them into B as they arrive.
//!
//! `mpirun -n 2 target/release/prk-transpose 10 4000` (the reference: `transpose 10 4000`).

use std::process::ExitCode;

use clap::Parser;
use mpikit::ndarray::Ix2;
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, ReduceOp, World};
use mpikit_kernels::{e, kernel_main, lf, say, validated, Common, Outcome, Timer, PRK_VERSION};

/// PRK Transpose on mpikit.
#[derive(Parser, Debug)]
#[command(name = "prk-transpose", version)]
struct Args {
    /// Iterations (at least 1; one more untimed warm-up runs first).
    iterations: usize,
    /// Matrix order (divisible by the number of ranks).
    order: usize,
    /// The reference's tile size (mpikit's transpose tiles by 32 whatever is given).
    tile: Option<usize>,
    #[command(flatten)]
    common: Common,
}

mpikit_kernels::kernel_args!(Args);

fn transpose(world: &World, args: Args) -> Result<Outcome, Error> {
    let (iterations, order, p) = (args.iterations, args.order, world.size() as usize);
    let tile = args.tile.unwrap_or(32);
    say(world, PRK_VERSION);
    say(world, "MPI matrix transpose: B = A^T");
    if iterations < 1 {
        return Ok(Outcome::Invalid(format!(
            "iterations must be >= 1 : {iterations}"
        )));
    }
    if order < p {
        return Ok(Outcome::Invalid(format!(
            "matrix order {order} should at least # procs {p}"
        )));
    }
    if order % p != 0 {
        return Ok(Outcome::Invalid(format!(
            "matrix order {order} should be divisible by # procs {p}"
        )));
    }
    say(world, format!("Number of ranks      = {p}"));
    say(world, format!("Matrix order         = {order}"));
    say(world, format!("Number of iterations = {iterations}"));
    if tile > 0 && tile < order {
        say(world, format!("Tile size            = {tile}"));
    } else {
        say(world, "Untiled");
    }
    say(world, "Non-Blocking messages");

    let grid = Grid::rows(&[order, order], p);
    let mut a =
        DistArray::<f64, Ix2>::from_fn(world, grid.clone(), |i| (order * i[0] + i[1]) as f64)?;
    let mut b = DistArray::<f64, Ix2>::zeros(world, grid)?;
    let mut timer = Timer::new();
    for iter in 0..=iterations {
        timer.start(world, iter);
        a.transpose_into_with(&mut b, |b, a| b + a)?;
        a.map_inplace(|x| x + 1.0);
    }
    let avg = timer.average(world, iterations)?;
    // b[x][y] = Σ over the sweeps of a[y][x] = (order·y + x)(iterations + 1) + Σ k.
    let addit = ((iterations + 1) * iterations) as f64 / 2.0;
    let (row0, col0) = (b.offset()[0], b.offset()[1]);
    let local: f64 = b
        .local()
        .indexed_iter()
        .map(|((x, y), &v)| {
            let want = ((order * (col0 + y) + row0 + x) * (iterations + 1)) as f64 + addit;
            (v - want).abs()
        })
        .sum();
    let abserr = world.allreduce_scalar(local, ReduceOp::Sum)?;
    if abserr >= 1e-8 {
        say(
            world,
            format!(
                "ERROR: Aggregate squared error {} exceeds threshold {}",
                lf(abserr),
                e(1e-8)
            ),
        );
        return Ok(Outcome::Failed);
    }
    let bytes = 2.0 * 8.0 * (order * order) as f64;
    Ok(validated(world, "MB/s", 1e-6 * bytes / avg, avg, " "))
}

fn main() -> ExitCode {
    kernel_main("prk-transpose", transpose)
}
