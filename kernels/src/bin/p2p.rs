//! PRK Synch_p2p on mpikit: a wavefront `A(i,j) = A(i-1,j) + A(i,j-1) - A(i-1,j-1)` over an
//! m x n grid whose first dimension is split into strips over the ranks; each grid line waits
//! for one value (or a group of values) from the left neighbour and passes its last value
//! right, and the corner goes back to rank 0 for the next iteration. The grid is a DistArray
//! (axis 0 = j, axis 1 = i) with one ghost column on the left; the messages are mpikit's
//! buffer sends and receives, with `PROC_NULL` at the chain's ends.
//!
//! `mpirun -n 2 target/release/prk-p2p 100 4000 4000` (the reference: `p2p 100 4000 4000`).

use std::process::ExitCode;

use clap::Parser;
use mpikit::distarray::Halo;
use mpikit::ndarray::Ix2;
use mpikit::p2p::PROC_NULL;
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, World};
use mpikit_kernels::{kernel_main, lf, say, validated, Common, Outcome, Timer, PRK_VERSION};

/// PRK Synch_p2p on mpikit.
#[derive(Parser, Debug)]
#[command(name = "prk-p2p", version)]
struct Args {
    /// Iterations (at least 1; one more untimed warm-up runs first).
    iterations: usize,
    /// First grid dimension m (split over the ranks; more than the number of ranks).
    m: usize,
    /// Second grid dimension n.
    n: usize,
    /// Grid lines per message (the reference's "cheating" group factor; times are then
    /// printed negative, as the reference does).
    group: Option<usize>,
    #[command(flatten)]
    common: Common,
}

mpikit_kernels::kernel_args!(Args);

fn p2p(world: &World, args: Args) -> Result<Outcome, Error> {
    let (iterations, m, n) = (args.iterations, args.m, args.n);
    let (rank, p) = (world.rank(), world.size());
    say(world, PRK_VERSION);
    say(world, "MPI pipeline execution on 2D grid");
    if iterations < 1 {
        return Ok(Outcome::Invalid(format!(
            "iterations must be >= 1 : {iterations}"
        )));
    }
    if m < 1 || n < 1 {
        return Ok(Outcome::Invalid(format!(
            "grid dimensions must be positive: {m}, {n}"
        )));
    }
    if m <= p as usize {
        return Ok(Outcome::Invalid(format!(
            "First grid dimension {m} must be >= number of ranks {p}"
        )));
    }
    let group = match args.group {
        Some(g) if g >= n => n - 1,
        Some(g) => g.max(1),
        None => 1,
    };
    say(world, format!("Number of ranks                = {p}"));
    say(world, format!("Grid sizes                     = {m}, {n}"));
    say(
        world,
        format!("Number of iterations           = {iterations}"),
    );
    if group > 1 {
        say(
            world,
            format!("Group factor                   = {group} (cheating!)"),
        );
    }

    // A(i, j) is stored at [j, i]: a grid line j is a row. One ghost column on the left.
    let grid = Grid::with_dims(&[n, m], &[1, p as usize])?;
    let mut a = DistArray::<f64, Ix2>::from_fn(world, grid, |g| match (g[0], g[1]) {
        (0, i) => i as f64,
        (j, 0) => j as f64,
        _ => 0.0,
    })?;
    a.set_halo(Halo::new(2, 0).width(1, 1, 0))?;
    let i0 = a.offset()[1];
    let width = a.local().ncols() + 1;
    // The ghost of line 0 holds A(i0 - 1, 0) = i0 - 1, as the reference sets it.
    let left = if rank > 0 { rank - 1 } else { PROC_NULL };
    let right = if rank + 1 < p { rank + 1 } else { PROC_NULL };
    let last = p - 1;
    {
        let mut padded = a.padded_mut();
        padded[[0, 0]] = i0 as f64 - 1.0;
    }
    // Rank 0 skips global column 0 (the fixed boundary).
    let start = if rank == 0 { 2 } else { 1 };
    let mut inbox = vec![0.0f64; group];
    let mut timer = Timer::new();
    for iter in 0..=iterations {
        timer.start(world, iter);
        let mut padded = a.padded_mut();
        let cells = padded.as_slice_mut().expect("a padded block is contiguous");
        let mut j = 1;
        while j < n {
            let lines = group.min(n - j);
            if group == 1 {
                world.receive_array_into(
                    Some(left),
                    Some(j as i32),
                    &mut cells[j * width..j * width + 1],
                )?;
            } else {
                world.receive_array_into(Some(left), Some(j as i32), &mut inbox[..lines])?;
                if left != PROC_NULL {
                    for (k, &v) in inbox[..lines].iter().enumerate() {
                        cells[(j + k) * width] = v;
                    }
                }
            }
            for jj in j..j + lines {
                let (above, line) = cells[(jj - 1) * width..(jj + 1) * width].split_at_mut(width);
                sweep(&above[start - 1..], &mut line[start - 1..]);
            }
            if group == 1 {
                world.send_array(
                    right,
                    j as i32,
                    &cells[j * width + width - 1..(j + 1) * width],
                )?;
            } else {
                for (k, v) in inbox[..lines].iter_mut().enumerate() {
                    *v = cells[(j + k) * width + width - 1];
                }
                world.send_array(right, j as i32, &inbox[..lines])?;
            }
            j += lines;
        }
        // The corner, negated, back to A(0, 0) on rank 0.
        let corner = -cells[n * width - 1];
        if p == 1 {
            cells[1] = corner;
        } else if rank == last {
            world.send_array(0, 888, &[corner])?;
        } else if rank == 0 {
            world.receive_array_into(Some(last), Some(888), &mut cells[1..2])?;
        }
    }
    let mut avg = timer.average(world, iterations)?;
    // Verified on the last rank, which holds the corner; every rank learns the outcome.
    let corner = a.padded()[[n - 1, width - 1]];
    let want = ((iterations + 1) * (m + n - 2)) as f64;
    let mine = if rank == last { corner } else { 0.0 };
    let corner = world.allreduce_scalar(mine, mpikit::ReduceOp::Sum)?;
    if (corner - want).abs() / want >= 1e-8 {
        say(
            world,
            format!(
                "ERROR: checksum {} does not match verification value {}",
                lf(corner),
                lf(want)
            ),
        );
        return Ok(Outcome::Failed);
    }
    if group > 1 {
        avg = -avg;
    }
    let flops = 2.0 * ((m - 1) * (n - 1)) as f64;
    Ok(validated(world, "MFlops/s", 1e-6 * flops / avg, avg, " "))
}

/// `line[i] = line[i-1] + (above[i] - above[i-1])` for i from 1: one add on the chain from
/// point to point (the difference does not wait for it), the running value in a register.
fn sweep(above: &[f64], line: &mut [f64]) {
    let mut prev = line[0];
    for (x, d) in line[1..].iter_mut().zip(above.windows(2)) {
        prev += d[1] - d[0];
        *x = prev;
    }
}

fn main() -> ExitCode {
    kernel_main("prk-p2p", p2p)
}
