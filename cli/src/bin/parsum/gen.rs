//! `parsum gen`: writes a test `.npy` file in parallel.

use mpikit::{Dtype, World};

use crate::cli::{GenArgs, Pattern};

/// A counter-based generator: value `i` depends on the seed and `i` only, so the file is the
/// same for any number of ranks and threads.
fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(i.wrapping_mul(0xbf58_476d_1ce4_e5b9))
        .wrapping_add(0x94d0_49bb_1331_11eb);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub fn run(world: &World, args: &GenArgs) -> Result<(), mpikit::Error> {
    let (dtype, _) = args.dtype;
    let threads = args.threads.unwrap_or_else(|| world.threads());
    let pool = mpikit::rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| mpikit::Error::input(format!("cannot start {threads} threads: {e}")))?;
    let seed = args.seed;
    let value: Box<dyn Fn(u64) -> f64 + Sync> = match (args.pattern, dtype) {
        (Pattern::Arange, _) => Box::new(|i| i as f64),
        (Pattern::Random, d) if d.is_float() => {
            Box::new(move |i| (mix(seed, i) >> 11) as f64 / (1u64 << 53) as f64)
        }
        (Pattern::Random, Dtype::U8) => Box::new(move |i| (mix(seed, i) % 256) as f64),
        (Pattern::Random, _) => Box::new(move |i| (mix(seed, i) % 1_000_000) as f64),
    };
    let start = mpikit::mpi::time();
    mpikit::write_npy(
        world.comm(),
        &args.out,
        args.dtype,
        args.len,
        &*value,
        &pool,
    )?;
    if world.is_root() {
        let secs = mpikit::mpi::time() - start;
        let bytes = args.len * dtype.size() as u64;
        println!(
            "parsum gen: wrote {} ({} {} values, {:?}, {:.2} GB/s) on {} rank(s)",
            args.out.display(),
            args.len,
            dtype,
            args.pattern,
            bytes as f64 / secs.max(1e-9) / 1e9,
            world.size()
        );
    }
    Ok(())
}
