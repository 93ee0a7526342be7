//! Random access (the GUPS pattern of HPCC and PRK's Random): every rank XORs pseudo-random
//! values into pseudo-random entries of one table spread over the ranks, through one-sided
//! `accumulate` (the owners do not take part). XOR updates commute, so the table is checked
//! against the same updates applied serially on rank 0.
//!
//! Run: `mpirun -n 4 target/release/examples/gups [LOG2_TABLE] [UPDATES_PER_ENTRY]`.

use std::time::Instant;

use mpikit::ndarray::Ix1;
use mpikit::{DistArray, Error, Grid, ReduceOp};

/// Rank `rank`'s `n` updates: (flat index, value) from a 64-bit LCG seeded by the rank.
fn updates(rank: usize, n: usize, table: usize) -> (Vec<usize>, Vec<u64>) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (rank as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let mut points = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        points.push((x >> 17) as usize % table);
        values.push(x);
    }
    (points, values)
}

fn main() {
    mpikit::run(|world| {
        let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
        let log2 = args
            .next()
            .transpose()
            .map_err(|e| Error::input(format!("LOG2_TABLE: {e}")))?
            .unwrap_or(16);
        let per = args
            .next()
            .transpose()
            .map_err(|e| Error::input(format!("UPDATES_PER_ENTRY: {e}")))?
            .unwrap_or(4);
        if log2 > 30 {
            return Err(Error::input("LOG2_TABLE: at most 30"));
        }
        let (size, rank) = (world.size() as usize, world.rank() as usize);
        let table = 1usize << log2;
        let n = per * table / size;
        // Entry i starts as i.
        let mut a =
            DistArray::<u64, Ix1>::from_fn(world, Grid::rows(&[table], size), |g| g[0] as u64)?;
        let (points, values) = updates(rank, n, table);
        let start = Instant::now();
        {
            let mut access = a.one_sided()?;
            for (p, v) in points.chunks(1024).zip(values.chunks(1024)) {
                access.accumulate_points(p, v, ReduceOp::BitXor)?;
            }
            access.sync()?;
        }
        let seconds = start.elapsed().as_secs_f64();
        if let Some(got) = a.gather(0)? {
            let mut want: Vec<u64> = (0..table as u64).collect();
            for r in 0..size {
                let (p, v) = updates(r, n, table);
                for (&i, &x) in p.iter().zip(&v) {
                    want[i] ^= x;
                }
            }
            assert!(
                got.iter().eq(want.iter()),
                "the table differs from the serial updates"
            );
            let total = (n * size) as f64;
            println!("updates: {} in {seconds:.3} s", n * size);
            println!(
                "ok: gups on {size} ranks, table 2^{log2}, {:.5} GUP/s",
                total / seconds / 1e9
            );
        }
        Ok::<(), Error>(())
    })
}
