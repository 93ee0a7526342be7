//! The README's "Use mpikit in your own program" works as written: its `Cargo.toml` lines
//! and its program, taken from the README's text, build as a separate crate that depends on
//! this checkout, and the program runs on 1 and 2 ranks (the same estimate on both, since
//! its random values go by global index). The README's line for the `hdf5` feature builds a
//! second crate, a library-only program that writes a 3-D DistArray to HDF5 on 3 ranks and
//! reads it back on 2 and 4 bit for bit; h5py (when a Python with it is found) reads the
//! same file to the same values.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{direct, have_mpirun, mpirun};

/// The section's text, from its heading to the next `## ` heading.
fn section(readme: &str, heading: &str) -> String {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no heading {heading:?}"));
    let rest = &readme[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The first fenced block of `lang` in `text`.
fn fenced(text: &str, lang: &str) -> String {
    let open = format!("```{lang}\n");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("no ```{lang} block in the section"))
        + open.len();
    let len = text[start..].find("```").expect("closing fence");
    text[start..start + len].to_string()
}

/// Where the throwaway crate and its build go: beside this workspace's own target.
fn work_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::repo_root().join("target"));
    target.join("dependent")
}

/// Builds a throwaway crate `name` with the `[dependencies]` lines `deps` and `program` as
/// its `src/main.rs`; its executable and manifest.
fn build_crate(name: &str, deps: &str, program: &str) -> (PathBuf, PathBuf) {
    let root = common::repo_root();
    let dir = work_dir();
    let krate = dir.join(name);
    std::fs::create_dir_all(krate.join("src")).expect("crate folder");
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n{deps}"
    );
    std::fs::write(krate.join("Cargo.toml"), manifest).expect("Cargo.toml");
    std::fs::write(krate.join("src/main.rs"), program).expect("main.rs");
    // The workspace's lock file pins the same versions the workspace tested.
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).expect("Cargo.lock");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Both crates share one target folder: mpikit's dependencies build once.
    let target = dir.join("target");
    let manifest_path = krate.join("Cargo.toml");
    let build = direct(
        Path::new(&cargo),
        &[
            "build",
            "--release",
            "--quiet",
            "--manifest-path",
            manifest_path.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
        ],
        &[],
        Duration::from_secs(900),
    );
    build.assert_ok();
    (target.join("release").join(name), manifest_path)
}

#[test]
fn the_readme_program_builds_as_a_dependent_crate_and_runs() {
    if !have_mpirun("dependent crate") {
        return;
    }
    let root = common::repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let text = section(&readme, "## Use mpikit in your own program");
    let deps = fenced(&text, "toml");
    assert!(
        deps.contains("path = \"../mpikit\""),
        "the README's dependency line names ../mpikit:\n{deps}"
    );
    let deps = deps.replace(
        "\"../mpikit\"",
        &format!("{:?}", root.display().to_string()),
    );
    let program = fenced(&text, "rust");

    let (exe, manifest_path) = build_crate("pi", &deps, &program);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    // What it builds: mpikit's own dependencies, none of the binaries' crates.
    let tree = direct(
        Path::new(&cargo),
        &[
            "tree",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--manifest-path",
            manifest_path.to_str().unwrap(),
        ],
        &[],
        Duration::from_secs(120),
    );
    tree.assert_ok();
    for unwanted in [
        "clap ",
        "plotters ",
        "image ",
        "png ",
        "ab_glyph ",
        "serde_json ",
    ] {
        tree.check(
            !tree.stdout.lines().any(|l| l.starts_with(unwanted)),
            &format!("a dependent crate must not build {unwanted}"),
        );
    }

    let mut estimates = Vec::new();
    for np in [1, 2] {
        let job = mpirun(np, &exe, &["200000"]);
        job.assert_ok();
        let line = job
            .stdout
            .lines()
            .find(|l| l.starts_with("pi ~ "))
            .unwrap_or_else(|| panic!("no estimate\n{}", job.describe()))
            .to_string();
        job.check(
            line.ends_with(&format!("from 200000 samples on {np} ranks")),
            "the sample and rank counts",
        );
        let pi: f64 = line[5..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        job.check(
            (pi - std::f64::consts::PI).abs() < 0.02,
            "an estimate of pi",
        );
        estimates.push(pi);
    }
    assert_eq!(
        estimates[0], estimates[1],
        "the same samples on 1 and 2 ranks"
    );

    // A bad argument is an Err on every rank: one line each, exit 1, no hang.
    let job = mpirun(2, &exe, &["many"]);
    job.check(
        !job.timed_out && job.code.is_some_and(|c| c != 0),
        "a bad argument must fail",
    );
    for rank in 0..2 {
        job.check(
            job.stderr
                .contains(&format!("rank {rank}: error: bad sample count \"many\"")),
            "each rank says why",
        );
    }
}

/// The library-only HDF5 program: `h5trip write FILE` or `h5trip read FILE`.
const H5_PROGRAM: &str = r#"
use mpikit::hdf5::{read_attr, Storage, Writer};
use mpikit::ndarray::Ix3;
use mpikit::prelude::*;
use mpikit::{DistArray, Grid, ReduceOp};

const SHAPE: [usize; 3] = [17, 9, 6];

/// sqrt(flat index) / 3: correctly rounded, so numpy computes the same bits.
fn value(i: &[usize]) -> f64 {
    (((i[0] * SHAPE[1] + i[1]) * SHAPE[2] + i[2]) as f64).sqrt() / 3.0
}

fn main() {
    mpikit::run(|world| {
        let args: Vec<String> = std::env::args().collect();
        let (mode, path) = match args.as_slice() {
            [_, mode, path] => (mode.as_str(), std::path::Path::new(path)),
            _ => return Err(mpikit::Error::input("usage: h5trip write|read FILE")),
        };
        let size = world.size() as usize;
        let grid = |shape: &[usize]| Grid::balanced(shape, size, &[0, 1, 2]);
        match mode {
            "write" => {
                let u = DistArray::<f64, Ix3>::from_fn(world, grid(&SHAPE)?, value)?;
                let mut out = Writer::create(world, path)?;
                out.write("/fields/u", &u, &Storage::Contiguous)?;
                out.write("/fields/u_deflated", &u, &Storage::deflate(4))?;
                out.attr("/fields/u", "units", &"K")?;
                out.attr("/", "ranks", &size)?;
                out.finish()?;
            }
            "read" => {
                for name in ["/fields/u", "/fields/u_deflated"] {
                    let u = DistArray::<f64, Ix3>::read_hdf5(world, path, name, grid)?;
                    let o = u.offset().to_vec();
                    let differ = u
                        .local()
                        .indexed_iter()
                        .filter(|&((i, j, k), v)| {
                            v.to_bits() != value(&[i + o[0], j + o[1], k + o[2]]).to_bits()
                        })
                        .count() as u64;
                    let differ = world.allreduce_scalar(differ, ReduceOp::Sum)?;
                    if world.is_root() {
                        println!("{name}: {} values, {differ} differ", u.len());
                    }
                }
                let ranks: usize = read_attr(world, path, "/", "ranks")?;
                if world.is_root() {
                    println!("written on {ranks} ranks, read on {size}");
                }
            }
            other => return Err(mpikit::Error::input(format!("unknown mode {other:?}"))),
        }
        Ok::<(), mpikit::Error>(())
    });
}
"#;

/// What h5py reads from the file: both datasets equal numpy's own values, and the units.
const H5PY_CHECK: &str = r#"
import sys, h5py, numpy as np
want = np.sqrt(np.arange(17 * 9 * 6, dtype=np.float64)).reshape(17, 9, 6) / 3.0
with h5py.File(sys.argv[1], "r") as f:
    for name in ("fields/u", "fields/u_deflated"):
        got = f[name][...]
        assert got.dtype == np.float64 and got.shape == want.shape, (name, got.dtype, got.shape)
        assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), name
    assert f["fields/u"].attrs["units"] == "K", f["fields/u"].attrs["units"]
    assert int(f.attrs["ranks"]) == 3
