//! NPB IS on mpikit: integer keys from NPB's generator (each the sum of four uniforms,
//! scaled), ranked ten times with two keys changed before each ranking. The ranking is
//! mpikit's distributed sort of the key array (`DistArray::sort`: a radix sort per rank,
//! exact splitters, one alltoallv, a merge), and a key's rank is then the number of keys
//! below it: a binary search in each rank's sorted block and one allreduce. Partial
//! verification checks five keys' ranks against NPB's published ranks every iteration; full
//! verification checks the final order across ranks.
//!
//! `mpirun -n 4 target/release/npb-is A` (NPB: `is.A.x`; a power-of-two rank count).

use std::process::ExitCode;

use mpikit::mpi::traits::*;
use mpikit::ndarray::{Array1, Ix1};
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, ReduceOp, World};
use mpikit_kernels::npb::{
    banner, finish, randlc, skip, Args, Class, Progress, Report, Size, MULTIPLIER,
};
use mpikit_kernels::{kernel_main, Outcome};

const ITERATIONS: usize = 10;
const SEED: f64 = 314_159_265.0;

/// NPB's sizes: (log2 of the keys, log2 of the largest key), the five test keys' indices and
/// their published ranks.
fn problem(class: Class) -> (u32, u32, [i64; 5], [i64; 5]) {
    match class {
        Class::S => (
            16,
            11,
            [48427, 17148, 23627, 62548, 4431],
            [0, 18, 346, 64917, 65463],
        ),
        Class::W => (
            20,
            16,
            [357773, 934767, 875723, 898999, 404505],
            [1249, 11698, 1039987, 1043896, 1048018],
        ),
        Class::A => (
            23,
            19,
            [2112377, 662041, 5336171, 3642833, 4250760],
            [104, 17523, 123928, 8288932, 8388264],
        ),
        Class::B => (
            25,
            21,
            [41869, 812306, 5102857, 18232239, 26860214],
            [33422937, 10244, 59149, 33135281, 99],
        ),
        Class::C => (
            27,
            23,
            [44172927, 72999161, 74326391, 129606274, 21736814],
            [61147, 882988, 266290, 133997595, 133525895],
        ),
    }
}

/// The published rank of test key `i` at `iteration` (NPB shifts it per class).
fn expected_rank(class: Class, published: i64, i: usize, iteration: i64) -> i64 {
    let up = match class {
        Class::S | Class::C => i <= 2,
        Class::W => i < 2,
        Class::A => i <= 2,
        Class::B => i == 1 || i == 2 || i == 4,
    };
    let shift = match class {
        Class::W if i < 2 => iteration - 2,
        Class::A => iteration - 1,
        _ => iteration,
    };
    if up {
        published + shift
    } else {
        published - shift
    }
}

/// This rank's keys: NPB's `create_seq` from the rank's seed (its block of the sequence).
fn keys(n: usize, first: usize, max_key: i32) -> Vec<i32> {
    // Four uniforms per key: this rank's keys start 4·first numbers into the sequence.
    let mut seed = skip(SEED, MULTIPLIER, 4 * first as u64);
    let k = (max_key / 4) as f64;
    (0..n)
        .map(|_| {
            let x: f64 = (0..4).map(|_| randlc(&mut seed, MULTIPLIER)).sum();
            (k * x) as i32
        })
        .collect()
}

