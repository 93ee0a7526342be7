//! The articles' decision guide, measured: I/O-bound work (here, TASKS waits of MS
//! milliseconds, like network requests) runs well on threads inside one rank; CPU-bound work
//! needs processes (ranks). Both are timed here on the same tasks.
//!
//! Run: `mpirun -n 4 target/release/examples/threads_for_io [TASKS] [MS] [THREADS]`.

use std::time::{Duration, Instant};

use mpikit::mpi::traits::*;
use mpikit::Pool;

fn fetch(i: &u64, ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms)); // stands in for a request or a file read
    i * 10
}

fn main() {
    mpikit::run(|world| {
        let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
        let tasks = args.next().flatten().unwrap_or(32);
        let ms = args.next().flatten().unwrap_or(50);
        let threads = args.next().flatten().unwrap_or(16) as usize;
        let items: Vec<u64> = (0..tasks).collect();
        let want: Vec<u64> = items.iter().map(|i| i * 10).collect();

        // Threads in one rank (rank 0): a thread pool, like ThreadPoolExecutor.
        let mut threaded = Vec::new();
        let t0 = Instant::now();
        if world.is_root() {
            let pool = mpikit::rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("threads");
            threaded = pool.install(|| {
                use mpikit::rayon::prelude::*;
                items.par_iter().map(|i| fetch(i, ms)).collect()
            });
        }
        let thread_secs = t0.elapsed().as_secs_f64();
        world.barrier();

        // Ranks: the task pool, one task at a time per rank.
        let mut pool = Pool::new(world);
        let t0 = Instant::now();
        let ranked = pool.map(&items, |i| fetch(i, ms))?;
        let rank_secs = t0.elapsed().as_secs_f64();
        if let Some(ranked) = ranked {
            let ranked: Vec<u64> = ranked
                .into_iter()
                .map(|r| r.expect("no task fails"))
                .collect();
            assert_eq!(threaded, want);
            assert_eq!(ranked, want);
            println!("{tasks} waits of {ms} ms: {threads} threads in one rank {thread_secs:.3} s, {} ranks {rank_secs:.3} s", pool.size());
            println!("ok: threads and ranks agree on {tasks} tasks");
        }
        Ok::<(), mpikit::Error>(())
    })
}
