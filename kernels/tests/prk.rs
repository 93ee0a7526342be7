//! Every Parallel Research Kernel on mpikit at a small size, on 1, 2, 3, 4 and 8 ranks where
//! the reference allows the count (Random and Sparse need powers of two), with one thread per
//! rank (MPI at THREAD_SINGLE) and with three (FUNNELED): each must exit 0, print "Solution
//! validates" and the rank count it really ran on, and print its rate line; arguments a job
//! cannot run (an order the ranks do not divide, a non-power-of-two rank count for Random,
//! iterations of 0) give one line from rank 0 and exit 2 on every rank count.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn kernel(name: &str) -> PathBuf {
    let path = match name {
        "stencil" => env!("CARGO_BIN_EXE_prk-stencil"),
        "transpose" => env!("CARGO_BIN_EXE_prk-transpose"),
        "p2p" => env!("CARGO_BIN_EXE_prk-p2p"),
        "sparse" => env!("CARGO_BIN_EXE_prk-sparse"),
        "random" => env!("CARGO_BIN_EXE_prk-random"),
        "nstream" => env!("CARGO_BIN_EXE_prk-nstream"),
        "reduce" => env!("CARGO_BIN_EXE_prk-reduce"),
        other => panic!("no kernel {other}"),
    };
    common::bin(path)
}

/// (kernel, arguments, whether it needs a power-of-two rank count)
const CASES: [(&str, &[&str], bool); 8] = [
    ("stencil", &["5", "40"], false),
    ("transpose", &["4", "48"], false),
    ("transpose", &["3", "48", "8"], false),
    ("p2p", &["4", "40", "30"], false),
    ("p2p", &["4", "40", "30", "3"], false),
    ("sparse", &["4", "5", "2"], true),
    ("random", &["8", "14"], true),
    ("nstream", &["4", "10000", "7"], false),
];

fn main() {
    if !common::have_mpirun("prk") {
        println!("prk: 0 passed, 0 failed, 1 skipped");
        return;
    }
    let mut passed = 0;
    for np in [1usize, 2, 3, 4, 8] {
        for threads in ["1", "3"] {
            let mut cases: Vec<(&str, &[&str], bool)> = CASES.to_vec();
            cases.push(("reduce", &["4", "1000"], false));
            for (name, args, power_of_two) in cases {
                if power_of_two && !np.is_power_of_two() {
                    continue;
                }
                let job = common::mpirun_with(
                    np,
                    &kernel(name),
                    args,
                    &[("MPIKIT_THREADS", threads)],
                    common::spmd_timeout(),
                );
                job.assert_ok();
                job.check(
                    job.stdout
                        .lines()
                        .filter(|l| *l == "Solution validates")
                        .count()
                        == 1,
                    "expected one \"Solution validates\"",
                );
                let ranks = job
                    .stdout
                    .lines()
                    .find_map(|l| l.strip_prefix("Number of ranks"))
                    .and_then(|l| {
                        l.trim_start_matches([' ', '='])
                            .trim()
                            .parse::<usize>()
                            .ok()
                    });
                job.check(
                    ranks == Some(np),
                    &format!("expected {np} ranks in the report"),
                );
                job.check(
                    job.stdout.lines().any(|l| l.starts_with("Rate (")),
                    "expected the rate line",
                );
                passed += 1;
            }
        }
        println!("test prk kernels on {np} ranks ... ok");
    }
    // Arguments the job cannot run: one line from rank 0, exit 2.
    let refusals: [(&str, &[&str], usize, &str); 5] = [
        (
            "transpose",
            &["2", "10"],
            3,
            "should be divisible by # procs 3",
        ),
        ("random", &["16", "12"], 3, "must be a power of 2"),
        ("stencil", &["0", "40"], 2, "iterations must be >= 1"),
        ("p2p", &["2", "3", "10"], 4, "must be >= number of ranks"),
        (
            "sparse",
            &["2", "1", "1"],
            4,
            "must be at least equal to # procs",
        ),
    ];
    for (name, args, np, says) in refusals {
        let job = common::mpirun(np, &kernel(name), args);
        job.assert_exit(2);
        let lines: Vec<&str> = job.stderr.lines().filter(|l| l.contains("ERROR")).collect();
        job.check(
            lines.len() == 1 && lines[0].contains(says),
            &format!("expected one ERROR line saying {says:?}"),
        );
        passed += 1;
    }
    let job = common::mpirun(2, &kernel("stencil"), &["5"]);
    job.assert_exit(2);
    job.check(
        job.stderr.contains("Usage") || job.stderr.contains("usage"),
        "clap's usage",
    );
    println!("prk: {} passed, 0 failed", passed + 1);
}
