//! The mpirun harness: every multi-rank test launches through [`mpirun`], which adds what
//! the MPI needs on this machine, kills the whole job after a timeout, and keeps what a
//! failure report needs (the command, exit status, stdout and stderr).
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a launch may run before it is killed and the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// One launch at a time: the machine has two cores and jobs oversubscribe them.
static LAUNCH: Mutex<()> = Mutex::new(());

/// The launcher: `$MPIKIT_MPIRUN`, else `mpirun` on the PATH; `None` when there is none.
fn launcher() -> Option<&'static (String, bool)> {
    static FOUND: OnceLock<Option<(String, bool)>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let name = std::env::var("MPIKIT_MPIRUN").unwrap_or_else(|_| "mpirun".into());
            let out = Command::new(&name).arg("--version").output().ok()?;
            let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
            let openmpi = text.contains("Open MPI") || text.contains("OpenRTE");
            Some((name, openmpi))
        })
        .as_ref()
}

/// Whether a launcher exists; prints a loud skip notice when it does not.
pub fn have_mpirun(test: &str) -> bool {
    if launcher().is_some() {
        return true;
    }
    eprintln!("SKIPPED {test}: no mpirun found (install MPI with scripts/setup.sh)");
    false
}

/// The repository's top folder (the one with `scripts/`), for the root package's tests and
/// the `cli` member's alike.
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join("scripts/common.sh").exists())
        .unwrap_or(here)
        .to_path_buf()
}

/// A built binary of this package, from cargo's `CARGO_BIN_EXE_<name>`.
pub fn bin(path: &str) -> PathBuf {
    PathBuf::from(path)
}

/// A built example of this package (`cargo build --examples` puts them beside `deps/`).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile directory");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "example {name} is not built at {} (cargo build --examples)",
        path.display()
    );
    path
}

/// A finished (or killed) launch.
#[derive(Debug)]
pub struct Job {
    /// The command line, as a shell would show it.
    pub command: String,
    /// Exit code; `None` if killed by a signal or the timeout.
    pub code: Option<i32>,
    /// Killed after [`TIMEOUT`] (or the launch's own timeout).
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Job {
    /// Everything a failure report needs.
    pub fn describe(&self) -> String {
        format!(
            "command: {}\nexit: {}{}\nelapsed: {:.2?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.code.map_or("killed".into(), |c| c.to_string()),
            if self.timed_out { " (TIMED OUT)" } else { "" },
            self.elapsed,
            self.stdout,
            self.stderr
        )
    }

    /// Fails the test unless the job exited with `code`.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &Job {
        assert!(
            !self.timed_out && self.code == Some(code),
            "expected exit {code}\n{}",
            self.describe()
        );
        self
    }

    /// Fails the test unless the job exited 0.
    #[track_caller]
    pub fn assert_ok(&self) -> &Job {
        self.assert_exit(0)
    }

    /// Fails the test unless the job failed (a non-zero exit, not the harness's timeout)
    /// within `limit`.
    #[track_caller]
    pub fn assert_failed_within(&self, limit: Duration) -> &Job {
        self.check(
            !self.timed_out && self.code.is_some_and(|c| c != 0),
            "the job must fail",
        );
        self.check(
            self.elapsed < limit,
            &format!("the job must end within {limit:?}"),
        )
    }

    /// Fails the test with `msg` and the job's report unless `cond`.
    #[track_caller]
    pub fn check(&self, cond: bool, msg: &str) -> &Job {
        assert!(cond, "{msg}\n{}", self.describe());
        self
    }
}

/// Launches `program args` on `np` ranks with the default timeout and no extra environment.
pub fn mpirun(np: usize, program: &Path, args: &[&str]) -> Job {
    mpirun_with(np, program, args, &[], TIMEOUT)
}

