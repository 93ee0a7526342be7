//! Every NAS Parallel Benchmark on mpikit at class S on 1, 2 and 4 ranks (EP also on 3), with
//! one thread per rank and with three: each must exit 0, print NPB's "Verification =
//! SUCCESSFUL" once and the rank count it really ran on, and its "Mop/s total" line.
//! Verification is NPB's own (its published sums, ranks, norms and checksums, checked inside
//! each program). Refusals: a class NPB does not have and a rank count the kernel cannot use
//! (IS on 3 ranks) give one line and exit 2 on every rank. MG with NPB's `timer.flag` in its
//! working directory prints each routine's time (and without it, none).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn kernel(name: &str) -> PathBuf {
    let path = match name {
        "ep" => env!("CARGO_BIN_EXE_npb-ep"),
        "is" => env!("CARGO_BIN_EXE_npb-is"),
        "cg" => env!("CARGO_BIN_EXE_npb-cg"),
        "ft" => env!("CARGO_BIN_EXE_npb-ft"),
        "mg" => env!("CARGO_BIN_EXE_npb-mg"),
        other => panic!("no kernel {other}"),
    };
    common::bin(path)
}

/// (kernel, whether it runs on any rank count)
const KERNELS: [(&str, bool); 5] = [
    ("ep", true),
    ("is", false),
    ("cg", false),
    ("mg", false),
    ("ft", false),
];

/// The number after `label` in NPB's report (`" Total processes =            4"`).
fn reported<'a>(stdout: &'a str, label: &str) -> Option<&'a str> {
    stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(|rest| rest.trim_start_matches([' ', '=']).trim())
}

fn main() {
    if !common::have_mpirun("npb") {
        println!("npb: 0 passed, 0 failed, 1 skipped");
        return;
    }
    let mut passed = 0;
    for np in [1usize, 2, 3, 4] {
        for threads in ["1", "3"] {
            for (name, any_count) in KERNELS {
                if np == 3 && !any_count || threads == "3" && np != 2 {
                    continue;
                }
                let job = common::mpirun_with(
                    np,
                    &kernel(name),
                    &["S"],
                    &[("MPIKIT_THREADS", threads)],
                    common::spmd_timeout(),
                );
                job.assert_ok();
                let verdicts: Vec<&str> = job
                    .stdout
                    .lines()
                    .filter(|l| l.trim_start().starts_with("Verification"))
                    .collect();
                job.check(
                    verdicts.len() == 1 && verdicts[0].trim_end().ends_with(" SUCCESSFUL"),
                    "expected one \"Verification = SUCCESSFUL\"",
                );
                job.check(
                    reported(&job.stdout, "Total processes") == Some(np.to_string().as_str()),
                    &format!("expected {np} processes in the report"),
                );
                let mops = reported(&job.stdout, "Mop/s total").and_then(|m| m.parse::<f64>().ok());
                job.check(
                    mops.is_some_and(|m| m > 0.0),
                    "expected a positive Mop/s total",
                );
                if name == "mg" {
                    job.check(
                        !job.stdout.contains("comm3"),
                        "no routine times without timer.flag",
                    );
                }
                println!("test npb-{name} S on {np} ranks, {threads} threads ... ok");
                passed += 1;
            }
        }
    }
    // MG with timer.flag in its working directory: each routine's time, none above the total.
    let dir = std::env::temp_dir().join(format!("mpikit-npb-timers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    std::fs::write(dir.join("timer.flag"), "").expect("timer.flag");
    let script = format!(
        "cd '{}' && exec '{}' S",
        dir.display(),
        kernel("mg").display()
    );
    let job = common::mpirun_with(
        2,
        std::path::Path::new("sh"),
        &["-c", &script],
        &[],
        common::spmd_timeout(),
    );
    job.assert_ok();
    let total = reported(&job.stdout, "Time in seconds").and_then(|t| t.parse::<f64>().ok());
    for routine in ["resid", "psinv", "rprj3", "interp", "comm3"] {
        let seconds = job
            .stdout
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(routine))
            .and_then(|rest| {
                rest.trim_start_matches([' ', ':'])
                    .split_whitespace()
                    .next()
            })
            .and_then(|t| t.parse::<f64>().ok());
        job.check(
            matches!((seconds, total), (Some(s), Some(t)) if s >= 0.0 && s <= t + 0.01),
            &format!("expected the time of {routine}, at most the total"),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    // A class NPB does not have: clap's one line, exit 2.
    let job = common::mpirun(2, &kernel("ep"), &["Q"]);
    job.assert_exit(2);
    job.check(
        job.stderr.matches("invalid value 'Q'").count() == 1,
        "expected one line about the class",
    );
    // IS, CG, MG and FT need a power-of-two rank count: one line from rank 0, exit 2.
    for name in ["is", "cg", "mg", "ft"] {
        let job = common::mpirun(3, &kernel(name), &["S"]);
        job.assert_exit(2);
        let lines: Vec<&str> = job.stderr.lines().filter(|l| l.contains("ERROR")).collect();
        job.check(
            lines.len() == 1 && lines[0].contains("not a power of two"),
            "expected one ERROR line about the rank count",
        );
        passed += 1;
    }
    println!("npb: {} passed, 0 failed", passed + 2);
}
