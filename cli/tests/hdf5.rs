//! parsum on HDF5 datasets under real mpirun, on 1, 2, 3 and 8 ranks: every number type in
//! contiguous datasets of either byte order (read by position) and in chunked, compressed
//! ones (read through the HDF5 library); 1-, 2- and 3-D datasets whole and per column;
//! order statistics; both read modes; `parsum gen --format h5`; and every bad input. The
//! files are written here with the `hdf5-metno` crate, and every expectation is computed here
//! (exact integer arithmetic, Python's fsum algorithm, numpy's formulas on sorted copies).

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/fsum.rs"]
mod fsum_impl;
#[path = "../../tests/common/npy.rs"]
mod npy;
#[path = "../../tests/common/numpy.rs"]
mod numpy;

use std::path::{Path, PathBuf};

use common::{have_mpirun, mpirun, Job};
use fsum_impl::fsum;
use hdf5::H5Type;
use npy::{error_lines, json_of, raw_number, Rng};
use num_complex::Complex;
use numpy::{numpy_histogram, numpy_median, numpy_quantile};

const RANKS: [usize; 4] = [1, 2, 3, 8];

fn parsum() -> PathBuf {
    common::bin(env!("CARGO_BIN_EXE_parsum"))
}

fn dir(test: &str) -> PathBuf {
    npy::scratch_dir("hdf5", test)
}

fn run(np: usize, args: &[&str]) -> Job {
    mpirun(np, &parsum(), args)
}

/// How a test dataset is stored.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Store {
    /// Contiguous, native byte order (parsum reads it by position).
    Contiguous,
    /// Contiguous, big-endian on disk (HDF5 converts when the test writes it).
    BigEndian,
    /// Chunked (`chunk` elements along the first axis) and deflated.
    Deflated,
    /// Chunked, no filter.
    Chunked,
}

/// A big-endian copy of `T`'s HDF5 type.
fn big_endian<T: H5Type>() -> hdf5::Datatype {
    use hdf5_sys::h5t::{H5T_order_t, H5Tcopy, H5Tset_order};
    let native = hdf5::Datatype::from_type::<T>().unwrap();
    hdf5::sync::sync(|| unsafe {
        let id = H5Tcopy(native.id());
        assert!(id >= 0 && H5Tset_order(id, H5T_order_t::H5T_ORDER_BE) >= 0);
        hdf5::from_id::<hdf5::Datatype>(id).unwrap()
    })
}

/// Writes `values` (C order, `shape`) as dataset `name` of a new file at `path`.
fn write<T: H5Type + Clone>(path: &Path, name: &str, values: &[T], shape: &[usize], store: Store) {
    let file = hdf5::File::create(path).unwrap();
    let arr = mpikit::ndarray::ArrayD::from_shape_vec(shape.to_vec(), values.to_vec()).unwrap();
    let chunk: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            if i == 0 {
                n.clamp(1, 97)
            } else {
                n.clamp(1, 3)
            }
        })
        .collect();
    let b = file.new_dataset_builder();
    let ds = match store {
        Store::Contiguous => b
            .with_data(&arr)
            .create_intermediate_group(true)
            .create(name),
        Store::BigEndian => {
            let ds = b
                .empty_as(big_endian::<T>())
                .shape(shape)
                .create_intermediate_group(true)
                .create(name)
                .unwrap();
            ds.as_writer().write(&arr).unwrap();
            Ok(ds)
        }
        Store::Deflated => b
            .with_data(&arr)
            .chunk(chunk)
            .deflate(3)
            .create_intermediate_group(true)
            .create(name),
        Store::Chunked => b
            .with_data(&arr)
            .chunk(chunk)
            .create_intermediate_group(true)
            .create(name),
    }
    .unwrap();
    assert_eq!(
        ds.is_chunked(),
        matches!(store, Store::Deflated | Store::Chunked)
    );
}

/// A value as the tests reason about it: an exact integer or a float.
#[derive(Clone, Copy, Debug)]
enum Num {
    F(f64),
    I(i128),
}

fn as_f64(v: &Num) -> f64 {
    match v {
        Num::F(x) => *x,
        Num::I(i) => *i as f64,
    }
}

