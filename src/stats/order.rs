//! Exact order statistics across ranks without gathering the data: the median and
//! quantiles with numpy's methods, found by a distributed radix selection. Every value maps
//! to a 64-bit key in the same order; a pass counts the keys' next 16 bits (below the bits
//! already fixed) on every rank's threads, one allreduce adds the counts, and the bucket
//! holding each wanted rank fixes 16 more bits; once a bucket holds few values they are
//! gathered and sorted. Uniform data takes three passes over memory or file; a source that
//! gives a sample ([`Passes::sample`]: memory and files do) takes one pass, bracketed by the
//! sample (the radix passes remain the fallback; see `bracket.rs`).

use mpi::topology::Communicator;
use rayon::prelude::*;

use crate::collective::object::ObjectCollectives;
use crate::collective::reduce::{ArrayReductions, ReduceOp};
use crate::data::partition::Partition;
use crate::error::{Error, Result};
use crate::runtime::world::Comm;
use crate::stats::histogram::Histogram;
use crate::stats::summary::NanPolicy;

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

/// A source of values that can be read several times: a pass hands every value (as `f64`,
/// in chunks) to per-thread accumulators and merges them.
pub trait Passes: Sync {
    /// One pass: `fold` every chunk into an accumulator made by `init`; the accumulators
    /// merged with `merge`. An `Err` (a read error) is this rank's alone.
    fn pass<A: Send>(
        &self,
        init: &(dyn Fn() -> A + Sync),
        fold: &(dyn Fn(&mut A, &[f64]) + Sync),
        merge: &(dyn Fn(A, A) -> A + Sync),
    ) -> Result<A>;

    /// About `want` of this rank's values, spread evenly over its data (a few values from
    /// each of many places), to guess where quantiles lie; results never depend on it. By
    /// default none, so the selection makes its radix passes.
    fn sample(&self, want: usize) -> Result<Vec<f64>> {
        let _ = want;
        Ok(Vec::new())
    }
}

/// Values in memory, passed over by the threads of a pool.
pub struct InMemory<'a> {
    /// The values.
    pub data: &'a [f64],
    /// The threads.
    pub pool: &'a rayon::ThreadPool,
}

impl Passes for InMemory<'_> {
    fn pass<A: Send>(
        &self,
        init: &(dyn Fn() -> A + Sync),
        fold: &(dyn Fn(&mut A, &[f64]) + Sync),
        merge: &(dyn Fn(A, A) -> A + Sync),
    ) -> Result<A> {
        let parts = Partition::new(self.data.len(), self.pool.current_num_threads().max(1) * 4);
        let folded = self.pool.install(|| {
            (0..parts.parts())
                .into_par_iter()
                .map(|p| {
                    let mut a = init();
                    for chunk in self.data[parts.range(p)].chunks(1 << 16) {
                        fold(&mut a, chunk);
                    }
                    a
                })
                .reduce(init, merge)
        });
        Ok(folded)
    }

    fn sample(&self, want: usize) -> Result<Vec<f64>> {
        let step = (self.data.len() / want.max(1)).max(1);
        Ok(self.data.iter().step_by(step).take(want).copied().collect())
    }
}

/// The order-preserving key of a non-NaN value (-0.0 just below +0.0).
pub(crate) fn key(x: f64) -> u64 {
    let b = x.to_bits();
    // Negative: every bit flipped; positive: the sign bit set. Branch-free.
    b ^ ((b as i64 >> 63) as u64 | 1 << 63)
}

fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Bits fixed per pass, and the buckets of a pass.
const STEP: u32 = 16;
const BUCKETS: usize = 1 << STEP;
/// A bucket of at most this many values (all ranks together) is gathered and sorted.
const GATHER: u64 = 1 << 16;

/// One wanted order statistic: the `k`-th smallest (0-based) among the keys with `prefix`
/// in their top `bits` bits.
#[derive(Clone, Copy, Debug)]
struct Target {
    prefix: u64,
    bits: u32,
    k: u64,
    count: u64,
}

fn matches(k: u64, prefix: u64, bits: u32) -> bool {
    bits == 0 || k >> (64 - bits) == prefix
}

