//! DistArrays and HDF5 files (the `hdf5` feature) on 1, 2, 3, 4 and 8 ranks: 1-D, 2-D and
//! 3-D arrays of every element type written contiguous, chunked and deflated from one grid
//! and read back onto others (uneven and empty blocks); datasets written by the HDF5
//! library itself (big-endian, chunked, in groups) read by mpikit; attributes both ways; and
//! bad input as the same `Err` on every rank, with nothing left behind. Every value is
//! checked against its formula, computed here. Chunked writes go through parallel HDF5
//! where the libhdf5 built against is the MPI build (the Open MPI pass of scripts/test.sh),
//! in turns otherwise (the MPICH pass); contiguous ones by position and by MPI-IO.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use std::path::{Path, PathBuf};

use hdf5_metno as h5;
use mpikit::hdf5::{read_attr, Storage, Writer};
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Dimension, IxDyn};
use mpikit::num_complex::Complex;
use mpikit::prelude::*;
use mpikit::{DistArray, Grid, World};

fn main() {
    // Contiguous datasets by position and, with MPIKIT_IO=collective, by MPI-IO.
    let envs: &[&[(&str, &str)]] = &[
        &[],
        &[(mpikit::runtime::MAX_MESSAGE_ENV, "64")],
        &[("MPIKIT_IO", "collective")],
    ];
    common::spmd_main("hdf5_arrays", common::RANKS, envs, || {
        common::run_checks(
            "hdf5_arrays",
            &[
                library,
                round_trips,
                written_by_the_library,
                attributes,
                refusals,
            ],
        )
    });
}

/// The libhdf5 this test was built against is the one `HDF5_DIR` named at build time
/// (scripts/common.sh names Debian's MPI build with OpenMPI, the serial one with MPICH), so
/// chunked writes below go through parallel HDF5 exactly when it is the MPI build.
fn library(_world: &World) -> mpikit::Result<()> {
    if let Some(dir) = option_env!("HDF5_DIR") {
        let mpi_build = ["openmpi", "mpich"].iter().any(|m| dir.contains(m));
        assert_eq!(
            mpikit::hdf5::PARALLEL,
            mpi_build,
            "HDF5_DIR={dir} at build time, mpikit::hdf5::PARALLEL disagrees"
        );
    }
    Ok(())
}

/// A folder every rank names the same (rank 0's pid), made by rank 0.
fn folder(world: &World, what: &str) -> mpikit::Result<PathBuf> {
    let pid = world.broadcast_object(0, world.is_root().then_some(&std::process::id()))?;
    let dir = std::env::temp_dir().join(format!("mpikit-h5-{what}-{pid}"));
    if world.is_root() {
        std::fs::create_dir_all(&dir).expect("test folder");
    }
    world.barrier();
    Ok(dir)
}

/// The value at a global index, distinct for every index.
fn f(i: &[usize]) -> f64 {
    i.iter().fold(0.0, |acc, &x| acc * 100.0 + x as f64 + 1.0) / 7.0
}

/// An element type with a value made from `f`.
trait Value: mpikit::buffers::Element + std::fmt::Debug {
    fn of(x: f64) -> Self;
}
macro_rules! values {
    ($($t:ty: $e:expr),*) => { $(impl Value for $t { fn of(x: f64) -> Self { $e(x) } })* };
}
values!(f64: |x: f64| x, f32: |x: f64| x as f32, i64: |x: f64| -(x * 7.0) as i64, i32: |x: f64| (x * 7.0) as i32,
        i16: |x: f64| (x * 7.0) as i16, i8: |x: f64| (x * 7.0) as i8, u64: |x: f64| (x * 7.0) as u64,
        u32: |x: f64| (x * 7.0) as u32, u16: |x: f64| (x * 7.0) as u16, u8: |x: f64| (x * 7.0) as u8,
        usize: |x: f64| (x * 7.0) as usize, isize: |x: f64| -(x * 7.0) as isize,
        bool: |x: f64| (x * 7.0) as u64 % 3 == 0,
        Complex<f64>: |x: f64| Complex::new(x, -x), Complex<f32>: |x: f64| Complex::new(x as f32, 2.0));

