//! Faults end the job promptly with a non-zero exit and say where: a panic on the first or
//! last rank in every phase, a rank killed with SIGKILL, a rank that hangs (watchdog).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{have_mpirun, mpirun_with, TIMEOUT};

fn parsum() -> PathBuf {
    common::bin(env!("CARGO_BIN_EXE_parsum"))
}

#[test]
fn a_panic_in_any_phase_on_the_first_or_last_rank_ends_the_job() {
    if !have_mpirun("panics") {
        return;
    }
    let np = 4;
    for phase in ["setup", "distribute", "compute", "reduce"] {
        for mode in ["generate", "scatter"] {
            for rank in [0, np - 1] {
                let r = rank.to_string();
                let args = [
                    "--len",
                    "1e6",
                    "--mode",
                    mode,
                    "--panic-on-rank",
                    &r,
                    "--fault-phase",
                    phase,
                ];
                let job = mpirun_with(np, &parsum(), &args, &[], TIMEOUT);
                job.assert_failed_within(Duration::from_secs(10));
                let said = format!("rank {rank}: panicked at");
                job.check(job.stderr.contains(&said), "the rank and location");
                job.check(
                    job.stderr.contains(&format!("in {phase}")),
                    "the panic message",
                );
            }
        }
    }
}

#[test]
fn the_watchdog_ends_a_job_with_a_hung_rank_and_says_where() {
    if !have_mpirun("watchdog") {
        return;
    }
    for (phase, mode) in [("compute", "generate"), ("distribute", "scatter")] {
        let args = [
            "--len",
            "1e6",
            "--mode",
            mode,
            "--timeout",
            "2",
            "--hang-on-rank",
            "1",
            "--fault-phase",
            phase,
        ];
        let job = mpirun_with(3, &parsum(), &args, &[], TIMEOUT);
        job.assert_failed_within(Duration::from_secs(2 + 10));
        job.check(
            job.elapsed >= Duration::from_secs(2),
            "not before the limit",
        );
        let stuck = format!("rank 1: time limit of 2 s reached in phase {phase}");
        job.check(job.stderr.contains(&stuck), "the hung rank's phase");
    }
    // In time: the watchdog stays quiet.
    let job = mpirun_with(
        3,
        &parsum(),
        &["--len", "1e6", "--timeout", "60"],
        &[],
        TIMEOUT,
    );
    job.assert_ok();
    job.check(!job.stderr.contains("time limit"), "no watchdog message");
}

/// The pid of the process running `marker` as MPI rank `rank` (OpenMPI or MPICH variables).
fn rank_pid(marker: &str, rank: u32) -> Option<i32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains(marker) {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let environ = String::from_utf8_lossy(&environ);
        let want = [
            format!("OMPI_COMM_WORLD_RANK={rank}"),
            format!("PMI_RANK={rank}"),
        ];
        if environ.split('\0').any(|kv| want.iter().any(|w| kv == w)) {
            return Some(pid);
        }
    }
    None
}

#[test]
fn a_rank_killed_with_sigkill_ends_the_job() {
    if !have_mpirun("sigkill") {
        return;
    }
    // Rank 1 hangs in compute, the others wait for it in the reduction; then it is killed.
    let marker = "777777";
    let args = [
        "--len",
        marker,
        "--hang-on-rank",
        "1",
        "--fault-phase",
        "compute",
    ];
    let job = std::thread::spawn(move || mpirun_with(3, &parsum(), &args, &[], TIMEOUT));
    let start = Instant::now();
    let pid = loop {
        if let Some(pid) = rank_pid(marker, 1) {
            break pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "rank 1 never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(500));
    let killed_at = start.elapsed();
    // SAFETY: kill(2) on a process this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let job = job.join().expect("launch thread");
    job.check(
        !job.timed_out && job.code.is_some_and(|c| c != 0),
        "the job must fail",
    );
    let after = job.elapsed.saturating_sub(killed_at);
    job.check(
        after < Duration::from_secs(10),
        &format!("the job ended {after:?} after the kill"),
    );
}
