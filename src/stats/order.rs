//! Exact order statistics across ranks without gathering the data: the median and
//! quantiles with numpy's methods, found by a distributed radix selection. Every value maps
//! to a 64-bit key in the same order; a pass counts the keys' next 16 bits (below the bits
//! already fixed) on every rank's threads, one allreduce adds the counts, and the bucket
//! holding each wanted rank fixes 16 more bits; once a bucket holds few values they are
//! gathered and sorted. Uniform data takes three passes over memory or file; a source that
//! gives a sample ([`Passes::sample`]: memory and files do) takes one pass, bracketed by the
//! sample (the radix passes remain the fallback). The engine is in `radix.rs`, the one-pass
//! bracketing in `bracket.rs`; this file holds the public calls.

use mpi::topology::Communicator;

use crate::collective::reduce::{ArrayReductions, ReduceOp};
use crate::error::{Error, Result};
use crate::runtime::world::Comm;
use crate::stats::histogram::Histogram;
use crate::stats::radix::{first_pass, select, Passes};
use crate::stats::spec::NanPolicy;

/// How a quantile between two data points is chosen (numpy's `method=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantileMethod {
    /// numpy's default: linear interpolation between the two neighbours.
    Linear,
    /// The lower neighbour.
    Lower,
    /// The higher neighbour.
    Higher,
    /// The nearer neighbour (halves to the even index, as `numpy.around`).
    Nearest,
    /// Halfway between the two neighbours.
    Midpoint,
}

/// numpy's `quantile(x, qs, method=...)` (and `nanquantile` with [`NanPolicy::Skip`]) of the
/// values of `data` over every rank of `comm`, exactly, without gathering them; the same
/// result on every rank. With NaNs and [`NanPolicy::Propagate`], every quantile is NaN, as
/// in numpy. Fails on every rank if a `q` is outside [0, 1] or there are no values.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::data::Random;
/// use mpikit::stats::{quantiles, InMemory, NanPolicy, QuantileMethod};
/// mpikit::run(|world| {
///     let rng = Random::new(7);
///     let x: Vec<f64> = world.block(1_000_000).map(|i| rng.uniform(i as u64)).collect();
///     let data = InMemory { data: &x, pool: world.pool() };
///     let q = quantiles(world, &data, &[0.01, 0.5, 0.99], QuantileMethod::Linear, NanPolicy::Propagate)?;
///     println!("{q:?}");
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn quantiles<A: Comm + ?Sized, P: Passes>(
    comm: &A,
    data: &P,
    qs: &[f64],
    method: QuantileMethod,
    nan: NanPolicy,
) -> Result<Vec<f64>> {
    let comm = comm.as_comm();
    if let Some(q) = qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        return Err(Error::input(format!("quantile {q} is outside [0, 1]")));
    }
    let (n, nans, how) = start(comm, data, qs)?;
    if nans > 0 && nan == NanPolicy::Propagate {
        return Ok(vec![f64::NAN; qs.len()]);
    }
    if n == 0 {
        return Err(Error::input("no values to take a quantile of"));
    }
    // Each q's neighbours in sorted order (numpy's virtual index, clipped to the ends).
    let last = n - 1;
    let h: Vec<f64> = qs.iter().map(|&q| (n - 1) as f64 * q).collect();
    let lo = |h: f64| (h.floor().max(0.0) as u64).min(last);
    let hi = |h: f64| (lo(h) + 1).min(last);
    // Only the neighbours the method uses are selected.
    let needed = |h: f64| match method {
        QuantileMethod::Linear | QuantileMethod::Midpoint => vec![lo(h), hi(h)],
        QuantileMethod::Lower => vec![lo(h)],
        QuantileMethod::Higher => vec![(h.ceil() as u64).min(last)],
        QuantileMethod::Nearest => vec![(round_half_even(h) as u64).min(last)],
    };
    let mut wanted: Vec<u64> = h.iter().flat_map(|&h| needed(h)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let got = select_any(comm, data, &how, &wanted)?;
    let at = |k: u64| got[wanted.binary_search(&k).expect("selected")];
    Ok(h.iter()
        .map(|&h| {
            let picked = needed(h);
            match method {
                QuantileMethod::Linear => lerp(at(picked[0]), at(picked[1]), h - h.floor()),
                QuantileMethod::Midpoint if h.fract() == 0.0 => at(picked[0]),
                QuantileMethod::Midpoint => lerp(at(picked[0]), at(picked[1]), 0.5),
                _ => at(picked[0]),
            }
        })
        .collect())
}

