//! The sort of integers in a narrow range: when every key lies in a range no longer than a
//! rank's block (NPB IS's keys, labels, categories, small counts), the sorted array is
//! determined by how many times each value occurs. Each rank counts its values, one
//! allreduce sums the counts, and each rank writes its block of the sorted array from the
//! sums: no element moves between ranks and nothing is compared.

use rayon::prelude::*;

use crate::collective::large;
use crate::distarray::local_sort::SortElement;
use mpi::collective::SystemOperation;
use mpi::topology::Communicator;

/// The longest key range counted rather than sorted: 2^24 counters (128 MiB of u64) at most.
const MOST_COUNTERS: u64 = 1 << 24;
/// Ranges up to this length are counted whatever the block size.
const FEW_COUNTERS: u64 = 1 << 12;
/// Elements per thread's share of the counting below which one thread counts.
const PER_THREAD: usize = 1 << 16;

/// Whether a sort of `total` elements over `ranks` ranks with keys in `lo..=hi` takes the
/// counting path: the type's values are their keys, and the counters (one allreduce of
/// `hi - lo + 1` of them) are no more than an even block of elements.
pub(crate) fn counts_suffice<T: SortElement>(lo: u64, hi: u64, total: usize, ranks: usize) -> bool {
    if lo > hi || T::from_sort_key(lo).is_none() {
        return false;
    }
    let range = hi - lo;
    range < MOST_COUNTERS && range < FEW_COUNTERS.max((total / ranks.max(1)) as u64)
}

/// How many of `data`'s keys equal `lo + i`, for each `i` in `0..len`; on the pool's threads,
/// each counting a share into its own counters.
fn local_counts<T: SortElement>(
    data: &[T],
    lo: u64,
    len: usize,
    pool: &rayon::ThreadPool,
) -> Vec<u64> {
    let count = |part: &[T]| {
        let mut c = vec![0u64; len];
        for &x in part {
            c[(x.sort_key() - lo) as usize] += 1;
        }
        c
    };
    let threads = pool
        .current_num_threads()
        .min(data.len() / PER_THREAD)
        .max(1);
    if threads == 1 {
        return count(data);
    }
    let share = data.len().div_ceil(threads);
    pool.install(|| {
        data.par_chunks(share).map(count).reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        })
    })
    .unwrap_or_else(|| vec![0; len])
}

/// This rank's block `start..start + len` of the sorted array of every rank's `data`, whose
/// keys lie in `lo..=hi` ([`counts_suffice`] said so). Collective.
pub(crate) fn sorted_block<C: Communicator + ?Sized, T: SortElement>(
    comm: &C,
    data: &[T],
    (lo, hi): (u64, u64),
    (start, len): (usize, usize),
    pool: &rayon::ThreadPool,
) -> Vec<T> {
    let range = (hi - lo + 1) as usize;
    let mine = local_counts(data, lo, range, pool);
    let mut all = vec![0u64; range];
    large::allreduce(comm, &mine, &mut all, SystemOperation::sum());
    drop(mine);
    let mut out = Vec::with_capacity(len);
    let (mut before, end) = (0usize, start + len);
    for (i, &c) in all.iter().enumerate() {
        let after = before + c as usize;
        if after > start {
            let value = T::from_sort_key(lo + i as u64).expect("counts_suffice checked the type");
            let n = after.min(end) - before.max(start);
            out.extend(std::iter::repeat_n(value, n));
        }
        if after >= end {
            break;
        }
        before = after;
    }
    out
}
