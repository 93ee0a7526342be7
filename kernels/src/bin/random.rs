//! PRK Random on mpikit: random-access updates (`Table[k] ^= x`) of a table distributed over a
//! power-of-two number of ranks, in batches of 1024 values per rank: each batch is bucketed by
//! owner, the counts go through `alltoall_array_into` and the values through
//! `alltoallv_array_into` (caller buffers, no allocation per batch), and the owners apply
//! them. Two identical rounds restore the table, which is the verification.
//!
//! `mpirun -n 2 target/release/prk-random 16 26` (the reference: `random 16 26`; its
//! arguments are the update ratio, then log2 of the table size).

use std::process::ExitCode;

use clap::Parser;
use mpikit::mpi::traits::*;
use mpikit::ndarray::Ix1;
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, ReduceOp, World};
use mpikit_kernels::{kernel_main, lf, say, Common, Outcome, PRK_VERSION};

/// Values each rank generates per batch (the reference's LOOKAHEAD).
const BATCH: usize = 1024;
const POLY: u64 = 7;
const PERIOD: i64 = 1_317_624_576_693_539_401;
const SEQSEED: i64 = 834_568_137_686_317_453;

/// PRK Random on mpikit.
#[derive(Parser, Debug)]
#[command(name = "prk-random", version)]
struct Args {
    /// Updates per table element (a power of two).
    update_ratio: u64,
    /// log2 of the table size (over all ranks).
    log2_table: u32,
    #[command(flatten)]
    common: Common,
}

mpikit_kernels::kernel_args!(Args);

/// One step of the reference's LFSR.
fn step(x: u64) -> u64 {
    (x << 1) ^ if (x as i64) < 0 { POLY } else { 0 }
}

/// The reference's `PRK_starts`: the LFSR's `n`-th value.
fn starts(mut n: i64) -> u64 {
    while n < 0 {
        n += PERIOD;
    }
    while n > PERIOD {
        n -= PERIOD;
    }
    if n == 0 {
        return 1;
    }
    let mut m2 = [0u64; 64];
    let mut temp = 1u64;
    for m in m2.iter_mut() {
        *m = temp;
        temp = step(step(temp));
    }
    let mut i = 62;
    while i > 0 && (n >> i) & 1 == 0 {
        i -= 1;
    }
    let mut ran = 2u64;
    while i > 0 {
        let mut t = 0;
        for (j, m) in m2.iter().enumerate() {
            if (ran >> j) & 1 == 1 {
                t ^= m;
            }
        }
        ran = t;
        i -= 1;
        if (n >> i) & 1 == 1 {
            ran = step(ran);
        }
    }
    ran
}

