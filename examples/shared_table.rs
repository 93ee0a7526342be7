//! One table per node, read by every rank in place: the chunked sum of squares over a
//! `SharedArray` (the Python articles' `shared_memory`, mpi4py's `Win.Allocate_shared`).
//! Each rank computes its share of the rows on its threads and the shares are combined;
//! the result is checked against the closed form. Then the node's real memory (the sum of
//! its ranks' proportional set sizes, from /proc/self/smaps_rollup: a shared page counts
//! once in all) is printed next to the size of one copy, after the sum of their resident set
//! sizes (which count a shared page in every rank that touched it).
//!
//! ```python
//! shm = shared_memory.SharedMemory(create=True, size=a.nbytes)   # one copy, many readers
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/shared_table [MIB]` (default 256 MiB).

use mpikit::ndarray::{s, Ix2};
use mpikit::prelude::*;
use mpikit::rma::SharedArray;
use mpikit::{Error, ReduceOp};

/// A line of /proc/self/smaps_rollup in bytes: `Pss:` (this process's proportional share:
/// a page shared by k processes counts 1/k) or `Rss:` (every page it touches, whole).
fn smaps_bytes(field: &str) -> Result<u64, Error> {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup")
        .map_err(|e| Error::input(format!("/proc/self/smaps_rollup: {e}")))?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| Error::input(format!("/proc/self/smaps_rollup has no {field} line")))
}

fn main() {
    mpikit::run(|world| {
        let mib: usize = match std::env::args().nth(1) {
            Some(a) => a.parse().map_err(|e| Error::input(format!("MIB: {e}")))?,
            None => 256,
        };
        let cols = 1024;
        let rows = (mib << 20) / (8 * cols);
        // Element (i, j) = i + j / cols: exactly representable, and a closed-form sum.
        let table = SharedArray::<f64, Ix2>::from_fn(world, (rows, cols), world.pool(), |k| {
            (k / cols) as f64 + (k % cols) as f64 / cols as f64
        })?;
        let view = table.view();
        let mine = world.block(rows);
        let part = view.slice(s![mine.clone(), ..]);
        let local: f64 = world.pool().install(|| {
            use mpikit::rayon::prelude::*;
            part.axis_iter(mpikit::ndarray::Axis(0))
                .into_par_iter()
                .map(|row| row.iter().map(|x| x * x).sum::<f64>())
                .sum()
        });
        let total = world.allreduce_scalar(local, ReduceOp::Sum)?;
        // Σ_i Σ_j (i + j/c)² = c Σ i² + 2 Σ i Σ j/c + r Σ (j/c)².
        let (r, c) = (rows as f64, cols as f64);
        let sum_i2 = (r - 1.0) * r * (2.0 * r - 1.0) / 6.0;
        let sum_i = r * (r - 1.0) / 2.0;
        let sum_j = (c - 1.0) / 2.0; // Σ j/c
        let sum_j2 = (c - 1.0) * (2.0 * c - 1.0) / (6.0 * c); // Σ (j/c)²
        let want = c * sum_i2 + 2.0 * sum_i * sum_j + r * sum_j2;
        assert!(
            (total - want).abs() <= 1e-9 * want,
            "sum of squares {total}, closed form {want}"
        );
        let node = world.node_comm();
        let node_pss = node.allreduce_scalar(smaps_bytes("Pss:")?, ReduceOp::Sum)?;
        let node_rss = node.allreduce_scalar(smaps_bytes("Rss:")?, ReduceOp::Sum)?;
        if world.rank() == 0 {
            println!("sum of squares: {total:.6e} over {rows} x {cols}");
            // RSS counts a shared page in every rank that touched it; PSS once in all.
            println!("sum of the ranks' RSS: {} MiB", node_rss >> 20);
            println!(
                "node memory: {} MiB for {} ranks, one copy {} MiB",
                node_pss >> 20,
                table.node_size(),
                (rows * cols * 8) >> 20
            );
        }
        Ok::<(), Error>(())
    })
}
