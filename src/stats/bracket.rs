//! Order statistics in one pass over the data, from a sample. Every rank reads a small sample
//! spread over its data ([`Passes::sample`]); the gathered, sorted sample says between which
//! two values each wanted quantile almost surely lies. One pass then counts, on every rank's
//! threads, the values below each such bracket and keeps the few inside it; the exact
//! answer is selected among those kept values, in memory. Only a guess comes from the
//! sample: when a wanted rank falls outside its bracket (an unlucky sample), or the brackets
//! would keep too many values (heavy duplicates), the caller falls back to the radix passes,
//! so the result is exact either way.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use mpi::topology::Communicator;

use crate::collective::object::ObjectCollectives;
use crate::collective::reduce::{ArrayReductions, ReduceOp};
use crate::error::Result;
use crate::stats::radix::{first_pass, key, select, Fold, Init, Merge, Passes};

/// Sample values taken over all ranks together.
const SAMPLE: usize = 1 << 17;
/// Values kept inside the brackets on one rank at most (32 MiB of `f64`s).
const KEEP: usize = 1 << 22;

/// What the one pass found: the non-NaN and NaN counts, and per bracket the global count of
/// values below it and inside it, with this rank's values inside it.
pub(crate) struct OnePass {
    /// Non-NaN values on every rank.
    pub n: u64,
    /// NaN values on every rank.
    pub nans: u64,
    below: Vec<u64>,
    inside: Vec<u64>,
    kept: Vec<Vec<f64>>,
    overflow: bool,
}

/// The brackets (inclusive key ranges) around the fractions `fractions` of the sorted sample
/// keys, merged where they overlap; none when the sample is too small to say anything.
fn brackets(sample: &[u64], fractions: &[f64]) -> Vec<(u64, u64)> {
    let m = sample.len();
    if m < 1024 {
        return Vec::new();
    }
    let mut out: Vec<(u64, u64)> = fractions
        .iter()
        .map(|&f| {
            let center = f * (m - 1) as f64;
            // Five standard deviations of the sample's rank of the true quantile, and more.
            let delta = 5.0 * (m as f64 * f * (1.0 - f)).sqrt() + 16.0;
            let lo = (center - delta).floor();
            let hi = (center + delta).ceil();
            let lo = if lo <= 0.0 { 0 } else { sample[lo as usize] };
            let hi = if hi >= (m - 1) as f64 {
                u64::MAX
            } else {
                sample[hi as usize]
            };
            (lo, hi)
        })
        .collect();
    out.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(out.len());
    for (lo, hi) in out {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// Samples every rank, brackets `fractions` (each in [0, 1]) and makes the one pass; `None`
/// (after no pass over the data) when the source gives no sample.
pub(crate) fn one_pass<C: Communicator + ?Sized, P: Passes>(
    comm: &C,
    data: &P,
    fractions: &[f64],
) -> Result<Option<OnePass>> {
    let want = (SAMPLE / comm.size() as usize).max(1024);
    let mine = crate::runtime::agree::agree_on(comm, data.sample(want))?;
    let mut sample: Vec<u64> = comm
        .allgather_objects(&mine)?
        .into_iter()
        .flatten()
        .filter(|v| !v.is_nan())
        .map(key)
        .collect();
    sample.sort_unstable();
    let br = brackets(&sample, fractions);
    if br.is_empty() {
        return Ok(None);
    }
    let kept_total = AtomicUsize::new(0);
    let overflow = AtomicBool::new(false);
    let nb = br.len();
    // (non-NaN, NaN, below per bracket, kept per bracket)
    type Acc = (u64, u64, Vec<u64>, Vec<Vec<f64>>);
    let mine = data.pass(
        &|| (0, 0, vec![0; nb], vec![Vec::new(); nb]),
        &|acc: &mut Acc, x: &[f64]| {
            let nans = crate::stats::kernels::count_nan(x) as usize;
            acc.0 += (x.len() - nans) as u64;
            acc.1 += nans as u64;
            let full = overflow.load(Ordering::Relaxed);
            for (b, &(lo, hi)) in br.iter().enumerate() {
                let (below, keep) = (&mut acc.2[b], &mut acc.3[b]);
                let before = keep.len();
                let width = hi - lo;
                // Branch-free counting; keeping is rare (the bracket is narrow).
                let mut n = 0u64;
                for &v in x {
                    let k = key(v);
                    n += u64::from(k < lo);
                    if k.wrapping_sub(lo) <= width && !full {
                        keep.push(v);
                    }
                }
                if nans > 0 {
                    // A NaN's key lies beyond ±inf's: take it back out.
                    n -= x.iter().filter(|v| v.is_nan() && key(**v) < lo).count() as u64;
                    let mut i = before;
                    keep.retain(|v| {
                        i += 1;
                        i <= before || !v.is_nan()
                    });
                }
                *below += n;
                let added = keep.len() - before;
                if kept_total.fetch_add(added, Ordering::Relaxed) + added > KEEP {
                    overflow.store(true, Ordering::Relaxed);
                }
            }
        },
        &|mut a, b| {
            a.0 += b.0;
            a.1 += b.1;
            a.2.iter_mut().zip(b.2).for_each(|(x, y)| *x += y);
            a.3.iter_mut().zip(b.3).for_each(|(x, y)| x.extend(y));
            a
        },
    );
    let (n, nans, below, kept) = crate::runtime::agree::agree_on(comm, mine)?;
    let mut counts = vec![n, nans, u64::from(overflow.load(Ordering::Relaxed))];
    counts.extend(&below);
    counts.extend(kept.iter().map(|k| k.len() as u64));
    let total = comm.allreduce_array(&counts[..], ReduceOp::Sum)?;
    Ok(Some(OnePass {
        n: total[0],
        nans: total[1],
        overflow: total[2] > 0,
        below: total[3..3 + nb].to_vec(),
        inside: total[3 + nb..].to_vec(),
        kept,
    }))
}

/// This rank's kept values, passed over by the calling thread (they are few).
struct Kept<'a>(&'a [f64]);

impl Passes for Kept<'_> {
    fn pass<A: Send>(&self, init: Init<A>, fold: Fold<A>, _merge: Merge<A>) -> Result<A> {
        let mut a = init();
        for chunk in self.0.chunks(1 << 16) {
            fold(&mut a, chunk);
        }
        Ok(a)
    }
}

