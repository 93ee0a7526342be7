//! `parsum gen`: writes a test `.npy` file in parallel.

use mpikit::{Dtype, Random, World};

use crate::cli::{GenArgs, Pattern};

pub fn run(world: &World, args: &GenArgs) -> Result<(), mpikit::Error> {
    let (dtype, _) = args.dtype;
    if let Some(threads) = args.threads {
        world.set_threads(threads)?;
    }
    let pool = world.pool();
    // Values by index and seed only: the file is the same for any number of ranks.
    let rng = Random::new(args.seed);
    let value: Box<dyn Fn(u64) -> f64 + Sync> = match (args.pattern, dtype) {
        (Pattern::Arange, _) => Box::new(|i| i as f64),
        (Pattern::Random, d) if d.is_float() => Box::new(move |i| rng.uniform(i)),
        (Pattern::Random, Dtype::U8 | Dtype::I8 | Dtype::Bool) => {
            Box::new(move |i| (rng.u64(i) % 256) as f64)
        }
        (Pattern::Random, Dtype::U16 | Dtype::I16) => {
            Box::new(move |i| (rng.u64(i) % 65536) as f64)
        }
        (Pattern::Random, _) => Box::new(move |i| (rng.u64(i) % 1_000_000) as f64),
    };
    let start = mpikit::mpi::time();
    mpikit::write_npy(world.comm(), &args.out, args.dtype, args.len, &*value, pool)?;
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
