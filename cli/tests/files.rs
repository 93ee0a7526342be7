//! parsum on data files under real mpirun, on 1, 2, 3 and 8 ranks: every dtype and byte
//! order, every op, both read modes, 2-D per-column results, NaN policies, raw files,
//! `parsum gen`, bitwise-reproducible sums, and every bad-input case. The files are written
//! here, with a hand-written npy header, and every expectation is computed here (exact
//! integer arithmetic, Python's fsum algorithm for correctly rounded sums).

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/fsum.rs"]
mod fsum_impl;
#[path = "../../tests/common/npy.rs"]
mod npy;

use std::path::{Path, PathBuf};

use common::{have_mpirun, mpirun, Job};
use fsum_impl::fsum;
use npy::{error_lines, json_of, npy_header, raw_number, Rng};
use serde_json::Value;

const RANKS: [usize; 4] = [1, 2, 3, 8];

fn parsum() -> PathBuf {
    common::bin(env!("CARGO_BIN_EXE_parsum"))
}

fn dir(test: &str) -> PathBuf {
    npy::scratch_dir("files", test)
}

/// A data type of the tests: its numpy descr and how to encode a value.
#[derive(Clone, Copy, Debug)]
struct T {
    name: &'static str,
    kind: char,
    size: usize,
    big: bool,
}

impl T {
    fn descr(&self) -> String {
        if self.size == 1 {
            return format!("|{}1", self.kind);
        }
        format!(
            "{}{}{}",
            if self.big { '>' } else { '<' },
            self.kind,
            self.size
        )
    }

    fn encode(&self, v: &Num, out: &mut Vec<u8>) {
        macro_rules! put {
            ($x:expr) => {
                if self.big {
                    out.extend($x.to_be_bytes())
                } else {
                    out.extend($x.to_le_bytes())
                }
            };
        }
        match (*v, self.kind, self.size) {
            (Num::F(x), 'f', 8) => put!(x),
            (Num::F(x), 'f', 4) => put!(x as f32),
            (Num::I(x), 'i', 8) => put!(x as i64),
            (Num::I(x), 'i', 4) => put!(x as i32),
            (Num::I(x), 'u', 8) => put!(x as u64),
            (Num::I(x), 'u', 4) => put!(x as u32),
            (Num::I(x), 'u', 1) => out.push(x as u8),
            (Num::F(x), 'f', 2) => put!(f16_bits(x)),
            (Num::I(x), 'i', 2) => put!(x as i16),
            (Num::I(x), 'i', 1) => out.push(x as i8 as u8),
            (Num::I(x), 'u', 2) => put!(x as u16),
            (Num::I(x), 'b', 1) => out.push(x as u8),
            other => panic!("cannot encode {other:?}"),
        }
    }

    /// Deterministic values of this type, with negatives where the type has them.
    fn values(&self, n: usize, seed: u64) -> Vec<Num> {
        let mut r = Rng(seed);
        (0..n)
            .map(|_| match (self.kind, self.size) {
                ('f', 8) => Num::F((r.next() >> 11) as f64 / (1u64 << 40) as f64 - 4000.0),
                // Values exact in f16: quarters in [-256, 256).
                ('f', 2) => Num::F(((r.next() >> 53) as f64 - 1024.0) / 4.0),
                // Values exact in f32.
                ('f', _) => Num::F(((r.next() >> 40) as f64 - 8e6) / 64.0),
                ('i', 8) => Num::I((r.next() as i64) as i128),
                ('i', 4) => Num::I((r.next() as i32) as i128),
                ('i', 2) => Num::I((r.next() as i16) as i128),
                ('i', _) => Num::I((r.next() as i8) as i128),
                ('u', 8) => Num::I(r.next() as i128),
                ('u', 4) => Num::I((r.next() as u32) as i128),
                ('u', 2) => Num::I((r.next() as u16) as i128),
                ('b', _) => Num::I((r.next() >> 63) as i128),
                _ => Num::I((r.next() as u8) as i128),
            })
            .collect()
    }
}

const TYPES: [(&str, char, usize); 12] = [
    ("f64", 'f', 8),
    ("f32", 'f', 4),
    ("f16", 'f', 2),
    ("i64", 'i', 8),
    ("i32", 'i', 4),
    ("i16", 'i', 2),
    ("i8", 'i', 1),
    ("u64", 'u', 8),
    ("u32", 'u', 4),
    ("u16", 'u', 2),
    ("u8", 'u', 1),
    ("bool", 'b', 1),
];

/// IEEE half-precision bits of `x`, which must be exact in f16 (zero or a normal number):
/// written here, not taken from the `half` crate parsum decodes with.
fn f16_bits(x: f64) -> u16 {
    if x == 0.0 {
        return 0;
    }
    let sign = if x < 0.0 { 1u16 << 15 } else { 0 };
    let a = x.abs();
    let e = a.log2().floor() as i32;
    let m = (a / 2f64.powi(e) - 1.0) * 1024.0;
    assert!(
        (-14..=15).contains(&e) && m.fract() == 0.0,
        "{x} is not exact in f16"
    );
    sign | (((e + 15) as u16) << 10) | m as u16
}