print("h5py reads the same values")
"#;

/// A Python with h5py: `$MPIKIT_PYTHON`, the benchmark venv's, or `python3`.
fn python_with_h5py() -> Option<PathBuf> {
    let root = common::repo_root();
    let candidates = [
        std::env::var_os("MPIKIT_PYTHON").map(PathBuf::from),
        Some(root.join(".bench/venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|py| {
        std::process::Command::new(py)
            .args(["-c", "import h5py, numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn a_library_only_program_writes_hdf5_on_3_ranks_and_reads_it_on_2_and_4() {
    if !have_mpirun("dependent hdf5 crate") {
        return;
    }
    let root = common::repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let text = section(&readme, "## Use mpikit in your own program");
    let deps = fenced(&text, "toml");
    let line = deps
        .lines()
        .find(|l| l.contains("features = [\"hdf5\"]"))
        .expect("the README's dependency block shows the hdf5 feature");
    let line = line.trim_start_matches(['#', ' ']).replace(
        "\"../mpikit\"",
        &format!("{:?}", root.display().to_string()),
    );
    let (exe, _) = build_crate("h5trip", &format!("[dependencies]\n{line}\n"), H5_PROGRAM);

    let dir = work_dir().join("h5trip-files");
    std::fs::create_dir_all(&dir).expect("folder");
    let file = dir.join("u.h5");
    let _ = std::fs::remove_file(&file);
    let file_arg = file.to_str().unwrap();
    mpirun(3, &exe, &["write", file_arg]).assert_ok();
    for np in [2, 4] {
        let job = mpirun(np, &exe, &["read", file_arg]);
        job.assert_ok();
        for name in ["/fields/u", "/fields/u_deflated"] {
            let want = format!("{name}: 918 values, 0 differ");
            job.check(job.stdout.lines().any(|l| l == want), &want);
        }
        let want = format!("written on 3 ranks, read on {np}");
        job.check(job.stdout.lines().any(|l| l == want), &want);
    }
    // A missing file: one line per rank, a failed job, no hang.
    let job = mpirun(2, &exe, &["read", dir.join("none.h5").to_str().unwrap()]);
    job.check(
        !job.timed_out && job.code.is_some_and(|c| c != 0),
        "a missing file must fail",
    );
    job.check(job.stderr.contains("none.h5"), "the error names the file");

    match python_with_h5py() {
        Some(py) => {
            let check = direct(
                &py,
                &["-c", H5PY_CHECK, file_arg],
                &[],
                Duration::from_secs(120),
            );
            check.assert_ok();
            check.check(
                check.stdout.contains("h5py reads the same values"),
                "h5py's verdict",
            );
        }
        None => eprintln!(
            "SKIPPED h5py's reading of {file_arg}: no Python with h5py and numpy (set \
             MPIKIT_PYTHON, or let scripts/test.sh install them into .bench/venv)"
        ),
    }
}
