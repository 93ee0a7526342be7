//! Files of a DistArray (issue 26): `bytes` of f64 per rank written (`file-write`) and read
//! back (`file-read`) as `.npy` by each rank's positioned writes (the baseline), `.npy` by
//! collective MPI-IO, HDF5 contiguous, HDF5 chunked and deflated (level 1), and a stored
//! `.npz`. Every write ends with the file synced and renamed into place, as the library
//! always does; each starts with no old file to replace (removed and synced, untimed). Files go to `$MPIKIT_BENCH_DIR` (default `.bench/files`) and are removed
//! after. One call per timing, variants interleaved within each repetition.

use std::path::{Path, PathBuf};

use mpikit::hdf5::Storage;
use mpikit::io::{Compression, NpzWriter, Transfer};
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::ndarray::Ix1;
use mpikit::{DistArray, Grid};

use crate::rma::{timed, Figures};

/// The benchmarks of this module.
pub const BENCHES: [&str; 2] = ["file-write", "file-read"];

/// The folder the files go to (made by rank 0).
fn folder(comm: &SimpleCommunicator) -> PathBuf {
    let dir = std::env::var_os("MPIKIT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".bench/files"));
    if comm.rank() == 0 {
        std::fs::create_dir_all(&dir).expect("the benchmark folder");
    }
    mpikit::mpi::collective::CommunicatorCollectives::barrier(comm);
    dir
}

/// Removes `path` and syncs (rank 0), untimed, so that every timed write makes a new file
/// with the old one's blocks already freed: on this VM's ext4 (mounted with online
/// discard) freeing 800 MB otherwise lands in whichever write syncs next.
fn fresh(comm: &SimpleCommunicator, path: &Path) {
    if comm.rank() == 0 {
        let _ = std::fs::remove_file(path);
        let _ = std::process::Command::new("sync").status();
    }
    mpikit::mpi::collective::CommunicatorCollectives::barrier(comm);
}

type Write<'a> = &'a dyn Fn(&DistArray<f64, Ix1>, &Path) -> mpikit::Result<()>;
type Read<'a> = &'a dyn Fn(&SimpleCommunicator, &Path) -> mpikit::Result<f64>;

/// (variant, median seconds per call); the first (`npy`, positioned) is the baseline.
pub fn run(comm: &SimpleCommunicator, bench: &str, bytes: usize, reps: usize) -> Figures {
    let p = comm.size() as usize;
    let n = (bytes / 8).max(1) * p;
    let a = DistArray::<f64, Ix1>::from_fn(comm, Grid::rows(&[n], p), |i| i[0] as f64 * 0.5)
        .expect("the array");
    let dir = folder(comm);
    let rows = move |s: &[usize]| Ok(Grid::rows(s, p));
    let npy: Write = &|a, path| a.write_npy_using(path, Some(Transfer::Positioned));
    let mpiio: Write = &|a, path| a.write_npy_using(path, Some(Transfer::Collective));
    let h5: Write = &|a, path| a.write_hdf5(path, "/a", &Storage::Contiguous);
    let h5z: Write = &|a, path| a.write_hdf5(path, "/a", &Storage::deflate(1));
    let npz: Write = &|a, path| {
        let mut w = NpzWriter::create(a.comm(), path, Compression::Stored)?;
        w.add("a", a)?;
        w.finish()
    };
    let read_npy: Read = &|c, path| {
        DistArray::<f64, Ix1>::read_npy_using(c, path, Some(Transfer::Positioned), rows)?.sum()
    };
    let read_mpiio: Read = &|c, path| {
        DistArray::<f64, Ix1>::read_npy_using(c, path, Some(Transfer::Collective), rows)?.sum()
    };
    let read_h5: Read = &|c, path| DistArray::<f64, Ix1>::read_hdf5(c, path, "/a", rows)?.sum();
    let read_npz: Read =
        &|c, path| DistArray::<f64, Ix1>::read_npz(c, path, Some("a"), rows)?.sum();
    let cases: [(&'static str, &str, Write, Read); 5] = [
        ("npy", "a.npy", npy, read_npy),
        ("npy-mpiio", "b.npy", mpiio, read_mpiio),
        ("h5", "c.h5", h5, read_h5),
        ("h5-deflate", "d.h5", h5z, read_h5),
        ("npz", "e.npz", npz, read_npz),
    ];
    let write = bench == "file-write";
    if !write {
        for (_, file, w, _) in &cases {
            w(&a, &dir.join(file)).expect("the file to read");
        }
    }
    let want = a.sum().expect("sum");
    let mut fns: Vec<Box<dyn FnMut() -> f64 + '_>> = cases
        .iter()
        .map(|&(_, file, w, r)| {
            let path = dir.join(file);
            let a = &a;
            Box::new(move || {
                if write {
                    fresh(comm, &path);
                    timed(&mut || w(a, &path).expect("write"))
                } else {
                    timed(&mut || assert_eq!(r(comm, &path).expect("read"), want))
                }
            }) as Box<dyn FnMut() -> f64 + '_>
        })
        .collect();
    let mut variants: Vec<(&'static str, &mut dyn FnMut() -> f64)> = cases
        .iter()
        .zip(fns.iter_mut())
        .map(|((name, ..), f)| (*name, &mut **f as &mut dyn FnMut() -> f64))
        .collect();
    // A round more than `interleaved`'s warm-up: on this VM the first timed write after the
    // warm-up's files is 2.5-3x slower whichever variant comes first (measured with the
    // order reversed: the slowness moved with the position), and `scripts/bench-io.sh`
    // times one call per launch.
    for (_, f) in variants.iter_mut() {
        mpikit::mpi::collective::CommunicatorCollectives::barrier(comm);
        f();
    }
    let figures = super::rma::interleaved(comm, reps, &mut variants);
    if comm.rank() == 0 {
        for (_, file, ..) in &cases {
            let _ = std::fs::remove_file(dir.join(file));
        }
    }
    figures
}
