//! Exact medians and quantiles by every route the selection can take, on 1, 2, 3, 4 and 8
//! ranks: the one bracketed pass (a source with a good sample), the fallback to the radix
//! passes when the sample misleads (every wanted rank outside its bracket) or when the
//! brackets would keep too many values (more than 2^22 values on a rank),
//! and the radix passes alone (a source without a sample); uneven and empty blocks. Every
//! answer is checked against a sorted copy of the global data computed here.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::prelude::*;
use mpikit::stats::{
    median, quantiles, Fold, InMemory, Init, Merge, NanPolicy, Passes, QuantileMethod,
};
use mpikit::{Error, World};

fn main() {
    common::spmd_main("selection", common::RANKS, &[&[]], rank_checks);
}

/// Values in memory whose sample is whatever the test says (`None`: InMemory's own).
struct Sampled<'a> {
    data: InMemory<'a>,
    sample: Option<Vec<f64>>,
}

impl Passes for Sampled<'_> {
    fn pass<A: Send>(&self, init: Init<A>, fold: Fold<A>, merge: Merge<A>) -> mpikit::Result<A> {
        self.data.pass(init, fold, merge)
    }

    fn sample(&self, want: usize) -> mpikit::Result<Vec<f64>> {
        match &self.sample {
            Some(s) => Ok(s.clone()),
            None => self.data.sample(want),
        }
    }
}

/// numpy's linear quantile from the `k`-th smallest values (its `_lerp`).
fn linear(m: usize, kth: &mut impl FnMut(usize) -> f64, q: f64) -> f64 {
    let h = (m - 1) as f64 * q;
    let lo = h.floor() as usize;
    let (x, y, t) = (kth(lo), kth((lo + 1).min(m - 1)), h - h.floor());
    if t >= 0.5 {
        y - (y - x) * (1.0 - t)
    } else {
        x + (y - x) * t
    }
}

/// Median and five linear quantiles of the global data `f(0..n)` (this rank holding its
/// block) through a source with `sample`, against the global data's order statistics found
/// here by `select_nth_unstable`.
fn check(
    world: &World,
    n: usize,
    f: impl Fn(usize) -> f64,
    sample: impl Fn(&[f64]) -> Option<Vec<f64>>,
    what: &str,
) -> Result<(), Error> {
    let mine: Vec<f64> = world.block(n).map(&f).collect();
    let source = Sampled {
        data: InMemory {
            data: &mine,
            pool: world.pool(),
        },
        sample: sample(&mine),
    };
    let mut all: Vec<f64> = (0..n).map(f).collect();
    let mut kth = |k: usize| *all.select_nth_unstable_by(k, f64::total_cmp).1;
    let mid = if n % 2 == 1 {
        kth(n / 2)
    } else {
        (kth(n / 2 - 1) + kth(n / 2)) / 2.0
    };
    assert_eq!(
        median(world, &source, NanPolicy::Propagate)?,
        mid,
        "{what}: median"
    );
    let qs = [0.0, 0.013, 0.5, 0.9871, 1.0];
    let got = quantiles(
        world,
        &source,
        &qs,
        QuantileMethod::Linear,
        NanPolicy::Propagate,
    )?;
    let want: Vec<f64> = qs.iter().map(|&q| linear(n, &mut kth, q)).collect();
    assert_eq!(got, want, "{what}: quantiles");
    Ok(())
}

/// Random-looking values by index (a 64-bit mix), in [0, 1).
fn mix(i: usize) -> f64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / 2f64.powi(64)
}

fn rank_checks() {
    mpikit::run(|world| {
        let size = world.size() as usize;
        // The one bracketed pass: InMemory's own sample of random and of sorted data.
        check(world, 200_003, mix, |_| None, "random")?;
        check(
            world,
            100_000,
            |i| i as f64 - 5e4,
            |x| Some(every_kth(x)),
            "sorted",
        )?;
        // A misleading sample: every bracket sits above the data, so every wanted rank
        // falls outside it and the radix passes answer.
        check(
            world,
            50_001,
            mix,
            |_| Some(vec![7.0; 4096]),
            "misleading sample",
        )?;
        // No sample at all: the radix passes alone.
        check(
            world,
            30_000,
            |i| (i % 977) as f64,
            |_| Some(Vec::new()),
            "no sample",
        )?;
        // Heavy duplicates: the bracket is one value, holding most of the data.
        check(
            world,
            100_000,
            |i| if i % 100 == 0 { mix(i) } else { 0.5 },
            |x| Some(every_kth(x)),
            "duplicates",
        )?;
        // Too many values inside a bracket (a sample that brackets all of [0, 1), and more
        // than 2^22 distinct values a rank): the one pass keeps no more, gives up, and the
        // radix passes answer. Up to 4 ranks (the check sorts 2^22 values per rank here).
        if size <= 4 {
            let wide = |_: &[f64]| Some([vec![0.0; 2048], vec![1.0; 2048]].concat());
            check(
                world,
                ((1 << 22) + 10_000) * size,
                mix,
                wide,
                "overfull bracket",
            )?;
        }
        // NaNs (positive and negative) in the one pass: skipped by nanmedian, or the answer.
        nans(world)?;
        // Fewer values than ranks: empty blocks.
        check(world, 3, |i| i as f64 * 2.0, |x| Some(x.to_vec()), "tiny")?;
        common::report_ok("selection", world.comm());
        Ok::<(), Error>(())
    });
}

/// numpy's nanmedian / nanquantile (NaNs skipped) and median (NaN) of data with NaNs of
/// both signs, through the one bracketed pass.
fn nans(world: &World) -> Result<(), Error> {
    let n = 60_000;
    let f = |i: usize| match i % 97 {
        0 => f64::NAN,
        1 => -f64::NAN,
        _ => mix(i) - 0.5,
    };
    let mine: Vec<f64> = world.block(n).map(f).collect();
    let source = InMemory {
        data: &mine,
        pool: world.pool(),
    };
    let mut clean: Vec<f64> = (0..n).map(f).filter(|v| !v.is_nan()).collect();
    clean.sort_by(f64::total_cmp);
    let m = clean.len();
    assert!(
        median(world, &source, NanPolicy::Propagate)?.is_nan(),
        "NaN median"
    );
    let mid = (clean[m / 2 - 1] + clean[m / 2]) / 2.0;
    assert_eq!(m % 2, 0);
    assert_eq!(median(world, &source, NanPolicy::Skip)?, mid, "nanmedian");
    let qs = [0.0, 0.25, 1.0];
    let got = quantiles(world, &source, &qs, QuantileMethod::Linear, NanPolicy::Skip)?;
    let mut kth = |k: usize| clean[k];
    let want: Vec<f64> = qs.iter().map(|&q| linear(m, &mut kth, q)).collect();
    assert_eq!(got, want, "nanquantile");
    Ok(())
}

/// About 65,536 values spread evenly over `x`, as a source's sample would be.
fn every_kth(x: &[f64]) -> Vec<f64> {
    let step = (x.len() / 65_536).max(1);
    x.iter().step_by(step).copied().collect()
}
