//! The articles' lock example (threads incrementing a shared counter under a lock), done the
//! MPI way: threads inside a rank add to an atomic counter (no lock needed), and the ranks'
//! counts are combined with one reduction. The total is exact.
//!
//! ```python
//! with lock: counter += 1          # in 5 threads
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/shared_counter [THREADS] [INCREMENTS]`.

use std::sync::atomic::{AtomicU64, Ordering};

use mpikit::prelude::*;
use mpikit::ReduceOp;

fn main() {
    mpikit::run(|world| {
        let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
        let threads = args.next().flatten().unwrap_or(5);
        let increments = args.next().flatten().unwrap_or(100_000);
        let counter = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    for _ in 0..increments {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        let mine = counter.into_inner();
        assert_eq!(mine, threads * increments);
        let total = world.allreduce_scalar(mine, ReduceOp::Sum)?;
        if world.is_root() {
            let want = world.size() as u64 * threads * increments;
            assert_eq!(total, want);
            println!("Counter: {total}");
            println!(
                "ok: {} ranks x {threads} threads x {increments} increments",
                world.size()
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
