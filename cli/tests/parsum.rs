//! parsum under real mpirun: every op and mode on 1, 2, 3, 4 and 8 ranks, uneven and empty
//! chunks, checked against an independent serial computation; bad input; a panicking rank.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{have_mpirun, mpirun, mpirun_with, Job, TIMEOUT};
use serde_json::Value;

const OPS: [&str; 5] = ["sum", "sumsq", "min", "max", "mean"];
const MODES: [&str; 2] = ["generate", "scatter"];

fn parsum() -> PathBuf {
    common::bin(env!("CARGO_BIN_EXE_parsum"))
}

/// What the data 0..n gives, computed serially in exact integer arithmetic (a loop, not the
/// closed form parsum checks itself against). `None` stands for a non-finite identity.
fn serial(op: &str, n: u64) -> Expected {
    let (mut sum, mut sumsq, mut lo, mut hi) = (0u128, 0u128, None::<u64>, None::<u64>);
    for i in 0..n {
        sum += u128::from(i);
        sumsq += u128::from(i) * u128::from(i);
        lo = Some(lo.map_or(i, |m| m.min(i)));
        hi = Some(hi.map_or(i, |m| m.max(i)));
    }
    match op {
        "sum" => Expected::Approx(sum as f64),
        "sumsq" => Expected::Approx(sumsq as f64),
        "min" => lo.map_or(Expected::Text("inf"), |v| Expected::Exact(v as f64)),
        "max" => hi.map_or(Expected::Text("-inf"), |v| Expected::Exact(v as f64)),
        "mean" if n == 0 => Expected::Text("nan"),
        "mean" => Expected::Approx(sum as f64 / n as f64),
        _ => unreachable!(),
    }
}

enum Expected {
    /// Within (n + 2) machine epsilons, relative.
    Approx(f64),
    Exact(f64),
    /// A non-finite value, spelled as parsum's JSON spells it.
    Text(&'static str),
}

fn json_of(job: &Job) -> Value {
    let lines: Vec<&str> = job
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    job.check(
        lines.len() == 1,
        "expected exactly one JSON line on stdout (one job, rank 0 only)",
    );
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("bad JSON ({e})\n{}", job.describe()))
}

fn check_case(np: usize, n: u64, op: &str, mode: &str, threads: Option<usize>) {
    let len = n.to_string();
    let t = threads.map(|t| t.to_string());
    let mut args = vec!["--json", "--len", &len, "--op", op, "--mode", mode];
    if let Some(t) = &t {
        args.extend(["--threads", t]);
    }
    let job = mpirun(np, &parsum(), &args);
    job.assert_ok();
    let v = json_of(&job);
    job.check(
        v["ranks"] == np as u64,
        &format!("the job did not get {np} ranks (launcher from another MPI?)"),
    );
    job.check(
        v["len"] == n && v["op"] == op && v["mode"] == mode,
        "JSON echoes the wrong job",
    );
    job.check(v["verified"] == true, "parsum says it is not verified");
    if let Some(t) = threads {
        job.check(v["threads"] == t as u64, "wrong thread count");
    }
    for phase in ["setup", "distribute", "compute", "reduce", "total"] {
        let s = v["timings"][phase].as_f64();
        job.check(
            s.is_some_and(|s| s >= 0.0),
            &format!("timing {phase} missing"),
        );
    }
    let got = &v["result"];
    match serial(op, n) {
        Expected::Approx(want) => {
            let got = got
                .as_f64()
                .unwrap_or_else(|| panic!("result not a number\n{}", job.describe()));
            let tol = (n as f64 + 2.0) * f64::EPSILON * want.abs();
            job.check(
                (got - want).abs() <= tol,
                &format!("{op}: got {got:e}, serial {want:e}"),
            );
        }
        Expected::Exact(want) => {
            job.check(
                got.as_f64() == Some(want),
                &format!("{op}: got {got}, serial {want}"),
            );
        }
        Expected::Text(want) => {
            job.check(got == want, &format!("{op}: got {got}, want {want}"));
        }
    }
}

