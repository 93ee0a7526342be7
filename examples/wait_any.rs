//! mpi4py's `irecv` + `Request.waitany`: a master posts one non-blocking receive per worker
//! and serves whichever answers first; workers take different times, so answers arrive out
//! of order, and every one is handed out exactly once.
//!
//! ```python
//! reqs = [comm.irecv(source=w, tag=5) for w in range(1, size)]
//! for _ in reqs:
//!     index, answer = MPI.Request.waitany(reqs)
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/wait_any`.

use std::time::Duration;

use mpikit::prelude::*;
use mpikit::requests::RequestSet;

/// A worker's job: a slow-ish computation whose time depends on the rank.
fn work(rank: i32, size: i32) -> u64 {
    std::thread::sleep(Duration::from_millis(20 * (size - rank) as u64));
    (1..=rank as u64 * 1000).sum()
}

fn main() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank(), world.size());
        if world.is_root() {
            let mut answers = RequestSet::new();
            for worker in 1..size {
                answers.push(world.immediate_receive_object::<(i32, u64)>(Some(worker), Some(5))?);
            }
            let mut order = Vec::new();
            while let Some((index, answer)) = answers.wait_any() {
                let ((worker, value), _) = answer?;
                assert_eq!(
                    worker,
                    index as i32 + 1,
                    "request {index} is worker {worker}'s"
                );
                assert_eq!(value, work_sum(worker));
                order.push(worker);
            }
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (1..size).collect::<Vec<_>>(), "every worker once");
            println!(
                "ok: {} answers from {} workers, in the order {order:?}",
                order.len(),
                size - 1
            );
        } else {
            world.send_object(0, 5, &(rank, work(rank, size)))?;
        }
        Ok::<(), mpikit::Error>(())
    });
}

/// The expected answer, computed independently of `work`.
fn work_sum(rank: i32) -> u64 {
    let n = rank as u64 * 1000;
    n * (n + 1) / 2
}
