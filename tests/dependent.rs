//! The README's "Use mpikit in your own program" works as written: its `Cargo.toml` lines
//! and its program, taken from the README's text, build as a separate crate that depends on
//! this checkout, and the program runs on 1 and 2 ranks (the same estimate on both, since
//! its random values go by global index).

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

    let dir = work_dir();
    let krate = dir.join("pi");
    std::fs::create_dir_all(krate.join("src")).expect("crate folder");
    let manifest = format!(
        "[package]\nname = \"pi\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n{deps}"
    );
    std::fs::write(krate.join("Cargo.toml"), manifest).expect("Cargo.toml");
    std::fs::write(krate.join("src/main.rs"), program).expect("main.rs");
    // The workspace's lock file pins the same versions the workspace tested.
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).expect("Cargo.lock");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
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

    let exe = target.join("release/pi");
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
