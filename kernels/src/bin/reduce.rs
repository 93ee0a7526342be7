//! PRK Reduce on mpikit: every rank adds a vector of ones to its own full-length vector, then
//! the vectors are summed onto rank 0 in place (`reduce_array_in_place`: rank 0's vector
//! becomes the sum, the others' are only read), verified on rank 0 against the closed form.
//!
//! `mpirun -n 2 target/release/prk-reduce 10 20000000` (the reference: `reduce 10 20000000`).

use std::process::ExitCode;

use clap::Parser;
use mpikit::prelude::*;
use mpikit::{Error, ReduceOp, World};
use mpikit_kernels::{kernel_main, lf, say, validated, Common, Outcome, Timer, PRK_VERSION};

/// PRK Reduce on mpikit.
#[derive(Parser, Debug)]
#[command(name = "prk-reduce", version)]
struct Args {
    /// Iterations (at least 1; one more untimed warm-up runs first).
    iterations: usize,
    /// Vector length (every rank holds the whole vector).
    length: usize,
    #[command(flatten)]
    common: Common,
}

mpikit_kernels::kernel_args!(Args);

fn reduce(world: &World, args: Args) -> Result<Outcome, Error> {
    let (iterations, length, p) = (args.iterations, args.length, world.size() as usize);
    say(world, PRK_VERSION);
    say(world, "MPI vector reduction");
    if iterations < 1 {
        return Ok(Outcome::Invalid(format!(
            "Iterations must be positive: {iterations}"
        )));
    }
    if length < 1 {
        return Ok(Outcome::Invalid(format!(
            "Vector length should be positive: {length}"
        )));
    }
    say(world, format!("Number of ranks      = {p}"));
    say(world, format!("Vector length        = {length}"));
    say(world, format!("Number of iterations = {iterations}"));
    let mut vector = mpikit::data::par_from_fn(length, world.pool(), |_| 1.0f64);
    let ones = mpikit::data::par_from_fn(length, world.pool(), |_| 1.0f64);
    let mut timer = Timer::new();
    for iter in 0..=iterations {
        timer.start(world, iter);
        for (v, &o) in vector.iter_mut().zip(&ones) {
            *v += o;
        }
        world.reduce_array_in_place(0, &mut vector, ReduceOp::Sum)?;
    }
    let avg = timer.average(world, iterations)?;
    let it = iterations as f64;
    let want = it + 2.0 + (it * it + 5.0 * it + 4.0) * (p as f64 - 1.0) / 2.0;
    let first_bad = if world.is_root() {
        vector.iter().position(|&v| (v - want).abs() >= 1e-8)
    } else {
        None
    };
    let bad = world.allreduce_scalar(u8::from(first_bad.is_some()), ReduceOp::Max)?;
    if bad != 0 {
        if let Some(i) = first_bad {
            say(
                world,
                format!(
                    "First error at i={i}; value: {}; reference value: {}",
                    lf(vector[i]),
                    lf(want)
                ),
            );
        }
        return Ok(Outcome::Failed);
    }
    let flops = (2.0 * p as f64 - 1.0) * length as f64;
    Ok(validated(world, "MFlops/s", 1e-6 * flops / avg, avg, "  "))
}

fn main() -> ExitCode {
    kernel_main("prk-reduce", reduce)
}
