//! heat_2d's checkpoints (examples/heat_2d.rs over `mpikit::checkpoint`): a run restarted
//! from a checkpoint on another rank count ends bit for bit where the uninterrupted run ends;
//! 20 jobs killed with SIGKILL at random moments of their saves each leave a checkpoint that
//! restores and finishes the run exactly; a signal makes every rank save and stop; bad
//! `--restart` input is one line and a failed job.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{example, have_mpirun, mpirun, mpirun_with, Job};

/// A fresh folder for one test's checkpoints.
fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpikit-restart-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The `ok:` line's text from "steps on" to "grid" (what the run computed, not its timing)
/// and its sum.
fn outcome(job: &Job) -> (String, String) {
    let line = job
        .stdout
        .lines()
        .find(|l| l.starts_with("ok: heat_2d"))
        .unwrap_or_else(|| panic!("no ok line\n{}", job.describe()));
    let sum = line.rsplit("sum ").next().unwrap_or_default().to_string();
    let verdict = line.split(", grid").next().unwrap_or_default().to_string();
    (verdict, sum)
}

/// The step of the `stopped:` line a signalled heat_2d prints.
fn stopped_step(job: &Job) -> u64 {
    let line = job
        .stdout
        .lines()
        .find(|l| l.starts_with("stopped: heat_2d at step "))
        .unwrap_or_else(|| panic!("no stopped line\n{}", job.describe()));
    line["stopped: heat_2d at step ".len()..]
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .expect("a step")
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

#[test]
fn a_restart_on_another_rank_count_matches_the_uninterrupted_run() {
    if !have_mpirun("heat_2d restart") {
        return;
    }
    let heat = example("heat_2d");
    let whole = mpirun(2, &heat, &["61", "37", "40"]);
    whole.assert_ok();
    let (_, want_sum) = outcome(&whole);
    for (saved_on, restart_on) in [(3, 4), (4, 1), (1, 3), (8, 2)] {
        let dir = fresh(&format!("{saved_on}-{restart_on}"));
        let first = mpirun(
            saved_on,
            &heat,
            &[
                "61",
                "37",
                "25",
                "--checkpoint",
                arg(&dir),
                "--checkpoint-every",
                "10",
            ],
        );
        first.assert_ok();
        let rest = mpirun(
            restart_on,
            &heat,
            &["61", "37", "40", "--restart", arg(&dir)],
        );
        rest.assert_ok();
        let from = format!("restarted: heat_2d from step 20 on {restart_on} ranks");
        rest.check(rest.stdout.lines().any(|l| l == from), &from);
        let (verdict, sum) = outcome(&rest);
        rest.check(
            verdict
                == format!(
                    "ok: heat_2d 61x37, 40 steps on {restart_on} ranks, equal to the serial run \
                     bit for bit"
                ),
            "the restarted run equals the serial run bit for bit",
        );
        rest.check(sum == want_sum, "the same sum as the uninterrupted run");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A small xorshift generator for the kill times (seeded from the clock, printed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn jobs_killed_during_saves_leave_a_checkpoint_that_restores_exactly() {
    if !have_mpirun("heat_2d kills") {
        return;
    }
    let heat = example("heat_2d");
    // Saves every step: nearly all of the run is saving, so random kills land inside saves.
    let run_args = ["200", "200", "100", "--no-check", "--checkpoint-every", "1"];
    let whole = mpirun(2, &heat, &["200", "200", "100"]);
    whole.assert_ok();
    let (_, want_sum) = outcome(&whole);
    let dir = fresh("timing");
    let mut args = run_args.to_vec();
    args.extend(["--checkpoint", arg(&dir)]);
    let start = Instant::now();
    mpirun(2, &heat, &args).assert_ok();
    let full = start.elapsed().as_millis() as u64;
    std::fs::remove_dir_all(&dir).ok();

    let seed = std::env::var("MPIKIT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(1, |d| d.as_nanos() as u64) ^ u64::from(std::process::id())
        });
    println!(
        "kill times from seed {seed} (MPIKIT_KILL_SEED={seed} repeats them), a full run {full} ms"
    );
    let mut rng = Rng(seed.max(1));
    let (mut mid_save, mut restored, mut kill, mut attempts) = (0, 0, 0, 0);
    // Saves take the disk's time, which varies from run to run: a job that ends before its
    // kill time is not a kill, and another is started.
    while kill < 20 {
        attempts += 1;
        assert!(
            attempts <= 60,
            "only {kill} of 60 jobs ended by a kill (a full run took {full} ms)"
        );
        let dir = fresh(&format!("kill{kill}"));
        let mut args = run_args.to_vec();
        args.extend(["--checkpoint", arg(&dir)]);
        let at = full / 10 + rng.below(full / 2);
        let job = mpirun_with(2, &heat, &args, &[], Duration::from_millis(at));
        if !job.timed_out {
            job.assert_ok();
            std::fs::remove_dir_all(&dir).ok();
            continue;
        }
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if !names.iter().any(|n| n.starts_with("step-")) {
            println!("a kill at {at} ms came before the first checkpoint ({names:?})");
            std::fs::remove_dir_all(&dir).ok();
            continue;
        }
        kill += 1;
        if names.iter().any(|n| n.starts_with('.')) {
            mid_save += 1;
        }
        let np = [1, 3, 4][kill % 3];
        let rest = mpirun(np, &heat, &["200", "200", "100", "--restart", arg(&dir)]);
        rest.assert_ok();
        let (verdict, sum) = outcome(&rest);
        rest.check(
            verdict.ends_with("equal to the serial run bit for bit") && sum == want_sum,
            &format!("kill {kill} at {at} ms: the restart ends as the uninterrupted run"),
        );
        restored += 1;
        std::fs::remove_dir_all(&dir).ok();
    }
    println!(
        "{restored} of 20 killed jobs restored exactly ({attempts} started); {mid_save} were \
         killed inside a save"
    );
    assert_eq!(
        restored, 20,
        "every kill leaves a checkpoint to restart from"
    );
    assert!(
        mid_save >= 5,
        "too few kills landed inside a save ({mid_save} of 20)"
    );
}

#[test]
fn a_signal_makes_every_rank_save_and_stop() {
    if !have_mpirun("heat_2d signal") {
        return;
    }
    let heat = example("heat_2d");
    let dir = fresh("signal");
    let args = [
        "400",
        "400",
        "1000000",
        "--no-check",
        "--checkpoint",
        arg(&dir),
    ];
    // SIGUSR1 to the launcher after 1.5 s, which passes it to the ranks (as the Slurm
    // template's batch script passes on Slurm's --signal=B:USR1).
    let job = common::mpirun_signalled(3, &heat, &args, Duration::from_millis(1500), libc::SIGUSR1);
    job.assert_ok();
    let step = stopped_step(&job);
    let saved = dir.join(format!("step-{step:012}"));
    job.check(
        saved.join("manifest.txt").is_file(),
        "the checkpoint of that step is saved",
    );
    // It resumes from there on another rank count and runs on.
    let more = (step + 7).to_string();
    let rest = mpirun(2, &heat, &["400", "400", &more, "--restart", arg(&dir)]);
    rest.assert_ok();
    let from = format!("restarted: heat_2d from step {step} on 2 ranks");
    rest.check(rest.stdout.lines().any(|l| l == from), &from);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_restarts_are_one_line_and_a_failed_job() {
    if !have_mpirun("heat_2d bad restarts") {
        return;
    }
    let heat = example("heat_2d");
    let dir = fresh("bad");
    let empty = fresh("empty");
    std::fs::create_dir_all(&empty).unwrap();
    mpirun(
        2,
        &heat,
        &[
            "30",
            "20",
            "5",
            "--checkpoint",
            arg(&dir),
            "--checkpoint-every",
            "5",
        ],
    )
    .assert_ok();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["30", "20", "9", "--restart", arg(&empty)],
            format!("--restart {}: no checkpoint there", empty.display()),
        ),
        (
            vec!["31", "20", "9", "--restart", arg(&dir)],
            "its checkpoint is of a 30x20 grid, this run asks for 31x20".into(),
        ),
        (
            vec!["30", "--checkpoint-every", "0"],
            "--checkpoint-every 0: a positive step count".into(),
        ),
        (vec!["30", "--restart"], "--restart needs a value".into()),
        (vec!["30", "--bogus"], "unknown flag --bogus".into()),
    ];
    for (args, want) in cases {
        for np in [1, 3] {
            let job = mpirun(np, &heat, &args);
            job.check(
                !job.timed_out && job.code.is_some_and(|c| c != 0),
                "a failed job",
            );
            job.check(job.stderr.contains(&want), &format!("says {want:?}"));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&empty).ok();
}

#[test]
fn the_slurm_template_passes_the_signal_on_and_resumes() {
    if !have_mpirun("heat.sbatch") || common::on_mpich() {
        return;
    }
    // The template run as a plain script (no Slurm: LAUNCHER=mpirun), signalled as Slurm's
    // --signal=B:USR1 signals the batch shell; then submitted again, it resumes.
    let dir = fresh("sbatch");
    let template = common::repo_root().join("scripts/slurm/heat.sbatch");
    let env = |steps: &str| {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(&template)
            .env("LAUNCHER", "mpirun")
            .env("NP", "2")
            .env("HEAT", example("heat_2d"))
            .env("N", "300")
            .env("STEPS", steps)
            .env("EVERY", "100000")
            .env("CKPT", &dir)
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_rmaps_base_oversubscribe", "1");
        cmd
    };
    let job = common::launch_signalled(
        env("100000000"),
        "heat.sbatch".into(),
        Duration::from_millis(2000),
        libc::SIGUSR1,
    );
    job.assert_ok();
    let step = stopped_step(&job);
    let more = (step + 5).to_string();
    let again = common::launch(env(&more), "heat.sbatch again".into(), common::TIMEOUT);
    again.assert_ok();
    let from = format!("restarted: heat_2d from step {step} on 2 ranks");
    again.check(again.stdout.lines().any(|l| l == from), &from);
    std::fs::remove_dir_all(&dir).ok();
}
