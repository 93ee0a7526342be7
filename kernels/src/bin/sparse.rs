//! PRK Sparse on mpikit: a sparse matrix-vector product with the matrix of a star stencil on a
//! 2^lsize x 2^lsize periodic grid, columns scrambled by bit reversal, rows in blocks over the
//! ranks (compressed sparse rows). Each iteration every rank adds to its block of the vector,
//! the blocks are gathered in place on every rank (`allgather_array_in_place`), and each rank
//! multiplies its rows on its threads.
//!
//! `mpirun -n 2 target/release/prk-sparse 20 10 4` (the reference: `sparse 20 10 4`).

use std::process::ExitCode;

use clap::Parser;
use mpikit::prelude::*;
use mpikit::{Error, ReduceOp, World};
use mpikit_kernels::{kernel_main, lf, rate_line, say, Common, Outcome, Timer, PRK_VERSION};

/// PRK Sparse (scrambled columns, CSR) on mpikit.
#[derive(Parser, Debug)]
#[command(name = "prk-sparse", version)]
struct Args {
    /// Iterations (at least 1; one more untimed warm-up runs first).
    iterations: usize,
    /// log2 of the grid's side (the matrix has 4^lsize rows).
    lsize: u32,
    /// Stencil radius.
    radius: usize,
    #[command(flatten)]
    common: Common,
}

mpikit_kernels::kernel_args!(Args);

/// The reference's bit reversal of the low `bits` bits.
fn reverse(x: u64, bits: u32) -> u64 {
    if bits == 0 {
        0
    } else {
        x.reverse_bits() >> (64 - bits)
    }
}

/// This rank's rows: column indices (sorted within each row) and values `1/(col + 1)`.
fn matrix(lsize: u32, radius: usize, rows: std::ops::Range<usize>) -> (Vec<usize>, Vec<f64>) {
    let size = 1usize << lsize;
    let width = 4 * radius + 1;
    let lin = |i: usize, j: usize| reverse((i + (j << lsize)) as u64, 2 * lsize) as usize;
    let mut cols = Vec::with_capacity(rows.len() * width);
    for row in rows {
        let (i, j) = (row % size, row / size);
        let first = cols.len();
        cols.push(lin(i, j));
        for r in 1..=radius {
            cols.push(lin((i + r) % size, j));
            cols.push(lin((i + size - r % size) % size, j));
            cols.push(lin(i, (j + r) % size));
            cols.push(lin(i, (j + size - r % size) % size));
        }
        cols[first..].sort_unstable();
    }
    let values = cols.iter().map(|&c| 1.0 / (c + 1) as f64).collect();
    (cols, values)
}

fn sparse(world: &World, args: Args) -> Result<Outcome, Error> {
    let (iterations, lsize, radius) = (args.iterations, args.lsize, args.radius);
    let (rank, p) = (world.rank_index(), world.size_count());
    say(world, PRK_VERSION);
    say(world, "MPI sparse matrix-vector multiplication");
    if iterations < 1 {
        return Ok(Outcome::Invalid(format!(
            "Iterations must be positive : {iterations}"
        )));
    }
    if lsize > 30 {
        return Ok(Outcome::Invalid(format!(
            "Log of grid size {lsize} is too large"
        )));
    }
    let size = 1usize << lsize;
    if size < p {
        return Ok(Outcome::Invalid(format!(
            "Grid size {size} must be at least equal to # procs {p}"
        )));
    }
    if size % p != 0 {
        return Ok(Outcome::Invalid(format!(
            "Grid size {size} must be multiple of # procs {p}"
        )));
    }
    if size < 2 * radius + 1 {
        return Ok(Outcome::Invalid(format!(
            "Grid extent {size} smaller than stencil diameter 2*{radius}+1= {}",
            2 * radius + 1
        )));
    }
    let size2 = size * size;
    let width = 4 * radius + 1;
    say(world, format!("Number of ranks       = {p:>16}"));
    say(world, format!("Matrix order          = {size2:>16}"));
    say(
        world,
        format!("Stencil diameter      = {:>16}", 2 * radius + 1),
    );
    say(
        world,
        format!(
            "Sparsity              = {:>16.10}",
            width as f64 / size2 as f64
        ),
    );
    say(world, format!("Number of iterations  = {iterations:>16}"));
    say(world, "Indexing              = scrambled");
    say(world, "Matrix storage format = Compressed Sparse Row");

    let nrows = size2 / p;
    let first = nrows * rank;
    let (cols, values) = matrix(lsize, radius, first..first + nrows);
    let mut vector = vec![0.0f64; size2];
    let mut result = vec![0.0f64; nrows];
    let pool = world.pool();
    let mut timer = Timer::new();
    for iter in 0..=iterations {
        timer.start(world, iter);
        for (k, v) in vector[first..first + nrows].iter_mut().enumerate() {
            *v += (first + k + 1) as f64;
        }
        world.allgather_array_in_place(&mut vector)?;
        let multiply = |rows: &mut [f64], start: usize| {
            for (k, out) in rows.iter_mut().enumerate() {
                let at = (start + k) * width;
                let sum: f64 = cols[at..at + width]
                    .iter()
                    .zip(&values[at..at + width])
                    .map(|(&c, &a)| a * vector[c])
                    .sum();
                *out += sum;
            }
        };
        if pool.current_num_threads() > 1 {
            use mpikit::rayon::prelude::*;
            let chunk = nrows.div_ceil(4 * pool.current_num_threads()).max(1);
            pool.install(|| {
                result
                    .par_chunks_mut(chunk)
                    .enumerate()
                    .for_each(|(c, rows)| multiply(rows, c * chunk))
            });
        } else {
            multiply(&mut result, 0);
        }
    }
    let avg = timer.average(world, iterations)?;
    let reference =
        0.5 * size2 as f64 * width as f64 * (iterations + 1) as f64 * (iterations + 2) as f64;
    let check = world.allreduce_scalar(result.iter().sum::<f64>(), ReduceOp::Sum)?;
    let validates = (check - reference).abs() <= 1e-8;
    if validates {
        say(world, "Solution validates");
    } else {
        say(
            world,
            format!(
                "ERROR: Vector sum = {}, Reference vector sum = {}, my_ID = {}",
                lf(check),
                lf(reference),
                world.rank()
            ),
        );
    }
    let flops = 2.0 * (nrows * width * p) as f64;
    say(world, rate_line("MFlops/s", 1e-6 * flops / avg, avg, "  "));
    Ok(if validates {
        Outcome::Validated
    } else {
        Outcome::Failed
    })
}

fn main() -> ExitCode {
    kernel_main("prk-sparse", sparse)
}
