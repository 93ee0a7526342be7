//! The in-rank half of the distributed sort: the element types that sort ([`SortElement`],
//! numpy's order as one unsigned key), a stable radix sort by that key, and the stable
//! merge of sorted runs received from the other ranks.

use rayon::prelude::*;

use crate::collective::element::Element;

/// An element type with numpy's total order for sorting: integers and `bool` by value,
/// floats by value with `-0.0 == 0.0` and every NaN after `+inf` (as `np.sort` puts them).
/// Complex numbers have no such order and do not sort.
///
/// # Examples
/// ```
/// use mpikit::distarray::SortElement;
/// // The key orders as numpy sorts: -inf < -1 < -0.0 == 0.0 < 1 < inf < NaN.
/// let keys: Vec<u64> = [f64::NEG_INFINITY, -1.0, -0.0, 0.0, 1.0, f64::INFINITY, f64::NAN]
///     .iter().map(|x| x.sort_key()).collect();
/// assert!(keys.windows(2).all(|w| w[0] <= w[1]));
/// assert_eq!((-0.0f64).sort_key(), 0.0f64.sort_key());
/// assert!((-5i32).sort_key() < 3i32.sort_key());
/// ```
pub trait SortElement: Element {
    /// An unsigned key whose order is numpy's order of the values (equal values, equal keys).
    fn sort_key(self) -> u64;

    /// The value whose key is `key`, for types where equal keys mean equal values (integers
    /// and `bool`); `None` for the others (floats: `-0.0` and `0.0` share a key, as NaNs do).
    /// With it, a sort of values in a narrow range is rebuilt from counts alone.
    fn from_sort_key(key: u64) -> Option<Self> {
        let _ = key;
        None
    }
}

