//! Task-pool benchmarks: tiny-task throughput and load balance of skewed tasks.

use std::time::{Duration, Instant};

use mpikit::mpi::collective::CommunicatorCollectives;
use mpikit::mpi::topology::SimpleCommunicator;
use mpikit::Pool;

/// Tiny tasks (the identity on an integer) per second at `chunksize`, the median of `reps`
/// runs of `n` tasks; `Some` on rank 0.
pub fn tasks_per_second(
    comm: &SimpleCommunicator,
    n: u64,
    chunksize: usize,
    reps: usize,
) -> Option<f64> {
    let items: Vec<u64> = (0..n).collect();
    let mut pool = Pool::new(comm).chunksize(chunksize);
    let mut rates: Vec<f64> = (0..reps)
        .map(|_| {
            comm.barrier();
            let t0 = Instant::now();
            let results = pool.map(&items, |&x| x).expect("pool map");
            if let Some(r) = &results {
                assert!(
                    r.iter().enumerate().all(|(i, v)| *v == Ok(i as u64)),
                    "identity results"
                );
            }
            n as f64 / t0.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    pool.is_root().then(|| rates[rates.len() / 2])
}

/// Sleep times of the skewed workload: one task in eight takes 10x the others.
pub fn skewed_durations(tasks: usize, unit: Duration) -> Vec<Duration> {
    (0..tasks)
        .map(|i| if i % 8 == 3 { unit * 10 } else { unit })
        .collect()
}

/// The best possible makespan of `durations` on `workers` workers: the larger of the mean
/// load and the longest task.
pub fn ideal_makespan(durations: &[Duration], workers: usize) -> Duration {
    let total: Duration = durations.iter().sum();
    let longest = durations.iter().max().copied().unwrap_or_default();
    (total / workers as u32).max(longest)
}

/// Makespan of the skewed tasks with chunksize 1 (median of `reps`), and the ideal, on rank 0.
/// Tasks sleep, so oversubscribed ranks do not slow each other down.
pub fn balance(
    comm: &SimpleCommunicator,
    tasks: usize,
    unit: Duration,
    reps: usize,
) -> Option<(f64, f64)> {
    let durations = skewed_durations(tasks, unit);
    let mut pool = Pool::new(comm);
    let mut spans: Vec<f64> = (0..reps)
        .map(|_| {
            comm.barrier();
            let t0 = Instant::now();
            pool.map(&durations, |d| std::thread::sleep(*d))
                .expect("pool map");
            t0.elapsed().as_secs_f64()
        })
        .collect();
    spans.sort_by(f64::total_cmp);
    let ideal = ideal_makespan(&durations, pool.size()).as_secs_f64();
    pool.is_root().then(|| (spans[spans.len() / 2], ideal))
}
