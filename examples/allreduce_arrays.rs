//! mpi4py tutorial, array collectives: `Allreduce` of numpy arrays and the parallel
//! matrix-vector product with `Allgather`:
//!
//! ```python
//! world.Allreduce(local, total, op=MPI.SUM)
//! world.Allgather([x, MPI.DOUBLE], [xg, MPI.DOUBLE]); y = A @ xg
//! ```
//!
//! Each rank owns a block of rows of A (n x n, A[i][j] = i + j) and of x (x[j] = 1). Run:
//! `mpirun -n 4 target/release/examples/allreduce_arrays [N]`; rank 0 checks y = A x against
//! the closed form and prints `ok`.

use mpikit::ndarray::{Array1, Array2};
use mpikit::prelude::*;
use mpikit::ReduceOp;

fn main() {
    mpikit::run(|world| {
        let n: usize = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(100);
        let rows = world.block(n);
        let a = Array2::from_shape_fn((rows.len(), n), |(i, j)| (rows.start + i + j) as f64);
        let x = Array1::from_elem(rows.len(), 1.0);
        // Allgather the distributed vector, multiply the local rows.
        let x_all = world.allgather_rows(&x)?;
        let y_local = a.dot(&x_all);
        // Allreduce: the sum of every y_i, and the element-wise max of per-rank histograms.
        let total = world.allreduce_scalar(y_local.sum(), ReduceOp::Sum)?;
        let mut hist = Array1::<u64>::zeros(4);
        for &v in &y_local {
            hist[(v as usize) % 4] += 1;
        }
        let hist = world.allreduce_array(&hist, ReduceOp::Sum)?;
        let y = world.gather_rows(0, &y_local)?;
        if let Some(y) = y {
            // y_i = sum_j (i + j) = n i + n(n-1)/2
            for (i, &v) in y.iter().enumerate() {
                assert_eq!(v, (n * i + n * (n - 1) / 2) as f64);
            }
            assert_eq!(total, y.sum());
            assert_eq!(hist.sum() as usize, n);
            println!(
                "ok: y = A x for n = {n} on {} ranks, sum {total}",
                world.size()
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
