//! A self-scheduled loop: tasks of very uneven cost, handed out one index at a time by a
//! shared `Counter` (every rank draws the next index itself; no master rank), next to the
//! same work on a `Pool` (rank 0 hands the tasks out). Both results are checked against the
//! same sum computed serially here.
//!
//! ```python
//! with Pool() as pool: results = pool.map(work, range(n))   # dynamic scheduling
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/self_scheduling [TASKS]`.

use std::time::Instant;

use mpikit::prelude::*;
use mpikit::rma::Counter;
use mpikit::Pool;

/// Task `i`: a cost that grows with `i` (the last tasks are the longest).
fn work(i: usize) -> u64 {
    (0..(i as u64 % 97 + 1) * 2000).fold(i as u64, |a, k| a.wrapping_mul(31).wrapping_add(k))
}

fn main() {
    mpikit::run(|world| {
        let n: usize = std::env::args()
            .nth(1)
            .map(|a| {
                a.parse()
                    .map_err(|e| mpikit::Error::input(format!("TASKS: {e}")))
            })
            .transpose()?
            .unwrap_or(2000);
        let serial = (0..n).map(work).fold(0u64, u64::wrapping_add);

        let start = Instant::now();
        let counter = Counter::new(world, 0, 0)?;
        let (mut mine, mut count) = (0u64, 0usize);
        for i in counter.indices(n) {
            mine = mine.wrapping_add(work(i));
            count += 1;
        }
        let total = world.allreduce_objects(mine, u64::wrapping_add)?;
        let counts = world.gather_objects(0, &count)?;
        let counter_time = start.elapsed();
        assert_eq!(total, serial, "the counter's loop");

        let start = Instant::now();
        let mut pool = Pool::new(world);
        let items: Vec<usize> = (0..n).collect();
        let pooled = pool.map(&items, |&i| work(i))?;
        let pool_time = start.elapsed();
        if let (Some(pooled), Some(counts)) = (pooled, counts) {
            let pooled = pooled
                .into_iter()
                .collect::<Result<Vec<u64>, _>>()
                .expect("no task fails");
            assert_eq!(
                pooled.into_iter().fold(0, u64::wrapping_add),
                serial,
                "the pool"
            );
            assert_eq!(counts.iter().sum::<usize>(), n);
            println!("tasks per rank (counter): {counts:?}");
            println!(
                "ok: {n} tasks on {} ranks, counter {:.1} ms, pool {:.1} ms",
                world.size(),
                counter_time.as_secs_f64() * 1e3,
                pool_time.as_secs_f64() * 1e3
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
