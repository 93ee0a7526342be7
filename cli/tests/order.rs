//! parsum's exact order statistics (median, quantiles by every numpy method, histograms)
//! under real mpirun on 1, 2, 3 and 8 ranks, generated and file data, against answers
//! computed here from a sorted copy with numpy's formulas written out; and their bad inputs.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/npy.rs"]
mod npy;
#[path = "../../tests/common/numpy.rs"]
mod numpy;

use std::path::{Path, PathBuf};

use common::{have_mpirun, mpirun};
use npy::{error_lines, json_of, npy_header, Rng};
use numpy::{numpy_histogram, numpy_median, numpy_quantile};
use serde_json::Value;

const RANKS: [usize; 4] = [1, 2, 3, 8];

fn parsum() -> PathBuf {
    common::bin(env!("CARGO_BIN_EXE_parsum"))
}

fn dir(test: &str) -> PathBuf {
    npy::scratch_dir("order", test)
}

/// A 1-D little-endian f64 `.npy`, header written by hand.
fn write_f64(path: &Path, x: &[f64]) {
    let mut out = npy_header("<f8", &[x.len()], false);
    for v in x {
        out.extend(v.to_le_bytes());
    }
    std::fs::write(path, out).unwrap();
}

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
        x => vec![x.as_f64().unwrap_or(f64::NAN)],
    }
}