/// The JSON text of `v`'s exact value.
fn check_exact(job: &Job, key: &str, want: &Num) {
    let got = raw_number(job, key);
    match want {
        Num::I(i) => job.check(got == i.to_string(), &format!("{key}: {got} != {i}")),
        Num::F(x) => job.check(
            got.parse::<f64>().ok() == Some(*x),
            &format!("{key}: {got} != {x:e}"),
        ),
    };
}

/// Checks parsum's stats of a real dataset against the test's own computation.
fn check_stats(job: &Job, values: &[Num], integer: bool) {
    let v = json_of(job);
    job.check(v["result"]["count"] == values.len(), "count");
    let f: Vec<f64> = values.iter().map(as_f64).collect();
    if integer {
        let ints: Vec<i128> = values
            .iter()
            .map(|v| match v {
                Num::I(i) => *i,
                Num::F(_) => unreachable!(),
            })
            .collect();
        check_exact(job, "sum", &Num::I(ints.iter().sum()));
        check_exact(job, "min", &Num::I(*ints.iter().min().unwrap()));
        check_exact(job, "max", &Num::I(*ints.iter().max().unwrap()));
    } else {
        let abs = fsum(&f.iter().map(|x| x.abs()).collect::<Vec<_>>());
        let tol = (f.len() as f64 + 2.0) * f64::EPSILON * abs;
        let sum: f64 = raw_number(job, "sum").parse().unwrap();
        job.check((sum - fsum(&f)).abs() <= tol, "sum");
        check_exact(
            job,
            "min",
            &Num::F(f.iter().copied().fold(f64::INFINITY, f64::min)),
        );
        check_exact(
            job,
            "max",
            &Num::F(f.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        );
    }
    let mean = fsum(&f) / f.len() as f64;
    let var = fsum(
        &f.iter()
            .map(|x| (x - mean) * (x - mean))
            .collect::<Vec<_>>(),
    ) / f.len() as f64;
    let std = v["result"]["std"].as_f64().unwrap();
    job.check(
        (std - var.sqrt()).abs() <= 1e-9 * var.sqrt().max(1e-300),
        "std",
    );
}

/// One number type of the tests: writes its values in `store` and returns them as `Num`s.
type Maker = fn(&Path, &str, usize, &mut Rng, Store) -> Vec<Num>;

fn make<T: H5Type + Clone>(
    path: &Path,
    name: &str,
    n: usize,
    store: Store,
    gen: impl Fn(usize) -> T,
    num: impl Fn(&T) -> Num,
) -> Vec<Num> {
    let v: Vec<T> = (0..n).map(gen).collect();
    write(path, name, &v, &[n], store);
    v.iter().map(num).collect()
}

/// (name, integer, has a big-endian form, maker) for every real type parsum reads.
fn real_types() -> Vec<(&'static str, bool, bool, Maker)> {
    macro_rules! int {
        ($t:ty) => {
            |p: &Path, name: &str, n, rng: &mut Rng, s| {
                let raw: Vec<u64> = (0..n).map(|_| rng.next()).collect();
                make(p, name, n, s, |i| raw[i] as $t, |v| Num::I(*v as i128))
            }
        };
    }
    vec![
        ("f64", false, true, |p, name, n, rng, s| {
            let raw: Vec<f64> = (0..n).map(|_| rng.uniform() * 200.0 - 100.0).collect();
            make(p, name, n, s, |i| raw[i], |v| Num::F(*v))
        }),
        ("f32", false, true, |p, name, n, rng, s| {
            let raw: Vec<f32> = (0..n).map(|_| (rng.uniform() * 2e3 - 1e3) as f32).collect();
            make(p, name, n, s, |i| raw[i], |v| Num::F(*v as f64))
        }),
        ("f16", false, true, |p, name, n, rng, s| {
            let raw: Vec<half::f16> = (0..n)
                .map(|_| half::f16::from_f64(rng.uniform() * 50.0 - 25.0))
                .collect();
            make(p, name, n, s, |i| raw[i], |v| Num::F(v.to_f64()))
        }),
        ("i64", true, true, int!(i64)),
        ("i32", true, true, int!(i32)),
        ("i16", true, true, int!(i16)),
        ("i8", true, false, int!(i8)),
        ("u64", true, true, int!(u64)),
        ("u32", true, true, int!(u32)),
        ("u16", true, true, int!(u16)),
        ("u8", true, false, int!(u8)),
        ("bool", true, false, |p, name, n, rng, s| {
            let raw: Vec<bool> = (0..n).map(|_| rng.next() % 3 == 0).collect();
            make(p, name, n, s, |i| raw[i], |v| Num::I(*v as i128))
        }),
    ]
}

#[test]
fn every_number_type_contiguous_big_endian_and_deflated() {
    if !have_mpirun("every_number_type_contiguous_big_endian_and_deflated") {
        return;
    }
    let d = dir("types");
    let n = 1001;
    let mut rng = Rng(7);
    for (k, (name, integer, has_big, maker)) in real_types().into_iter().enumerate() {
        let stores = [Store::Contiguous, Store::BigEndian, Store::Deflated];
        for (l, store) in stores.into_iter().enumerate() {
            if store == Store::BigEndian && !has_big {
                continue;
            }
            let path = d.join(format!("{name}-{l}.h5"));
            let values = maker(&path, "/g/sub/x", n, &mut rng, store);
            let np = RANKS[(k + l) % RANKS.len()];
            let read = if (k + l) % 3 == 2 { "root" } else { "parallel" };
            let input = format!("{}:/g/sub/x", path.display());
            let job = run(
                np,
                &["--input", &input, "--op", "stats", "--read", read, "--json"],
            );
            job.assert_ok();
            let v = json_of(&job);
            job.check(v["ranks"] == np, "rank count");
            job.check(v["input"]["format"] == "hdf5", "format");
            job.check(v["input"]["dtype"] == name, "dtype");
            if store == Store::BigEndian {
                // Read by position: the layout keeps the file's byte order.
                job.check(v["input"]["byte_order"] == "big", "byte order");
            }
            if name == "bool" {
                // The sum counts the true values.
                let trues = values.iter().filter(|v| matches!(v, Num::I(1))).count();
                job.check(raw_number(&job, "sum") == trues.to_string(), "bool sum");
                job.check(v["result"]["count"] == n, "count");
            } else {
                check_stats(&job, &values, integer);
            }
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn complex_datasets_sum_and_mean() {
    if !have_mpirun("complex_datasets_sum_and_mean") {
        return;
    }
    let d = dir("complex");
    let n = 777;
    let mut rng = Rng(11);
    let vals: Vec<(f64, f64)> = (0..n)
        .map(|_| (rng.uniform() * 8.0 - 4.0, rng.uniform() * 2.0 - 1.0))
        .collect();
    for (k, store) in [Store::Contiguous, Store::Deflated].into_iter().enumerate() {
        for (single, dtype) in [(true, "c64"), (false, "c128")] {
            let path = d.join(format!("{dtype}-{k}.h5"));
            let (re, im): (Vec<f64>, Vec<f64>) = if single {
                let v: Vec<Complex<f32>> = vals
                    .iter()
                    .map(|&(a, b)| Complex::new(a as f32, b as f32))
                    .collect();
                write(&path, "z", &v, &[n], store);
                v.iter().map(|c| (c.re as f64, c.im as f64)).unzip()
            } else {
                let v: Vec<Complex<f64>> = vals.iter().map(|&(a, b)| Complex::new(a, b)).collect();
                write(&path, "z", &v, &[n], store);
                v.iter().map(|c| (c.re, c.im)).unzip()
            };
            for np in RANKS {
                let p = path.to_str().unwrap();
                let job = run(np, &["--input", p, "--op", "sum", "--json"]);
                job.assert_ok();
                let v = json_of(&job);
                job.check(v["input"]["dtype"] == dtype, "dtype");
                let tol = (n as f64 + 2.0) * f64::EPSILON * 4.0 * n as f64;
                let got_re = v["result"]["re"].as_f64().unwrap();
                let got_im = v["result"]["im"].as_f64().unwrap();
                job.check((got_re - fsum(&re)).abs() <= tol, "real part");
                job.check((got_im - fsum(&im)).abs() <= tol, "imaginary part");
            }
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn multi_dimensional_datasets_whole_and_per_column() {
    if !have_mpirun("multi_dimensional_datasets_whole_and_per_column") {
        return;
    }
    let d = dir("nd");
    let mut rng = Rng(5);
    // 2-D: per-column means and whole-array sums; chunked reads cross partial rows.
    let (rows, cols) = (37, 5);
    let ints: Vec<i32> = (0..rows * cols)
        .map(|_| (rng.next() % 20001) as i32 - 10000)
        .collect();
    for (k, store) in [Store::Contiguous, Store::Chunked, Store::Deflated]
        .into_iter()
        .enumerate()
    {
        let path = d.join(format!("t{k}.h5"));
        write(&path, "table", &ints, &[rows, cols], store);
        let p = path.to_str().unwrap();
        for np in RANKS {
            let job = run(np, &["--input", p, "--op", "sum", "--axis", "0", "--json"]);
            job.assert_ok();
            let v = json_of(&job);
            let got = v["result"].as_array().expect("one result per column");
            job.check(got.len() == cols, "columns");
            for (c, g) in got.iter().enumerate() {
                let want: i64 = (0..rows).map(|r| ints[r * cols + c] as i64).sum();
                job.check(g.as_i64() == Some(want), &format!("column {c}"));
            }
            let job = run(np, &["--input", p, "--op", "sum", "--json"]);
            job.assert_ok();
            let want: i64 = ints.iter().map(|&x| x as i64).sum();
            job.check(raw_number(&job, "result") == want.to_string(), "whole sum");
        }
    }
    // 3-D, uneven, chunked: every rank's flat slice splits into several hyperslabs.
    let shape = [7, 5, 3];
    let x: Vec<f64> = (0..105).map(|i| (i * i % 97) as f64 - 40.5).collect();
    let path = d.join("cube.h5");
    write(&path, "cube", &x, &shape, Store::Chunked);
    let p = path.to_str().unwrap();
    for np in RANKS {
        for read in ["parallel", "root"] {
            let job = run(
                np,
                &["--input", p, "--op", "stats", "--read", read, "--json"],
            );
            job.assert_ok();
            let v = json_of(&job);
            job.check(v["input"]["shape"] == serde_json::json!(shape), "shape");
            let values: Vec<Num> = x.iter().map(|&v| Num::F(v)).collect();
            check_stats(&job, &values, false);
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn order_statistics_of_hdf5_datasets_equal_numpys() {
    if !have_mpirun("order_statistics_of_hdf5_datasets_equal_numpys") {
        return;
    }
    let d = dir("order");
    let mut rng = Rng(3);
    for (k, store) in [Store::Contiguous, Store::Deflated].into_iter().enumerate() {
        let n = 2000 + k * 333;
        let x: Vec<f64> = (0..n)
            .map(|_| (rng.uniform() * 1000.0).floor() / 8.0)
            .collect();
        let path = d.join(format!("x{k}.h5"));
        write(&path, "x", &x, &[n], store);
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        let p = path.to_str().unwrap();
        for np in RANKS {
            let job = run(np, &["--input", p, "--op", "median", "--json"]);
            job.assert_ok();
            check_exact(&job, "result", &Num::F(numpy_median(&sorted)));
            let job = run(
                np,
                &[
                    "--input",
                    p,
                    "--op",
                    "quantile",
                    "--q",
                    "0.01,0.37,0.99",
                    "--method",
                    "linear",
                    "--json",
                ],
            );
            job.assert_ok();
            let got: Vec<f64> = json_of(&job)["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let want: Vec<f64> = [0.01, 0.37, 0.99]
                .iter()
                .map(|&q| numpy_quantile(&sorted, q, "linear"))
                .collect();
            job.check(got == want, &format!("quantiles {got:?} != {want:?}"));
            let job = run(
                np,
                &["--input", p, "--op", "histogram", "--bins", "16", "--json"],
            );
            job.assert_ok();
            let (_, counts) = numpy_histogram(&x, 16, None);
            let v = json_of(&job);
            let got: Vec<u64> = v["result"]["counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .collect();
            job.check(got == counts, "histogram counts");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// The value `parsum gen --pattern arange` writes at `i` for an integer type of `bits`.
fn wrapped(i: u64, bits: u32, signed: bool) -> i128 {
    let m = i as i128 % (1i128 << bits);
    if signed && m >= 1i128 << (bits - 1) {
        m - (1i128 << bits)
    } else {
        m
    }
}

#[test]
fn gen_writes_hdf5_contiguous_chunked_and_deflated_on_any_rank_count() {
    if !have_mpirun("gen_writes_hdf5_contiguous_chunked_and_deflated_on_any_rank_count") {
        return;
    }
    let d = dir("gen");
    let n: u64 = 70_001;
    let len = n.to_string();
    let layouts: [&[&str]; 3] = [&[], &["--chunk", "4096"], &["--deflate", "6"]];
    for (k, np) in RANKS.into_iter().enumerate() {
        for (l, extra) in layouts.iter().enumerate() {
            let dtype = ["f64", "<i2", ">i4", "u8", ">f4"][(k + l) % 5];
            let path = d.join(format!("g{k}{l}.h5"));
            let out = format!("{}:/run/x", path.display());
            let mut args = vec!["gen", "--len", &len, "--out", &out, "--dtype", dtype];
            args.extend(extra.iter());
            let job = run(np, &args);
            job.assert_ok();
            let leftovers: Vec<_> = std::fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .filter(|f| f.to_string_lossy().contains(".tmp-"))
                .collect();
            job.check(leftovers.is_empty(), "no temporary file left");
            let file = hdf5::File::open(&path).unwrap();
            let ds = file.dataset("/run/x").unwrap();
            job.check(ds.is_chunked() != extra.is_empty(), "layout as asked");
            job.check(ds.shape() == vec![n as usize], "shape");
            let got: Vec<f64> = ds.read_raw::<f64>().unwrap();
            for (i, g) in got.iter().enumerate() {
                let want = match dtype {
                    "<i2" => wrapped(i as u64, 16, true) as f64,
                    ">i4" => i as f64,
                    "u8" => wrapped(i as u64, 8, false) as f64,
                    _ => i as f64,
                };
                assert_eq!(
                    *g,
                    want,
                    "element {i} of {}\n{}",
                    path.display(),
                    job.describe()
                );
            }
            // Read back by parsum on another rank count: the closed form of 0..n-1 where exact.
            if dtype == "f64" || dtype == ">i4" || dtype == ">f4" {
                let p = path.to_str().unwrap();
                let job = run(RANKS[(k + 1) % 4], &["--input", p, "--op", "sum", "--json"]);
                job.assert_ok();
                let want = (n as i128) * (n as i128 - 1) / 2;
                let got: f64 = raw_number(&job, "result").parse().unwrap();
                job.check(got == want as f64, "sum of the generated file");
            }
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn every_bad_hdf5_input_fails_cleanly_on_every_rank_count() {
    if !have_mpirun("every_bad_hdf5_input_fails_cleanly_on_every_rank_count") {
        return;
    }
    let d = dir("bad");
    let s = |p: PathBuf| p.to_str().unwrap().to_string();
    let good = d.join("good.h5");
    write(&good, "/g/x", &[1.0f64, 2.0, 3.0], &[3], Store::Contiguous);
    let two = d.join("two.h5");
    {
        let f = hdf5::File::create(&two).unwrap();
        f.new_dataset_builder()
            .with_data(&[1i32, 2][..])
            .create("a")
            .unwrap();
        f.new_dataset_builder()
            .with_data(&[1i32, 2][..])
            .create("b")
            .unwrap();
        let text: Vec<hdf5::types::VarLenUnicode> =
            vec!["one".parse().unwrap(), "two".parse().unwrap()];
        f.new_dataset_builder()
            .with_data(&text[..])
            .create("names")
            .unwrap();
        #[derive(H5Type, Clone, Copy)]
        #[repr(C)]
        struct Pair {
            a: i32,
            b: f64,
        }
        f.new_dataset_builder()
            .with_data(&[Pair { a: 1, b: 2.0 }][..])
            .create("pairs")
            .unwrap();
        f.create_group("empty").unwrap();
    }
    let zc = d.join("complex.h5");
    write(
        &zc,
        "z",
        &[Complex::new(1.0f64, 2.0)],
        &[1],
        Store::Deflated,
    );
    let bytes = std::fs::read(&good).unwrap();
    let put = |name: &str, b: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, b).unwrap();
        s(p)
    };
    let truncated = put("truncated.h5", &bytes[..bytes.len() / 2]);
    let text = put("text.h5", b"this is not an HDF5 file at all\n");
    let empty = put("empty.h5", b"");
    let folder = d.join("folder.h5");
    std::fs::create_dir(&folder).unwrap();
    let folder = s(folder);
    let fifo = d.join("pipe.h5");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let fifo = s(fifo);
    let g = s(good.clone());
    let t = s(two.clone());
    let at = |f: &str, ds: &str| format!("{f}:{ds}");
    let (missing, missing_group, group, names, pairs) = (
        at(&g, "/g/y"),
        at(&g, "/nope/x"),
        at(&g, "/g"),
        at(&t, "/names"),
        at(&t, "/pairs"),
    );
    let (empty_group, z) = (at(&t, "/empty"), s(zc));
    let gone = s(d.join("missing.h5"));
    let out_dir = s(d.join("folder.h5"));
    let gen_npy = s(d.join("x.npy"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--input", &missing], "no dataset /g/y"),
        (vec!["--input", &missing_group], "no dataset /nope/x"),
        (vec!["--input", &group], "/g is a group, not a dataset"),
        (vec!["--input", &empty_group], "/empty is a group"),
        (vec!["--input", &t], "name one as"),
        (vec!["--input", &names], "mpikit reads numbers"),
        (vec!["--input", &pairs], "mpikit reads numbers"),
        (vec!["--input", &truncated], "truncated"),
        (vec!["--input", &text], "not an HDF5 file"),
        (vec!["--input", &empty], "not an HDF5 file"),
        (vec!["--input", &folder], "is a directory"),
        (vec!["--input", &fifo], "is a FIFO"),
        (vec!["--input", &gone], "No such file"),
        (vec!["--input", &g, "--axis", "0"], "needs a 2-D array"),
        (vec!["--input", &z, "--op", "median"], "no order"),
        (
            vec!["--input", &z, "--op", "min"],
            "complex numbers have no order",
        ),
        (
            vec!["--input", &g, "--op", "quantile", "--q", "1.5"],
            "in [0, 1]",
        ),
        (
            vec!["--input", &g, "--op", "histogram", "--bins", "0"],
            "--bins",
        ),
        (
            vec!["--input", &g, "--op", "histogram", "--range", "2,1"],
            "reversed",
        ),
        (
            vec!["gen", "--len", "10", "--out", &gen_npy, "--chunk", "4"],
            "for HDF5 files",
        ),
        (
            vec!["gen", "--len", "10", "--out", &out_dir, "--format", "h5"],
            "--out",
        ),
        (
            vec!["gen", "--len", "10", "--out", &g, "--deflate", "12"],
            "--deflate",
        ),
        (
            vec!["gen", "--len", "10", "--out", &g, "--chunk", "0"],
            "--chunk",
        ),
    ];
    for (i, np) in RANKS.into_iter().enumerate() {
        for (j, (args, msg)) in cases.iter().enumerate() {
            let result = d.join("result.json");
            let mut a = args.clone();
            let o = result.to_str().unwrap();
            if a[0] != "gen" {
                // Order statistics read with --read parallel only.
                let order = ["median", "quantile", "histogram"]
                    .iter()
                    .any(|o| a.contains(o));
                let read = if (i + j) % 2 == 0 || order {
                    "parallel"
                } else {
                    "root"
                };
                a.extend(["--read", read, "--output", o]);
            }
            let job = run(np, &a);
            job.assert_exit(2);
            let lines = error_lines(&job.stderr);
            job.check(lines.len() == 1, "one error line, from rank 0");
            job.check(lines[0].contains(msg), &format!("the error says {msg:?}"));
            job.check(!result.exists(), "no output file");
            job.check(job.stdout.trim().is_empty(), "no report");
        }
    }
    // gen's refusals left the existing file as it was.
    assert_eq!(
        std::fs::read(&good).unwrap(),
        bytes,
        "gen left good.h5 alone"
    );
    std::fs::remove_dir_all(&d).unwrap();
}
