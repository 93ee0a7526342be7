//! Checkpoints on 1, 2, 3, 4 and 8 ranks: arrays of several types and shapes (uneven and
//! empty blocks) and a state saved from every rank, restored on every smaller rank count (a
//! split of the job) and grid, values checked against their formula; the last K kept and
//! stale temporary folders cleared; and damaged or mismatched checkpoints as one clear `Err`
//! on every rank, with the earlier checkpoints untouched.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use std::path::{Path, PathBuf};

use mpikit::checkpoint::Checkpoints;
use mpikit::mpi::topology::{Color, SimpleCommunicator};
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Ix1, Ix2, Ix3};
use mpikit::prelude::*;
use mpikit::{DistArray, Grid, World};

fn main() {
    common::spmd_main_everywhere("checkpoint", || {
        common::run_checks("checkpoint", &[save_and_restore_anywhere, refusals])
    });
}

#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug, Clone)]
struct State {
    step: u64,
    seed: u64,
    label: String,
}

fn f(i: &[usize]) -> f64 {
    i.iter().fold(0.5, |acc, &x| acc * 31.0 + x as f64) / 3.0
}

/// A folder every rank names the same, made empty by rank 0.
fn folder(world: &World, what: &str) -> mpikit::Result<PathBuf> {
    let pid = world.broadcast_object(0, world.is_root().then_some(&std::process::id()))?;
    let dir = std::env::temp_dir().join(format!("mpikit-ckpt-{what}-{pid}"));
    if world.is_root() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test folder");
    }
    world.barrier();
    Ok(dir)
}

/// Saves three arrays and a state at `step`.
fn save(ckpt: &Checkpoints, world: &World, step: u64) -> mpikit::Result<PathBuf> {
    let size = world.size() as usize;
    let a = DistArray::<f64, Ix2>::from_fn(world, Grid::balanced(&[13, 7], size, &[0, 1])?, f)?;
    let b = DistArray::<i32, Ix1>::from_fn(world, Grid::rows(&[3], size), |i| {
        i[0] as i32 * -7 + step as i32
    })?;
    let c =
        DistArray::<u8, Ix3>::from_fn(world, Grid::balanced(&[4, 5, 6], size, &[0, 1, 2])?, |i| {
            (i[0] * 30 + i[1] * 6 + i[2]) as u8
        })?;
    let mut s = ckpt.save(step)?;
    s.array("a", &a)?;
    s.array("b", &b)?;
    s.array("c", &c)?;
    s.state(&State {
        step,
        seed: 99,
        label: format!("saved on {size}"),
    })?;
    s.commit()
}

/// Restores checkpoint `step` on `comm` (any size) onto fresh grids and checks every value.
fn restore_on(
    comm: &SimpleCommunicator,
    dir: &Path,
    step: u64,
    saved_on: usize,
) -> mpikit::Result<()> {
    let size = comm.size() as usize;
    let ckpt = Checkpoints::new(comm, dir, "ckpt-test")?;
    let saved = ckpt.restore(step)?;
    assert_eq!(saved.step(), step);
    assert_eq!(saved.arrays(), ["a", "b", "c"]);
    assert_eq!(saved.shape("c")?, [4, 5, 6]);
    let a = saved.array::<f64, Ix2>("a", |s| Ok(Grid::rows(s, size)))?;
    let o = a.offset().to_vec();
    for ((i, j), v) in a.local().indexed_iter() {
        assert_eq!(
            *v,
            f(&[i + o[0], j + o[1]]),
            "a[{}, {}]",
            i + o[0],
            j + o[1]
        );
    }
    let b = saved.array::<i32, Ix1>("b", |s| Ok(Grid::rows(s, size)))?;
    for (i, v) in b.local().indexed_iter() {
        assert_eq!(*v, (i + b.offset()[0]) as i32 * -7 + step as i32);
    }
    let c = saved.array::<u8, Ix3>("c", |s| Grid::balanced(s, size, &[2, 1]))?;
    let o = c.offset().to_vec();
    for ((i, j, k), v) in c.local().indexed_iter() {
        assert_eq!(*v as usize, (i + o[0]) * 30 + (j + o[1]) * 6 + k + o[2]);
    }
    let state: State = saved.state()?;
    assert_eq!(state.step, step);
    assert_eq!(state.label, format!("saved on {saved_on}"));
    Ok(())
}