/// numpy's `_lerp`: `a + (b - a) t`, computed from `b` when `t >= 0.5`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// numpy's `median` (`nanmedian` with [`NanPolicy::Skip`]): the middle value, or the mean of
/// the two middle values, of every rank's data, exactly. See [`quantiles`].
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::stats::{median, InMemory, NanPolicy};
/// mpikit::run(|world| {
///     let x: Vec<f64> = world.block(101).map(|i| i as f64).collect();
///     let m = median(world, &InMemory { data: &x, pool: world.pool() }, NanPolicy::Propagate)?;
///     assert_eq!(m, 50.0);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn median<A: Comm + ?Sized, P: Passes>(comm: &A, data: &P, nan: NanPolicy) -> Result<f64> {
    let comm = comm.as_comm();
    let (n, nans, how) = start(comm, data, &[0.5])?;
    if nans > 0 && nan == NanPolicy::Propagate {
        return Ok(f64::NAN);
    }
    if n == 0 {
        return Err(Error::input("no values to take the median of"));
    }
    if n % 2 == 1 {
        return Ok(select_any(comm, data, &how, &[n / 2])?[0]);
    }
    let two = select_any(comm, data, &how, &[n / 2 - 1, n / 2])?;
    Ok((two[0] + two[1]) / 2.0)
}

/// How a selection starts: the bracketed pass (a source with a sample), or the radix
/// selection's first pass (its top-16-bit counts).
enum Start {
    Bracketed(crate::stats::bracket::OnePass),
    Radix(Vec<u64>),
}

/// The first pass over `data`, bracketing `fractions` when the source gives a sample: the
/// non-NaN and NaN counts, and how to go on.
fn start<C: Communicator + ?Sized, P: Passes>(
    comm: &C,
    data: &P,
    fractions: &[f64],
) -> Result<(u64, u64, Start)> {
    Ok(
        match crate::stats::bracket::one_pass(comm, data, fractions)? {
            Some(one) => (one.n, one.nans, Start::Bracketed(one)),
            None => {
                let (n, nans, first) = first_pass(comm, data)?;
                (n, nans, Start::Radix(first))
            }
        },
    )
}

/// The `ranks`-th smallest values (sorted ranks): from the bracketed pass when it holds
/// them all, else by the radix passes.
fn select_any<C: Communicator + ?Sized, P: Passes>(
    comm: &C,
    data: &P,
    start: &Start,
    ranks: &[u64],
) -> Result<Vec<f64>> {
    match start {
        Start::Radix(first) => select(comm, data, ranks, first),
        Start::Bracketed(one) => match one.select(comm, ranks)? {
            Some(found) => Ok(found),
            None => {
                let (_, _, first) = first_pass(comm, data)?;
                select(comm, data, ranks, &first)
            }
        },
    }
}

/// numpy's `histogram(x, bins, range)` of every rank's values: without `range`, the range
/// is the data's min and max (one more pass); NaNs are not counted (with
/// [`NanPolicy::Propagate`] and no range, NaN data is an error, as numpy's "autodetected
/// range is not finite"). The same [`Histogram`] on every rank.
///
/// # Examples
/// ```no_run
/// use mpikit::stats::{histogram, InMemory, NanPolicy};
/// mpikit::run(|world| {
///     let x = vec![0.5, 1.5, 2.5];
///     let h = histogram(world, &InMemory { data: &x, pool: world.pool() }, 4, None, NanPolicy::Propagate)?;
///     println!("{:?} {:?}", h.edges(), h.counts());
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn histogram<A: Comm + ?Sized, P: Passes>(
    comm: &A,
    data: &P,
    bins: usize,
    range: Option<(f64, f64)>,
    nan: NanPolicy,
) -> Result<Histogram> {
    let comm = comm.as_comm();
    let (low, high) = match range {
        Some(r) => r,
        None => {
            let mine = data.pass(
                &|| (f64::INFINITY, f64::NEG_INFINITY, 0u64),
                &|acc: &mut (f64, f64, u64), x: &[f64]| {
                    // The vectorised kernels (which pass over NaNs).
                    acc.0 = acc.0.min(crate::stats::kernels::min(x));
                    acc.1 = acc.1.max(crate::stats::kernels::max(x));
                    acc.2 += crate::stats::kernels::count_nan(x) as u64;
                },
                &|a, b| (a.0.min(b.0), a.1.max(b.1), a.2 + b.2),
            );
            let (lo, hi, nans) = crate::runtime::agree::agree_on(comm, mine)?;
            let lo = comm.allreduce_array(&[lo][..], ReduceOp::Min)?[0];
            let hi = comm.allreduce_array(&[hi][..], ReduceOp::Max)?[0];
            let nans = comm.allreduce_array(&[nans][..], ReduceOp::Sum)?[0];
            if nans > 0 && nan == NanPolicy::Propagate {
                return Err(Error::input(format!(
                    "histogram: the data holds {nans} NaN value(s), so the range from its min \
                     and max is not finite (give --range, or --nan skip)"
                )));
            }
            if lo > hi {
                return Err(Error::input("histogram: no values to take the range of"));
            }
            (lo, hi)
        }
    };
    let empty = Histogram::new(bins, (low, high))?;
    let mine = data.pass(
        &|| vec![0u64; bins],
        &|acc: &mut Vec<u64>, x: &[f64]| empty.count_into(x, acc),
        &|mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        },
    );
    let mine = crate::runtime::agree::agree_on(comm, mine)?;
    let counts = comm.allreduce_array(&mine[..], ReduceOp::Sum)?;
    Ok(empty.with_counts(counts))
}
