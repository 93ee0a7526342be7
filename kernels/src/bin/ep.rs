//! NPB EP on mpikit: 2^(m+1) uniform numbers from NPB's generator, taken in pairs, the pairs
//! inside the unit circle turned into Gaussian deviates (Marsaglia's polar method), their sums
//! and a count per annulus. Batches of 2^17 numbers are split over the ranks
//! (`Blocks::block`) and over each rank's threads; every batch starts from its own seed (a
//! jump ahead in the sequence), so the answer does not depend on the split. One allreduce of
//! the sums and counts.
//!
//! `mpirun -n 4 target/release/npb-ep A` (NPB: `ep.A.x`).

use std::process::ExitCode;

use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::rayon::prelude::*;
use mpikit::{Error, ReduceOp, World};
use mpikit_kernels::npb::{
    banner, finish, fortran_d, power, vranlc, Args, Class, Report, Size, MULTIPLIER,
};
use mpikit_kernels::{kernel_main, Outcome};

/// log2 of the numbers per batch, over 2.
const MK: u32 = 16;
/// Annuli counted.
const NQ: usize = 10;
/// NPB's seed.
const SEED: f64 = 271_828_183.0;

/// log2 of the pairs: NPB's `m`.
fn m_of(class: Class) -> u32 {
    match class {
        Class::S => 24,
        Class::W => 25,
        Class::A => 28,
        Class::B => 30,
        Class::C => 32,
    }
}

/// NPB's published sums (sx, sy) for `m`, digit for digit as NPB writes them.
#[allow(clippy::excessive_precision)]
fn published(m: u32) -> (f64, f64) {
    match m {
        24 => (-3.247_834_652_034_740e3, -6.958_407_078_382_297e3),
        25 => (-2.863_319_731_645_753e3, -6.320_053_679_109_499e3),
        28 => (-4.295_875_165_629_892e3, -1.580_732_573_678_431e4),
        30 => (4.033_815_542_441_498e4, -2.660_669_192_809_235e4),
        _ => (4.764_367_927_995_374e4, -8.084_072_988_043_731e4),
    }
}

/// Sums and annulus counts of one rank's (or thread's) batches.
#[derive(Clone, Copy)]
struct Tally {
    sx: f64,
    sy: f64,
    q: [f64; NQ],
}

impl Tally {
    const ZERO: Tally = Tally {
        sx: 0.0,
        sy: 0.0,
        q: [0.0; NQ],
    };

    fn add(mut self, other: Tally) -> Tally {
        self.sx += other.sx;
        self.sy += other.sy;
        for (a, b) in self.q.iter_mut().zip(other.q) {
            *a += b;
        }
        self
    }
}

/// Batch `k`: 2^(MK+1) numbers from seed SEED · an^k, where an advances 2^(MK+1) steps.
fn batch(k: u64, an: f64, x: &mut [f64]) -> Tally {
    let mut seed = SEED;
    mpikit_kernels::npb::randlc(&mut seed, power(an, k));
    vranlc(&mut seed, MULTIPLIER, x);
    let mut t = Tally::ZERO;
    for pair in x.chunks_exact(2) {
        let x1 = 2.0 * pair[0] - 1.0;
        let x2 = 2.0 * pair[1] - 1.0;
        let r = x1 * x1 + x2 * x2;
        if r <= 1.0 {
            let f = (-2.0 * r.ln() / r).sqrt();
            let (g1, g2) = (x1 * f, x2 * f);
            let l = g1.abs().max(g2.abs()) as usize;
            if l < NQ {
                t.q[l] += 1.0;
            }
            t.sx += g1;
            t.sy += g2;
        }
    }
    t
}

fn ep(world: &World, args: Args) -> Result<Outcome, Error> {
    let m = m_of(args.class);
    let nn = 1u64 << (m - MK);
    let p = world.size_count();
    banner(world, "EP");
    if world.is_root() {
        println!(
            " Number of random numbers generated: {:>15}  (class {})",
            1u64 << (m + 1),
            args.class.letter()
        );
        println!(" Total number of processes:          {p:>15}\n");
    }
    if (nn as usize) < p {
        return Ok(Outcome::Invalid(format!(
            "Too many processes: {p} for {nn} batches"
        )));
    }
    let an = power(MULTIPLIER, 1 << (MK + 1));
    let pool = world.pool();
    world.barrier();
    let start = mpikit::mpi::time();
    let batches = world.block(nn as usize);
    let mine = pool.install(|| {
        batches
            .into_par_iter()
            .map_init(|| vec![0.0; 2 << MK], |x, k| batch(k as u64, an, x))
            .reduce(|| Tally::ZERO, Tally::add)
    });
    let sums = world.allreduce_array(&vec![mine.sx, mine.sy], ReduceOp::Sum)?;
    let q = world.allreduce_array(&mine.q.to_vec(), ReduceOp::Sum)?;
    let tm = world.allreduce_scalar(mpikit::mpi::time() - start, ReduceOp::Max)?;
    let (sx, sy) = (sums[0], sums[1]);
    let (vx, vy) = published(m);
    let (ex, ey) = (((sx - vx) / vx).abs(), ((sy - vy) / vy).abs());
    let verified = ex <= 1e-8 && ey <= 1e-8;
    let gc: f64 = q.iter().sum();
    let mops = 2f64.powi(m as i32 + 1) / tm / 1e6;
    if world.is_root() {
        println!("EP Benchmark Results:\n");
        println!("CPU Time ={tm:>10.4}");
        println!("N = 2^{m:>5}");
        println!("No. Gaussian Pairs ={gc:>15.0}");
        println!("Sums = {:>25}{:>25}", fortran_d(sx, 15), fortran_d(sy, 15));
        println!("Counts:");
        for (i, c) in q.iter().enumerate() {
            println!("{i:>3}{c:>15.0}");
        }
    }
    finish(
        world,
        &Report {
            name: "EP",
            class: args.class,
            size: Size::Ep(2f64.powi(m as i32 + 1)),
            iterations: 0,
            seconds: tm,
            mops,
            operation: "Random numbers generated",
            verified,
        },
    )
}

fn main() -> ExitCode {
    kernel_main("npb-ep", ep)
}
