//! Distributed sort, argsort and unique of 1-D DistArrays on 1, 2, 3, 4 and 8 ranks, with
//! MPI's message sizes, with 64-byte pieces and with 3 threads per rank (the merges): every element type that sorts, data with many
//! ties, NaNs (of both signs), `-0.0` beside `0.0`, extremes, and blocks that are even,
//! uneven, or empty on some ranks (all on one rank included), lengths below and above the
//! radix sort's threshold. Every result is checked bit for bit against the whole array
//! sorted here with std's stable sort and a comparator written in this file (numpy's order),
//! and the result's blocks against `Grid::rows`.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use std::cmp::Ordering;
use std::fmt::Debug;

use mpikit::distarray::SortElement;
use mpikit::ndarray::{Array1, Ix1};
use mpikit::runtime::{MAX_MESSAGE_ENV, THREADS_ENV};
use mpikit::{DistArray, Error, Grid, World};

fn main() {
    // MPICH's ranks poll without yielding: at 8 ranks on 2 cores each of the sorts' small
    // collectives waits for the scheduler, so the second MPI runs the default settings only.
    let envs: &[&[(&str, &str)]] = if common::on_mpich() {
        &[&[]]
    } else {
        &[&[], &[(MAX_MESSAGE_ENV, "64")], &[(THREADS_ENV, "3")]]
    };
    common::spmd_main("sort", common::RANKS, envs, rank_checks);
}

fn rank_checks() {
    common::run_checks("sort", &[floats, integers, small_types, from_a_local_block]);
}

/// A mixing hash of `i`: the test data's source of disorder.
fn mix(i: usize) -> u64 {
    let mut x = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// numpy's order of floats: NaNs after everything, -0.0 == 0.0.
fn float_order(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).expect("no NaN here"),
    }
}

/// The block layouts of `n` elements tried on `p` ranks: even, uneven (rank r holds r + 1
/// parts), everything on the last rank, and empty even ranks.
fn layouts(n: usize, p: usize) -> Vec<Grid> {
    let weights: [Vec<usize>; 3] = [
        (0..p).map(|r| r + 1).collect(),
        (0..p).map(|r| usize::from(r == p - 1)).collect(),
        (0..p).map(|r| r % 2).collect(),
    ];
    let mut grids = vec![Grid::rows(&[n], p)];
    for w in weights {
        let total: usize = w.iter().sum::<usize>().max(1);
        let mut counts: Vec<usize> = w.iter().map(|x| n * x / total).collect();
        let short = n - counts.iter().sum::<usize>();
        let last = (0..p).rev().find(|&r| w[r] > 0).unwrap_or(p - 1);
        counts[last] += short;
        grids.push(Grid::with_counts(&[n], vec![counts]).expect("counts sum to n"));
    }
    grids
}

/// Sorts, argsorts and uniques the array `f(0..n)` on every layout and checks each against
/// the whole array computed and sorted here; `same` compares two values bit for bit.
fn check<T: SortElement + Debug>(
    world: &World,
    what: &str,
    f: impl Fn(usize) -> T + Sync + Send,
    order: impl Fn(&T, &T) -> Ordering,
    same: impl Fn(&T, &T) -> bool,
) -> Result<(), Error> {
    let p = world.size() as usize;
    for n in [0, 1, 7, 1000, 5000 * p + 3] {
        let whole: Vec<T> = (0..n).map(&f).collect();
        let mut by_index: Vec<usize> = (0..n).collect();
        by_index.sort_by(|&a, &b| order(&whole[a], &whole[b])); // stable
        let sorted: Vec<T> = by_index.iter().map(|&i| whole[i]).collect();
        let mut distinct: Vec<(T, usize)> = Vec::new();
        for &x in &sorted {
            match distinct.last_mut() {
                Some((v, c)) if order(v, &x) == Ordering::Equal => *c += 1,
                _ => distinct.push((x, 1)),
            }
        }
        for grid in layouts(n, p) {
            let at = format!("{what}, n = {n}, blocks {:?}", grid.counts(0));
            let a = DistArray::<T, Ix1>::from_fn(world, grid, |i| f(i[0]))?;
            let s = a.sort()?;
            assert_eq!(s.grid(), &Grid::rows(&[n], p), "{at}: sort's blocks");
            let lo = s.offset()[0];
            let mine = s.local();
            assert_eq!(mine.len(), s.grid().block_shape(world.rank() as usize)[0]);
            for (k, x) in mine.iter().enumerate() {
                assert!(
                    same(x, &sorted[lo + k]),
                    "{at}: sorted[{}] is {x:?}, expected {:?}",
                    lo + k,
                    sorted[lo + k]
                );
            }
            let idx = a.argsort()?;
            assert_eq!(idx.grid(), &Grid::rows(&[n], p), "{at}: argsort's blocks");
            assert_eq!(
                idx.local().to_vec(),
                by_index[lo..lo + mine.len()].to_vec(),
                "{at}: argsort"
            );
            let (values, counts) = a.unique()?;
            assert_eq!(values.grid(), counts.grid(), "{at}: unique's two arrays");
            let (values, counts) = (values.allgather()?, counts.allgather()?);
            assert_eq!(
                values.len(),
                distinct.len(),
                "{at}: number of distinct values"
            );
            for (k, (v, c)) in distinct.iter().enumerate() {
                assert!(
                    same(&values[k], v),
                    "{at}: unique[{k}] {:?} != {v:?}",
                    values[k]
                );
                assert_eq!(counts[k], *c, "{at}: count of {v:?}");
            }
        }
    }
    Ok(())
}

