//! One-sided access (issue 24), the mpikit side of scripts/bench-rma.sh, whose C peer
//! (scripts/bench/rma_c.c) runs the same loops on the same MPI calls:
//!
//! - `counter`: every rank draws [`Counter::next`] (a fetch-and-add of 1 on rank 0 under a
//!   lock of all, then a local flush) [`COUNTER_ITERS`] times; next to it, the same number of
//!   indices handed out by a [`Pool`] (`map` of the identity, chunksize 1, rank 0 the master).
//! - `mutex`: every rank takes and releases one [`Mutex`] [`MUTEX_ITERS`] times.
//! - `put`, `get` (sized): rank 0 writes into (reads from) rank 1's window under a lock of
//!   all, `put` then `flush(1)`, or `get`, one transfer at a time.
//!
//! Each has a `raw` variant too: the same MPI calls made from Rust through rsmpi's `ffi` on a
//! window of their own ([`RawWindow`]), in the same process, interleaved with mpikit's: the
//! floor without the noise of separate launches.
//!
//! Each figure: seconds per operation of one rank (the slowest rank's; for put and get, rank
//! 0's), the median over the repetitions, variants interleaved within each. For the pool,
//! whose master hands out every index: the wall time of the map times the ranks over the
//! indices, so that ranks / seconds is the rate in every row.

use std::os::raw::c_void;

use mpikit::mpi::collective::CommunicatorCollectives;
use mpikit::mpi::ffi;
use mpikit::mpi::raw::AsRaw;
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::prelude::*;
use mpikit::rma::{Counter, Mutex, Window};
use mpikit::{Pool, ReduceOp};

/// The benchmarks of this module; [`SIZED`] ones run at every `--sizes`, the others once.
pub const BENCHES: [&str; 4] = ["counter", "mutex", "put", "get"];

/// The benchmarks that run at every size.
pub const SIZED: [&str; 2] = ["put", "get"];

/// Fetch-and-adds per rank in one timing (scripts/bench-rma.sh gives the C peer the same).
pub const COUNTER_ITERS: usize = 20_000;

/// Indices one pool map hands out, across all ranks.
pub const POOL_ITEMS: usize = 20_000;

/// Lock and unlock pairs per rank in one timing (as for the C peer).
pub const MUTEX_ITERS: usize = 2_000;

/// Puts or gets of `bytes` in one timing: 32 MiB moved, 4 to 20,000 (as the C peer's), so
/// that the caches' refill at the start of each timing weighs little.
pub fn transfers(bytes: usize) -> usize {
    ((32 << 20) / bytes.max(1)).clamp(4, 20_000)
}

/// A window allocated and locked (a lock of all, until dropped) through MPI's C calls
/// alone: `bytes` (rounded up to 64-byte lines, as mpikit's) in elements of `unit` bytes.
struct RawWindow {
    win: ffi::MPI_Win,
}

impl RawWindow {
    fn new(comm: &SimpleCommunicator, bytes: usize, unit: usize) -> RawWindow {
        let mut base: *mut c_void = std::ptr::null_mut();
        let mut win = std::mem::MaybeUninit::<ffi::MPI_Win>::uninit();
        // SAFETY: collective over `comm`, which every rank reaches; valid out-pointers; the
        // fence completes the allocation and opens no epoch, so the lock of all may follow.
        unsafe {
            ffi::MPI_Win_allocate(
                bytes.next_multiple_of(64) as ffi::MPI_Aint,
                unit as i32,
                ffi::RSMPI_INFO_NULL,
                comm.as_raw(),
                (&mut base as *mut *mut c_void).cast(),
                win.as_mut_ptr(),
            );
            let win = win.assume_init();
            ffi::MPI_Win_fence(ffi::MPI_MODE_NOSUCCEED as i32, win);
            ffi::MPI_Win_lock_all(0, win);
            RawWindow { win }
        }
    }
}

impl Drop for RawWindow {
    fn drop(&mut self) {
        // SAFETY: the lock of all opened in `new`; the free is collective, and every rank
        // drops its window at the same point of `run`.
        unsafe {
            ffi::MPI_Win_unlock_all(self.win);
            ffi::MPI_Win_free(&mut self.win);
        }
    }
}

/// This rank's seconds per operation over `iters` calls of `f`.
fn per_op(iters: usize, f: &mut dyn FnMut()) -> f64 {
    let t0 = mpikit::mpi::time();
    for _ in 0..iters {
        f();
    }
    (mpikit::mpi::time() - t0) / iters as f64
}

