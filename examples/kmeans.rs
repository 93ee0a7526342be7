//! k-means (Lloyd's iterations) on points held as a `DistArray`: each rank assigns its block
//! of points to the nearest centroid on its threads, adds up the coordinates and counts per
//! cluster, and one `allreduce` per iteration gives every rank the new centroids. Checked
//! against a serial run of the same iterations on all the points (the same cluster sizes,
//! centroids equal to rounding).
//!
//! The mpi4py program it replaces:
//!
//! ```python
//! labels = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
//! sums = np.stack([x[labels == j].sum(0) for j in range(k)])
//! comm.Allreduce(MPI.IN_PLACE, sums); comm.Allreduce(MPI.IN_PLACE, counts)
//! c = sums / counts[:, None]
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/kmeans [POINTS] [DIMS] [K] [ITERATIONS]`.

use mpikit::data::Random;
use mpikit::ndarray::{Array2, ArrayView2, Axis, Ix2};
use mpikit::prelude::*;
use mpikit::{DistArray, Grid, ReduceOp};
use rayon::prelude::*;

/// Point `i`'s coordinate `c`: cluster `i % k`'s centre plus noise, by global index.
fn point(rng: &Random, k: usize, dims: usize, i: usize, c: usize) -> f64 {
    let centre = ((i % k) * 7 + c * 3) % 11;
    centre as f64 + 0.3 * rng.normal((i * dims + c) as u64)
}

/// The nearest centroid of `x` (the first of equals).
fn nearest(x: &[f64], centroids: &Array2<f64>) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (j, c) in centroids.outer_iter().enumerate() {
        let d: f64 = x.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum();
        if d < best.0 {
            best = (d, j);
        }
    }
    best.1
}

/// Per-cluster coordinate sums (k x dims, flat) and counts of `points`, on the threads.
fn partial(
    points: ArrayView2<'_, f64>,
    centroids: &Array2<f64>,
    pool: &rayon::ThreadPool,
) -> (Vec<f64>, Vec<u64>) {
    let (k, dims) = centroids.dim();
    let zero = || (vec![0.0; k * dims], vec![0u64; k]);
    pool.install(|| {
        points
            .axis_iter(Axis(0))
            .into_par_iter()
            .fold(zero, |(mut sums, mut counts), x| {
                let x = x.to_slice().expect("a point's row is contiguous");
                let j = nearest(x, centroids);
                counts[j] += 1;
                for (s, v) in sums[j * dims..][..dims].iter_mut().zip(x) {
                    *s += v;
                }
                (sums, counts)
            })
            .reduce(zero, |(mut s, mut c), (s2, c2)| {
                s.iter_mut().zip(s2).for_each(|(a, b)| *a += b);
                c.iter_mut().zip(c2).for_each(|(a, b)| *a += b);
                (s, c)
            })
    })
}

/// New centroids from sums and counts (an empty cluster keeps its centroid).
fn update(centroids: &mut Array2<f64>, sums: &[f64], counts: &[u64]) {
    let dims = centroids.ncols();
    for (j, mut c) in centroids.outer_iter_mut().enumerate() {
        if counts[j] > 0 {
            for (x, s) in c.iter_mut().zip(&sums[j * dims..][..dims]) {
                *x = s / counts[j] as f64;
            }
        }
    }
}

fn main() {
    mpikit::run(|world| {
        let mut args = std::env::args().skip(1).map(|a| {
            a.parse::<f64>()
                .map(|x| x as usize)
                .map_err(|_| mpikit::Error::Input(format!("kmeans: not a number: {a}")))
        });
        let n = args.next().transpose()?.unwrap_or(100_000);
        let dims = args.next().transpose()?.unwrap_or(3).max(1);
        let k = args.next().transpose()?.unwrap_or(4).max(1);
        let iterations = args.next().transpose()?.unwrap_or(10);
        let rng = Random::new(7);
        let grid = Grid::rows(&[n, dims], world.size() as usize);
        let points =
            DistArray::<f64, Ix2>::from_fn(world, grid, |ix| point(&rng, k, dims, ix[0], ix[1]))?;
        // Start from the first k points (by index, so no rank needs another's block).
        let start = Array2::from_shape_fn((k, dims), |(i, c)| point(&rng, k, dims, i, c));
        let mut centroids = start.clone();
        let mut counts = vec![0u64; k];
        for _ in 0..iterations {
            let (sums, local_counts) = partial(points.local(), &centroids, points.pool());
            let sums = world.allreduce_array(&sums, ReduceOp::Sum)?;
            counts = world.allreduce_array(&local_counts, ReduceOp::Sum)?;
            update(&mut centroids, &sums, &counts);
        }
        if world.is_root() {
            // Serially: every point, one after the other.
            let all = Array2::from_shape_fn((n, dims), |(i, c)| point(&rng, k, dims, i, c));
            let mut want = start;
            let mut want_counts = vec![0u64; k];
            for _ in 0..iterations {
                let mut sums = vec![0.0; k * dims];
                want_counts = vec![0u64; k];
                for x in all.outer_iter() {
                    let x = x.to_slice().expect("contiguous");
                    let j = nearest(x, &want);
                    want_counts[j] += 1;
                    for (s, v) in sums[j * dims..][..dims].iter_mut().zip(x) {
                        *s += v;
                    }
                }
                update(&mut want, &sums, &want_counts);
            }
            assert_eq!(
                counts, want_counts,
                "cluster sizes differ from the serial run"
            );
            let worst = centroids
                .iter()
                .zip(want.iter())
                .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
                .fold(0.0, f64::max);
            assert!(
                worst < 1e-12,
                "centroids differ from the serial run by {worst:e}"
            );
            println!(
                "ok: kmeans {n} points, {dims} dims, {k} clusters, {iterations} iterations on {} ranks, as the serial run, sizes {counts:?}, centroids within {worst:.1e}",
                world.size()
            );
        }
        Ok::<_, mpikit::Error>(())
    })
}
