//! Large per-rank buffers: zeroed allocation that asks the kernel for transparent huge pages,
//! and a parallel first-touch fill.
//!
//! Faulting in a large array 4 KiB at a time costs as much as reading it several times.
//! Like numpy, mpikit asks for huge pages (`madvise(MADV_HUGEPAGE)`) on large buffers, where
//! the kernel allows it (`/sys/kernel/mm/transparent_hugepage/enabled` set to `madvise` or
//! `always`); elsewhere the advice is a harmless no-op.

use crate::runtime::threads::for_each_part_mut;

/// Buffers at least this large get the huge-page advice.
pub const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// Asks for transparent huge pages on the whole 2 MiB pages inside `buf` (Linux only).
///
/// # Examples
/// ```
/// let v = mpikit::data::zeroed_vec::<f64>(1 << 20);
/// mpikit::data::advise_huge_pages(&v); // a hint: the values are unchanged
/// assert!(v.iter().all(|&x| x == 0.0));
/// ```
pub fn advise_huge_pages<T>(buf: &[T]) {
    let bytes = std::mem::size_of_val(buf);
    if bytes < HUGE_PAGE_THRESHOLD {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = buf.as_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE);
        let end = (start + bytes) / HUGE * HUGE;
        if end > aligned {
            // SAFETY: the range lies inside `buf`'s allocation; MADV_HUGEPAGE only changes
            // how the kernel backs the pages, never their contents.
            unsafe {
                libc::madvise(
                    aligned as *mut libc::c_void,
                    end - aligned,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
}

/// A zero-filled vector of `len` elements whose pages are not yet touched, advised for huge
/// pages. Zeroed memory for these types comes straight from the kernel (`calloc`), so the
/// first write is the first touch.
///
/// # Examples
/// ```
/// let v: Vec<u32> = mpikit::data::zeroed_vec(1000);
/// assert_eq!(v.len(), 1000);
/// assert!(v.iter().all(|&x| x == 0));
/// ```
pub fn zeroed_vec<T: Copy + Default>(len: usize) -> Vec<T> {
    let v = vec![T::default(); len];
    advise_huge_pages(&v);
    v
}

/// Builds `len` elements `f(0), f(1), ...` with the threads of `pool`, each thread writing
/// (and so first touching) its own contiguous blocks.
///
/// # Examples
/// ```
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let v = mpikit::data::par_from_fn(10, &pool, |i| (i * i) as f64);
/// assert_eq!(v[3], 9.0);
/// ```
pub fn par_from_fn<T, F>(len: usize, pool: &rayon::ThreadPool, f: F) -> Vec<T>
where
    T: Copy + Default + Send + Sync,
    F: Fn(usize) -> T + Sync,
{
    par_fill(len, pool, |start, block| {
        for (i, x) in block.iter_mut().enumerate() {
            *x = f(start + i);
        }
    })
}

/// `start, start + 1, ..., start + len - 1` as f64 (numpy's `arange`), built with the threads
/// of `pool`. Exact while the values stay below 2^53.
///
/// # Examples
/// ```
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// assert_eq!(mpikit::data::par_arange(5, 3, &pool), vec![5.0, 6.0, 7.0]);
/// ```
pub fn par_arange(start: usize, len: usize, pool: &rayon::ThreadPool) -> Vec<f64> {
    par_fill(len, pool, |first, block| fill_arange(block, start + first))
}

/// Writes `base, base + 1, ...` into `block`.
pub(crate) fn fill_arange(block: &mut [f64], base: usize) {
    const W: usize = 8;
    // Eight running values stepped by 8.0: additions vectorise, integer-to-float
    // conversions of every index would not.
    let mut v: [f64; W] = std::array::from_fn(|j| (base + j) as f64);
    let mut chunks = block.chunks_exact_mut(W);
    for c in &mut chunks {
        c.copy_from_slice(&v);
        for x in &mut v {
            *x += W as f64;
        }
    }
    for (x, &value) in chunks.into_remainder().iter_mut().zip(&v) {
        *x = value;
    }
}

/// A zeroed vector of `len` elements whose contiguous blocks `fill(first_index, block)`
/// writes on the threads of `pool`.
pub(crate) fn par_fill<T, F>(len: usize, pool: &rayon::ThreadPool, fill: F) -> Vec<T>
where
    T: Copy + Default + Send + Sync,
    F: Fn(usize, &mut [T]) + Sync,
{
    let mut v = zeroed_vec(len);
    for_each_part_mut(pool, &mut v, fill);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arange_matches_indices_for_every_split() {
        for threads in 1..=3 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for len in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 100_003] {
                let start = 1 << 40;
                let v = par_arange(start, len, &pool);
                assert_eq!(v.len(), len);
                assert!(
                    v.iter().enumerate().all(|(i, &x)| x == (start + i) as f64),
                    "len {len}"
                );
                let w = par_from_fn(len, &pool, |i| i as u32 * 3);
                assert!(w.iter().enumerate().all(|(i, &x)| x == i as u32 * 3));
            }
        }
    }
}