/// One ranking: changes two keys (on the rank holding them), sorts, and checks the test keys'
/// ranks; returns the sorted keys and how many test keys passed.
fn rank(
    keys: &mut DistArray<i32, Ix1>,
    class: Class,
    iteration: usize,
    max_key: i32,
) -> Result<(DistArray<i32, Ix1>, usize), Error> {
    let (_, _, test_index, test_rank) = problem(class);
    for (index, value) in [
        (iteration, iteration as i32),
        (iteration + ITERATIONS, max_key - iteration as i32),
    ] {
        if let Some(local) = keys.local_index(&[index]) {
            keys.local_mut()[local[0]] = value;
        }
    }
    // The test keys' values, from the ranks holding them.
    let mine: Vec<i64> = test_index
        .iter()
        .map(|&i| {
            keys.local_index(&[i as usize])
                .map_or(0, |l| keys.local()[l[0]] as i64)
        })
        .collect();
    let comm = keys.comm();
    let test_keys = comm.allreduce_array(&mine, ReduceOp::Sum)?;
    let sorted = keys.sort()?;
    let below: Vec<i64> = test_keys
        .iter()
        .map(|&k| {
            let s = sorted.local();
            let s = s.as_slice().expect("a 1-D block is contiguous");
            s.partition_point(|&x| (x as i64) < k) as i64
        })
        .collect();
    let ranks = comm.allreduce_array(&below, ReduceOp::Sum)?;
    let mut passed = 0;
    for (i, &r) in ranks.iter().enumerate() {
        let want = expected_rank(class, test_rank[i], i, iteration as i64);
        if r == want {
            passed += 1;
        } else if comm.rank() == 0 {
            println!(
                "Failed partial verification: iteration {iteration}, test key {i}, key rank {r}"
            );
        }
    }
    Ok((sorted, passed))
}

/// NPB's full verification: each rank's keys in order and not below the previous rank's.
/// Returns the number of ranks whose keys are in order.
fn full_verify(world: &World, sorted: &DistArray<i32, Ix1>) -> Result<usize, Error> {
    let s = sorted.local();
    let s = s.as_slice().expect("a 1-D block is contiguous");
    let mut wrong = s.windows(2).filter(|w| w[0] > w[1]).count();
    let ends = world.allgather_objects(&(s.first().copied(), s.last().copied()))?;
    let before = ends[..world.rank_index()].iter().rev().find_map(|e| e.1);
    if let (Some(prev), Some(&first)) = (before, s.first()) {
        wrong += usize::from(prev > first);
    }
    if wrong > 0 {
        println!(
            "Processor {}:  Full_verify: number of keys out of sort: {wrong}",
            world.rank()
        );
    }
    world.allreduce_scalar(usize::from(wrong == 0), ReduceOp::Sum)
}

fn is(world: &World, args: Args) -> Result<Outcome, Error> {
    let class = args.class;
    let (keys_log2, max_log2, _, _) = problem(class);
    let (total, max_key) = (1usize << keys_log2, 1i32 << max_log2);
    let p = world.size_count();
    banner(world, "IS");
    if world.is_root() {
        println!(" Size:  {total}  (class {})", class.letter());
        println!(" Iterations:   {ITERATIONS}");
        println!(" Number of processes:     {p}");
    }
    let most = if class == Class::S { 128 } else { 1024 };
    if !p.is_power_of_two() || p > most {
        return Ok(Outcome::Invalid(format!(
            "Number of processes ({p}) is not a power of two up to {most}"
        )));
    }
    let grid = Grid::rows(&[total], p);
    let n = grid.block_shape(world.rank_index())[0];
    let first = grid.block_offset(world.rank_index())[0];
    let local = Array1::from_vec(keys(n, first, max_key));
    let mut key_array = DistArray::from_local(world, grid, local)?;
    rank(&mut key_array, class, 1, max_key)?; // untimed, as NPB does
    if world.is_root() && class != Class::S {
        println!("\n   iteration");
    }
    let mut progress = Progress::new();
    world.barrier();
    let start = mpikit::mpi::time();
    let mut passed = 0;
    let mut last = None;
    for iteration in 1..=ITERATIONS {
        if world.is_root() && class != Class::S {
            progress.line(format_args!("        {iteration}"));
        }
        // The last ranking's array freed first, so this one can reuse its memory.
        drop(last.take());
        let (sorted, ok) = rank(&mut key_array, class, iteration, max_key)?;
        passed += ok;
        last = Some(sorted);
    }
    let seconds = world.allreduce_scalar(mpikit::mpi::time() - start, ReduceOp::Max)?;
    progress.flush();
    let sorted = last.expect("ten iterations");
    passed += full_verify(world, &sorted)?;
    let verified = passed == 5 * ITERATIONS + p;
    finish(
        world,
        &Report {
            name: "IS",
            class,
            size: Size::Count(total as u64),
            iterations: ITERATIONS,
            seconds,
            mops: (ITERATIONS * total) as f64 / seconds / 1e6,
            operation: "keys ranked",
            verified,
        },
    )
}

fn main() -> ExitCode {
    kernel_main("npb-is", is)
}
