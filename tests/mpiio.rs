//! `.npy` files of DistArrays by collective MPI-IO and by positioned writes, on 1, 2, 3, 4
//! and 8 ranks: every pair of write and read paths over 1-D, 2-D and 3-D shapes (uneven and
//! empty blocks) and several element types gives the same file, byte for byte, as one built
//! here from the values' formula, and reads back to the formula on other grids; Fortran-
//! ordered files read collectively; raw files (numpy's `tofile`) both ways, the same bytes as
//! the `.npy` file's data; the `MPIKIT_IO` rule; bad input as one `Err` everywhere.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;
#[path = "common/npy.rs"]
mod npy;

use std::path::PathBuf;

use mpikit::io::Transfer;
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Dimension, IxDyn};
use mpikit::num_complex::Complex;
use mpikit::prelude::*;
use mpikit::{DistArray, Grid, World};

fn main() {
    let envs: &[&[(&str, &str)]] = &[&[], &[("MPIKIT_IO", "collective")]];
    common::spmd_main("mpiio", common::RANKS, envs, || {
        common::run_checks("mpiio", &[paths_agree, the_rule, refusals])
    });
}

fn f(i: &[usize]) -> f64 {
    i.iter().fold(0.25, |acc, &x| acc * 10.0 + x as f64)
}