/// The `ranks`-th smallest non-NaN values (0-based, all < the count) of `data` over every
/// rank of `comm`, exactly.
pub(crate) fn select<C: Communicator + ?Sized, P: Passes>(
    comm: &C,
    data: &P,
    ranks: &[u64],
    first: &[u64],
) -> Result<Vec<f64>> {
    let mut targets: Vec<Target> = ranks
        .iter()
        .map(|&k| Target {
            prefix: 0,
            bits: 0,
            k,
            count: 0,
        })
        .collect();
    let mut hist = Some(first.to_vec());
    // Fix 16 more bits of every unresolved target from its group's counts.
    loop {
        let open_groups = groups(&targets, open);
        if open_groups.is_empty() {
            break;
        }
        let counts = match hist.take() {
            Some(h) => vec![h],
            None => histograms(comm, data, &open_groups)?,
        };
        for t in targets.iter_mut().filter(|t| open(t)) {
            let g = open_groups
                .binary_search(&(t.prefix, t.bits))
                .expect("a group per open target");
            let mut below = 0;
            for (bucket, &c) in counts[g].iter().enumerate() {
                if t.k < below + c {
                    t.prefix = t.prefix << STEP | bucket as u64;
                    t.bits += STEP;
                    t.k -= below;
                    t.count = c;
                    break;
                }
                below += c;
            }
        }
    }
    // Small buckets: gather their keys and sort; full keys are the values.
    let small = groups(&targets, |t| t.bits < 64);
    let mut gathered: Vec<Vec<u64>> = Vec::new();
    if !small.is_empty() {
        let mine = data.pass(
            &|| vec![Vec::new(); small.len()],
            &|acc: &mut Vec<Vec<u64>>, x: &[f64]| {
                for &v in x.iter().filter(|v| !v.is_nan()) {
                    let k = key(v);
                    for (g, &(p, b)) in small.iter().enumerate() {
                        if matches(k, p, b) {
                            acc[g].push(k);
                        }
                    }
                }
            },
            &|mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend(y);
                }
                a
            },
        );
        let mine = crate::runtime::agree::agree_on(comm, mine)?;
        let all = comm.allgather_objects(&mine)?;
        gathered = (0..small.len())
            .map(|g| {
                let mut keys: Vec<u64> = all.iter().flat_map(|r| r[g].iter().copied()).collect();
                keys.sort_unstable();
                keys
            })
            .collect();
    }
    Ok(targets
        .iter()
        .map(|t| {
            if t.bits >= 64 {
                value(t.prefix)
            } else {
                let g = small.binary_search(&(t.prefix, t.bits)).expect("gathered");
                value(gathered[g][t.k as usize])
            }
        })
        .collect())
}

fn open(t: &Target) -> bool {
    t.bits < 64 && (t.bits == 0 || t.count > GATHER)
}

/// The distinct (prefix, bits) buckets of the targets that `keep` picks, sorted.
fn groups(targets: &[Target], keep: impl Fn(&Target) -> bool) -> Vec<(u64, u32)> {
    let mut g: Vec<(u64, u32)> = targets
        .iter()
        .filter(|t| keep(t))
        .map(|t| (t.prefix, t.bits))
        .collect();
    g.sort_unstable();
    g.dedup();
    g
}

/// Every rank's counts of the next 16 key bits of the values in each group, added up.
fn histograms<C: Communicator + ?Sized, P: Passes>(
    comm: &C,
    data: &P,
    groups: &[(u64, u32)],
) -> Result<Vec<Vec<u64>>> {
    let mine = data.pass(
        &|| vec![0u64; groups.len() * BUCKETS],
        &|acc: &mut Vec<u64>, x: &[f64]| {
            for &v in x.iter().filter(|v| !v.is_nan()) {
                let k = key(v);
                for (g, &(p, b)) in groups.iter().enumerate() {
                    if matches(k, p, b) {
                        let bucket = (k << b >> (64 - STEP)) as usize;
                        acc[g * BUCKETS + bucket] += 1;
                    }
                }
            }
        },
        &|mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        },
    );
    let mine = crate::runtime::agree::agree_on(comm, mine)?;
    let total = comm.allreduce_array(&mine[..], ReduceOp::Sum)?;
    Ok(total.chunks(BUCKETS).map(<[u64]>::to_vec).collect())
}

/// The first pass: NaNs, non-NaN values, and the top 16 key bits of every value, counted
/// over every rank.
pub(crate) fn first_pass<C: Communicator + ?Sized, P: Passes>(
    comm: &C,
    data: &P,
) -> Result<(u64, u64, Vec<u64>)> {
    let mine = data.pass(
        &|| vec![0u64; BUCKETS + 1],
        &|acc: &mut Vec<u64>, x: &[f64]| {
            for &v in x {
                if v.is_nan() {
                    acc[BUCKETS] += 1;
                } else {
                    acc[(key(v) >> (64 - STEP)) as usize] += 1;
                }
            }
        },
        &|mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        },
    );
    let mine = crate::runtime::agree::agree_on(comm, mine)?;
    let mut total = comm.allreduce_array(&mine[..], ReduceOp::Sum)?;
    let nans = total.pop().expect("the NaN count");
    Ok((total.iter().sum(), nans, total))
}

/// numpy's `quantile(x, qs, method=...)` (and `nanquantile` with [`NanPolicy::Skip`]) of the
/// values of `data` over every rank of `comm`, exactly, without gathering them; the same
/// result on every rank. With NaNs and [`NanPolicy::Propagate`], every quantile is NaN, as
/// in numpy. Fails on every rank if a `q` is outside [0, 1] or there are no values.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::{quantiles, InMemory, NanPolicy, QuantileMethod, Random};
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
/// use mpikit::{histogram, InMemory, NanPolicy};
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
    let empty = Histogram::new(bins, low, high)?;
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