fn random(world: &World, args: Args) -> Result<Outcome, Error> {
    let (ratio, log2_table) = (args.update_ratio, args.log2_table);
    let (rank, p) = (world.rank_index(), world.size_count());
    say(world, PRK_VERSION);
    say(world, "MPI Random Access");
    if !ratio.is_power_of_two() {
        return Ok(Outcome::Invalid(format!(
            "Invalid update ratio: {ratio}, must be a power of 2"
        )));
    }
    if !p.is_power_of_two() {
        return Ok(Outcome::Invalid(format!(
            "Invalid number of ranks: {p}, must be a power of 2"
        )));
    }
    let log2_ranks = p.trailing_zeros();
    if !(1..=40).contains(&log2_table) || log2_table < log2_ranks {
        return Ok(Outcome::Invalid(format!(
            "Log2 tablesize is {log2_table}; must be between log2 of the ranks ({log2_ranks}) and 40"
        )));
    }
    let local = 1usize << (log2_table - log2_ranks);
    let table_size = local * p;
    let updates = ratio as usize * local; // per rank
    if updates < BATCH * 2 {
        return Ok(Outcome::Invalid(format!(
            "Table size ({table_size}) times update ratio ({ratio}) must be at least equal to \
             number of ranks ({p}) times 2 x vector length ({BATCH})"
        )));
    }
    say(world, format!("Number of ranks               = {p:>16}"));
    say(
        world,
        format!("Table size (aggregate)        = {table_size:>16}"),
    );
    say(
        world,
        format!("Update ratio                  = {ratio:>16}"),
    );
    say(
        world,
        format!("Number of updates (aggregate) = {:>16}", updates * p),
    );
    say(
        world,
        format!("Vector (LOOKAHEAD) length     = {BATCH:>16}"),
    );

    // The table: a DistArray of blocks of `local` elements, by global index.
    let grid = Grid::rows(&[table_size], p);
    let mut table = DistArray::<u64, Ix1>::from_fn(world, grid, |i| i[0] as u64)?;
    let shift = log2_table - log2_ranks;
    let mask = (table_size - 1) as u64;
    let mut ran = [0u64; BATCH];
    let mut send = vec![0u64; BATCH * p];
    let mut recv = vec![0u64; BATCH * p];
    let (mut send_counts, mut recv_counts) = (vec![0usize; p], vec![0usize; p]);
    let mut packed = vec![0u64; BATCH];
    world.barrier();
    let started = mpikit::mpi::time();
    for _round in 0..2 {
        for (j, r) in ran.iter_mut().enumerate() {
            *r = starts(SEQSEED + (updates / BATCH * j + local * rank) as i64);
        }
        for _ in 0..updates / (BATCH * 2) {
            send_counts.fill(0);
            for r in ran.iter_mut() {
                *r = step(*r);
                let owner = ((*r & mask) >> shift) as usize;
                send[owner * BATCH + send_counts[owner]] = *r;
                send_counts[owner] += 1;
            }
            world.alltoall_array_into(&send_counts, &mut recv_counts)?;
            // The buckets, packed in rank order for the exchange.
            let mut at = 0;
            for (owner, &c) in send_counts.iter().enumerate() {
                packed[at..at + c].copy_from_slice(&send[owner * BATCH..owner * BATCH + c]);
                at += c;
            }
            world.alltoallv_array_into(&packed[..at], &send_counts, &mut recv, &recv_counts)?;
            let total: usize = recv_counts.iter().sum();
            let mut block = table.local_mut();
            let cells = block
                .as_slice_mut()
                .expect("a block without ghosts is contiguous");
            for &v in &recv[..total] {
                cells[(v as usize) & (local - 1)] ^= v;
            }
        }
    }
    let time = mpikit::mpi::time() - started;
    let wrong = table
        .local()
        .iter()
        .enumerate()
        .filter(|&(i, &v)| v != (i + local * rank) as u64)
        .count() as u64;
    let wrong = world.allreduce_scalar(wrong, ReduceOp::Sum)?;
    if wrong != 0 {
        say(
            world,
            format!("Total number of incorrect table elements: {wrong:>16}"),
        );
        return Ok(Outcome::Failed);
    }
    // Rank 0's clock, as the reference reports it.
    let mut time = [time];
    world.broadcast_array_into(0, &mut time)?;
    let time = time[0];
    say(world, "Solution validates");
    say(
        world,
        format!(
            "Rate (GUPS/s): {}, Time (s): {}",
            lf(1e-9 * (updates * p) as f64 / time),
            lf(time)
        ),
    );
    Ok(Outcome::Validated)
}

fn main() -> ExitCode {
    kernel_main("prk-random", random)
}

#[cfg(test)]
mod tests {
    /// The reference's values, from its C function.
    #[test]
    fn starts_matches_the_reference() {
        assert_eq!(super::starts(0), 1);
        assert_eq!(super::starts(1), 2);
        assert_eq!(super::starts(2), 4);
        assert_eq!(super::starts(64), 7);
        assert_eq!(super::starts(super::SEQSEED), 0x4afab41f6e495c92);
        assert_eq!(super::step(0x4afab41f6e495c92), 0x95f5683edc92b924);
    }
}
