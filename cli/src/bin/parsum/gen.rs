//! `parsum gen`: writes a test `.npy` or HDF5 file in parallel.

use std::path::Path;

use mpikit::data::Random;
use mpikit::io::Dtype;
use mpikit::World;

use crate::cli::{FormatArg, GenArgs, Pattern};
use mpikit::hdf5::Storage;

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
    let h5_name = |p: &Path| {
        p.extension()
            .is_some_and(|e| e == "h5" || e == "hdf5" || e == "he5")
    };
    let (out, dataset) = match args.out.to_str().and_then(|t| t.split_once(':')) {
        Some((f, d)) if h5_name(Path::new(f)) => (Path::new(f), d),
        _ => (args.out.as_path(), "data"),
    };
    let format = args.format.unwrap_or(if h5_name(out) {
        FormatArg::H5
    } else {
        FormatArg::Npy
    });
    let start = mpikit::mpi::time();
    match format {
        FormatArg::Npy => {
            if args.chunk.is_some() || args.deflate.is_some() {
                return Err(mpikit::Error::input(
                    "--chunk and --deflate are for HDF5 files (--format h5)",
                ));
            }
            mpikit::io::write_npy(world.comm(), out, args.dtype, args.len, &*value, pool)?
        }
        FormatArg::H5 => {
            let storage = match (args.chunk, args.deflate) {
                (None, None) => Storage::Contiguous,
                (chunk, deflate) => Storage::Chunked {
                    chunk: chunk.map(|c| vec![c as usize]),
                    deflate,
                },
            };
            let dtype = args.dtype;
            mpikit::hdf5::write_values(
                world, out, dataset, dtype, args.len, &*value, &storage, pool,
            )?
        }
    }
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