macro_rules! signed_keys {
    ($($t:ty),*) => {$(
        impl SortElement for $t {
            #[inline(always)]
            fn sort_key(self) -> u64 {
                (self as i64 as u64) ^ (1 << 63)
            }
            #[inline(always)]
            fn from_sort_key(key: u64) -> Option<Self> {
                Some((key ^ (1 << 63)) as i64 as $t)
            }
        }
    )*};
}
macro_rules! unsigned_keys {
    ($($t:ty),*) => {$(
        impl SortElement for $t {
            #[inline(always)]
            fn sort_key(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn from_sort_key(key: u64) -> Option<Self> {
                Some(key as $t)
            }
        }
    )*};
}
signed_keys!(i8, i16, i32, i64, isize);
unsigned_keys!(u8, u16, u32, u64, usize);

impl SortElement for bool {
    #[inline(always)]
    fn sort_key(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_sort_key(key: u64) -> Option<Self> {
        Some(key != 0)
    }
}

impl SortElement for f64 {
    #[inline(always)]
    fn sort_key(self) -> u64 {
        if self.is_nan() {
            return u64::MAX;
        }
        let bits = (self + 0.0).to_bits(); // -0.0 + 0.0 is +0.0
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        }
    }
}

impl SortElement for f32 {
    #[inline(always)]
    fn sort_key(self) -> u64 {
        (self as f64).sort_key() // exact, so the order is kept
    }
}

/// Bits per radix digit: 2048 counters per pass stay in L1.
const DIGIT: u32 = 11;
const BUCKETS: usize = 1 << DIGIT;
/// Passes that cover a 64-bit key.
const PASSES: usize = 64_usize.div_ceil(DIGIT as usize);
/// Below this many elements a comparison sort is faster than the radix passes.
const SMALL: usize = 1 << 10;

/// Sorts `data` stably by `key`: least-significant-digit radix sort, 11 bits a pass, a pass
/// skipped when every element has the same digit there (one counting read for all passes).
/// Uses one scratch buffer of `data`'s length.
pub(crate) fn radix_sort_by_key<E, K>(data: &mut Vec<E>, key: K)
where
    E: Copy + Send + Sync,
    K: Fn(&E) -> u64 + Sync,
{
    let n = data.len();
    if n < SMALL {
        data.sort_by_key(|e| key(e));
        return;
    }
    let mut counts = vec![[0usize; BUCKETS]; PASSES];
    for e in data.iter() {
        let k = key(e);
        for (p, c) in counts.iter_mut().enumerate() {
            c[((k >> (p as u32 * DIGIT)) as usize) & (BUCKETS - 1)] += 1;
        }
    }
    let mut scratch: Vec<E> = vec![data[0]; n];
    let (mut src, mut dst) = (data, &mut scratch);
    let mut swapped = false;
    for (p, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue; // every element has the same digit: nothing moves
        }
        let mut next = [0usize; BUCKETS];
        let mut at = 0;
        for (slot, &count) in next.iter_mut().zip(c.iter()) {
            *slot = at;
            at += count;
        }
        let shift = p as u32 * DIGIT;
        for e in src.iter() {
            let d = ((key(e) >> shift) as usize) & (BUCKETS - 1);
            dst[next[d]] = *e;
            next[d] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
        swapped = !swapped;
    }
    if swapped {
        // The sorted elements are in the scratch buffer: hand it back as `data`.
        std::mem::swap(src, dst);
    }
}

/// Merges the sorted runs `data[bounds[i]..bounds[i + 1]]` into one sorted run, stably (on
/// equal keys an earlier run first): adjacent runs merged in pairs, log2(runs) rounds, the
/// pairs of a round on the pool's threads.
pub(crate) fn merge_runs<E, K>(
    data: Vec<E>,
    bounds: Vec<usize>,
    key: K,
    pool: &rayon::ThreadPool,
) -> Vec<E>
where
    E: Copy + Send + Sync,
    K: Fn(&E) -> u64 + Sync,
{
    let mut bounds: Vec<usize> = bounds;
    bounds.dedup(); // empty runs
    if bounds.len() <= 2 {
        return data;
    }
    let mut src = data;
    let mut dst = vec![src[0]; src.len()];
    while bounds.len() > 2 {
        let pairs: Vec<(usize, usize, usize)> = bounds
            .windows(2)
            .step_by(2)
            .enumerate()
            .map(|(i, w)| (w[0], w[1], bounds.get(2 * i + 2).copied().unwrap_or(w[1])))
            .collect();
        // Cut `dst` into the pairs' output ranges, then merge them in parallel.
        let mut outs: Vec<&mut [E]> = Vec::with_capacity(pairs.len());
        let mut rest: &mut [E] = &mut dst;
        for &(lo, _, hi) in &pairs {
            let (out, tail) = rest.split_at_mut(hi - lo);
            outs.push(out);
            rest = tail;
        }
        let (src_ref, key_ref) = (&src, &key);
        pool.install(|| {
            outs.into_par_iter()
                .zip(pairs.par_iter())
                .for_each(|(out, &(lo, mid, hi))| {
                    merge_two(&src_ref[lo..mid], &src_ref[mid..hi], out, key_ref)
                })
        });
        bounds = pairs.iter().map(|p| p.0).collect();
        bounds.push(src.len());
        std::mem::swap(&mut src, &mut dst);
    }
    src
}

/// Merges sorted `a` and `b` into `out`, taking from `a` on equal keys.
fn merge_two<E: Copy, K: Fn(&E) -> u64>(a: &[E], b: &[E], out: &mut [E], key: &K) {
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        let take_a = j == b.len() || (i < a.len() && key(&a[i]) <= key(&b[j]));
        if take_a {
            *slot = a[i];
            i += 1;
        } else {
            *slot = b[j];
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
    }

    #[test]
    fn radix_sort_is_stable_and_sorted() {
        // Pairs (key, original position) with many equal keys and keys over every digit.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut data: Vec<(u64, usize)> = (0..5000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (if i % 3 == 0 { x % 7 } else { x }, i)
            })
            .collect();
        let mut expected = data.clone();
        expected.sort_by_key(|e| e.0); // std's stable sort
        radix_sort_by_key(&mut data, |e| e.0);
        assert_eq!(data, expected);
    }

    #[test]
    fn merges_runs_stably_with_empty_runs() {
        let runs: Vec<Vec<(u64, usize)>> = vec![
            vec![(1, 0), (3, 1), (3, 2)],
            vec![],
            vec![(0, 3), (3, 4), (9, 5)],
            vec![(3, 6)],
            vec![(2, 7)],
        ];
        let mut bounds = vec![0];
        let mut data = Vec::new();
        for r in &runs {
            data.extend_from_slice(r);
            bounds.push(data.len());
        }
        let mut expected = data.clone();
        expected.sort_by_key(|e| e.0);
        assert_eq!(merge_runs(data, bounds, |e| e.0, &pool()), expected);
    }

    #[test]
    fn float_keys_follow_numpy() {
        let xs = [
            f64::NAN,
            2.5,
            -0.0,
            f64::NEG_INFINITY,
            0.0,
            -2.5,
            f64::INFINITY,
            -f64::NAN,
        ];
        let mut sorted = xs.to_vec();
        sorted.sort_by_key(|x| x.sort_key());
        let shown: Vec<String> = sorted.iter().map(|x| format!("{x}")).collect();
        assert_eq!(
            shown,
            ["-inf", "-2.5", "-0", "0", "2.5", "inf", "NaN", "NaN"]
        );
        assert!(i64::MIN.sort_key() < (-1i64).sort_key() && (-1i64).sort_key() < 0i64.sort_key());
    }
}
