//! PRK Nstream on mpikit: the STREAM triad `a += b + 3c` over three vectors of `length / P`
//! elements per rank (the remainder is dropped, as the reference does), verified on rank 0's
//! block. The vectors are DistArrays; the triad runs on each rank's blocks with ndarray's
//! `Zip`, on the rank's threads when it has several.
//!
//! `mpirun -n 2 target/release/prk-nstream 10 20000000 0` (the reference:
//! `nstream 10 20000000 0`).

use std::process::ExitCode;

use clap::Parser;
use mpikit::ndarray::{Ix1, Zip};
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, World};
use mpikit_kernels::{kernel_main, say, validated, Common, Outcome, Timer, PRK_VERSION};

const SCALAR: f64 = 3.0;

/// PRK Nstream on mpikit.
#[derive(Parser, Debug)]
#[command(name = "prk-nstream", version)]
struct Args {
    /// Iterations (at least 1; one more untimed warm-up runs first).
    iterations: usize,
    /// Vector length over all ranks.
    length: usize,
    /// The reference's gap between its three arrays (no effect here: each is its own
    /// allocation).
    offset: usize,
    #[command(flatten)]
    common: Common,
}

mpikit_kernels::kernel_args!(Args);

fn nstream(world: &World, args: Args) -> Result<Outcome, Error> {
    let (iterations, total, p) = (args.iterations, args.length, world.size() as usize);
    if iterations < 1 {
        return Ok(Outcome::Invalid(format!(
            "Invalid number of iterations: {iterations}"
        )));
    }
    if total < p {
        return Ok(Outcome::Invalid(format!("Invalid vector length: {total}")));
    }
    let length = total / p;
    let grid = Grid::rows(&[length * p], p);
    let mut a = DistArray::<f64, Ix1>::from_elem(world, grid.clone(), 0.0)?;
    let b = DistArray::<f64, Ix1>::from_elem(world, grid.clone(), 2.0)?;
    let c = DistArray::<f64, Ix1>::from_elem(world, grid, 2.0)?;
    say(world, PRK_VERSION);
    say(world, "MPI stream triad: A = B + scalar*C");
    say(world, format!("Number of ranks      = {p}"));
    say(world, format!("Vector length        = {total}"));
    say(world, format!("Offset               = {}", args.offset));
    say(world, format!("Number of iterations = {iterations}"));
    let pool = world.pool();
    let threads = world.threads();
    let mut timer = Timer::new();
    for iter in 0..=iterations {
        timer.start(world, iter);
        let triad = Zip::from(a.local_mut()).and(b.local()).and(c.local());
        if threads > 1 {
            pool.install(|| triad.par_for_each(|a, &b, &c| *a += b + SCALAR * c));
        } else {
            triad.for_each(|a, &b, &c| *a += b + SCALAR * c);
        }
    }
    let avg = timer.average(world, iterations)?;
    // The reference checks rank 0's block against the closed form.
    let mut aj = 0.0;
    for _ in 0..=iterations {
        aj += 2.0 + SCALAR * 2.0;
    }
    let want = aj * length as f64;
    let sum: f64 = a.local().sum();
    let bad = (want - sum).abs() / sum > 1e-8;
    let bad = world.allreduce_scalar(u8::from(bad && world.is_root()), mpikit::ReduceOp::Max)?;
    if bad != 0 {
        say(world, "Failed Validation on output array");
        say(world, format!("        Expected checksum: {want:.6} "));
        say(world, format!("        Observed checksum: {sum:.6} "));
        return Ok(Outcome::Failed);
    }
    let bytes = 4.0 * 8.0 * (length * p) as f64;
    Ok(validated(world, "MB/s", 1e-6 * bytes / avg, avg, " "))
}

fn main() -> ExitCode {
    kernel_main("prk-nstream", nstream)
}