fn save_and_restore_anywhere(world: &World) -> mpikit::Result<()> {
    let dir = folder(world, "anywhere")?;
    let size = world.size() as usize;
    let ckpt = Checkpoints::new(world, &dir, "ckpt-test")?.keep(2);
    // A save killed midway leaves a temporary folder; the next commit clears it.
    if world.is_root() {
        std::fs::create_dir_all(dir.join(".step-000000000005.tmp-1")).unwrap();
        std::fs::write(dir.join(".step-000000000005.tmp-1/a.npy"), b"half").unwrap();
    }
    // A save dropped before its commit removes its own folder.
    {
        let mut s = ckpt.save(7)?;
        s.state(&1u8)?;
    }
    for step in [10, 20, 30] {
        save(&ckpt, world, step)?;
    }
    // Saving a step again replaces it.
    save(&ckpt, world, 30)?;
    assert_eq!(ckpt.steps()?, [20, 30], "the last two kept");
    assert_eq!(ckpt.latest()?, Some(30));
    if world.is_root() {
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with('.')),
            "left behind: {names:?}"
        );
    }
    // Restored on every rank count up to this job's (the first k ranks) and on this one.
    for k in 1..=size {
        let color = if world.rank() < k as i32 {
            Color::with_value(0)
        } else {
            Color::undefined()
        };
        if let Some(sub) = world.comm().split_by_color(color) {
            restore_on(&sub, &dir, 30, size)?;
            restore_on(&sub, &dir, 20, size)?;
        }
        world.barrier();
    }
    if world.is_root() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

/// Changes a file of checkpoint `step` (rank 0), then waits for every rank.
fn damage(world: &World, dir: &Path, step: u64, file: &str, how: impl Fn(&mut Vec<u8>)) {
    if world.is_root() {
        let path = dir.join(format!("step-{step:012}")).join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        how(&mut bytes);
        std::fs::write(&path, bytes).unwrap();
    }
    world.barrier();
}

fn refusals(world: &World) -> mpikit::Result<()> {
    let dir = folder(world, "bad")?;
    let ckpt = Checkpoints::new(world, &dir, "ckpt-test")?.keep(10);
    common::same_err(
        world,
        ckpt.restore(1),
        "no checkpoint of step 1 (complete checkpoints: none)",
    )?;
    for step in 1..=6 {
        save(&ckpt, world, step)?;
    }
    common::same_err(
        world,
        ckpt.restore(9),
        "no checkpoint of step 9 (complete checkpoints: 1, 2, 3, 4, 5, 6)",
    )?;
    // A flipped byte, a truncated array, a damaged state, a foreign manifest.
    damage(world, &dir, 1, "a.npy", |b| {
        let last = b.len() - 1;
        b[last] ^= 1;
    });
    common::same_err(
        world,
        ckpt.restore(1),
        "a.npy: damaged: the checksum of bytes 0..",
    )?;
    damage(world, &dir, 2, "c.npy", |b| b.truncate(b.len() - 10));
    common::same_err(
        world,
        ckpt.restore(2),
        "bytes, the checkpoint's manifest says",
    )?;
    damage(world, &dir, 3, "state.bin", |b| b[0] ^= 0xff);
    common::same_err(world, ckpt.restore(3), "state.bin: damaged")?;
    damage(world, &dir, 4, "manifest.txt", |b| {
        *b = String::from_utf8(b.clone())
            .unwrap()
            .replace("program ckpt-test", "program other")
            .into_bytes()
    });
    common::same_err(
        world,
        ckpt.restore(4),
        "a checkpoint of \"other\", not of \"ckpt-test\"",
    )?;
    damage(world, &dir, 4, "manifest.txt", |b| {
        *b = b"{\"not\": \"a manifest\"}".to_vec()
    });
    common::same_err(
        world,
        ckpt.restore(4),
        "manifest.txt: not an mpikit checkpoint manifest",
    )?;
    // The wrong name, type or state type.
    let good = ckpt.restore(5)?;
    let rows = |s: &[usize]| Ok(Grid::rows(s, world.size() as usize));
    common::same_err(
        world,
        good.array::<f64, Ix2>("z", rows),
        "no array \"z\" in the checkpoint (it holds a, b, c)",
    )?;
    common::same_err(
        world,
        good.array::<f32, Ix2>("a", rows),
        "array \"a\" holds <f8 values, not <f4 (f32)",
    )?;
    common::same_err(world, good.array::<f64, Ix3>("a", rows), "axis")?;
    common::same_err(
        world,
        good.state::<(u64, u64, u64, u64)>(),
        "not this program's state type",
    )?;
    // Another program's checkpoints, bad names, a folder that cannot be made.
    let other = Checkpoints::new(world, &dir, "someone-else")?;
    common::same_err(
        world,
        other.restore(5),
        "a checkpoint of \"ckpt-test\", not of \"someone-else\"",
    )?;
    common::same_err(
        world,
        Checkpoints::new(world, &dir, "two words"),
        "one word, no spaces",
    )?;
    let a = DistArray::<f64, Ix1>::zeros(world, Grid::rows(&[4], world.size() as usize))?;
    let mut s = ckpt.save(7)?;
    common::same_err(world, s.array("../escape", &a), "use letters, digits")?;
    s.array("x", &a)?;
    common::same_err(world, s.array("x", &a), "array \"x\" saved twice")?;
    drop(s);
    let file = dir.join("plain-file");
    if world.is_root() {
        std::fs::write(&file, b"x").unwrap();
    }
    world.barrier();
    common::same_err(
        world,
        Checkpoints::new(world, &file.join("sub"), "p"),
        "Not a directory",
    )?;
    // The good checkpoints are still there and whole.
    assert_eq!(ckpt.latest()?, Some(6));
    restore_on(world.comm(), &dir, 6, world.size() as usize)?;
    if world.is_root() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}