fn floats(world: &World) -> Result<(), Error> {
    // Ties (a value in 0..50), both NaNs, both zeros, infinities, and values over every
    // exponent, in mixed order.
    let f64_at = |i: usize| {
        let h = mix(i);
        match h % 16 {
            0 => f64::NAN,
            1 => -f64::NAN,
            2 => -0.0,
            3 => 0.0,
            4 => f64::INFINITY,
            5 => f64::NEG_INFINITY,
            6..=9 => (h >> 8) as f64 % 50.0 - 25.0,
            _ => f64::from_bits(h >> 2) * if h & 1 == 1 { -1.0 } else { 1.0 },
        }
    };
    let bits64 = |a: &f64, b: &f64| a.to_bits() == b.to_bits();
    check(world, "f64", f64_at, |a, b| float_order(*a, *b), bits64)?;
    let f32_at = |i: usize| f64_at(i) as f32;
    let bits32 = |a: &f32, b: &f32| a.to_bits() == b.to_bits();
    check(
        world,
        "f32",
        f32_at,
        |a, b| float_order(*a as f64, *b as f64),
        bits32,
    )
}

fn integers(world: &World) -> Result<(), Error> {
    let i64_at = |i: usize| match mix(i) % 8 {
        0 => i64::MIN,
        1 => i64::MAX,
        2 => -1,
        _ => mix(i + 1) as i64 >> (mix(i) % 60),
    };
    check(world, "i64", i64_at, |a, b| a.cmp(b), |a, b| a == b)?;
    check(
        world,
        "i32",
        |i| (mix(i) % 2000) as i32 - 1000,
        |a, b| a.cmp(b),
        |a, b| a == b,
    )?;
    check(world, "u64", mix, |a, b| a.cmp(b), |a, b| a == b)?;
    // Value ranges on both sides of the counting sort's limit (a block's length, at least
    // 4096 values): far from zero, negative, and with gaps.
    for (values, step) in [
        (4000u64, 1i64),
        (1500, 3),
        (4097, 1),
        (6000, 1),
        (40_000, 1),
    ] {
        check(
            world,
            &format!("i64, {values} values {step} apart"),
            |i| (mix(i) % values) as i64 * step - 1_000_000_007,
            |a, b| a.cmp(b),
            |a, b| a == b,
        )?;
    }
    check(
        world,
        "usize",
        |i| mix(i) as usize % 97,
        |a, b| a.cmp(b),
        |a, b| a == b,
    )
}

fn small_types(world: &World) -> Result<(), Error> {
    check(
        world,
        "i8",
        |i| mix(i) as i8,
        |a, b| a.cmp(b),
        |a, b| a == b,
    )?;
    check(
        world,
        "u16",
        |i| mix(i) as u16,
        |a, b| a.cmp(b),
        |a, b| a == b,
    )?;
    check(
        world,
        "bool",
        |i| mix(i) % 3 == 0,
        |a, b| a.cmp(b),
        |a, b| a == b,
    )
}

/// An array built from each rank's own block (`from_local`), at a size where each rank
/// receives many runs to merge.
fn from_a_local_block(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    let n = 40_000;
    let grid = Grid::rows(&[n], p);
    let block = grid.block_shape(world.rank() as usize)[0];
    let first = grid.block_offset(world.rank() as usize)[0];
    let local = Array1::from_shape_fn(block, |k| (mix(first + k) % 1000) as i64);
    let a = DistArray::from_local(world, grid, local)?;
    let mut whole: Vec<i64> = (0..n).map(|i| (mix(i) % 1000) as i64).collect();
    whole.sort();
    let s = a.sort()?;
    let lo = s.offset()[0];
    assert_eq!(s.local().to_vec(), whole[lo..lo + s.local().len()].to_vec());
    Ok(())
}
