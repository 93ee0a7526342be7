//! When work goes to a rank's thread pool, and when it stays on the caller's thread.
//!
//! Handing work to a rayon pool wakes its threads: about 100 µs on a virtual machine, what
//! one core spends on tens of thousands of elements. So a call runs on the pool only when the
//! pool has more than one thread *and* the work is at least [`PARALLEL_MIN`] elements;
//! otherwise it runs on the caller's thread, which is also what one thread per rank means
//! (the common layout of one rank per core). Every parallel loop of the crate goes through
//! [`parallel`], [`map_parts`] or [`for_each_part_mut`], so the rule is in one place.

use std::ops::Range;

use rayon::prelude::*;

use crate::data::partition::Partition;

/// The fewest elements of work that a call hands to a pool of several threads.
pub const PARALLEL_MIN: usize = 1 << 15;

/// Parts per thread when work is split: some slack for threads that finish early.
const PARTS_PER_THREAD: usize = 4;

/// Whether `work` elements go to `pool` (several threads, enough work) rather than staying
/// on the caller's thread.
pub(crate) fn parallel(pool: &rayon::ThreadPool, work: usize) -> bool {
    pool.current_num_threads() > 1 && work >= PARALLEL_MIN
}

/// `f` over consecutive parts of `0..len`, results in order: on `pool`'s threads, or as one
/// call `f(0..len)` on the caller's thread (see [`parallel`]).
pub(crate) fn map_parts<R, F>(pool: &rayon::ThreadPool, len: usize, f: F) -> Vec<R>
where
    R: Send,
    F: Fn(Range<usize>) -> R + Sync,
{
    if !parallel(pool, len) {
        return vec![f(0..len)];
    }
    let parts = Partition::new(len, pool.current_num_threads() * PARTS_PER_THREAD);
    pool.install(|| {
        (0..parts.parts())
            .into_par_iter()
            .map(|p| f(parts.range(p)))
            .collect()
    })
}

/// `f(range)` over consecutive parts of `0..len`, where the whole call is `work` elements of
/// work: on `pool`'s threads (see [`parallel`]; at least two parts), or as `f(0..len)` on
/// the caller's thread. For loops whose items are rows or runs of several elements each.
pub(crate) fn for_each_part<F>(pool: &rayon::ThreadPool, len: usize, work: usize, f: F)
where
    F: Fn(Range<usize>) + Sync,
{
    if !parallel(pool, work) || len < 2 {
        return f(0..len);
    }
    let parts = Partition::new(len, pool.current_num_threads() * PARTS_PER_THREAD);
    pool.install(|| {
        (0..parts.parts())
            .into_par_iter()
            .for_each(|p| f(parts.range(p)))
    });
}

/// `f(first index, part)` over consecutive parts of `data`: on `pool`'s threads, or as one
/// call `f(0, data)` on the caller's thread (see [`parallel`]).
pub(crate) fn for_each_part_mut<T, F>(pool: &rayon::ThreadPool, data: &mut [T], f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync,
{
    if !parallel(pool, data.len()) {
        return f(0, data);
    }
    let parts = Partition::new(data.len(), pool.current_num_threads() * PARTS_PER_THREAD);
    let mut pieces = Vec::with_capacity(parts.parts());
    let mut rest = data;
    for p in 0..parts.parts() {
        let (head, tail) = rest.split_at_mut(parts.count(p));
        pieces.push((parts.displ(p), head));
        rest = tail;
    }
    pool.install(|| {
        pieces
            .into_par_iter()
            .for_each(|(first, part)| f(first, part))
    });
}

/// A pool of `threads` threads for unit tests.
#[cfg(test)]
pub(crate) fn test_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a test thread pool")
}

#[cfg(test)]
mod tests {
    use super::test_pool as pool;
    use super::*;

    #[test]
    fn one_thread_or_little_work_stays_on_the_caller() {
        let me = std::thread::current().id();
        let (one, two) = (pool(1), pool(2));
        for (p, len) in [(&one, 10), (&one, 1 << 20), (&two, PARALLEL_MIN - 1)] {
            let ids = map_parts(p, len, |r| (r, std::thread::current().id()));
            assert_eq!(ids, vec![(0..len, me)]);
        }
        let parts = map_parts(&two, 1 << 20, |r| (r, std::thread::current().id()));
        assert_eq!(parts.len(), 8);
        assert!(
            parts.iter().all(|(_, id)| *id != me),
            "work went to the pool"
        );
        let joined: Vec<usize> = parts.iter().flat_map(|(r, _)| r.clone()).collect();
        assert_eq!(joined, (0..1 << 20).collect::<Vec<_>>());
    }

    #[test]
    fn every_element_is_visited_once_with_its_index() {
        for (threads, len) in [(1, 100), (2, 100), (2, 1 << 16), (3, (1 << 16) + 7)] {
            let mut v = vec![0usize; len];
            for_each_part_mut(&pool(threads), &mut v, |first, part| {
                for (k, x) in part.iter_mut().enumerate() {
                    *x += first + k + 1;
                }
            });
            assert!(v.iter().enumerate().all(|(i, &x)| x == i + 1));
        }
    }
}
