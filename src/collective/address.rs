//! The addresses of buffers handed to MPI.
//!
//! An empty Rust slice points at a dangling address equal to its alignment: 1 for `u8`, `i8`
//! and `bool`. Open MPI's `MPI_IN_PLACE` is `(void *) 1` and MPICH's is `(void *) -1`, so an
//! empty `Vec<u8>` handed to MPI as it is would turn a collective into its in-place form
//! (and abort the job with `MPI_ERR_ARG`). Every data address mpikit gives MPI, through
//! rsmpi's safe calls or through the raw calls (`raw/`), comes from the functions here, which point
//! empty buffers at a private static instead; MPI reads and writes nothing at a zero count.

use std::ffi::c_void;

/// Where empty buffers point: aligned for every element type MPI can carry.
#[repr(C, align(64))]
struct Spare([u8; 64]);

static SPARE: Spare = Spare([0; 64]);

fn spare<T>() -> *const T {
    debug_assert!(std::mem::align_of::<T>() <= 64);
    SPARE.0.as_ptr().cast()
}

/// `buf`, or an empty slice at the private address when `buf` is empty.
pub(crate) fn nonempty<T>(buf: &[T]) -> &[T] {
    if buf.is_empty() {
        // SAFETY: a non-null address aligned for `T`; zero elements are read.
        unsafe { std::slice::from_raw_parts(spare::<T>(), 0) }
    } else {
        buf
    }
}

/// `buf`, or an empty mutable slice at the private address when `buf` is empty.
pub(crate) fn nonempty_mut<T>(buf: &mut [T]) -> &mut [T] {
    if buf.is_empty() {
        // SAFETY: a non-null address aligned for `T`; zero elements are read or written, so
        // the static is never written.
        unsafe { std::slice::from_raw_parts_mut(spare::<T>().cast_mut(), 0) }
    } else {
        buf
    }
}

/// The address MPI reads `buf` from.
pub(crate) fn send_ptr<T>(buf: &[T]) -> *const c_void {
    nonempty(buf).as_ptr().cast()
}

/// The address MPI writes `buf` at.
pub(crate) fn recv_ptr<T>(buf: &mut [T]) -> *mut c_void {
    nonempty_mut(buf).as_mut_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_buffers_never_point_at_a_sentinel() {
        let sentinels = [1usize, usize::MAX];
        let mut bytes: Vec<u8> = Vec::new();
        let mut flags: Vec<bool> = Vec::new();
        let mut wide: Vec<num_complex::Complex<f64>> = Vec::new();
        for p in [
            send_ptr(&bytes) as usize,
            recv_ptr(&mut bytes) as usize,
            recv_ptr(&mut flags) as usize,
            send_ptr(&wide) as usize,
            recv_ptr(&mut wide) as usize,
        ] {
            assert!(!sentinels.contains(&p) && p != 0, "address {p:#x}");
            assert_eq!(p % 64, 0);
        }
        // A non-empty buffer keeps its own address.
        let full = vec![7u8; 3];
        assert_eq!(send_ptr(&full), full.as_ptr().cast());
        assert_eq!(nonempty(&full[..0]).len(), 0);
    }
}