fn sweep(np: usize) {
    if !have_mpirun("parsum sweep") {
        return;
    }
    let mut lens = vec![0u64, 1, 7, np as u64 - 1, 1_000_003];
    lens.sort_unstable();
    lens.dedup();
    for &n in &lens {
        for op in OPS {
            for mode in MODES {
                check_case(np, n, op, mode, None);
            }
        }
    }
}

#[test]
fn every_op_and_mode_on_1_rank() {
    sweep(1);
}

#[test]
fn every_op_and_mode_on_2_ranks() {
    sweep(2);
}

#[test]
fn every_op_and_mode_on_3_ranks() {
    sweep(3);
}

#[test]
fn every_op_and_mode_on_4_ranks() {
    sweep(4);
}

#[test]
fn every_op_and_mode_on_8_ranks_oversubscribed() {
    sweep(8);
}

#[test]
fn explicit_thread_counts() {
    if !have_mpirun("explicit_thread_counts") {
        return;
    }
    for (np, threads) in [(1, 1), (1, 3), (2, 2), (3, 4)] {
        for op in ["sumsq", "max"] {
            check_case(np, 1_000_003, op, "generate", Some(threads));
        }
    }
}

#[test]
fn default_job_verifies_and_prints_a_table() {
    if !have_mpirun("default_job") {
        return;
    }
    let job = mpirun(2, &parsum(), &[]);
    job.assert_ok();
    job.check(
        job.stdout.contains("sumsq of x_i = i, i in 0..100000000"),
        "default op and length",
    );
    job.check(job.stdout.contains("2 ranks"), "rank count in the table");
    job.check(job.stdout.contains(": verified"), "verification line");
    job.check(
        job.stdout.matches("phase (s)").count() == 1,
        "one table, from rank 0 only",
    );
}

#[test]
fn length_spellings() {
    if !have_mpirun("length_spellings") {
        return;
    }
    for spelling in ["1e6", "1_000_000", "1000000", "1.0e6"] {
        let job = mpirun(2, &parsum(), &["--json", "--len", spelling, "--op", "sum"]);
        job.assert_ok();
        job.check(
            json_of(&job)["len"] == 1_000_000,
            &format!("--len {spelling}"),
        );
    }
}

/// Bad input: one `parsum:` line on stderr (from rank 0 only), nothing on stdout, exit 2.
fn bad_input(np: usize, args: &[&str], env: &[(&str, &str)], needle: &str) {
    let job = mpirun_with(np, &parsum(), args, env, Duration::from_secs(30));
    job.assert_exit(2);
    job.check(
        job.elapsed < Duration::from_secs(10),
        "bad input took too long",
    );
    job.check(job.stdout.trim().is_empty(), "no report on bad input");
    job.check(
        job.stderr.matches("parsum: ").count() == 1,
        "the error is printed once",
    );
    job.check(
        job.stderr.contains(needle),
        &format!("the error names {needle:?}"),
    );
}

#[test]
fn bad_input_exits_2_on_every_rank() {
    if !have_mpirun("bad_input") {
        return;
    }
    for np in [1, 3] {
        bad_input(np, &["--len", "-5"], &[], "must not be negative");
        bad_input(np, &["--len", "abc"], &[], "--len");
        bad_input(np, &["--len", "1.5"], &[], "whole number");
        bad_input(np, &["--len", "1e30"], &[], "--len");
        bad_input(np, &["--threads", "0"], &[], "--threads");
        bad_input(np, &["--threads", "-2"], &[], "--threads");
        bad_input(np, &["--op", "mode"], &[], "mode");
        bad_input(np, &["--mode", "fetch"], &[], "fetch");
        bad_input(np, &["--bogus"], &[], "--bogus");
        bad_input(
            np,
            &["--len", "10"],
            &[("MPIKIT_THREADS", "zero")],
            "MPIKIT_THREADS",
        );
    }
}

