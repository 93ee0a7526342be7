//! The articles' numpy example: `np.arange(0, 1e8)` split into 4 chunks, each chunk sent to a
//! pool worker, `np.sum(chunk ** 2)` there, the partial sums added up:
//!
//! ```python
//! data = np.arange(0, 100000000, dtype=float)
//! chunks = [data[i:i+chunk_size] for i in range(0, len(data), chunk_size)]
//! with Pool(processes=4) as pool: results = pool.map(process_data, chunks)
//! ```
//!
//! Here the chunks travel as serde objects to the ranks, and the sum is checked against the
//! closed form. (`parsum` does the same job without sending the data at all.)
//! Run: `mpirun -n 4 target/release/examples/chunked_sum_of_squares [N] [CHUNKS]`.

use mpikit::data::Partition;
use mpikit::Pool;

fn main() {
    mpikit::run(|world| {
        let mut args = std::env::args()
            .skip(1)
            .map(|a| a.parse::<f64>().ok().map(|x| x as usize));
        let n = args.next().flatten().unwrap_or(100_000_000);
        let parts = args.next().flatten().unwrap_or(4).max(1);
        let chunks: Vec<Vec<f64>> = if world.is_root() {
            let blocks = Partition::new(n, parts);
            (0..parts)
                .map(|p| blocks.range(p).map(|i| i as f64).collect())
                .collect()
        } else {
            Vec::new()
        };
        let mut pool = Pool::new(world);
        let partials = pool.map(&chunks, |chunk: &Vec<f64>| {
            mpikit::stats::kernels::sum_sq(chunk)
        })?;
        if let Some(partials) = partials {
            let total: f64 = partials
                .into_iter()
                .map(|p| p.expect("no task fails"))
                .sum();
            let n128 = n as u128;
            let exact = (n128.saturating_sub(1) * n128 * (2 * n128).saturating_sub(1) / 6) as f64;
            let rel = if exact == 0.0 {
                total.abs()
            } else {
                (total - exact).abs() / exact
            };
            assert!(
                rel <= (n as f64 + 2.0) * f64::EPSILON,
                "sum {total} vs {exact}"
            );
            println!("Total sum of squares: {total:e}");
            println!(
                "ok: {parts} chunks of {n} values on {} ranks, relative error {rel:.1e}",
                pool.size()
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
