//! `mpikit::run`: an `Err` on one rank ends the whole job promptly and loudly, an `Err` on
//! every rank prints once per rank and exits 1, `Ok` exits 0 with nothing printed.
//!
//! This test has no libtest harness: run plainly (by `cargo test`), it relaunches its own
//! binary under mpirun for each scenario and rank count, with `MPIKIT_RUN_SCENARIO` saying
//! what the ranks do; the checks are on the launches' exit status, time and stderr.

mod common;

use std::time::Duration;

use common::{have_mpirun, mpirun_with, Job};
use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::{Pool, ReduceOp};

const SCENARIO: &str = "MPIKIT_RUN_SCENARIO";

/// A job with one failing rank must end this quickly (the failing rank waits 2 s for the
/// others, then aborts; start-up takes about 0.5 s at 8 ranks).
const PROMPT: Duration = Duration::from_secs(10);

fn main() {
    if let Ok(scenario) = std::env::var(SCENARIO) {
        ranks(&scenario);
        return;
    }
    if !have_mpirun("run") {
        return;
    }
    let mut passed = 0;
    for np in [2, 3, 8] {
        for (scenario, bad) in [
            ("before", np - 1),
            ("after", np - 1),
            ("pool-worker", np - 1),
            ("pool-master", 0),
            ("others-finish", np - 1),
            ("mixed", np - 1),
        ] {
            one_rank_fails(np, scenario, bad);
            passed += 1;
        }
    }
    for np in [1, 2, 3, 8] {
        every_rank_fails(np);
        all_ok(np);
        passed += 2;
    }
    bad_setting_before_mpi(2);
    println!("run: {} passed, 0 failed", passed + 1);
}

fn launch(np: usize, scenario: &str, extra: &[(&str, &str)]) -> Job {
    let exe = std::env::current_exe().expect("test binary");
    let mut env = vec![(SCENARIO, scenario)];
    env.extend_from_slice(extra);
    mpirun_with(np, &exe, &[], &env, common::TIMEOUT)
}

/// The lines of stderr that say `rank R: error: ...`, as (R, rest).
fn error_lines(job: &Job) -> Vec<(usize, String)> {
    job.stderr
        .lines()
        .filter_map(|l| {
            let (rank, rest) = l.strip_prefix("rank ")?.split_once(": error: ")?;
            Some((rank.parse().ok()?, rest.to_string()))
        })
        .collect()
}

fn one_rank_fails(np: usize, scenario: &str, bad: usize) {
    let job = launch(np, scenario, &[("FAILING_RANK", &bad.to_string())]);
    job.check(!job.timed_out, "the job must not hang");
    job.check(
        job.code.is_some_and(|c| c != 0),
        "an Err on one rank must give a non-zero exit",
    );
    job.check(
        job.elapsed < PROMPT,
        &format!("{scenario}: the job must end within {PROMPT:?}"),
    );
    let lines = error_lines(&job);
    let want = format!("{scenario}: rank {bad} gives up");
    job.check(
        lines
            .iter()
            .filter(|(r, m)| *r == bad && m.contains(&want))
            .count()
            == 1,
        &format!("stderr must say `rank {bad}: error: ...{want}...` once"),
    );
    job.check(
        lines.iter().all(|(r, _)| *r == bad),
        "only the failing rank reports an error",
    );
    println!(
        "run: {scenario} on {np} ranks, rank {bad} fails: ended in {:.2?}",
        job.elapsed
    );
}

fn every_rank_fails(np: usize) {
    let job = launch(np, "every", &[]);
    job.assert_exit(1);
    let mut ranks: Vec<usize> = error_lines(&job).into_iter().map(|(r, _)| r).collect();
    ranks.sort_unstable();
    job.check(
        ranks == (0..np).collect::<Vec<_>>(),
        "every rank prints its error exactly once",
    );
    job.check(
        !job.stderr.contains("MPI_ABORT"),
        "when every rank fails the job ends without MPI_Abort",
    );
}

fn all_ok(np: usize) {
    let job = launch(np, "ok", &[]);
    job.assert_ok();
    job.check(
        job.stdout.is_empty() && job.stderr.is_empty(),
        "an Ok run prints nothing of its own",
    );
}

fn bad_setting_before_mpi(np: usize) {
    let job = launch(np, "ok", &[("MPIKIT_THREADS", "lots")]);
    job.check(
        !job.timed_out && job.code.is_some_and(|c| c != 0),
        "a bad MPIKIT_THREADS must fail",
    );
    job.check(
        job.stderr
            .contains("error: environment variable MPIKIT_THREADS=\"lots\""),
        "the reason, before MPI starts",
    );
}

/// What every rank of a relaunched job does.
fn ranks(scenario: &str) {
    let bad: i32 = std::env::var("FAILING_RANK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    mpikit::run(|world| {
        let me = world.rank();
        let give_up = || -> Result<(), String> {
            // A real failure, like a missing input file, on one rank only.
            std::fs::read("/nonexistent/mpikit-input")
                .map(drop)
                .map_err(|e| format!("{scenario}: rank {me} gives up: {e}"))
        };
        match scenario {
            "before" => {
                if me == bad {
                    give_up()?;
                }
                // The others wait here for the failed rank.
                world
                    .allreduce_scalar(1u64, ReduceOp::Sum)
                    .map_err(|e| e.to_string())?;
            }
            "after" => {
                let n = world
                    .allreduce_scalar(1u64, ReduceOp::Sum)
                    .map_err(|e| e.to_string())?;
                assert_eq!(n, world.size() as u64);
                if me == bad {
                    give_up()?;
                }
                world.barrier();
                world.allgather_objects(&me).map_err(|e| e.to_string())?;
            }
            "pool-worker" | "pool-master" => {
                let mut pool = Pool::new(world);
                let items: Vec<u64> = (0..64).collect();
                if me == bad {
                    // The caller of map fails instead of joining the pool's work.
                    give_up()?;
                }
                pool.map(&items, |x| {
                    std::thread::sleep(Duration::from_millis(5));
                    x * 2
                })
                .map_err(|e| e.to_string())?;
            }
            "mixed" => {
                // Rank 0 keeps polling for messages (as a pool's master does), the middle
                // ranks return Ok, the last one fails: under OpenMPI 4.1 an abort while
                // ranks sit in MPI_Finalize could leave mpirun hung.
                if me == bad {
                    give_up()?;
                }
                if me == 0 {
                    loop {
                        let _ = mpikit::mpi::point_to_point::Source::immediate_probe(
                            &world.any_process(),
                        );
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
            }
            "others-finish" => {
                // The other ranks are done and return Ok while this one fails.
                if me == bad {
                    give_up()?;
                }
            }
            "every" => {
                world.barrier();
                return Err(format!("every: rank {me} fails too"));
            }
            "ok" => {
                let n = world
                    .allreduce_scalar(1u64, ReduceOp::Sum)
                    .map_err(|e| e.to_string())?;
                assert_eq!(n, world.size() as u64);
            }
            other => panic!("unknown scenario {other}"),
        }
        Ok(())
    });
}
