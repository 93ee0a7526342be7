//! The articles' `ProcessPoolExecutor` examples, across MPI ranks:
//!
//! ```python
//! def heavy_computation(n): return sum(i**2 for i in range(n))
//! futures = [executor.submit(heavy_computation, n) for n in [10000, 20000, 30000, 40000]]
//! futures = [executor.submit(cpu_bound_task, 10000000) for _ in range(4)]
//! ```
//!
//! Results are printed as they complete (`as_completed`) and checked against the closed form
//! (n-1)n(2n-1)/6. Run: `mpirun -n 4 target/release/examples/heavy_computation [BIG]`
//! (BIG defaults to 10^7).

use mpikit::Pool;

fn heavy_computation(n: &u64) -> u128 {
    // black_box keeps the compiler from replacing the loop by its closed form.
    (0..*n)
        .map(|i| u128::from(std::hint::black_box(i)).pow(2))
        .sum()
}

fn closed_form(n: u64) -> u128 {
    let n = u128::from(n);
    n.saturating_sub(1) * n * (2 * n).saturating_sub(1) / 6
}

fn main() {
    mpikit::run(|world| {
        let big: u64 = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(10_000_000);
        let mut pool = Pool::new(world);
        let mut items = vec![10_000, 20_000, 30_000, 40_000];
        items.extend([big; 4]);
        let start = std::time::Instant::now();
        let mut seen = 0;
        pool.as_completed(&items, heavy_computation, |i, result| {
            let result = result.expect("no task fails");
            assert_eq!(result, closed_form(items[i]), "task {i}");
            println!("task {i} (n = {}): {result}", items[i]);
            seen += 1;
        })?;
        if world.is_root() {
            assert_eq!(seen, items.len());
            println!(
                "ok: {seen} tasks on {} ranks in {:.3} s",
                pool.size(),
                start.elapsed().as_secs_f64()
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