/// Every element of this rank's block against `T::of(f(global index))`.
fn check<T: Value, D: Dimension>(a: &DistArray<T, D>, what: &str) {
    let offset = a.offset().to_vec();
    for (i, v) in a.local().into_dyn().indexed_iter() {
        let g: Vec<usize> = i.slice().iter().zip(&offset).map(|(i, o)| i + o).collect();
        assert_eq!(*v, T::of(f(&g)), "{what}: element {g:?}");
    }
}

/// The grids an array of `shape` is read onto: rows, and balanced over every axis.
fn grids(shape: &[usize], size: usize) -> Vec<Grid> {
    let axes: Vec<usize> = (0..shape.len()).collect();
    vec![
        Grid::rows(shape, size),
        Grid::balanced(shape, size, &axes).expect("balanced grid"),
    ]
}

fn round_trip<T: Value>(world: &World, dir: &Path, shape: &[usize]) -> mpikit::Result<()> {
    let size = world.size() as usize;
    let storages = [
        Storage::Contiguous,
        Storage::Chunked {
            chunk: Some(shape.iter().map(|&n| n.div_ceil(2).max(1)).collect()),
            deflate: None,
        },
        Storage::deflate(4),
    ];
    for (s, storage) in storages.iter().enumerate() {
        let written = grids(shape, size).remove(1);
        let a = DistArray::<T, IxDyn>::from_fn(world, written, |i| T::of(f(i)))?;
        let path = dir.join(format!(
            "{}-{s}.h5",
            std::any::type_name::<T>().replace(':', "_")
        ));
        a.write_hdf5(&path, "/g/a", storage)?;
        for grid in grids(shape, size) {
            let b = DistArray::<T, IxDyn>::read_hdf5(world, &path, "/g/a", |s| {
                assert_eq!(s, shape);
                Ok(grid)
            })?;
            check(
                &b,
                &format!("{} {shape:?} {storage:?}", std::any::type_name::<T>()),
            );
        }
    }
    Ok(())
}

