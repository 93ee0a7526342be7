//! The articles' joblib example: 8 tasks that sleep 1 s each, `Parallel(n_jobs=4)`. With
//! dynamic load balancing they take about ceil(8 / ranks) seconds on any number of ranks.
//!
//! ```python
//! results = Parallel(n_jobs=4)(delayed(expensive_function)(i) for i in range(8))
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/sleep_tasks [SECONDS]`.

use std::time::{Duration, Instant};

use mpikit::Pool;

fn main() {
    mpikit::run(|world| {
        let secs: f64 = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1.0);
        let items: Vec<u64> = (0..8).collect();
        let mut pool = Pool::new(world);
        let start = Instant::now();
        let results = pool.map(&items, |&x| {
            std::thread::sleep(Duration::from_secs_f64(secs));
            x * x
        })?;
        let elapsed = start.elapsed().as_secs_f64();
        if let Some(results) = results {
            let values: Vec<u64> = results
                .into_iter()
                .map(|r| r.expect("no task fails"))
                .collect();
            assert_eq!(values, items.iter().map(|x| x * x).collect::<Vec<_>>());
            let ideal = items.len().div_ceil(pool.size()) as f64 * secs;
            println!("{values:?}");
            println!(
                "elapsed {elapsed:.2} s, ideal {ideal:.2} s ({} tasks of {secs} s on {} ranks)",
                items.len(),
                pool.size()
            );
            println!("ok: {} sleeps on {} ranks", items.len(), pool.size());
        }
        Ok::<(), mpikit::Error>(())
    })
}