/// Launches `program args` on `np` ranks through the harness's launcher.
///
/// With OpenMPI it adds the run-as-root variables when running as root, oversubscription
/// (waiting ranks yield the CPU), and `--bind-to none` so a rank's threads can use every
/// core. The whole process group is killed after `timeout`.
pub fn mpirun_with(
    np: usize,
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    timeout: Duration,
) -> Job {
    let (cmd, command) = launch_command(np, program, args, env);
    run(cmd, command, timeout, None)
}

/// [`mpirun`], with `signal` sent to the launcher (not its ranks) `after` the start, as a
/// batch system signals a job's script.
pub fn mpirun_signalled(
    np: usize,
    program: &Path,
    args: &[&str],
    after: Duration,
    signal: i32,
) -> Job {
    let (cmd, command) = launch_command(np, program, args, &[]);
    run(cmd, command, TIMEOUT, Some((after, signal)))
}

/// The launcher's command line for `program args` on `np` ranks, and how it is shown.
fn launch_command(
    np: usize,
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Command, String) {
    let (launcher, openmpi) = launcher().expect("call have_mpirun first");
    let mut cmd = Command::new(launcher);
    let mut shown = Vec::new();
    if *openmpi {
        if unsafe { libc::geteuid() } == 0 {
            cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
            shown.push("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1".to_string());
        }
        cmd.env("OMPI_MCA_rmaps_base_oversubscribe", "1");
        shown.push("OMPI_MCA_rmaps_base_oversubscribe=1".into());
        // As scripts/common.sh: skip the slow UCX probe where there is no RDMA network.
        let rdma = std::fs::read_dir("/sys/class/infiniband").is_ok_and(|mut d| d.next().is_some());
        if std::env::var_os("OMPI_MCA_pml").is_none() && !rdma {
            cmd.env("OMPI_MCA_pml", "ob1");
            shown.push("OMPI_MCA_pml=ob1".into());
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
        shown.push(format!("{k}={v}"));
    }
    cmd.arg("-n").arg(np.to_string());
    shown.push(format!("{launcher} -n {np}"));
    if *openmpi {
        cmd.args(["--bind-to", "none"]);
        shown.push("--bind-to none".into());
    }
    cmd.arg(program).args(args);
    shown.push(program.display().to_string());
    shown.extend(args.iter().map(|a| a.to_string()));
    (cmd, shown.join(" "))
}

/// Runs `program args` as a plain process (no launcher: a 1-rank MPI singleton), with the
/// same timeout, reporting and one-at-a-time rule as [`mpirun_with`].
pub fn direct(program: &Path, args: &[&str], env: &[(&str, &str)], timeout: Duration) -> Job {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let mut shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for (k, v) in env {
        cmd.env(k, v);
    }
    shown.push(program.display().to_string());
    shown.extend(args.iter().map(|a| a.to_string()));
    run(cmd, shown.join(" "), timeout, None)
}

/// Runs one of the project's scripts (`scripts/NAME`) with `args`, like [`direct`].
pub fn script(name: &str, args: &[&str], timeout: Duration) -> Job {
    let path = repo_root().join("scripts").join(name);
    direct(&path, args, &[], timeout)
}

/// [`launch`], with `signal` sent to the command's process `after` the start (as a batch
/// system signals a job's script).
pub fn launch_signalled(cmd: Command, command: String, after: Duration, signal: i32) -> Job {
    run(cmd, command, TIMEOUT, Some((after, signal)))
}

/// Runs a prepared command (shown as `command` in reports) like [`mpirun_with`].
pub fn launch(cmd: Command, command: String, timeout: Duration) -> Job {
    run(cmd, command, timeout, None)
}

fn run(
    mut cmd: Command,
    command: String,
    timeout: Duration,
    mut signal: Option<(Duration, i32)>,
) -> Job {
    let _one_at_a_time = LAUNCH.lock().unwrap_or_else(|e| e.into_inner());
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let pgid = child.id() as i32;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for mpirun") {
            break status;
        }
        if let Some((after, sig)) = signal {
            if start.elapsed() > after {
                // SAFETY: kill(2) on our own child.
                unsafe { libc::kill(pgid, sig) };
                signal = None;
            }
        }
        if start.elapsed() > timeout {
            timed_out = true;
            kill_job(pgid);
            break child.wait().expect("wait for killed mpirun");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    // Ranks that outlive mpirun (they should not) must not keep the pipes open forever.
    kill_job(pgid);
    Job {
        command,
        code: if timed_out { None } else { status.code() },
        timed_out,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed,
    }
}

/// Checks, inside a job, that `result` is an `Err` whose one line contains `text` and is
/// the same on every rank (a collective: every rank calls it).
pub fn same_err<T>(
    world: &mpikit::World,
    result: mpikit::Result<T>,
    text: &str,
) -> mpikit::Result<()> {
    use mpikit::prelude::*;
    let msg = match result {
        Ok(_) => panic!("expected an error containing {text:?}"),
        Err(e) => e.to_string(),
    };
    assert!(msg.contains(text), "{msg:?} should contain {text:?}");
    assert!(!msg.contains('\n'), "one line: {msg:?}");
    let all = world.allgather_objects(&msg)?;
    assert!(all.iter().all(|m| *m == msg), "ranks disagree: {all:?}");
    Ok(())
}

/// SIGKILL to the launcher's process group and, at once, to every process below it: Open
/// MPI's launcher puts each rank in a process group of its own, and ranks that lose their
/// launcher run on until their next MPI call notices.
fn kill_job(pgid: i32) {
    let below = descendants(pgid);
    // SAFETY: kill(2) on our own child's process group and on its descendants.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    for pid in below {
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Every process whose chain of parents reaches `root` (from /proc).
fn descendants(root: i32) -> Vec<i32> {
    let parents: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter_map(|pid| {
                    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                    // "pid (comm) state ppid ...": the name may hold spaces and parentheses.
                    let after = &stat[stat.rfind(')')? + 1..];
                    let ppid = after.split_whitespace().nth(1)?.parse().ok()?;
                    Some((pid, ppid))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == p)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// [`TIMEOUT`] times `MPIKIT_TEST_TIMEOUT_SCALE` (default 1): MPICH's ranks poll without
/// yielding, so 8 ranks on 2 cores run the 64-byte-piece suites several times slower.
pub fn spmd_timeout() -> Duration {
    let scale = std::env::var("MPIKIT_TEST_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|&s| s > 0)
        .unwrap_or(1);
    TIMEOUT * scale
}

/// Whether the tests launch with MPICH's launcher (`MPIKIT_MPIRUN`, set by scripts/test.sh).
pub fn on_mpich() -> bool {
    std::env::var("MPIKIT_MPIRUN").is_ok_and(|m| m.contains("mpich"))
}

/// Set under mpirun by [`spmd_main`]: run the rank checks instead of launching.
pub const RANK_CHECKS: &str = "MPIKIT_RANK_CHECKS";

/// The environments most tests run in: MPI's message sizes, then 64-byte pieces (every
/// transfer split into many MPI calls).
pub const MESSAGE_SIZES: &[&[(&str, &str)]] = &[&[], &[(mpikit::runtime::MAX_MESSAGE_ENV, "64")]];

/// The rank counts every multi-rank suite runs on: 1 (a singleton job), 2, 3 (odd, uneven
/// blocks), 4 and 8 (more ranks than this machine's cores).
pub const RANKS: &[usize] = &[1, 2, 3, 4, 8];

/// [`spmd_main`] on [`RANKS`] in both [`MESSAGE_SIZES`] environments.
pub fn spmd_main_everywhere(name: &str, checks: fn()) {
    spmd_main(name, RANKS, MESSAGE_SIZES, checks);
}

/// One group of checks of a test binary, run on every rank.
pub type Check = fn(&mpikit::World) -> mpikit::Result<()>;

/// Runs `checks` in order on every rank inside [`mpikit::run`], then [`report_ok`]s `name`.
pub fn run_checks(name: &str, checks: &[Check]) {
    mpikit::run(|world| {
        for check in checks {
            check(world)?;
        }
        report_ok(name, world.comm());
        Ok::<(), mpikit::Error>(())
    });
}

/// `main` of a harness-less test that relaunches itself under mpirun.
///
/// Run plainly (by `cargo test`), it launches its own binary on each rank count in `ranks`,
/// once per environment in `envs`, and expects `checks` to end with rank 0 printing
/// `NAME ok on N ranks`. Under mpirun it just runs `checks`. A failed check panics, which
/// aborts the job with the rank and message and fails the launch.
pub fn spmd_main(name: &str, ranks: &[usize], envs: &[&[(&str, &str)]], checks: fn()) {
    launch_all(name, ranks, envs, checks, false);
}

/// [`spmd_main`] on every rank count in `ranks` on both MPIs (not capped at
/// [`MPICH_MOST_RANKS`]): for a launch whose rank count is the point of the check.
pub fn spmd_main_on_both_mpis(name: &str, ranks: &[usize], envs: &[&[(&str, &str)]], checks: fn()) {
    launch_all(name, ranks, envs, checks, true);
}

/// The launches of [`spmd_main`]; `every_count` lifts the cap on MPICH.
fn launch_all(
    name: &str,
    ranks: &[usize],
    envs: &[&[(&str, &str)]],
    checks: fn(),
    every_count: bool,
) {
    let runs_here = |np: usize| every_count || runs_on_this_mpi(np);
    if std::env::var_os(RANK_CHECKS).is_some() {
        return checks();
    }
    if !have_mpirun(name) {
        println!("{name}: 0 passed, 0 failed, 1 skipped");
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let mut passed = 0;
    let skipped = ranks.iter().filter(|&&np| !runs_here(np)).count() * envs.len();
    for env in envs {
        for &np in ranks.iter().filter(|&&np| runs_here(np)) {
            let mut vars = vec![(RANK_CHECKS, "1")];
            vars.extend_from_slice(env);
            let job = mpirun_with(np, &exe, &[], &vars, spmd_timeout());
            job.assert_ok();
            let line = format!("{name} ok on {np} ranks");
            job.check(
                job.stdout.lines().filter(|l| *l == line).count() == 1,
                &format!("expected one line {line:?}"),
            );
            println!(
                "test {name} on {np} ranks {env:?} ... ok ({:.1?})",
                job.elapsed
            );
            passed += 1;
        }
    }
    if skipped > 0 {
        println!(
            "{name}: {passed} passed, 0 failed, {skipped} skipped (more than {MPICH_MOST_RANKS} ranks on MPICH)"
        );
    } else {
        println!("{name}: {passed} passed, 0 failed");
    }
}

/// The most ranks a suite launches under MPICH (the second MPI of scripts/test.sh): 1, 2 and
/// 3 ranks keep uneven blocks and more ranks than this machine's 2 cores. MPICH's ranks
/// (ch4:ucx) poll without yielding, so each collective of an oversubscribed job waits for the
/// scheduler: tests/sort.rs took 0.1 s at 2 ranks, 53 s at 3, 52 s at 4 and 257 s at 8 in
/// stop 35's CI run. The first MPI (Open MPI) runs every count in [`RANKS`].
pub const MPICH_MOST_RANKS: usize = 3;

/// Whether a suite launches `np` ranks on the MPI under test (see [`MPICH_MOST_RANKS`]).
pub fn runs_on_this_mpi(np: usize) -> bool {
    !on_mpich() || np <= MPICH_MOST_RANKS
}

/// Prints the success line [`spmd_main`] looks for, from rank 0, after a barrier.
pub fn report_ok(name: &str, comm: &mpikit::mpi::topology::SimpleCommunicator) {
    use mpikit::mpi::collective::CommunicatorCollectives;
    use mpikit::mpi::topology::Communicator;
    comm.barrier();
    if comm.rank() == 0 {
        println!("{name} ok on {} ranks", comm.size());
    }
}