fn round_trips(world: &World) -> mpikit::Result<()> {
    let dir = folder(world, "trips")?;
    for shape in [vec![0usize, 3], vec![13], vec![5, 3], vec![7, 5, 4]] {
        round_trip::<f64>(world, &dir, &shape)?;
    }
    let shape = [6, 5];
    round_trip::<f32>(world, &dir, &shape)?;
    round_trip::<i64>(world, &dir, &shape)?;
    round_trip::<i32>(world, &dir, &shape)?;
    round_trip::<i16>(world, &dir, &shape)?;
    round_trip::<i8>(world, &dir, &shape)?;
    round_trip::<u64>(world, &dir, &shape)?;
    round_trip::<u32>(world, &dir, &shape)?;
    round_trip::<u16>(world, &dir, &shape)?;
    round_trip::<u8>(world, &dir, &shape)?;
    round_trip::<usize>(world, &dir, &shape)?;
    round_trip::<isize>(world, &dir, &shape)?;
    round_trip::<bool>(world, &dir, &shape)?;
    round_trip::<Complex<f64>>(world, &dir, &shape)?;
    round_trip::<Complex<f32>>(world, &dir, &shape)?;
    // Several datasets of several types in one file, read back by the HDF5 library itself.
    let size = world.size() as usize;
    let path = dir.join("several.h5");
    let a = DistArray::<f64, IxDyn>::from_fn(world, grids(&[9, 4], size).remove(1), f)?;
    let b = DistArray::<i32, IxDyn>::from_fn(world, Grid::rows(&[11], size), |i| i32::of(f(i)))?;
    let mut out = Writer::create(world, &path)?;
    out.write("/x/a", &a, &Storage::Contiguous)?;
    out.write("/y/b", &b, &Storage::deflate(1))?;
    out.finish()?;
    if world.is_root() {
        let file = h5::File::open(&path).expect("h5 open");
        let a: Vec<f64> = file.dataset("x/a").unwrap().read_raw().unwrap();
        let want: Vec<f64> = (0..36).map(|k| f(&[k / 4, k % 4])).collect();
        assert_eq!(a, want, "the library reads /x/a");
        let b: Vec<i32> = file.dataset("y/b").unwrap().read_raw().unwrap();
        assert_eq!(b, (0..11).map(|k| i32::of(f(&[k]))).collect::<Vec<_>>());
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

/// Datasets written by hdf5-metno on rank 0: big-endian contiguous, chunked, 0-d padding.
fn written_by_the_library(world: &World) -> mpikit::Result<()> {
    let dir = folder(world, "lib")?;
    let path = dir.join("lib.h5");
    let shape = [9usize, 6];
    if world.is_root() {
        let file = h5::File::create(&path).expect("create");
        let vals: Vec<f64> = (0..54).map(|k| f(&[k / 6, k % 6])).collect();
        let arr = mpikit::ndarray::Array::from_shape_vec(shape, vals).unwrap();
        file.new_dataset_builder()
            .with_data(&arr)
            .create("plain")
            .unwrap();
        file.new_dataset_builder()
            .with_data(&arr)
            .chunk([4, 4])
            .deflate(3)
            .create("deep/er/chunked")
            .unwrap();
        let ints = arr.mapv(i32::of);
        file.new_dataset_builder()
            .with_data(&ints)
            .create("ints")
            .unwrap();
        // A big-endian copy of the ints, written through HDF5's type conversion.
        let be = big_endian(h5::Datatype::from_type::<i32>().unwrap());
        let ds = file
            .new_dataset_builder()
            .empty_as(&be)
            .shape(shape)
            .create("ints_be")
            .unwrap();
        ds.write(&ints).unwrap();
        let be = big_endian(h5::Datatype::from_type::<f64>().unwrap());
        let ds = file
            .new_dataset_builder()
            .empty_as(&be)
            .shape(shape)
            .create("floats_be")
            .unwrap();
        ds.write(&arr).unwrap();
        file.close().unwrap();
    }
    world.barrier();
    let size = world.size() as usize;
    for grid in grids(&shape, size) {
        for name in ["plain", "deep/er/chunked", "/floats_be"] {
            let g = grid.clone();
            let a = DistArray::<f64, IxDyn>::read_hdf5(world, &path, name, |_| Ok(g))?;
            check(&a, name);
        }
        for name in ["ints", "ints_be"] {
            let g = grid.clone();
            let a = DistArray::<i32, IxDyn>::read_hdf5(world, &path, name, |_| Ok(g))?;
            check(&a, name);
        }
    }
    world.barrier();
    if world.is_root() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

/// `t` in big-endian byte order.
fn big_endian(t: h5::Datatype) -> h5::Datatype {
    use hdf5_metno_sys::h5t::{H5T_order_t, H5Tcopy, H5Tset_order};
    h5::sync::sync(|| unsafe {
        let id = H5Tcopy(t.id());
        assert!(H5Tset_order(id, H5T_order_t::H5T_ORDER_BE) >= 0);
        h5::from_id::<h5::Datatype>(id).unwrap()
    })
}

#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
struct Params {
    nu: f64,
    steps: Vec<u32>,
    name: String,
}

fn attributes(world: &World) -> mpikit::Result<()> {
    let dir = folder(world, "attrs")?;
    let path = dir.join("attrs.h5");
    let a = DistArray::<f64, IxDyn>::from_fn(world, Grid::rows(&[5, 2], world.size() as usize), f)?;
    let params = Params {
        nu: 0.25,
        steps: vec![1, 2, 3],
        name: "heat".into(),
    };
    let mut out = Writer::create(world, &path)?;
    out.write("/fields/u", &a, &Storage::Contiguous)?;
    out.attr("/fields/u", "units", &"m/s")?;
    out.attr("/", "step", &1200u64)?;
    out.attr("/", "offset", &-3i64)?;
    out.attr("/", "dt", &0.125f64)?;
    out.attr("/", "converged", &true)?;
    out.attr("/fields", "params", &params)?;
    out.finish()?;
    let units: String = read_attr(world, &path, "/fields/u", "units")?;
    assert_eq!(units, "m/s");
    assert_eq!(read_attr::<u64>(world, &path, "/", "step")?, 1200);
    assert_eq!(read_attr::<i64>(world, &path, "/", "offset")?, -3);
    assert_eq!(read_attr::<f64>(world, &path, "/", "dt")?, 0.125);
    assert!(read_attr::<bool>(world, &path, "/", "converged")?);
    assert_eq!(
        read_attr::<Params>(world, &path, "/fields", "params")?,
        params
    );
    if world.is_root() {
        // What h5py sees: HDF5's own scalars (and the struct's JSON text).
        let file = h5::File::open(&path).unwrap();
        let step: u64 = file.attr("step").unwrap().read_scalar().unwrap();
        assert_eq!(step, 1200);
        let units: h5::types::VarLenUnicode = file
            .dataset("fields/u")
            .unwrap()
            .attr("units")
            .unwrap()
            .read_scalar()
            .unwrap();
        assert_eq!(units.as_str(), "m/s");
        let text: h5::types::VarLenUnicode = file
            .group("fields")
            .unwrap()
            .attr("params")
            .unwrap()
            .read_scalar()
            .unwrap();
        assert_eq!(
            text.as_str(),
            r#"{"name":"heat","nu":0.25,"steps":[1,2,3]}"#
        );
    }
    let missing = read_attr::<u64>(world, &path, "/", "nope");
    common::same_err(world, missing, "no attribute \"nope\"")?;
    let mistyped = read_attr::<u64>(world, &path, "/fields/u", "units");
    common::same_err(world, mistyped, "invalid type")?;
    world.barrier();
    if world.is_root() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

fn refusals(world: &World) -> mpikit::Result<()> {
    let dir = folder(world, "bad")?;
    let size = world.size() as usize;
    let good = dir.join("good.h5");
    let a = DistArray::<f64, IxDyn>::from_fn(world, Grid::rows(&[6, 3], size), f)?;
    a.write_hdf5(&good, "/a", &Storage::Contiguous)?;
    let rows = |s: &[usize]| Ok(Grid::rows(s, size));
    let read = |p: &Path, name: &str| DistArray::<f64, IxDyn>::read_hdf5(world, p, name, rows);
    common::same_err(world, read(&dir.join("none.h5"), "/a"), "No such file")?;
    common::same_err(
        world,
        read(&good, "/b"),
        "no dataset /b in the file (it holds /a)",
    )?;
    let ints = DistArray::<i32, IxDyn>::read_hdf5(world, &good, "/a", rows);
    common::same_err(world, ints, "holds f64 values, the array is i32")?;
    let wrong =
        DistArray::<f64, IxDyn>::read_hdf5(world, &good, "/a", |_| Ok(Grid::rows(&[5, 3], size)));
    common::same_err(world, wrong, "the data's shape is [6, 3]")?;
    let text = dir.join("text.h5");
    let truncated = dir.join("truncated.h5");
    if world.is_root() {
        std::fs::write(&text, "not hdf5 at all\n").unwrap();
        let bytes = std::fs::read(&good).unwrap();
        std::fs::write(&truncated, &bytes[..bytes.len() - 40]).unwrap();
    }
    world.barrier();
    common::same_err(world, read(&text, "/a"), "not an HDF5 file")?;
    common::same_err(world, read(&truncated, "/a"), "truncated")?;
    // A failed write leaves the old file as it was and no temporary file.
    let before = std::fs::read(&good).ok();
    let b = DistArray::<f64, IxDyn>::from_fn(world, Grid::rows(&[4], size), f)?;
    let bad_chunk = Storage::Chunked {
        chunk: Some(vec![2, 2]),
        deflate: None,
    };
    common::same_err(world, b.write_hdf5(&good, "/a", &bad_chunk), "chunk [2, 2]")?;
    common::same_err(
        world,
        b.write_hdf5(&dir, "/a", &Storage::Contiguous),
        "not a file name",
    )?;
    let nowhere = dir.join("no/such/dir/x.h5");
    common::same_err(
        world,
        b.write_hdf5(&nowhere, "/a", &Storage::Contiguous),
        "unable to",
    )?;
    world.barrier();
    if world.is_root() {
        assert_eq!(
            std::fs::read(&good).ok(),
            before,
            "the old file is untouched"
        );
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.contains(".tmp-")),
            "left behind: {names:?}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}