/// Each variant's name and median seconds per call (or per operation), the first the baseline.
pub type Figures = Vec<(&'static str, f64)>;

/// This rank's seconds for one call of `f`.
pub fn timed(f: &mut dyn FnMut()) -> f64 {
    let t0 = mpikit::mpi::time();
    f();
    mpikit::mpi::time() - t0
}

/// Median over `reps` of the slowest rank's figure of each variant (a function that runs
/// one timing and returns this rank's seconds per operation), measured in turn within every
/// repetition after one warm-up each.
pub fn interleaved(
    comm: &SimpleCommunicator,
    reps: usize,
    variants: &mut [(&'static str, &mut dyn FnMut() -> f64)],
) -> Figures {
    for (_, f) in variants.iter_mut() {
        comm.barrier();
        f(); // warm-up
    }
    let mut samples = vec![Vec::with_capacity(reps); variants.len()];
    for _ in 0..reps {
        for (k, (_, f)) in variants.iter_mut().enumerate() {
            comm.barrier();
            let mine = f();
            samples[k].push(
                comm.allreduce_scalar(mine, ReduceOp::Max)
                    .expect("allreduce of one f64"),
            );
        }
    }
    variants
        .iter()
        .zip(samples)
        .map(|((name, _), mut s)| {
            s.sort_by(f64::total_cmp);
            (*name, s[s.len() / 2])
        })
        .collect()
}

/// One benchmark (at `bytes`, for put and get): (variant, median seconds per operation of
/// one rank); the first is mpikit's, the second the same calls raw (but for the mutex).
fn measure(comm: &SimpleCommunicator, bench: &str, bytes: usize, reps: usize) -> Figures {
    let ranks = comm.size() as f64;
    match bench {
        "counter" => {
            let counter = Counter::new(comm, 0, 0).expect("a counter");
            let raw = RawWindow::new(comm, usize::from(comm.rank() == 0) * 8, 8);
            let mut pool = Pool::new(comm);
            let items: Vec<u64> = (0..POOL_ITEMS as u64).collect();
            interleaved(
                comm,
                reps,
                &mut [
                    ("mpikit", &mut || {
                        per_op(COUNTER_ITERS, &mut || {
                            counter.next().expect("fetch-and-add");
                        })
                    }),
                    ("raw", &mut || {
                        per_op(COUNTER_ITERS, &mut || {
                            let (one, mut before) = (1i64, 0i64);
                            // SAFETY: inside the lock of all; rank 0's window holds one i64;
                            // both buffers live until the local flush completes the call.
                            unsafe {
                                ffi::MPI_Fetch_and_op(
                                    (&one as *const i64).cast(),
                                    (&mut before as *mut i64).cast(),
                                    ffi::RSMPI_INT64_T,
                                    0,
                                    0,
                                    ffi::RSMPI_SUM,
                                    raw.win,
                                );
                                ffi::MPI_Win_flush_local(0, raw.win);
                            }
                        })
                    }),
                    ("pool", &mut || {
                        let t0 = mpikit::mpi::time();
                        let out = pool.map(&items, |&i| i).expect("pool map");
                        if let Some(out) = out {
                            assert!(out.iter().enumerate().all(|(i, v)| *v == Ok(i as u64)));
                        }
                        (mpikit::mpi::time() - t0) * ranks / POOL_ITEMS as f64
                    }),
                ],
            )
        }
        "mutex" => {
            let mutex = Mutex::new(comm).expect("a mutex");
            interleaved(
                comm,
                reps,
                &mut [("mpikit", &mut || {
                    per_op(MUTEX_ITERS, &mut || {
                        drop(mutex.lock().expect("lock"));
                    })
                })],
            )
        }
        "put" | "get" => {
            let win = Window::<u8>::allocate(comm, bytes).expect("a window");
            let all = win.lock_all().expect("a lock of all");
            let raw = RawWindow::new(comm, bytes, 1);
            let mut buf = vec![1u8; bytes];
            let mut raw_buf = vec![1u8; bytes];
            let n = i32::try_from(bytes).expect("put and get sizes below 2 GiB");
            let iters = transfers(bytes);
            let rank0 = comm.rank() == 0;
            let put = bench == "put";
            interleaved(
                comm,
                reps,
                &mut [
                    ("mpikit", &mut || {
                        if !rank0 {
                            return 0.0;
                        }
                        per_op(iters, &mut || {
                            if put {
                                all.put(1, 0, &buf).expect("put");
                                all.flush(1).expect("flush");
                            } else {
                                all.get(1, 0, &mut buf).expect("get");
                            }
                        })
                    }),
                    ("raw", &mut || {
                        if !rank0 {
                            return 0.0;
                        }
                        let (p, win) = (raw_buf.as_mut_ptr(), raw.win);
                        per_op(iters, &mut || {
                            // SAFETY: inside the lock of all; rank 1's window holds `n`
                            // bytes; `raw_buf` lives until the local flush completes the call.
                            unsafe {
                                let dt = ffi::RSMPI_UINT8_T;
                                if put {
                                    ffi::MPI_Put(p.cast(), n, dt, 1, 0, n, dt, win);
                                    ffi::MPI_Win_flush_local(1, win);
                                    ffi::MPI_Win_flush(1, win);
                                } else {
                                    ffi::MPI_Get(p.cast(), n, dt, 1, 0, n, dt, win);
                                    ffi::MPI_Win_flush_local(1, win);
                                }
                            }
                        })
                    }),
                ],
            )
        }
        _ => unreachable!("checked names"),
    }
}

/// Runs the one-sided benches among `selected` (the sized ones at every size of `sizes`),
/// printing a line per figure on rank 0 and adding CSV rows to `rows`.
pub fn run_selected(
    comm: &SimpleCommunicator,
    selected: &[String],
    sizes: &[usize],
    reps: usize,
    rows: &mut Vec<String>,
) {
    let root = comm.rank() == 0;
    for bench in BENCHES.iter().filter(|b| selected.iter().any(|x| x == *b)) {
        let at: &[usize] = if SIZED.contains(bench) { sizes } else { &[8] };
        for &bytes in at {
            let figures = measure(comm, bench, bytes, reps);
            if root {
                let cols: Vec<String> = figures
                    .iter()
                    .map(|(v, t)| format!("{v} {:>9.3} us/op", t * 1e6))
                    .collect();
                println!("{bench:<10} {:>6} {}", crate::human(bytes), cols.join("  "));
            }
            for (v, t) in figures {
                rows.push(format!("{bench},{bytes},{},{v},{t:e}", comm.size()));
            }
        }
    }
}
