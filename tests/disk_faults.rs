//! Writes that the disk refuses, on 1, 2, 3 and 8 ranks: a full disk (a 1 MiB tmpfs) and a
//! read-only one (a tmpfs mounted read-only), for `.npy` (positioned and collective MPI-IO),
//! `.npz`, HDF5 and checkpoints. Each is the same one-line `Err` on every rank, the file or
//! checkpoint that was there before stays whole and readable, and nothing is left behind.
//!
//! Needs root (or CAP_SYS_ADMIN) to mount the two file systems; otherwise it says it skipped.
//! No libtest harness: run plainly it mounts them, relaunches itself under mpirun, unmounts.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use mpikit::checkpoint::Checkpoints;
use mpikit::hdf5::Storage;
use mpikit::io::{Compression, NpzWriter, Transfer};
use mpikit::mpi::traits::*;
use mpikit::ndarray::Ix1;
use mpikit::{DistArray, Grid, World};

const FULL: &str = "MPIKIT_TEST_FULL_DIR";
const READ_ONLY: &str = "MPIKIT_TEST_READ_ONLY_DIR";

/// The two mounts, unmounted when dropped.
struct Mounts(Vec<PathBuf>);

impl Mounts {
    /// A 1 MiB tmpfs with an old `.npy` file and a checkpoint in it, and a read-only tmpfs
    /// holding the same; `Err` with the reason when mounting is not allowed.
    fn new(setup: impl Fn(&Path)) -> Result<Mounts, String> {
        let base = std::env::temp_dir().join(format!("mpikit-disk-{}", std::process::id()));
        let (full, ro) = (base.join("full"), base.join("ro"));
        let mut mounts = Mounts(Vec::new());
        for dir in [&full, &ro] {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            let out = Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
                .arg(dir)
                .output()
                .map_err(|e| format!("mount: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "mount: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            mounts.0.push(dir.clone());
            setup(dir);
        }
        let out = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&ro)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "remount ro: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(mounts)
    }
}

impl Drop for Mounts {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = Command::new("umount").arg(dir).status();
        }
    }
}

fn main() {
    if std::env::var_os("MPIKIT_RANK_CHECKS").is_some() {
        return common::run_checks("disk_faults", &[full_disk, read_only]);
    }
    if !common::have_mpirun("disk_faults") {
        return;
    }
    // Each file system starts with an old file and a checkpoint, written by a 1-rank job.
    let seed = |dir: &Path| {
        let job = common::mpirun_with(
            1,
            &std::env::current_exe().unwrap(),
            &[],
            &[
                ("MPIKIT_TEST_SEED_DIR", dir.to_str().unwrap()),
                ("MPIKIT_RANK_CHECKS", "1"),
            ],
            common::TIMEOUT,
        );
        job.assert_ok();
    };
    let mounts = match Mounts::new(seed) {
        Ok(m) => m,
        Err(why) => {
            println!("SKIPPED disk_faults: cannot mount a small tmpfs ({why}); run as root");
            println!("disk_faults: 0 passed, 0 failed, 1 skipped");
            return;
        }
    };
    std::env::set_var(FULL, &mounts.0[0]);
    std::env::set_var(READ_ONLY, &mounts.0[1]);
    common::spmd_main("disk_faults", &[1, 2, 3, 8], &[&[]], || {});
    drop(mounts);
}

/// The old array every mount holds: 1000 values.
fn old(world: &World) -> mpikit::Result<DistArray<f64, Ix1>> {
    DistArray::from_fn(world, Grid::rows(&[1000], world.size() as usize), |i| {
        i[0] as f64
    })
}

/// A 2 MiB array: more than the 1 MiB file system holds.
fn big(world: &World) -> mpikit::Result<DistArray<f64, Ix1>> {
    DistArray::from_fn(world, Grid::rows(&[1 << 18], world.size() as usize), |i| {
        i[0] as f64 * 0.5
    })
}

/// The old file and checkpoint are whole, and nothing else is in `dir`.
fn intact(world: &World, dir: &Path) -> mpikit::Result<()> {
    let size = world.size() as usize;
    let rows = |s: &[usize]| Ok(Grid::rows(s, size));
    let a = DistArray::<f64, Ix1>::read_npy(world, &dir.join("old.npy"), rows)?;
    assert_eq!(a.sum()?, 499_500.0, "the old file");
    let ckpt = Checkpoints::new(world, &dir.join("ckpt"), "disk")?;
    let saved = ckpt.restore(1)?;
    let b = saved.array::<f64, Ix1>("a", rows)?;
    assert_eq!(b.sum()?, 499_500.0, "the old checkpoint");
    if world.is_root() {
        let names = |d: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            names(dir),
            ["ckpt", "old.npy"],
            "left behind in {}",
            dir.display()
        );
        assert_eq!(
            names(&dir.join("ckpt")),
            ["step-000000000001"],
            "left in the checkpoints"
        );
    }
    world.barrier();
    Ok(())
}

/// The writes both file systems refuse, each with `text` in its one line.
fn refused(world: &World, dir: &Path, text: &str) -> mpikit::Result<()> {
    let big = big(world)?;
    let npy = dir.join("old.npy");
    let positioned = big.write_npy_using(&npy, Some(Transfer::Positioned));
    common::same_err(world, positioned, text)?;
    // MPI's own words for the disk's refusal: the line names the file.
    let collective = big.write_npy_using(&npy, Some(Transfer::Collective));
    common::same_err(world, collective, "old.npy")?;
    let archive =
        NpzWriter::create(world, &dir.join("new.npz"), Compression::Stored).and_then(|mut w| {
            w.add("a", &big)?;
            w.finish()
        });
    common::same_err(world, archive, text)?;
    let h5 = big.write_hdf5(&dir.join("new.h5"), "/a", &Storage::Contiguous);
    common::same_err(world, h5, text)?;
    let ckpt = Checkpoints::new(world, &dir.join("ckpt"), "disk")?;
    let saved = ckpt.save(2).and_then(|mut s| {
        s.array("a", &big)?;
        s.commit()
    });
    common::same_err(world, saved, text)?;
    intact(world, dir)
}

fn full_disk(world: &World) -> mpikit::Result<()> {
    if let Ok(dir) = std::env::var("MPIKIT_TEST_SEED_DIR") {
        return seed(world, Path::new(&dir));
    }
    let dir = PathBuf::from(std::env::var(FULL).expect("set by the launcher"));
    refused(world, &dir, "No space left on device")
}

fn read_only(world: &World) -> mpikit::Result<()> {
    if std::env::var_os("MPIKIT_TEST_SEED_DIR").is_some() {
        return Ok(());
    }
    let dir = PathBuf::from(std::env::var(READ_ONLY).expect("set by the launcher"));
    refused(world, &dir, "Read-only file system")
}

/// Writes the old file and checkpoint into `dir` (the launcher's 1-rank seeding job).
fn seed(world: &World, dir: &Path) -> mpikit::Result<()> {
    let a = old(world)?;
    a.write_npy(&dir.join("old.npy"))?;
    let ckpt = Checkpoints::new(world, &dir.join("ckpt"), "disk")?;
    let mut s = ckpt.save(1)?;
    s.array("a", &a)?;
    s.commit()?;
    Ok(())
}