impl OnePass {
    /// The `ranks`-th smallest non-NaN values (0-based, sorted, all < `n`), exactly, from
    /// the kept values; `None` on every rank when a rank fell outside its bracket or the
    /// brackets kept too much (then the caller makes the radix passes).
    pub(crate) fn select<C: Communicator + ?Sized>(
        &self,
        comm: &C,
        ranks: &[u64],
    ) -> Result<Option<Vec<f64>>> {
        if self.overflow {
            return Ok(None);
        }
        // Every decision below uses global counts only, so every rank takes it alike.
        let mut by_bracket: Vec<Vec<u64>> = vec![Vec::new(); self.below.len()];
        for &k in ranks {
            let b = (0..self.below.len())
                .find(|&b| k >= self.below[b] && k < self.below[b] + self.inside[b]);
            match b {
                Some(b) => by_bracket[b].push(k - self.below[b]),
                None => return Ok(None),
            }
        }
        let mut found = Vec::with_capacity(ranks.len());
        for (b, ks) in by_bracket.iter().enumerate() {
            if ks.is_empty() {
                continue;
            }
            let kept = Kept(&self.kept[b]);
            let (_, _, first) = first_pass(comm, &kept)?;
            found.extend(select(comm, &kept, ks, &first)?);
        }
        // Brackets are in key order and ranks were sorted, so `found` is in rank order.
        Ok(Some(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_hold_the_fraction_and_merge() {
        let sample: Vec<u64> = (0..10_000u64).map(|i| i * 10).collect();
        let b = brackets(&sample, &[0.5]);
        assert_eq!(b.len(), 1);
        let (lo, hi) = b[0];
        assert!(lo < 50_000 && hi > 50_000 && hi - lo < 10_000, "{lo} {hi}");
        // Neighbouring fractions merge; the ends open to every key.
        let b = brackets(&sample, &[0.5, 0.5001, 0.0, 1.0]);
        assert_eq!(b.len(), 3, "{b:?}");
        assert_eq!(b[0].0, 0);
        assert_eq!(b[2].1, u64::MAX);
        assert!(brackets(&sample[..100], &[0.5]).is_empty());
    }
}
