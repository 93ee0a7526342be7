//! The radix engine of the order statistics: a source read in passes ([`Passes`]; in memory
//! [`InMemory`]), every value as a 64-bit key in the same order, and the distributed radix
//! selection. A pass counts the keys' next 16 bits (below the bits already fixed) on every
//! rank's threads, one allreduce adds the counts, and the bucket holding each wanted rank
//! fixes 16 more bits; once a bucket holds few values they are gathered and sorted.

use mpi::topology::Communicator;
use rayon::prelude::*;

use crate::collective::object::ObjectCollectives;
use crate::collective::reduce::{ArrayReductions, ReduceOp};
use crate::data::partition::Partition;
use crate::error::Result;

/// A pass's accumulator maker (see [`Passes::pass`]).
pub type Init<'a, A> = &'a (dyn Fn() -> A + Sync);
/// A pass's fold of one chunk of values into an accumulator (see [`Passes::pass`]).
pub type Fold<'a, A> = &'a (dyn Fn(&mut A, &[f64]) + Sync);
/// A pass's merge of two accumulators (see [`Passes::pass`]).
pub type Merge<'a, A> = &'a (dyn Fn(A, A) -> A + Sync);

/// A source of values that can be read several times: a pass hands every value (as `f64`,
/// in chunks) to per-thread accumulators and merges them.
pub trait Passes: Sync {
    /// One pass: `fold` every chunk into an accumulator made by `init`; the accumulators
    /// merged with `merge`. An `Err` (a read error) is this rank's alone.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{InMemory, Passes};
    /// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    /// let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    /// let data = InMemory { data: &x, pool: &pool };
    /// // A pass that counts the values below 100.
    /// let below = data.pass(&|| 0u64, &|n, chunk| *n += chunk.iter().filter(|&&v| v < 100.0).count() as u64, &|a, b| a + b)?;
    /// assert_eq!(below, 100);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    fn pass<A: Send>(&self, init: Init<A>, fold: Fold<A>, merge: Merge<A>) -> Result<A>;

    /// About `want` of this rank's values, spread evenly over its data (a few values from
    /// each of many places), to guess where quantiles lie; results never depend on it. By
    /// default none, so the selection makes its radix passes.
    ///
    /// # Examples
    /// ```
    /// use mpikit::stats::{InMemory, Passes};
    /// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    /// let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    /// let s = InMemory { data: &x, pool: &pool }.sample(10)?;
    /// assert_eq!(s.len(), 10);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
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
    fn pass<A: Send>(&self, init: Init<A>, fold: Fold<A>, merge: Merge<A>) -> Result<A> {
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