/// MemAvailable of this machine, bytes.
fn available_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("Linux");
    let kib: u64 = text
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse().ok())
        .expect("MemAvailable in /proc/meminfo");
    kib * 1024
}

#[test]
fn jobs_that_cannot_fit_are_refused_before_allocating() {
    if !have_mpirun("jobs_that_cannot_fit") {
        return;
    }
    let avail = available_bytes();
    // 1.5x the machine's memory as f64s, and as a scatter, 0.75x on the root plus the blocks.
    let over = (avail / 8 * 3 / 2).to_string();
    let scatter = (avail / 8 * 3 / 4).to_string();
    for np in [1, 2, 3, 8] {
        for args in [
            vec!["--len", "1e12"],
            vec!["--len", over.as_str()],
            vec!["--len", scatter.as_str(), "--mode", "scatter"],
        ] {
            let job = mpirun_with(np, &parsum(), &args, &[], Duration::from_secs(30));
            job.assert_exit(2);
            job.check(job.elapsed < Duration::from_secs(10), "refused at once");
            let lines: Vec<&str> = job
                .stderr
                .lines()
                .filter(|l| l.starts_with("parsum:"))
                .collect();
            job.check(lines.len() == 1, "one error line");
            job.check(lines[0].contains("cannot fit"), "says it cannot fit");
            job.check(lines[0].contains("available"), "says what the node has");
            job.check(lines[0].contains("--input a file"), "says what to do");
            job.check(!job.stderr.contains("backtrace"), "no backtrace");
            job.check(job.stdout.trim().is_empty(), "no report");
        }
    }
}

#[test]
fn an_allocation_failure_is_one_line_and_exit_2() {
    if !have_mpirun("an_allocation_failure") {
        return;
    }
    // 8 GB of data under a 3 GB address-space limit: the memory check passes (the machine
    // has the memory), the allocation fails.
    let script = format!("ulimit -v 3000000 && exec {} --len 1e9", parsum().display());
    for np in [1, 2] {
        let job = mpirun_with(
            np,
            Path::new("sh"),
            &["-c", &script],
            &[],
            Duration::from_secs(60),
        );
        job.assert_exit(2);
        job.check(
            job.stderr
                .contains("parsum: out of memory: could not allocate"),
            "the one-line out-of-memory exit",
        );
        job.check(
            !job.stderr.contains("backtrace") && !job.stderr.contains("Signal"),
            "no backtrace or signal report",
        );
    }
}

