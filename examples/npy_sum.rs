//! A `.npy` file of f64 read as a `DistArray` (each rank reads its own row block with its
//! threads), then its sum of squares: numpy's `(np.load(path) ** 2).sum()` on any number of
//! ranks. Without a file it first writes `0, 1, ..., N-1` (`DistArray::arange` and
//! `write_npy`) to a temporary file and checks the result against the closed form. Prints the
//! read and reduction times (the slowest rank's).
//!
//! `parsum --input FILE` computes the same while streaming the file in 1 MiB pieces instead
//! of holding it: about 2.4x faster and a few MiB per rank instead of the block (README).
//!
//! Run: `mpirun -n 2 target/release/examples/npy_sum [FILE.npy | N]`.

use std::time::Instant;

use mpikit::mpi::traits::*;
use mpikit::ndarray::Ix1;
use mpikit::prelude::*;
use mpikit::{DistArray, Grid, ReduceOp};

fn main() {
    mpikit::run(|world| {
        let size = world.size() as usize;
        let arg = std::env::args().nth(1).unwrap_or_else(|| "1000003".into());
        let (path, made) = match arg.parse::<f64>() {
            Ok(n) => {
                let n = n as usize;
                let pid =
                    world.broadcast_object(0, world.is_root().then_some(&std::process::id()))?;
                let path = std::env::temp_dir().join(format!("mpikit-npy-sum-{pid}.npy"));
                DistArray::<f64, Ix1>::arange(world, Grid::rows(&[n], size))?.write_npy(&path)?;
                (path, Some(n))
            }
            Err(_) => (arg.into(), None),
        };
        world.barrier();
        let start = Instant::now();
        let x = DistArray::<f64, Ix1>::read_npy(world, &path, |shape| Ok(Grid::rows(shape, size)));
        if made.is_some() {
            world.barrier();
            if world.is_root() {
                let _ = std::fs::remove_file(&path);
            }
        }
        let x = x?;
        let read = start.elapsed().as_secs_f64();
        let sumsq = x.sumsq()?;
        let total = start.elapsed().as_secs_f64();
        let read = world.allreduce_scalar(read, ReduceOp::Max)?;
        let total = world.allreduce_scalar(total, ReduceOp::Max)?;
        if let Some(n) = made {
            let n = n as u128;
            let exact = (n.saturating_sub(1) * n * (2 * n).saturating_sub(1) / 6) as f64;
            let rel = (sumsq - exact).abs() / exact.max(1.0);
            assert!(rel < 1e-12, "sum of squares {sumsq} vs {exact}");
        }
        if world.is_root() {
            let checked = if made.is_some() {
                ", as the closed form"
            } else {
                ""
            };
            println!(
                "ok: {} values on {size} ranks{checked}, sum of squares {sumsq:e}, read {read:.4} s, read + sum {total:.4} s",
                x.len()
            );
        }
        Ok::<_, mpikit::Error>(())
    })
}
