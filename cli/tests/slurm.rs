//! The Slurm template under a real Slurm: scripts/slurm/local.sh starts a private
//! single-node Slurm (munged, slurmctld, slurmd; its own configuration, ports and state in
//! a temporary directory), and `sbatch --wait` runs scripts/slurm/parsum.sbatch with srun
//! (PMIx) and with LAUNCHER=mpirun. Needs root, a cgroup file system (slurmd's), OpenMPI,
//! and Debian's slurm-wlm and munge (scripts/test.sh installs them as root); otherwise the
//! test says it is skipped and why.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

const LOCAL: &str = "slurm/local.sh";

fn missing() -> Option<String> {
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root (slurmd)".into());
    }
    // slurmd (22.05) will not start without a cgroup file system, e.g. in a chroot.
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let cgroup = mounts.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 2 && f[1].starts_with("/sys/fs/cgroup") && f[2].starts_with("cgroup")
    });
    if !cgroup {
        return Some("slurmd needs a cgroup file system, and /sys/fs/cgroup is not mounted".into());
    }
    for tool in ["munged", "slurmctld", "slurmd", "sbatch"] {
        let found = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
            .iter()
            .any(|d| Path::new(d).join(tool).exists());
        if !found {
            return Some(format!(
                "{tool} not installed (apt-get install slurm-wlm munge)"
            ));
        }
    }
    None
}

/// The private Slurm; stopped on drop.
struct Slurm {
    dir: PathBuf,
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let dir = self.dir.to_str().unwrap();
        let job = common::script(LOCAL, &["down", dir], Duration::from_secs(60));
        if !std::thread::panicking() {
            job.assert_ok();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sbatch(slurm: &Slurm, work: &Path, args: &[&str], env: &str) -> common::Job {
    let template = common::repo_root().join("scripts/slurm/parsum.sbatch");
    let exports = format!(
        "ALL,LEN=1000003,PARSUM={},OMPI_ALLOW_RUN_AS_ROOT=1,OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1{env}",
        env!("CARGO_BIN_EXE_parsum")
    );
    let conf = slurm.dir.join("slurm.conf");
    let mut cmd = Command::new("sbatch");
    cmd.current_dir(work)
        .env("SLURM_CONF", &conf)
        .arg("--wait")
        .args(args)
        .arg(format!("--export={exports}"))
        .arg(&template);
    let shown = format!(
        "(cd {}; SLURM_CONF={} sbatch --wait {} --export={exports} {})",
        work.display(),
        conf.display(),
        args.join(" "),
        template.display()
    );
    common::launch(cmd, shown, Duration::from_secs(120))
}

/// The job's JSON result (`parsum-JOBID.json` in `work`).
fn result(job: &common::Job, work: &Path) -> Value {
    job.assert_ok();
    let id = job
        .stdout
        .split_whitespace()
        .last()
        .unwrap_or("")
        .to_string();
    let file = work.join(format!("parsum-{id}.json"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        let out = std::fs::read_to_string(work.join(format!("parsum-{id}.out")));
        let err = std::fs::read_to_string(work.join(format!("parsum-{id}.err")));
        panic!(
            "{}: {e}\njob stdout: {out:?}\njob stderr: {err:?}\n{}",
            file.display(),
            job.describe()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e})\n{text}"))
}

#[test]
fn the_sbatch_template_under_a_real_slurm() {
    if let Some(why) = missing() {
        eprintln!("SKIPPED the_sbatch_template_under_a_real_slurm: {why}");
        return;
    }
    if !common::have_mpirun("the_sbatch_template_under_a_real_slurm") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mpikit-slurm-{}", std::process::id()));
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let up = common::script(
        LOCAL,
        &["up", dir.to_str().unwrap()],
        Duration::from_secs(60),
    );
    up.assert_ok();
    let slurm = Slurm { dir: dir.clone() };
    // srun with PMIx: 2 tasks of 1 CPU.
    let job = sbatch(
        &slurm,
        &work,
        &["--nodes=1", "--ntasks-per-node=2", "--cpus-per-task=1"],
        "",
    );
    let v = result(&job, &work);
    job.check(v["ranks"] == 2 && v["threads"] == 1, "2 ranks x 1 thread");
    job.check(v["verified"] == true && v["len"] == 1_000_003, "verified");
    // The MPI's own launcher inside the allocation; --cpus-per-task becomes threads.
    let job = sbatch(
        &slurm,
        &work,
        &["--nodes=1", "--ntasks-per-node=1", "--cpus-per-task=2"],
        ",LAUNCHER=mpirun",
    );
    let v = result(&job, &work);
    job.check(v["ranks"] == 1 && v["threads"] == 2, "1 rank x 2 threads");
    job.check(v["verified"] == true, "verified");
    drop(slurm);
}
