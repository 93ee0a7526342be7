//! Scratch byte buffers for object messages, kept between calls.
//!
//! An object call encodes into a byte buffer and receives into another, then frees both.
//! A large buffer is a fresh `mmap` from the allocator each time, and the first touch of
//! each of its pages costs more than the copy that fills it (measured on a 16 MiB scatter:
//! page faults and page clearing took a quarter of the call). So the blocking object calls
//! take their buffers from a small per-thread pool and give them back: at most
//! [`KEPT`] buffers, each kept only up to [`KEEP_BYTES`] of capacity.

use std::cell::RefCell;

/// Buffers kept per thread (an encode and a receive buffer are alive at once).
pub(crate) const KEPT: usize = 2;

/// The largest capacity worth keeping between calls; larger buffers are freed.
pub(crate) const KEEP_BYTES: usize = 64 << 20;

thread_local! {
    /// Free buffers; each `Vec`'s length is how many of its bytes are initialised.
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn pop(len: usize) -> Vec<u8> {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        // The smallest buffer that holds `len` bytes, else the largest.
        let best = (0..p.len())
            .filter(|&i| p[i].capacity() >= len)
            .min_by_key(|&i| p[i].capacity())
            .or_else(|| (0..p.len()).max_by_key(|&i| p[i].capacity()));
        best.map(|i| p.swap_remove(i)).unwrap_or_default()
    })
}

/// An empty buffer to append to (room for `len` bytes reserved).
pub(crate) fn empty(len: usize) -> Vec<u8> {
    let mut v = pop(len);
    v.clear();
    v.reserve(len);
    v
}

/// A buffer of `len` bytes to receive into; its contents are arbitrary (old bytes, or zeros
/// where it grew).
pub(crate) fn filled(len: usize) -> Vec<u8> {
    let mut v = pop(len);
    if v.len() >= len {
        v.truncate(len);
    } else {
        v.resize(len, 0);
    }
    v
}

/// Gives a buffer back to this thread's pool (or frees it: too large, or the pool is full).
pub(crate) fn give(v: Vec<u8>) {
    if v.capacity() == 0 || v.capacity() > KEEP_BYTES {
        return;
    }
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < KEPT {
            p.push(v);
        } else if let Some(i) = (0..p.len()).min_by_key(|&i| p[i].capacity()) {
            if p[i].capacity() < v.capacity() {
                p[i] = v;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_with_their_room() {
        let mut v = filled(1000);
        v[999] = 7;
        let ptr = v.as_ptr();
        give(v);
        let w = filled(500);
        assert_eq!(
            (w.len(), w.as_ptr()),
            (500, ptr),
            "the kept buffer is reused"
        );
        give(w);
        let e = empty(10);
        assert!(e.is_empty() && e.capacity() >= 1000);
        give(e);
        give(Vec::with_capacity(KEEP_BYTES + 1));
        let big = POOL.with(|p| p.borrow().iter().map(Vec::capacity).max());
        assert!(
            big < Some(KEEP_BYTES + 1),
            "a buffer over the limit is freed"
        );
    }
}
