//! `.npz` archives on 1, 2, 3, 4 and 8 ranks, with MPI's message sizes and with 64-byte
//! pieces: archives built here with the `zip` crate (stored and deflated members, 1-D to 3-D,
//! C and Fortran order, f64, i32 and bool, empty arrays, a member of several 4 MiB pieces)
//! read by `DistArray::read_npz` over grids of every factorisation, uneven and empty blocks;
//! archives written by `NpzWriter` (stored and deflated, with and without zip64 records)
//! read back through the `zip` crate and an `.npy` header parsed here, by `read_npz`, and by
//! numpy's `np.load` when a Python with numpy is found (`MPIKIT_PYTHON`, the
//! repository's `.bench/venv/bin/python`, or `python3`; else a loud SKIPPED line); and bad
//! input (damaged deflate data, a CRC mismatch, a short stream, a missing member, a wrong
//! type, an abandoned archive) as the same `Err` on every rank.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

#[path = "common/arrays.rs"]
mod arrays;
mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use mpikit::io::{Compression, NpzWriter};
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Array, ArrayD, Axis, Dimension, Ix1, Ix2, Ix3, IxDyn};
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, World};

fn main() {
    if std::env::var_os(common::RANK_CHECKS).is_none() && writes_part::numpy_python().is_none() {
        println!("SKIPPED npz np.load checks: no Python with numpy (set MPIKIT_PYTHON)");
    }
    common::spmd_main_everywhere("npz", || {
        common::run_checks("npz", &[reads, writes, bad_input]);
    });
}

/// The f64 value at a global index: distinct, exact.
fn f(i: &[usize]) -> f64 {
    i.iter().fold(0.0, |acc, &x| acc * 100.0 + x as f64 + 1.0)
}

fn flat(shape: &[usize], i: &[usize]) -> usize {
    shape.iter().zip(i).fold(0, |acc, (&n, &x)| acc * n + x)
}

fn int_value(shape: &[usize], i: &[usize]) -> i32 {
    flat(shape, i) as i32 * 3 - 7
}

fn bool_value(i: usize) -> bool {
    i % 3 == 0
}

/// A folder every rank sees, named after rank 0's pid.
fn folder(world: &World, what: &str) -> Result<PathBuf, Error> {
    let pid = world.broadcast_object(0, (world.rank() == 0).then_some(&std::process::id()))?;
    let dir = std::env::temp_dir().join(format!("mpikit-npz-{what}-{pid}"));
    if world.rank() == 0 {
        std::fs::create_dir_all(&dir).unwrap();
    }
    world.barrier();
    Ok(dir)
}

/// An `.npy` file's bytes, written here: a version 1.0 header, then `data`.
fn npy(descr: &str, shape: &[usize], fortran: bool, data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let order = if fortran { "True" } else { "False" };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {tuple}, }}")
        .into_bytes();
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(b' ');
    }
    dict.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend(dict);
    out.extend_from_slice(data);
    out
}

/// An `.npy` header parsed here: type string, Fortran order, shape, where the data starts.
fn parse_npy(bytes: &[u8]) -> (String, bool, Vec<usize>, usize) {
    assert_eq!(&bytes[..6], b"\x93NUMPY", "npy magic");
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        ),
    };
    let dict = std::str::from_utf8(&bytes[start..start + len]).unwrap();
    let after = |key: &str| &dict[dict.find(key).unwrap() + key.len()..];
    let descr = after("'descr': '").split('\'').next().unwrap().to_string();
    let fortran = after("'fortran_order': ").starts_with("True");
    let shape = after("'shape': (")
        .split(')')
        .next()
        .unwrap()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    (descr, fortran, shape, start + len)
}

/// The whole arrays, serially: f64 of `f`, i32 of `int_value`, bool by flat index.
fn whole_f64(shape: &[usize]) -> ArrayD<f64> {
    Array::from_shape_fn(IxDyn(shape), |i| f(i.slice()))
}

fn whole_i32(shape: &[usize]) -> ArrayD<i32> {
    Array::from_shape_fn(IxDyn(shape), |i| int_value(shape, i.slice()))
}

fn whole_bool(n: usize) -> ArrayD<bool> {
    Array::from_shape_fn(IxDyn(&[n]), |i| bool_value(i[0]))
}

