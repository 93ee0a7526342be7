//! mpi4py's Scatterv / Gatherv of a 2-D array by rows, with ndarray:
//!
//! ```python
//! rows = np.arange(n * 4, dtype=float).reshape(n, 4) if rank == 0 else None
//! counts = ...; world.Scatterv([rows, counts * 4, displs * 4, MPI.DOUBLE], mine, root=0)
//! mine *= 2; world.Gatherv(mine, [out, ...], root=0)
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/scatter_gather_rows [ROWS]`. Rank 0 checks the
//! gathered matrix against one doubled serially and prints `ok`.

use mpikit::ndarray::Array2;
use mpikit::prelude::*;
use mpikit::ReduceOp;

fn main() {
    mpikit::run(|world| {
        let rows: usize = match std::env::args().nth(1).map(|a| a.parse()) {
            None => 10,
            Some(Ok(r)) => r,
            Some(Err(_)) => {
                if world.is_root() {
                    eprintln!("scatter_gather_rows: ROWS must be a whole number");
                }
                std::process::exit(2);
            }
        };
        let full = (world.rank() == 0)
            .then(|| Array2::from_shape_fn((rows, 4), |(i, j)| (i * 4 + j) as f64));
        let mut mine = world.scatter_rows(0, full.as_ref())?;
        println!("rank {}: {} rows", world.rank(), mine.nrows());
        mine.mapv_inplace(|x| 2.0 * x);
        let row_total = world.allreduce_scalar(mine.nrows() as u64, ReduceOp::Sum)?;
        if let Some(back) = world.gather_rows(0, &mine)? {
            let want = full.expect("rank 0 built the matrix").mapv(|x| 2.0 * x);
            assert_eq!(back, want, "gathered rows differ from the serial result");
            assert_eq!(row_total as usize, rows);
            println!("ok: {rows} rows over {} ranks", world.size());
        }
        Ok::<(), mpikit::Error>(())
    })
}
