//! The sort of integers in a narrow range: when every key lies in a range no longer than a
//! rank's block (NPB IS's keys, labels, categories, small counts), the sorted array is
//! determined by how many times each value occurs. Each rank counts its values, one
//! allreduce sums the counts, and each rank writes its block of the sorted array from the
//! sums: no element moves between ranks and nothing is compared.

use rayon::prelude::*;

use crate::collective::element::Element;
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

/// A counter type: `u32` while every count fits (half the bytes in the allreduce), else `u64`.
trait Count: Element + std::ops::AddAssign + Into<u64> {
    const ONE: Self;
}
impl Count for u32 {
    const ONE: u32 = 1;
}
impl Count for u64 {
    const ONE: u64 = 1;
}

/// How many of `data`'s keys equal `lo + i`, for each `i` in `0..len`; on the pool's threads,
/// each counting a share into its own counters.
fn local_counts<T: SortElement, C: Count>(
    data: &[T],
    lo: u64,
    len: usize,
    pool: &rayon::ThreadPool,
) -> Vec<C> {
    let count = |part: &[T]| {
        let mut c = vec![C::default(); len];
        for &x in part {
            c[(x.sort_key() - lo) as usize] += C::ONE;
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
            a.iter_mut().zip(&b).for_each(|(x, &y)| *x += y);
            a
        })
    })
    .unwrap_or_else(|| vec![C::default(); len])
}

/// This rank's block `start..start + len` of the sorted array of every rank's `data` (`total`
/// elements over all ranks), whose keys lie in `lo..=hi` ([`counts_suffice`] said so).
/// Collective.
pub(crate) fn sorted_block<C: Communicator + ?Sized, T: SortElement>(
    comm: &C,
    data: &[T],
    (lo, hi): (u64, u64),
    (start, len, total): (usize, usize, usize),
    pool: &rayon::ThreadPool,
) -> Vec<T> {
    if total <= u32::MAX as usize {
        counted::<C, T, u32>(comm, data, (lo, hi), (start, len), pool)
    } else {
        counted::<C, T, u64>(comm, data, (lo, hi), (start, len), pool)
    }
}

/// [`sorted_block`] with counters of type `N`.
fn counted<C: Communicator + ?Sized, T: SortElement, N: Count>(
    comm: &C,
    data: &[T],
    (lo, hi): (u64, u64),
    (start, len): (usize, usize),
    pool: &rayon::ThreadPool,
) -> Vec<T> {
    let range = (hi - lo + 1) as usize;
    let mine: Vec<N> = local_counts(data, lo, range, pool);
    let mut all = vec![N::default(); range];
    large::allreduce(comm, &mine, &mut all, SystemOperation::sum());
    drop(mine);
    // Runs of equal values written straight into the block's spare capacity (a resize per
    // value cost more than the writes: 65536 values for 2^19 keys).
    let mut out: Vec<T> = Vec::with_capacity(len);
    let spare = &mut out.spare_capacity_mut()[..len];
    let (mut before, mut written, end) = (0usize, 0usize, start + len);
    for (i, &c) in all.iter().enumerate() {
        let after = before + Into::<u64>::into(c) as usize;
        if after > start {
            let value = T::from_sort_key(lo + i as u64).expect("counts_suffice checked the type");
            let n = after.min(end) - before.max(start);
            for slot in &mut spare[written..written + n] {
                slot.write(value);
            }
            written += n;
        }
        if after >= end {
            break;
        }
        before = after;
    }
    // The counts sum to the whole array, so the block is covered (also for an empty one).
    assert_eq!(written, len, "the counts cover every rank's block");
    // SAFETY: the first `written` elements of the spare capacity were written above.
    unsafe { out.set_len(written) };
    out
}