#[test]
fn median_quantiles_and_histograms_equal_numpys() {
    if !have_mpirun("median_quantiles_and_histograms_equal_numpys") {
        return;
    }
    let d = dir("exact");
    let mut r = Rng(5);
    let uniform: Vec<f64> = (0..20_001).map(|_| r.uniform()).collect();
    // Many equal values, negatives, both zeros and a wide spread: buckets that never shrink.
    let lumpy: Vec<f64> = (0..30_000)
        .map(|i| match i % 5 {
            0 => 1.0,
            1 => -0.0,
            2 => 0.0,
            3 => (r.next() % 7) as f64 - 3.0,
            _ => (r.uniform() - 0.5) * 1e300,
        })
        .collect();
    // Fewer values than ranks: empty slices.
    let tiny = vec![3.5, -1.25, 7.0];
    let qs = [0.0, 0.01, 0.25, 0.5, 0.77, 0.99, 1.0];
    let q_arg = "0,0.01,0.25,0.5,0.77,0.99,1";
    for (name, x) in [("uniform", &uniform), ("lumpy", &lumpy), ("tiny", &tiny)] {
        let path = d.join(format!("{name}.npy"));
        write_f64(&path, x);
        let p = path.to_str().unwrap();
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        for np in RANKS {
            let run = |args: &[&str]| {
                let mut a = vec!["--input", p, "--json"];
                a.extend(args);
                let job = mpirun(np, &parsum(), &a);
                job.assert_ok();
                job.check(json_of(&job)["ranks"] == np, "rank count");
                job
            };
            let job = run(&["--op", "median"]);
            let got = floats(&json_of(&job)["result"]);
            // Equal as numbers (-0.0 == 0.0, as numpy compares them).
            job.check(
                got == [numpy_median(&sorted)],
                &format!("{name} median {got:?}"),
            );
            for method in ["linear", "lower", "higher", "nearest", "midpoint"] {
                let job = run(&["--op", "quantile", "--q", q_arg, "--method", method]);
                let got = floats(&json_of(&job)["result"]);
                let want: Vec<f64> = qs
                    .iter()
                    .map(|&q| numpy_quantile(&sorted, q, method))
                    .collect();
                job.check(
                    got == want,
                    &format!("{name} {method}: {got:?} != {want:?}"),
                );
            }
            for (bins, range) in [("64", None), ("7", Some((-0.5, 0.5)))] {
                let mut args = vec!["--op", "histogram", "--bins", bins];
                let text = range.map(|(a, b): (f64, f64)| format!("{a},{b}"));
                if let Some(t) = &text {
                    args.extend(["--range", t.as_str()]);
                }
                let job = run(&args);
                let v = json_of(&job);
                let (edges, counts) = numpy_histogram(x, bins.parse().unwrap(), range);
                let got_counts: Vec<u64> = v["result"]["counts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_u64().unwrap())
                    .collect();
                job.check(
                    got_counts == counts,
                    &format!("{name} counts {got_counts:?} != {counts:?}"),
                );
                job.check(
                    floats(&v["result"]["edges"]) == edges,
                    &format!("{name} edges"),
                );
            }
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn nan_policy_and_generated_data() {
    if !have_mpirun("nan_policy_and_generated_data") {
        return;
    }
    let d = dir("nan");
    let mut x: Vec<f64> = (0..1001).map(|i| ((i * 37) % 1001) as f64).collect();
    x[500] = f64::NAN;
    let path = d.join("nan.npy");
    write_f64(&path, &x);
    let p = path.to_str().unwrap();
    let mut clean: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    clean.sort_by(f64::total_cmp);
    for np in RANKS {
        // numpy.median propagates the NaN; nanmedian skips it.
        let job = mpirun(np, &parsum(), &["--input", p, "--op", "median", "--json"]);
        job.assert_ok();
        job.check(json_of(&job)["result"] == "nan", "a NaN median");
        let job = mpirun(
            np,
            &parsum(),
            &["--input", p, "--op", "median", "--nan", "skip", "--json"],
        );
        job.assert_ok();
        job.check(
            floats(&json_of(&job)["result"]) == [numpy_median(&clean)],
            "nanmedian",
        );
        let job = mpirun(
            np,
            &parsum(),
            &[
                "--input", p, "--op", "quantile", "--q", "0.3", "--nan", "skip", "--json",
            ],
        );
        job.assert_ok();
        job.check(
            floats(&json_of(&job)["result"]) == [numpy_quantile(&clean, 0.3, "linear")],
            "nanquantile",
        );
        // Generated data 0..n: verified against (n - 1) / 2 by parsum itself, on even and odd n.
        for n in ["1000001", "1000000"] {
            let job = mpirun(np, &parsum(), &["--len", n, "--op", "median", "--json"]);
            job.assert_ok();
            let v = json_of(&job);
            let n: f64 = n.parse().unwrap();
            job.check(floats(&v["result"]) == [(n - 1.0) / 2.0], "median of 0..n");
            job.check(v["verified"] == true, "verified");
        }
        let job = mpirun(
            np,
            &parsum(),
            &[
                "--len",
                "1000",
                "--op",
                "histogram",
                "--bins",
                "10",
                "--mode",
                "scatter",
                "--json",
            ],
        );
        job.assert_ok();
        let v = json_of(&job);
        let all: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let (_, counts) = numpy_histogram(&all, 10, None);
        let got: Vec<u64> = v["result"]["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .collect();
        job.check(got == counts, "histogram of 0..1000");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_order_statistics_exit_2_with_one_line() {
    if !have_mpirun("bad_order_statistics") {
        return;
    }
    let d = dir("bad");
    let good = d.join("good.npy");
    write_f64(&good, &[1.0, 2.0, 3.0]);
    let nan = d.join("nan.npy");
    write_f64(&nan, &[1.0, f64::NAN]);
    let empty = d.join("empty.npy");
    write_f64(&empty, &[]);
    let table = d.join("table.npy");
    let mut t = npy_header("<f8", &[2, 2], false);
    t.extend([0u8; 32]);
    std::fs::write(&table, t).unwrap();
    let (g, n, e, tb) = (
        good.to_str().unwrap(),
        nan.to_str().unwrap(),
        empty.to_str().unwrap(),
        table.to_str().unwrap(),
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--input", g, "--op", "quantile", "--q", "1.5"],
            "in [0, 1]",
        ),
        (
            vec!["--input", g, "--op", "quantile", "--q", "-0.1"],
            "in [0, 1]",
        ),
        (vec!["--input", g, "--op", "quantile", "--q", "half"], "--q"),
        (vec!["--input", g, "--op", "quantile"], "needs --q"),
        (
            vec!["--input", g, "--op", "sum", "--q", "0.5"],
            "--q is for --op quantile",
        ),
        (
            vec!["--input", g, "--op", "median", "--method", "lower"],
            "--method is for",
        ),
        (
            vec!["--input", g, "--op", "histogram", "--bins", "0"],
            "--bins",
        ),
        (
            vec!["--input", g, "--op", "histogram", "--range", "2,1"],
            "reversed",
        ),
        (
            vec!["--input", g, "--op", "histogram", "--range", "1"],
            "LO,HI",
        ),
        (
            vec!["--input", g, "--op", "histogram", "--range", "0,inf"],
            "not finite",
        ),
        (
            vec!["--input", g, "--op", "mean", "--range", "0,1"],
            "--range is for",
        ),
        (
            vec!["--input", g, "--op", "median", "--read", "root"],
            "--read parallel",
        ),
        (
            vec!["--input", tb, "--op", "median", "--axis", "0"],
            "--axis is not supported",
        ),
        (vec!["--input", n, "--op", "histogram"], "NaN"),
        (vec!["--input", e, "--op", "median"], "no values"),
        (
            vec!["--op", "quantile", "--q", "0.5", "--len", "0"],
            "no values",
        ),
    ];
    for np in RANKS {
        for (args, msg) in &cases {
            let out = d.join("out.json");
            let mut a = args.clone();
            a.extend(["--output", out.to_str().unwrap()]);
            let job = mpirun(np, &parsum(), &a);
            job.assert_exit(2);
            let lines = error_lines(&job.stderr);
            job.check(lines.len() == 1, "one error line");
            job.check(lines[0].contains(msg), &format!("the error says {msg:?}"));
            job.check(!out.exists(), "no output file");
            job.check(job.stdout.trim().is_empty(), "no report");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}