trait Value: mpikit::buffers::Element + std::fmt::Debug {
    const DESCR: &'static str;
    fn of(x: f64) -> Self;
    fn bytes(&self) -> Vec<u8>;
}
impl Value for f64 {
    const DESCR: &'static str = "<f8";
    fn of(x: f64) -> Self {
        x
    }
    fn bytes(&self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl Value for i32 {
    const DESCR: &'static str = "<i4";
    fn of(x: f64) -> Self {
        (x * 4.0) as i32 - 7
    }
    fn bytes(&self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl Value for bool {
    const DESCR: &'static str = "|b1";
    fn of(x: f64) -> Self {
        (x * 4.0) as u64 % 3 == 1
    }
    fn bytes(&self) -> Vec<u8> {
        vec![u8::from(*self)]
    }
}
impl Value for Complex<f32> {
    const DESCR: &'static str = "<c8";
    fn of(x: f64) -> Self {
        Complex::new(x as f32, -1.5)
    }
    fn bytes(&self) -> Vec<u8> {
        [self.re.to_le_bytes(), self.im.to_le_bytes()].concat()
    }
}

/// The `.npy` file numpy would write, built here: a version 1.0 header padded to 64 bytes,
/// then the values in C order.
fn expected_file<T: Value>(shape: &[usize]) -> Vec<u8> {
    let mut out = npy::npy_header(T::DESCR, shape, false);
    let n: usize = shape.iter().product();
    for k in 0..n {
        let mut rest = k;
        let mut index = vec![0; shape.len()];
        for a in (0..shape.len()).rev() {
            index[a] = rest % shape[a];
            rest /= shape[a];
        }
        out.extend(T::of(f(&index)).bytes());
    }
    out
}

fn folder(world: &World) -> mpikit::Result<PathBuf> {
    let pid = world.broadcast_object(0, world.is_root().then_some(&std::process::id()))?;
    let dir = std::env::temp_dir().join(format!("mpikit-mpiio-{pid}"));
    if world.is_root() {
        std::fs::create_dir_all(&dir).expect("folder");
    }
    world.barrier();
    Ok(dir)
}

fn check<T: Value>(a: &DistArray<T, IxDyn>, what: &str) {
    let o = a.offset().to_vec();
    for (i, v) in a.local().indexed_iter() {
        let g: Vec<usize> = i.slice().iter().zip(&o).map(|(i, o)| i + o).collect();
        assert_eq!(*v, T::of(f(&g)), "{what}: element {g:?}");
    }
}

fn round_trips<T: Value>(world: &World, shape: &[usize]) -> mpikit::Result<()> {
    let size = world.size() as usize;
    let dir = folder(world)?;
    let axes: Vec<usize> = (0..shape.len()).collect();
    let grids = [Grid::rows(shape, size), Grid::balanced(shape, size, &axes)?];
    let want = expected_file::<T>(shape);
    for (g, grid) in grids.iter().enumerate() {
        let a = DistArray::<T, IxDyn>::from_fn(world, grid.clone(), |i| T::of(f(i)))?;
        for how in [Transfer::Positioned, Transfer::Collective] {
            let path = dir.join(format!("{g}-{how:?}.npy"));
            a.write_npy_using(&path, Some(how))?;
            if world.is_root() {
                let got = std::fs::read(&path).expect("written file");
                assert!(
                    got == want,
                    "{how:?} write of {shape:?} on grid {g}: the bytes differ"
                );
            }
            // The same values as a raw file (numpy's a.tofile): the .npy file's data part.
            let raw = dir.join(format!("{g}-{how:?}.bin"));
            a.write_raw_using(&raw, Some(how))?;
            if world.is_root() {
                let got = std::fs::read(&raw).expect("written raw file");
                let header = npy::npy_header(T::DESCR, shape, false).len();
                assert!(
                    got == want[header..],
                    "{how:?} raw write of {shape:?} on grid {g}: the bytes differ"
                );
            }
            for back in [Transfer::Positioned, Transfer::Collective] {
                for other in &grids {
                    let other = other.clone();
                    let b =
                        DistArray::<T, IxDyn>::read_npy_using(world, &path, Some(back), |_| {
                            Ok(other.clone())
                        })?;
                    check(&b, &format!("{how:?} write, {back:?} read of {shape:?}"));
                    let b = DistArray::<T, IxDyn>::read_raw_using(
                        world,
                        &raw,
                        shape,
                        Some(back),
                        |_| Ok(other),
                    )?;
                    check(
                        &b,
                        &format!("{how:?} raw write, {back:?} raw read of {shape:?}"),
                    );
                }
            }
        }
    }
    world.barrier();
    if world.is_root() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

fn paths_agree(world: &World) -> mpikit::Result<()> {
    for shape in [
        vec![0usize, 3],
        vec![13],
        vec![5, 3],
        vec![7, 5, 4],
        vec![2, 1],
    ] {
        round_trips::<f64>(world, &shape)?;
    }
    round_trips::<i32>(world, &[9, 4])?;
    round_trips::<bool>(world, &[6, 5])?;
    round_trips::<Complex<f32>>(world, &[4, 7])?;
    // A Fortran-ordered file (numpy's np.save of a transposed array), written here.
    let dir = folder(world)?;
    let path = dir.join("fortran.npy");
    if world.is_root() {
        let (rows, cols) = (5usize, 4usize);
        let mut bytes = npy::npy_header("<f8", &[rows, cols], true);
        for j in 0..cols {
            for i in 0..rows {
                bytes.extend(f(&[i, j]).to_le_bytes());
            }
        }
        std::fs::write(&path, bytes).unwrap();
    }
    world.barrier();
    let size = world.size() as usize;
    for back in [Transfer::Positioned, Transfer::Collective] {
        let a = DistArray::<f64, IxDyn>::read_npy_using(world, &path, Some(back), |s| {
            Grid::balanced(s, size, &[0, 1])
        })?;
        check(&a, &format!("Fortran-ordered file, {back:?}"));
    }
    world.barrier();
    if world.is_root() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

fn the_rule(world: &World) -> mpikit::Result<()> {
    let path = std::env::temp_dir().join("x.npy");
    let want = match std::env::var("MPIKIT_IO").as_deref() {
        Ok("collective") => Transfer::Collective,
        _ => Transfer::Positioned, // a local temporary folder
    };
    assert_eq!(Transfer::auto(&path), want);
    // write_npy and read_npy follow the rule (whichever it gives, the file is numpy's).
    let dir = folder(world)?;
    let shape = [11usize, 3];
    let a = DistArray::<f64, IxDyn>::from_fn(world, Grid::rows(&shape, world.size() as usize), f)?;
    let p = dir.join("auto.npy");
    a.write_npy(&p)?;
    if world.is_root() {
        assert!(std::fs::read(&p).unwrap() == expected_file::<f64>(&shape));
    }
    let b =
        DistArray::<f64, IxDyn>::read_npy(world, &p, |s| Ok(Grid::rows(s, world.size() as usize)))?;
    check(&b, "auto");
    world.barrier();
    if world.is_root() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

fn refusals(world: &World) -> mpikit::Result<()> {
    let size = world.size() as usize;
    let dir = folder(world)?;
    let a = DistArray::<f64, IxDyn>::from_fn(world, Grid::rows(&[6], size), f)?;
    let good = dir.join("good.npy");
    a.write_npy_using(&good, Some(Transfer::Collective))?;
    let rows = |s: &[usize]| Ok(Grid::rows(s, size));
    let same = |r: mpikit::Result<()>, text: &str| -> mpikit::Result<()> {
        let msg = r.expect_err("an error").to_string();
        assert!(msg.contains(text), "{msg:?} should contain {text:?}");
        let all = world.allgather_objects(&msg)?;
        assert!(all.iter().all(|m| *m == msg), "ranks disagree: {all:?}");
        Ok(())
    };
    let wrong_type =
        DistArray::<i32, IxDyn>::read_npy_using(world, &good, Some(Transfer::Collective), rows);
    same(
        wrong_type.map(|_| ()),
        "holds dtype '<f8', the array is '<i4'",
    )?;
    let missing = DistArray::<f64, IxDyn>::read_npy_using(
        world,
        &dir.join("none.npy"),
        Some(Transfer::Collective),
        rows,
    );
    same(missing.map(|_| ()), "No such file")?;
    // A raw file's size must be the shape's: 6 f64 are not a 7-element array, nor 3 i32s.
    let raw = dir.join("good.bin");
    a.write_raw(&raw)?;
    let short = DistArray::<f64, IxDyn>::read_raw(world, &raw, &[7], rows);
    same(short.map(|_| ()), "48 bytes, a [7] array of f64 is 56")?;
    let other = DistArray::<i32, IxDyn>::read_raw(world, &raw, &[3], rows);
    same(other.map(|_| ()), "48 bytes, a [3] array of i32 is 12")?;
    // The same bytes read as a 2 x 3 array: element (i, j) is value 3i + j of the six.
    let back = DistArray::<f64, IxDyn>::read_raw(world, &raw, &[2, 3], rows)?;
    let o = back.offset().to_vec();
    for (i, v) in back.local().indexed_iter() {
        let flat = (i[0] + o[0]) * 3 + i[1] + o[1];
        assert_eq!(
            *v,
            f(&[flat]),
            "raw file read as 2 x 3: element {:?}",
            i.slice()
        );
    }
    world.barrier();
    if world.is_root() {
        std::fs::remove_file(&raw).expect("the raw file");
    }
    let nowhere = dir.join("no/such/folder/x.npy");
    same(
        a.write_npy_using(&nowhere, Some(Transfer::Collective)),
        "No such file",
    )?;
    world.barrier();
    if world.is_root() {
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["good.npy"], "nothing else left behind");
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}