fn all_types() -> Vec<T> {
    let mut v = Vec::new();
    for (name, kind, size) in TYPES {
        v.push(T {
            name,
            kind,
            size,
            big: false,
        });
        if size > 1 {
            v.push(T {
                name,
                kind,
                size,
                big: true,
            });
        }
    }
    v
}

#[derive(Clone, Copy, Debug)]
enum Num {
    F(f64),
    I(i128),
}

fn write_npy(path: &Path, t: &T, values: &[Num], shape: &[usize], fortran: bool) {
    let mut bytes = npy_header(&t.descr(), shape, fortran);
    for v in values {
        t.encode(v, &mut bytes);
    }
    std::fs::write(path, bytes).unwrap();
}

/// What numpy would print, computed independently: exact for integers, fsum-based for
/// floats (a tolerance covers parsum's plain, not correctly rounded, float sums).
#[derive(Debug)]
struct Expect {
    count: u64,
    /// Exact integer sum, or the correctly rounded float sum.
    sum: Num,
    sumsq: Num,
    /// Σ|x| (float sums' error scale) and Σx² (float sumsq's).
    abs: f64,
    sq_abs: f64,
    min: Num,
    max: Num,
    mean: f64,
    var: f64,
}

fn expect(values: &[Num]) -> Expect {
    let f: Vec<f64> = values
        .iter()
        .map(|v| match v {
            Num::F(x) => *x,
            Num::I(i) => *i as f64,
        })
        .collect();
    let n = values.len();
    let float = matches!(values.first(), Some(Num::F(_)));
    let mean = fsum(&f) / n as f64;
    let dev: Vec<f64> = f.iter().map(|x| (x - mean) * (x - mean)).collect();
    let var = fsum(&dev) / n as f64;
    let abs = fsum(&f.iter().map(|x| x.abs()).collect::<Vec<_>>());
    let sq_abs = fsum(&f.iter().map(|x| x * x).collect::<Vec<_>>());
    if float {
        let sq: Vec<f64> = f
            .iter()
            .flat_map(|x| [x * x, x.mul_add(*x, -(x * x))])
            .collect();
        Expect {
            count: n as u64,
            sum: Num::F(fsum(&f)),
            sumsq: Num::F(fsum(&sq)),
            abs,
            sq_abs,
            min: Num::F(f.iter().copied().fold(f64::INFINITY, f64::min)),
            max: Num::F(f.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
            mean,
            var,
        }
    } else {
        let ints: Vec<i128> = values
            .iter()
            .map(|v| match v {
                Num::I(i) => *i,
                Num::F(_) => unreachable!(),
            })
            .collect();
        let sumsq = ints.iter().try_fold(0u128, |a, &v| {
            a.checked_add(v.unsigned_abs() * v.unsigned_abs())
        });
        Expect {
            count: n as u64,
            sum: Num::I(ints.iter().sum()),
            sumsq: sumsq.map_or(Num::F(f64::NAN), |s| Num::I(s as i128)),
            abs,
            sq_abs,
            min: Num::I(*ints.iter().min().unwrap()),
            max: Num::I(*ints.iter().max().unwrap()),
            mean,
            var,
        }
    }
}

#[track_caller]
fn check_num(job: &Job, got: &str, want: &Num, tol_abs: f64, what: &str) {
    match want {
        Num::I(i) => job.check(got == i.to_string(), &format!("{what}: {got} != {i}")),
        Num::F(x) => {
            let g: f64 = got.parse().unwrap_or(f64::NAN);
            job.check(
                (g - x).abs() <= tol_abs,
                &format!("{what}: {g:e} vs {x:e} (tolerance {tol_abs:e})"),
            )
        }
    };
}

fn run(np: usize, args: &[&str]) -> Job {
    mpirun(np, &parsum(), args)
}

#[test]
fn every_dtype_byte_order_and_read_mode_with_stats() {
    if !have_mpirun("every_dtype_byte_order_and_read_mode_with_stats") {
        return;
    }
    let d = dir("dtypes");
    let n = 1001;
    let eps = f64::EPSILON;
    for (k, t) in all_types().into_iter().enumerate() {
        let path = d.join(format!(
            "{}-{}.npy",
            t.name,
            if t.big { "be" } else { "le" }
        ));
        let values = t.values(n, k as u64);
        write_npy(&path, &t, &values, &[n], false);
        let e = expect(&values);
        let p = path.to_str().unwrap();
        for (i, np) in RANKS.into_iter().enumerate() {
            let read = if (i + k) % 2 == 0 { "parallel" } else { "root" };
            let job = run(
                np,
                &["--input", p, "--op", "stats", "--read", read, "--json"],
            );
            job.assert_ok();
            let v = json_of(&job);
            job.check(v["ranks"] == np, "rank count");
            job.check(v["input"]["dtype"] == t.name, "dtype");
            job.check(
                v["input"]["byte_order"] == if t.big { "big" } else { "little" } || t.size == 1,
                "byte order",
            );
            job.check(v["result"]["count"] == e.count, "count");
            let tol = (n as f64 + 2.0) * eps * e.abs;
            check_num(&job, raw_number(&job, "sum"), &e.sum, tol, "sum");
            check_num(&job, raw_number(&job, "min"), &e.min, 0.0, "min");
            check_num(&job, raw_number(&job, "max"), &e.max, 0.0, "max");
            let mean = v["result"]["mean"].as_f64().unwrap();
            job.check(
                (mean - e.mean).abs() <= tol / n as f64 + e.mean.abs() * 4.0 * eps,
                "mean",
            );
            let std = v["result"]["std"].as_f64().unwrap();
            job.check((std - e.var.sqrt()).abs() <= 1e-9 * e.var.sqrt(), "std");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn every_op_on_floats_and_integers() {
    if !have_mpirun("every_op_on_floats_and_integers") {
        return;
    }
    let d = dir("ops");
    let n = 777;
    let eps = f64::EPSILON;
    for t in [
        T {
            name: "f64",
            kind: 'f',
            size: 8,
            big: false,
        },
        T {
            name: "i32",
            kind: 'i',
            size: 4,
            big: true,
        },
    ] {
        let path = d.join(format!("{}.npy", t.name));
        let values = t.values(n, 99);
        write_npy(&path, &t, &values, &[n], false);
        let e = expect(&values);
        let p = path.to_str().unwrap();
        for (i, np) in RANKS.into_iter().enumerate() {
            for (j, op) in ["sum", "sumsq", "min", "max", "mean", "var", "std", "count"]
                .into_iter()
                .enumerate()
            {
                let read = if (i + j) % 2 == 0 { "parallel" } else { "root" };
                let job = run(np, &["--input", p, "--op", op, "--read", read, "--json"]);
                job.assert_ok();
                let got = raw_number(&job, "result");
                let rel = |x: f64, want: f64, tol: f64| (x - want).abs() <= tol * want.abs();
                let g: f64 = got.parse().unwrap_or(f64::NAN);
                match op {
                    "sum" => check_num(&job, got, &e.sum, (n as f64 + 2.0) * eps * e.abs, op),
                    "sumsq" => {
                        check_num(&job, got, &e.sumsq, (n as f64 + 2.0) * eps * e.sq_abs, op)
                    }
                    "min" => check_num(&job, got, &e.min, 0.0, op),
                    "max" => check_num(&job, got, &e.max, 0.0, op),
                    "count" => check_num(&job, got, &Num::I(n as i128), 0.0, op),
                    "mean" => {
                        let tol = (n as f64 + 2.0) * eps * e.abs / n as f64;
                        job.check((g - e.mean).abs() <= tol, "mean");
                    }
                    "var" => {
                        job.check(rel(g, e.var, 1e-9), "var");
                    }
                    _ => {
                        job.check(rel(g, e.var.sqrt(), 1e-9), "std");
                    }
                }
            }
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn columns_of_2d_arrays_in_c_and_fortran_order() {
    if !have_mpirun("columns_of_2d_arrays_in_c_and_fortran_order") {
        return;
    }
    let d = dir("axis");
    let (rows, cols) = (101, 7);
    for (t, fortran) in [
        (all_types()[0], false),
        (all_types()[0], true),
        (all_types()[6], false),
        (all_types()[6], true),
    ] {
        // values[r][c] in row-major order; stored in the file's order.
        let values = t.values(rows * cols, 5);
        let stored: Vec<Num> = if fortran {
            (0..cols)
                .flat_map(|c| (0..rows).map(move |r| r * cols + c))
                .map(|i| values[i])
                .collect()
        } else {
            values.clone()
        };
        let path = d.join(format!("{}-{fortran}.npy", t.name));
        write_npy(&path, &t, &stored, &[rows, cols], fortran);
        let p = path.to_str().unwrap();
        for (i, np) in RANKS.into_iter().enumerate() {
            let read = if i % 2 == 0 { "parallel" } else { "root" };
            let job = run(
                np,
                &[
                    "--input", p, "--axis", "0", "--op", "stats", "--read", read, "--json",
                ],
            );
            job.assert_ok();
            let v = json_of(&job);
            let res = v["result"].as_array().expect("one result per column");
            job.check(res.len() == cols, "one result per column");
            for (c, r) in res.iter().enumerate() {
                let col: Vec<Num> = (0..rows).map(|row| values[row * cols + c]).collect();
                let e = expect(&col);
                job.check(r["count"] == rows, "column count");
                let want_max = match e.max {
                    Num::F(x) => x,
                    Num::I(i) => i as f64,
                };
                job.check(
                    r["max"].as_f64() == Some(want_max),
                    &format!("column {c} max"),
                );
                let sum = r["sum"].as_f64().unwrap();
                let want = match e.sum {
                    Num::F(x) => x,
                    Num::I(i) => i as f64,
                };
                job.check(
                    (sum - want).abs() <= 1e-12 * e.abs.max(1.0),
                    &format!("column {c} sum {sum} vs {want}"),
                );
            }
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn complex_sum_and_mean_whole_and_per_column() {
    if !have_mpirun("complex_sum_and_mean_whole_and_per_column") {
        return;
    }
    let d = dir("complex");
    let (rows, cols) = (53, 3);
    let mut r = Rng(11);
    // Parts exact in f32, so c64 and c128 files hold the same numbers.
    let mut part = || ((r.next() >> 40) as f64 - 8e6) / 64.0;
    let values: Vec<(f64, f64)> = (0..rows * cols).map(|_| (part(), part())).collect();
    let close = |got: &Value, want: f64, scale: f64| {
        got.as_f64()
            .is_some_and(|g| (g - want).abs() <= 1e-13 * scale.max(1.0))
    };
    for (descr, big, fortran) in [
        ("<c16", false, false),
        (">c16", true, true),
        ("<c8", false, true),
        (">c8", true, false),
    ] {
        let stored: Vec<(f64, f64)> = if fortran {
            (0..cols)
                .flat_map(|c| (0..rows).map(move |r| r * cols + c))
                .map(|i| values[i])
                .collect()
        } else {
            values.clone()
        };
        let mut bytes = npy_header(descr, &[rows, cols], fortran);
        for (re, im) in &stored {
            for x in [re, im] {
                match (descr.ends_with("16"), big) {
                    (true, false) => bytes.extend(x.to_le_bytes()),
                    (true, true) => bytes.extend(x.to_be_bytes()),
                    (false, false) => bytes.extend((*x as f32).to_le_bytes()),
                    (false, true) => bytes.extend((*x as f32).to_be_bytes()),
                }
            }
        }
        let path = d.join(format!("c-{}-{fortran}.npy", &descr[1..]));
        std::fs::write(&path, bytes).unwrap();
        let p = path.to_str().unwrap();
        let res: Vec<f64> = values.iter().map(|v| v.0).collect();
        let ims: Vec<f64> = values.iter().map(|v| v.1).collect();
        let scale = fsum(&res.iter().chain(&ims).map(|x| x.abs()).collect::<Vec<_>>());
        for (i, np) in RANKS.into_iter().enumerate() {
            let read = if i % 2 == 0 { "parallel" } else { "root" };
            for op in ["sum", "mean"] {
                let div = if op == "mean" {
                    (rows * cols) as f64
                } else {
                    1.0
                };
                let job = run(np, &["--input", p, "--op", op, "--read", read, "--json"]);
                job.assert_ok();
                let v = json_of(&job);
                job.check(v["ranks"] == np, "rank count");
                job.check(
                    v["input"]["dtype"] == if descr.ends_with("16") { "c128" } else { "c64" },
                    "dtype",
                );
                let got = &v["result"];
                job.check(
                    close(&got["re"], fsum(&res) / div, scale),
                    &format!("{op} re {got}"),
                );
                job.check(
                    close(&got["im"], fsum(&ims) / div, scale),
                    &format!("{op} im {got}"),
                );
            }
            let job = run(
                np,
                &[
                    "--input", p, "--axis", "0", "--op", "sum", "--read", read, "--json",
                ],
            );
            job.assert_ok();
            let v = json_of(&job);
            let cols_got = v["result"].as_array().expect("one result per column");
            job.check(cols_got.len() == cols, "one complex result per column");
            for (c, got) in cols_got.iter().enumerate() {
                let re: Vec<f64> = (0..rows).map(|r| values[r * cols + c].0).collect();
                let im: Vec<f64> = (0..rows).map(|r| values[r * cols + c].1).collect();
                job.check(
                    close(&got["re"], fsum(&re), scale),
                    &format!("column {c} re {got}"),
                );
                job.check(
                    close(&got["im"], fsum(&im), scale),
                    &format!("column {c} im {got}"),
                );
            }
            let job = run(
                np,
                &["--input", p, "--op", "count", "--read", read, "--json"],
            );
            job.assert_ok();
            job.check(
                json_of(&job)["result"] == rows * cols,
                "count of complex elements",
            );
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn nan_propagate_and_skip() {
    if !have_mpirun("nan_propagate_and_skip") {
        return;
    }
    let d = dir("nan");
    let t = all_types()[0];
    let mut values = t.values(500, 8);
    for i in [0, 77, 250, 499] {
        values[i] = Num::F(f64::NAN);
    }
    let path = d.join("nan.npy");
    write_npy(&path, &t, &values, &[500], false);
    let clean: Vec<Num> = values
        .iter()
        .copied()
        .filter(|v| !matches!(v, Num::F(x) if x.is_nan()))
        .collect();
    let e = expect(&clean);
    let p = path.to_str().unwrap();
    for np in RANKS {
        for op in ["sum", "min", "max", "mean", "std"] {
            let job = run(np, &["--input", p, "--op", op, "--json"]);
            job.assert_ok();
            job.check(json_of(&job)["result"] == "nan", "a NaN propagates");
        }
        let job = run(
            np,
            &["--input", p, "--op", "stats", "--nan", "skip", "--json"],
        );
        job.assert_ok();
        let v = json_of(&job);
        job.check(v["result"]["count"] == 496, "NaNs are not counted");
        check_num(&job, raw_number(&job, "sum"), &e.sum, 1e-12 * e.abs, "sum");
        check_num(&job, raw_number(&job, "min"), &e.min, 0.0, "min");
        check_num(&job, raw_number(&job, "max"), &e.max, 0.0, "max");
        let job = run(np, &["--input", p, "--op", "count", "--json"]);
        job.check(
            json_of(&job)["result"] == 500,
            "propagate counts every value",
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn reproducible_sums_are_bitwise_identical_and_correctly_rounded() {
    if !have_mpirun("reproducible_sums_are_bitwise_identical_and_correctly_rounded") {
        return;
    }
    let d = dir("repro");
    // Wide exponents, both signs, and cancellation: plain sums differ with the order.
    let mut r = Rng(42);
    let mut x: Vec<f64> = (0..60_001)
        .map(|_| {
            let e = (r.next() % 120) as i32 - 60;
            let m = 1.0 + (r.next() >> 12) as f64 / (1u64 << 52) as f64;
            if r.next() & 1 == 1 {
                -m * 2f64.powi(e)
            } else {
                m * 2f64.powi(e)
            }
        })
        .collect();
    let tail: Vec<f64> = x.iter().step_by(3).map(|v| -v * 0.999).collect();
    x.extend(tail);
    let values: Vec<Num> = x.iter().map(|&v| Num::F(v)).collect();
    let t = all_types()[1]; // f64, big-endian
    let path = d.join("hard.npy");
    write_npy(&path, &t, &values, &[x.len()], false);
    let p = path.to_str().unwrap();
    let want_sum = fsum(&x);
    let sq: Vec<f64> = x
        .iter()
        .flat_map(|v| [v * v, v.mul_add(*v, -(v * v))])
        .collect();
    let want_sq = fsum(&sq);
    let mut plain = std::collections::BTreeSet::new();
    for np in [1, 2, 3, 4, 8] {
        for threads in ["1", "2", "3"] {
            for (op, want) in [("sum", want_sum), ("sumsq", want_sq)] {
                let read = if np % 2 == 0 { "parallel" } else { "root" };
                let job = run(
                    np,
                    &[
                        "--input",
                        p,
                        "--op",
                        op,
                        "--reproducible",
                        "--threads",
                        threads,
                        "--read",
                        read,
                        "--json",
                    ],
                );
                job.assert_ok();
                let got: f64 = raw_number(&job, "result").parse().unwrap();
                job.check(
                    got.to_bits() == want.to_bits(),
                    &format!("{op}: {got:e} is not the correctly rounded {want:e}"),
                );
            }
            let job = run(
                np,
                &["--input", p, "--op", "sum", "--threads", threads, "--json"],
            );
            plain.insert(raw_number(&job, "result").to_string());
        }
    }
    // Not a check of parsum, but of the test data: plain sums must be order-sensitive here.
    assert!(
        plain.len() > 1,
        "the data should make plain sums differ: {plain:?}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn raw_binary_with_offset_and_byte_order() {
    if !have_mpirun("raw_binary_with_offset_and_byte_order") {
        return;
    }
    let d = dir("raw");
    let t = T {
        name: "f32",
        kind: 'f',
        size: 4,
        big: true,
    };
    let values = t.values(999, 3);
    let mut bytes = b"sixteen byte hdr".to_vec();
    for v in &values {
        t.encode(v, &mut bytes);
    }
    let path = d.join("data.bin");
    std::fs::write(&path, &bytes).unwrap();
    let e = expect(&values);
    let p = path.to_str().unwrap();
    for (i, np) in RANKS.into_iter().enumerate() {
        let read = if i % 2 == 0 { "parallel" } else { "root" };
        let job = run(
            np,
            &[
                "--input", p, "--dtype", ">f4", "--offset", "16", "--op", "stats", "--read", read,
                "--json",
            ],
        );
        job.assert_ok();
        let v = json_of(&job);
        job.check(
            v["result"]["count"] == 999 && v["input"]["format"] == "raw",
            "count",
        );
        check_num(&job, raw_number(&job, "sum"), &e.sum, 1e-12 * e.abs, "sum");
        check_num(&job, raw_number(&job, "max"), &e.max, 0.0, "max");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn gen_writes_the_same_file_on_any_rank_count_atomically() {
    if !have_mpirun("gen_writes_the_same_file_on_any_rank_count_atomically") {
        return;
    }
    let d = dir("gen");
    let mut first: Option<Vec<u8>> = None;
    for np in RANKS {
        let out = d.join(format!("r{np}.npy"));
        let o = out.to_str().unwrap();
        let job = run(
            np,
            &[
                "gen",
                "--len",
                "10007",
                "--dtype",
                "i32",
                "--out",
                o,
                "--pattern",
                "random",
                "--seed",
                "9",
            ],
        );
        job.assert_ok();
        let bytes = std::fs::read(&out).unwrap();
        match &first {
            None => first = Some(bytes),
            Some(b) => {
                job.check(*b == bytes, "the same file for every rank count");
            }
        }
        let job = run(np, &["gen", "--len", "1001", "--dtype", ">u32", "--out", o]);
        job.assert_ok();
        let bytes = std::fs::read(&out).unwrap();
        let header = npy_header(">u4", &[1001], false);
        job.check(bytes.len() == header.len() + 4004, "file size");
        let data = &bytes[bytes.len() - 4004..];
        let ok = data
            .chunks(4)
            .enumerate()
            .all(|(i, c)| u32::from_be_bytes(c.try_into().unwrap()) == i as u32);
        job.check(ok, "arange values, big-endian");
        let job = run(np, &["--input", o, "--op", "sum", "--json"]);
        job.check(
            raw_number(&job, "result") == "500500",
            "sum of the generated file",
        );
    }
    let job = run(
        3,
        &["gen", "--len", "10", "--out", "/nonexistent-dir/x.npy"],
    );
    job.assert_exit(2);
    job.check(
        job.stderr.contains("parsum: --out /nonexistent-dir/x.npy"),
        "names the file",
    );
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn integer_overflow_and_progress() {
    if !have_mpirun("integer_overflow_and_progress") {
        return;
    }
    let d = dir("overflow");
    let t = all_types()
        .into_iter()
        .find(|t| t.name == "u64" && !t.big)
        .expect("u64 is a test type");
    let values = vec![Num::I(u64::MAX as i128); 100];
    let path = d.join("big.npy");
    write_npy(&path, &t, &values, &[100], false);
    let p = path.to_str().unwrap();
    for np in [1, 3] {
        let job = run(np, &["--input", p, "--op", "sumsq"]);
        job.assert_exit(2);
        job.check(
            job.stderr.contains("does not fit in 128 bits"),
            "overflow reported",
        );
        let job = run(np, &["--input", p, "--op", "sum", "--json", "--progress"]);
        job.assert_ok();
        job.check(
            raw_number(&job, "result") == (100 * u64::MAX as i128).to_string(),
            "exact sum past 2^64",
        );
        job.check(
            job.stderr.contains("parsum: reading done"),
            "progress on stderr",
        );
        job.check(
            job.stderr.matches("reading done").count() == 1,
            "from rank 0 only",
        );
        let job = run(np, &["--input", p, "--op", "sum", "--json"]);
        job.check(
            !job.stderr.contains("reading"),
            "no progress when stderr is not a terminal",
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn every_bad_input_fails_cleanly_on_every_rank_count() {
    if !have_mpirun("every_bad_input_fails_cleanly_on_every_rank_count") {
        return;
    }
    let d = dir("bad");
    let good = d.join("good.npy");
    write_npy(
        &good,
        &all_types()[0],
        &all_types()[0].values(100, 1),
        &[100],
        false,
    );
    let bytes = std::fs::read(&good).unwrap();
    let put = |name: &str, b: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, b).unwrap();
        p.to_str().unwrap().to_string()
    };
    let truncated = put("truncated.npy", &bytes[..bytes.len() - 8]);
    let not_npy = put("text.npy", b"hello, this is not numpy data\n");
    let empty = put("empty.npy", b"");
    let mut f16 = npy_header("<f16", &[4], false);
    f16.extend([0u8; 64]);
    let quad = put("float128.npy", &f16);
    let mut c16 = npy_header("<c16", &[4], false);
    c16.extend([0u8; 64]);
    let complex = put("complex.npy", &c16);
    let mut dt = npy_header("<M8[s]", &[4], false);
    dt.extend([0u8; 32]);
    let datetime = put("datetime.npy", &dt);
    let raw7 = put("seven.bin", &[1u8; 7]);
    let dir_path = d.to_str().unwrap().to_string();
    let fake_npz = put("fake.npz", b"PK\x03\x04 but not really a zip archive");
    let fifo = d.join("pipe.npy");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let fifo = fifo.to_str().unwrap().to_string();
    let missing = d.join("missing.npy").to_str().unwrap().to_string();
    let g = good.to_str().unwrap().to_string();
    let unreadable = put("unreadable.npy", &bytes);
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--input", &missing], "No such file"),
        (vec!["--input", &truncated], "truncated"),
        (vec!["--input", &not_npy], "not an npy file"),
        (vec!["--input", &empty], "empty file"),
        (vec!["--input", &quad], "unsupported dtype '<f16'"),
        (vec!["--input", &datetime], "unsupported dtype"),
        (
            vec!["--input", &complex, "--op", "max"],
            "complex numbers have no order",
        ),
        (
            vec!["--input", &complex, "--op", "sum", "--nan", "skip"],
            "--nan skip of complex data",
        ),
        (
            vec!["--input", &raw7, "--dtype", "f64"],
            "not a whole number of f64 values",
        ),
        (
            vec!["--input", &raw7, "--dtype", "u8", "--offset", "8"],
            "past the end",
        ),
        (vec!["--input", &dir_path], "is a directory"),
        (vec!["--input", &fifo], "is a FIFO"),
        (vec!["--input", &fake_npz], "not a valid .npz (zip) archive"),
        (vec!["--input", &fifo, "--dtype", "f64"], "is a FIFO"),
        (vec!["--input", "/dev/zero", "--dtype", "u8"], "is a device"),
        (vec!["--input", &g, "--axis", "0"], "needs a 2-D array"),
        (vec!["--input", &g, "--axis", "1"], "only --axis 0"),
        (
            vec!["--input", &g, "--dtype", "f128"],
            "unsupported dtype \"f128\"",
        ),
    ];
    let mut cases = cases;
    if !root {
        cases.push((vec!["--input", &unreadable], "Permission denied"));
    } else {
        eprintln!("note: running as root, so the unreadable-file case cannot be made here");
    }
    for (i, np) in RANKS.into_iter().enumerate() {
        for (j, (args, msg)) in cases.iter().enumerate() {
            let read = if (i + j) % 2 == 0 { "parallel" } else { "root" };
            let out = d.join("result.json");
            let o = out.to_str().unwrap();
            let mut a = args.clone();
            a.extend(["--read", read, "--output", o]);
            let job = run(np, &a);
            job.assert_exit(2);
            let lines = error_lines(&job.stderr);
            job.check(lines.len() == 1, "one error line, from rank 0");
            job.check(lines[0].contains(msg), &format!("the error says {msg:?}"));
            let about_flags = args.contains(&"1") || args.contains(&"f128");
            if !about_flags {
                job.check(lines[0].contains(args[1]), "the error names the file");
            }
            job.check(!out.exists(), "no output file");
            job.check(job.stdout.trim().is_empty(), "no report");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_rank_never_holds_its_slice() {
    if !have_mpirun("a_rank_never_holds_its_slice") {
        return;
    }
    let d = dir("memory");
    let path = d.join("big.npy");
    let p = path.to_str().unwrap();
    // 1e7 f64 = 80 MB: each of 2 ranks' slices is 40 MB.
    run(
        2,
        &["gen", "--len", "1e7", "--out", p, "--pattern", "random"],
    )
    .assert_ok();
    let slice = 40_000_000u64;
    for read in ["parallel", "root"] {
        let job = run(
            2,
            &["--input", p, "--op", "stats", "--read", read, "--json"],
        );
        job.assert_ok();
        let v = json_of(&job);
        let peak = v["peak_rss"]["max"].as_u64().unwrap();
        job.check(
            peak < slice,
            &format!("peak RSS {peak} bytes should stay below one slice ({slice} bytes)"),
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// CRC-32 (IEEE), bit by bit: the zip checksum, written here.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// `data` as a deflate stream of stored blocks (RFC 1951, BTYPE 00: at most 65535 bytes each,
/// the last one final): what any inflater reads, written here without a compressor.
fn deflate_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let blocks: Vec<&[u8]> = match data.is_empty() {
        true => vec![&[]],
        false => data.chunks(65535).collect(),
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        out.extend((block.len() as u16).to_le_bytes());
        out.extend((!(block.len() as u16)).to_le_bytes());
        out.extend(*block);
    }
    out
}

/// A zip archive written by hand, as `np.savez` does (stored members named NAME.npy), or with
/// the member deflated (method 8, as `np.savez_compressed` does; here in stored blocks).
fn write_zip(path: &Path, members: &[(&str, Vec<u8>, u16)]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, npy, method) in members {
        let offset = out.len() as u32;
        let crc = crc32(npy);
        let packed;
        let data = match method {
            8 => {
                packed = deflate_stored(npy);
                &packed
            }
            _ => npy,
        };
        let header = |sig: u32, central_dir: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central_dir {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(method.to_le_bytes());
            h.extend([0u8; 4]); // time, date
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((npy.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central_dir {
                h.extend([0u8; 6]); // comment length, disk, internal attributes
                h.extend([0u8; 4]); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

fn npy_bytes(t: &T, values: &[Num]) -> Vec<u8> {
    let mut bytes = npy_header(&t.descr(), &[values.len()], false);
    for v in values {
        t.encode(v, &mut bytes);
    }
    bytes
}

#[test]
fn npz_members_read_by_position_or_inflated() {
    if !have_mpirun("npz_members_read_by_position_or_inflated") {
        return;
    }
    let d = dir("npz");
    let types = all_types();
    let find = |name: &str, big: bool| {
        *types
            .iter()
            .find(|t| t.name == name && t.big == big)
            .expect("a test type")
    };
    let (tf, ti) = (find("f64", false), find("i16", true));
    let (xf, xi) = (tf.values(1001, 3), ti.values(777, 4));
    let many = d.join("many.npz");
    write_zip(
        &many,
        &[
            ("pressure.npy", npy_bytes(&tf, &xf), 0),
            ("counts.npy", npy_bytes(&ti, &xi), 0),
            ("packed.npy", npy_bytes(&tf, &xf), 8),
        ],
    );
    let one = d.join("one.npz");
    write_zip(&one, &[("arr_0.npy", npy_bytes(&ti, &xi), 0)]);
    // A deflated member of several 64 KiB blocks, alone in its archive.
    let xb = tf.values(20_001, 5);
    let alone = d.join("alone.npz");
    write_zip(&alone, &[("x.npy", npy_bytes(&tf, &xb), 8)]);
    // Damaged copies: the directory's CRC-32 off by a bit; its deflated size halved (the
    // stream stops early).
    let bytes = std::fs::read(&alone).unwrap();
    let c = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let (bad_crc, short) = (d.join("badcrc.npz"), d.join("short.npz"));
    let mut b = bytes.clone();
    b[c + 16] ^= 1;
    std::fs::write(&bad_crc, b).unwrap();
    let mut b = bytes.clone();
    let size = u32::from_le_bytes(b[c + 20..c + 24].try_into().unwrap());
    b[c + 20..c + 24].copy_from_slice(&(size / 2).to_le_bytes());
    std::fs::write(&short, b).unwrap();
    let (m, o) = (many.to_str().unwrap(), one.to_str().unwrap());
    let big = alone.to_str().unwrap().to_string();
    let (bad_crc, short) = (bad_crc.to_str().unwrap(), short.to_str().unwrap());
    let pressure = format!("{m}:pressure");
    let counts = format!("{m}:counts");
    let packed = format!("{m}:packed");
    for (i, np) in RANKS.into_iter().enumerate() {
        let read = if i % 2 == 0 { "parallel" } else { "root" };
        let inputs = [
            (pressure.as_str(), &xf),
            (counts.as_str(), &xi),
            (o, &xi),
            (packed.as_str(), &xf),
            (big.as_str(), &xb),
        ];
        for (input, values) in inputs {
            let job = run(
                np,
                &["--input", input, "--op", "stats", "--read", read, "--json"],
            );
            job.assert_ok();
            let v = json_of(&job);
            job.check(v["ranks"] == np, "rank count");
            job.check(v["input"]["format"] == "npz", "format npz");
            let e = expect(values);
            job.check(v["result"]["count"] == e.count, "count");
            let tol = (e.count as f64 + 2.0) * f64::EPSILON * e.abs;
            check_num(&job, raw_number(&job, "sum"), &e.sum, tol, "sum");
            check_num(&job, raw_number(&job, "min"), &e.min, 0.0, "min");
            check_num(&job, raw_number(&job, "max"), &e.max, 0.0, "max");
        }
    }
    let missing = format!("{m}:nothing");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--input", m],
            "holds 3 arrays (pressure, counts, packed)",
        ),
        (
            vec!["--input", bad_crc],
            "badcrc.npz: damaged compressed member: CRC-32",
        ),
        (
            vec!["--input", short],
            "short.npz: damaged compressed member",
        ),
        (
            vec!["--input", bad_crc, "--op", "median"],
            "badcrc.npz: damaged compressed member: CRC-32",
        ),
        (
            vec!["--input", short, "--read", "root"],
            "short.npz: damaged compressed member",
        ),
        (vec!["--input", &missing], "no array \"nothing\""),
    ];
    for np in [1, 3] {
        for (args, msg) in &cases {
            let job = run(np, args);
            job.assert_exit(2);
            let lines = error_lines(&job.stderr);
            job.check(lines.len() == 1, "one error line");
            job.check(lines[0].contains(msg), &format!("the error says {msg:?}"));
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}