/// Little-endian bytes of an array in C order (or Fortran order).
fn le_bytes<T: Copy>(a: &ArrayD<T>, fortran: bool, put: impl Fn(T, &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    if fortran {
        a.t().iter().for_each(|&v| put(v, &mut out));
    } else {
        a.iter().for_each(|&v| put(v, &mut out));
    }
    out
}

fn f64_bytes(a: &ArrayD<f64>, fortran: bool) -> Vec<u8> {
    le_bytes(a, fortran, |v, o| o.extend(v.to_le_bytes()))
}

fn i32_bytes(a: &ArrayD<i32>) -> Vec<u8> {
    le_bytes(a, false, |v, o| o.extend(v.to_le_bytes()))
}

fn bool_bytes(a: &ArrayD<bool>) -> Vec<u8> {
    le_bytes(a, false, |v, o| o.push(u8::from(v)))
}

/// This rank's block equals its part of `whole`.
fn check<T: mpikit::buffers::Element + PartialEq + std::fmt::Debug, D: Dimension>(
    a: &DistArray<T, D>,
    whole: &ArrayD<T>,
    what: &str,
) {
    let local = a.local().into_dyn();
    let mut want = whole.view();
    for (axis, (&o, &n)) in a.offset().iter().zip(local.shape()).enumerate() {
        want.slice_axis_inplace(Axis(axis), (o..o + n).into());
    }
    assert_eq!(local, want, "{what}: block at {:?}", a.offset());
}

/// Members written with the `zip` crate: (name, npy bytes, deflated).
fn zip_archive(path: &Path, members: &[(&str, Vec<u8>, bool)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes, deflated) in members {
        let method = match deflated {
            true => zip::CompressionMethod::Deflated,
            false => zip::CompressionMethod::Stored,
        };
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(format!("{name}.npy"), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

const SHAPE_2D: [usize; 2] = [13, 7];
const SHAPE_3D: [usize; 3] = [5, 4, 3];
/// More than one 4 MiB piece of f64s.
const LONG: usize = 600_001;

fn reads(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let dir = folder(world, "reads")?;
    let path = dir.join("zipped.npz");
    let single = dir.join("single.npz");
    if world.rank() == 0 {
        let w2 = whole_f64(&SHAPE_2D);
        let mut members = Vec::new();
        for deflated in [false, true] {
            let p = if deflated { "d" } else { "s" };
            let m = |n: &str| format!("{p}{n}");
            let f = [6usize, 5];
            members.extend([
                (
                    m("2"),
                    npy("<f8", &SHAPE_2D, false, &f64_bytes(&w2, false)),
                    deflated,
                ),
                (
                    m("f"),
                    npy("<f8", &f, true, &f64_bytes(&whole_f64(&f), true)),
                    deflated,
                ),
                (
                    m("3"),
                    npy("<i4", &SHAPE_3D, false, &i32_bytes(&whole_i32(&SHAPE_3D))),
                    deflated,
                ),
                (
                    m("b"),
                    npy("|b1", &[9], false, &bool_bytes(&whole_bool(9))),
                    deflated,
                ),
                (m("e"), npy("<f8", &[0, 3], false, &[]), deflated),
                (
                    m("long"),
                    npy(
                        "<f8",
                        &[LONG],
                        false,
                        &f64_bytes(&whole_f64(&[LONG]), false),
                    ),
                    deflated,
                ),
            ]);
        }
        let borrowed: Vec<(&str, Vec<u8>, bool)> = members
            .iter()
            .map(|(n, b, d)| (n.as_str(), b.clone(), *d))
            .collect();
        zip_archive(&path, &borrowed);
        zip_archive(
            &single,
            &[(
                "only",
                npy("<f8", &SHAPE_2D, false, &f64_bytes(&w2, false)),
                true,
            )],
        );
    }
    world.barrier();
    for p in ["s", "d"] {
        let m = |n: &str| Some(format!("{p}{n}"));
        for grid in arrays::grids_2d(&SHAPE_2D, size) {
            let a = DistArray::<f64, Ix2>::read_npz(world, &path, m("2").as_deref(), |_| {
                Ok(grid.clone())
            })?;
            check(&a, &whole_f64(&SHAPE_2D), &format!("{p}2"));
        }
        for grid in arrays::grids_2d(&[6, 5], size) {
            let a = DistArray::<f64, Ix2>::read_npz(world, &path, m("f").as_deref(), |_| {
                Ok(grid.clone())
            })?;
            check(&a, &whole_f64(&[6, 5]), &format!("{p}f"));
        }
        for axes in [&[0usize][..], &[2], &[0, 1, 2]] {
            let a = DistArray::<i32, Ix3>::read_npz(world, &path, m("3").as_deref(), |s| {
                Grid::balanced(s, size, axes)
            })?;
            check(&a, &whole_i32(&SHAPE_3D), &format!("{p}3"));
        }
        let b = DistArray::<bool, Ix1>::read_npz(world, &path, m("b").as_deref(), |s| {
            Ok(Grid::rows(s, size))
        })?;
        check(&b, &whole_bool(9), &format!("{p}b"));
        let e = DistArray::<f64, Ix2>::read_npz(world, &path, m("e").as_deref(), |s| {
            Ok(Grid::rows(s, size))
        })?;
        assert_eq!(e.len(), 0);
        let mut rows = vec![0; size];
        rows[size / 2] = LONG; // every value on one rank: the others' blocks are empty
        for grid in [
            Grid::rows(&[LONG], size),
            Grid::with_counts(&[LONG], vec![rows])?,
        ] {
            let l = DistArray::<f64, Ix1>::read_npz(world, &path, m("long").as_deref(), |_| {
                Ok(grid.clone())
            })?;
            check(&l, &whole_f64(&[LONG]), &format!("{p}long"));
        }
    }
    let only = DistArray::<f64, Ix2>::read_npz(world, &single, None, |s| {
        Grid::balanced(s, size, &[0, 1])
    })?;
    check(&only, &whole_f64(&SHAPE_2D), "the only member");
    world.barrier();
    if world.rank() == 0 {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    Ok(())
}

#[path = "npz/writes.rs"]
mod writes_part;
use writes_part::{bad_input, writes};
