//! A histogram of random data made by global index on a `DistArray` over a 2-D grid of
//! ranks: the same array, so the same counts, on any number of ranks and threads. Each rank
//! counts its block on its threads; one reduction combines the counts. Checked against a
//! serial count of the same values (bins found by a binary search over the edges).
//!
//! ```python
//! x = rng.random((rows, cols)) ** 2
//! counts, edges = np.histogram(x, bins=20, range=(0.0, 1.0))
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/histogram [ROWS] [COLS] [BINS]`.

use mpikit::data::Random;
use mpikit::ndarray::Ix2;
use mpikit::stats::NanPolicy;
use mpikit::{DistArray, Grid};

fn main() {
    mpikit::run(|world| {
        let mut args = std::env::args().skip(1).map(|a| {
            a.parse::<f64>()
                .map(|x| x as usize)
                .map_err(|_| mpikit::Error::Input(format!("histogram: not a number: {a}")))
        });
        let rows = args.next().transpose()?.unwrap_or(1000);
        let cols = args.next().transpose()?.unwrap_or(777);
        let bins = args.next().transpose()?.unwrap_or(20);
        let seed = 42;
        let grid = Grid::balanced(&[rows, cols], world.size() as usize, &[0, 1])?;
        let dims = grid.dims().to_vec();
        let x = DistArray::<f64, Ix2>::random(world, grid, seed)?.map(|u| u * u);
        let h = x.histogram(bins, Some((0.0, 1.0)), NanPolicy::Propagate)?;
        // Serially, on every rank: the same values by flat index, each value's bin by
        // binary search (bin i holds edges[i] <= v < edges[i + 1]; the last one also v == 1).
        let rng = Random::new(seed);
        let edges = h.edges();
        let mut want = vec![0u64; bins];
        for i in 0..rows * cols {
            let u = rng.uniform(i as u64);
            let v = u * u;
            let b = edges
                .partition_point(|&e| e <= v)
                .saturating_sub(1)
                .min(bins - 1);
            want[b] += 1;
        }
        assert_eq!(h.counts(), &want[..], "counts differ from the serial count");
        let total: u64 = h.counts().iter().sum();
        assert_eq!(total as usize, rows * cols, "every value is in [0, 1]");
        if world.is_root() {
            println!(
                "ok: histogram of {rows}x{cols} values in {bins} bins on {} ranks, as the serial count, grid {}x{}, first bins {:?}",
                world.size(),
                dims[0],
                dims[1],
                &want[..bins.min(4)]
            );
        }
        Ok::<_, mpikit::Error>(())
    })
}
