//! The articles' lock example across processes: every rank, with its threads, adds to one
//! counter held on rank 0, under one `Mutex` that spans the ranks. The counter is updated by
//! a plain read, add and write (not atomic): only the mutex keeps the total exact, and a
//! second counter of ranks inside the critical section checks that no two ever overlap.
//!
//! ```python
//! lock = multiprocessing.Lock()
//! with lock: counter.value += 1   # in every process
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/lock_counter [ROUNDS] [THREADS] [INCREMENTS]`.

use std::sync::atomic::{AtomicU64, Ordering};

use mpikit::mpi::traits::*;
use mpikit::rma::{LockKind, Mutex, Window};
use mpikit::ReduceOp;

fn main() {
    mpikit::run(|world| {
        let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
        let rounds = args.next().flatten().unwrap_or(20);
        let threads = args.next().flatten().unwrap_or(4);
        let increments = args.next().flatten().unwrap_or(1000);
        let mutex = Mutex::new(world)?;
        // Rank 0 holds [counter, ranks inside the critical section].
        let shared = Window::<u64>::allocate(world, if world.rank() == 0 { 2 } else { 0 })?;
        {
            let all = shared.lock_all()?;
            for _ in 0..rounds {
                let _held = mutex.lock()?;
                let inside = all.fetch_and_op(0, 1, 1, ReduceOp::Sum)?;
                assert_eq!(inside, 0, "two ranks inside the critical section");
                let mut counter = [0u64];
                all.get(0, 0, &mut counter)?;
                // This rank's threads each add their increments.
                let added = AtomicU64::new(0);
                let add =
                    || (0..increments).for_each(|_| _ = added.fetch_add(1, Ordering::Relaxed));
                std::thread::scope(|s| (0..threads).for_each(|_| _ = s.spawn(add)));
                all.put(0, 0, &[counter[0] + added.into_inner()])?;
                all.flush(0)?;
                all.fetch_and_op(0, 1, u64::MAX, ReduceOp::Sum)?; // minus one, wrapping
                all.flush(0)?;
            }
        }
        world.barrier();
        let mut total = [0u64];
        shared.lock(0, LockKind::Shared)?.get(0, 0, &mut total)?;
        let want = world.size() as u64 * rounds * threads * increments;
        assert_eq!(total[0], want, "the counter lost updates");
        if world.rank() == 0 {
            println!("Counter: {}", total[0]);
            println!(
                "ok: {} ranks x {threads} threads x {rounds} rounds x {increments} increments under one Mutex",
                world.size()
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