#[test]
fn too_many_threads_are_capped_with_a_warning() {
    if !have_mpirun("too_many_threads") {
        return;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    for np in [1, 3] {
        let job = mpirun(
            np,
            &parsum(),
            &["--threads", "100000", "--len", "1000", "--json"],
        );
        job.assert_ok();
        job.check(
            job.stderr.matches("warning: --threads 100000").count() == 1,
            "one warning",
        );
        job.check(json_of(&job)["threads"] == 8 * cpus, "capped at 8 per CPU");
    }
}

#[test]
fn help_prints_once_and_exits_0() {
    if !have_mpirun("help") {
        return;
    }
    let job = mpirun(3, &parsum(), &["--help"]);
    job.assert_ok();
    job.check(
        job.stdout.matches("Usage: parsum").count() == 1,
        "help printed once",
    );
    job.check(job.stdout.contains("--mode"), "help lists options");
}

#[test]
fn a_panicking_rank_ends_the_job_quickly() {
    if !have_mpirun("panic") {
        return;
    }
    for (np, rank) in [(1, 0), (3, 0), (3, 2), (8, 5)] {
        let r = rank.to_string();
        let job = mpirun_with(
            np,
            &parsum(),
            &["--len", "1e6", "--panic-on-rank", &r],
            &[],
            TIMEOUT,
        );
        job.check(
            !job.timed_out && job.code.is_some_and(|c| c != 0),
            "a panic must fail the job",
        );
        job.check(
            job.elapsed < Duration::from_secs(10),
            "the job must end within 10 s",
        );
        job.check(
            job.stderr.contains(&format!("rank {rank}: panicked at")),
            "the rank and location",
        );
        job.check(job.stderr.contains("deliberate panic"), "the panic message");
    }
}

/// Allowance over a rank's chunk for the program, the MPI library and buffers: the job's
/// peak RSS at N = 0 is about 15 MiB per rank on the CI machine.
const RSS_OVERHEAD: u64 = 64 << 20;

#[test]
fn peak_memory_is_one_chunk_per_rank() {
    if !have_mpirun("peak_memory") {
        return;
    }
    let n: u64 = 100_000_000;
    let chunk = n / 4 * 8;
    let per_rank = |job: &Job| -> Vec<u64> {
        let v = json_of(job);
        let ranks = v["peak_rss"]["per_rank"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        job.check(ranks.len() == 4, "peak_rss.per_rank has one entry per rank");
        ranks.iter().map(|r| r.as_u64().unwrap_or(0)).collect()
    };
    let job = mpirun(
        4,
        &parsum(),
        &["--json", "--len", "1e8", "--mode", "generate"],
    );
    job.assert_ok();
    for (rank, &peak) in per_rank(&job).iter().enumerate() {
        let msg = format!("generate: rank {rank} peaked at {peak} bytes; its chunk is {chunk}");
        job.check(peak >= chunk && peak <= chunk + RSS_OVERHEAD, &msg);
    }
    let job = mpirun(
        4,
        &parsum(),
        &["--json", "--len", "1e8", "--mode", "scatter"],
    );
    job.assert_ok();
    let peaks = per_rank(&job);
    job.check(peaks[0] >= n * 8, "scatter: the root holds the whole array");
    for (rank, &peak) in peaks.iter().enumerate().skip(1) {
        let msg = format!("scatter: rank {rank} peaked at {peak} bytes; its chunk is {chunk}");
        job.check(peak >= chunk && peak <= chunk + RSS_OVERHEAD, &msg);
    }
}

#[test]
fn another_mpis_launcher_is_detected() {
    if !have_mpirun("launcher_mismatch") {
        return;
    }
    // What another MPI's launcher does: every process starts as rank 0 of its own 1-rank
    // job while the launcher's variables say there are 3.
    for (rank, printed) in [("0", true), ("2", false)] {
        let env = [("PMI_RANK", rank), ("PMI_SIZE", "3")];
        let job = common::direct(&parsum(), &["--len", "100"], &env, Duration::from_secs(30));
        job.assert_exit(2);
        job.check(job.stdout.is_empty(), "no report");
        let said = job.stderr.contains("the launcher started 3 processes");
        job.check(
            said == printed,
            "only the launcher's rank 0 explains the mismatch",
        );
    }
}

#[test]
fn output_file_is_written_whole() {
    if !have_mpirun("output_file") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mpikit-output-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("result.json");
    let path = file.to_str().unwrap();
    let job = mpirun(
        3,
        &parsum(),
        &["--len", "1000", "--op", "sum", "--output", path],
    );
    job.assert_ok();
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}\n{}", job.describe()));
    let v: Value = serde_json::from_str(&text).expect("the file holds one JSON object");
    job.check(
        v["result"] == 499_500.0 && v["ranks"] == 3,
        "the run's result",
    );
    let leftovers = std::fs::read_dir(&dir).unwrap().count();
    job.check(leftovers == 1, "no temporary file is left beside it");
    // A failed run leaves no file at all.
    let failed = dir.join("failed.json");
    let job = mpirun(
        2,
        &parsum(),
        &["--len", "-1", "--output", failed.to_str().unwrap()],
    );
    job.assert_exit(2);
    job.check(
        std::fs::read_dir(&dir).unwrap().count() == 1,
        "no output from a failed run",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
