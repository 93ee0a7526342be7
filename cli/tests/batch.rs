//! The batch templates run as a scheduler would run them, without the scheduler: the Slurm
//! script with LAUNCHER=mpirun and Slurm's variables set, the PBS script with a node file.
//! Each must leave a verified JSON result under the job's name.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

fn run_template(script: &str, env: &[(&str, &str)], dir: &Path) -> common::Job {
    let path = common::repo_root().join(script);
    let mut cmd = Command::new("bash");
    cmd.arg(&path).current_dir(dir);
    let mut all: Vec<(&str, &str)> =
        vec![("PARSUM", env!("CARGO_BIN_EXE_parsum")), ("LEN", "1000003")];
    if unsafe { libc::geteuid() } == 0 {
        all.extend([
            ("OMPI_ALLOW_RUN_AS_ROOT", "1"),
            ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
        ]);
    }
    all.extend_from_slice(env);
    for (k, v) in &all {
        cmd.env(k, v);
    }
    let shown = format!(
        "(cd {}; {} bash {})",
        dir.display(),
        all.iter()
            .map(|(k, v)| format!("{k}={v} "))
            .collect::<String>(),
        path.display()
    );
    common::launch(cmd, shown, Duration::from_secs(120))
}

fn check_result(job: &common::Job, file: &Path) {
    job.assert_ok();
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", file.display(), job.describe()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("bad JSON ({e})\n{}", job.describe()));
    job.check(
        v["verified"] == true && v["len"] == 1_000_003,
        "a verified result for the job's length",
    );
    job.check(v["ranks"].as_u64().is_some_and(|r| r >= 1), "ranks");
}

fn openmpi(test: &str) -> bool {
    if !common::have_mpirun(test) {
        return false;
    }
    let out = Command::new("mpirun")
        .arg("--version")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let ok = String::from_utf8_lossy(&out).contains("Open MPI");
    if !ok {
        eprintln!("SKIPPED {test}: the templates' mpirun flags are OpenMPI's");
    }
    ok
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mpikit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn slurm_template_with_mpirun() {
    if !openmpi("slurm template") {
        return;
    }
    let dir = temp_dir("slurm");
    let env = [
        ("LAUNCHER", "mpirun"),
        ("SLURM_JOB_ID", "4242"),
        ("SLURM_CPUS_PER_TASK", "1"),
        ("SLURM_SUBMIT_DIR", dir.to_str().unwrap()),
    ];
    let job = run_template("scripts/slurm/parsum.sbatch", &env, &dir);
    check_result(&job, &dir.join("parsum-4242.json"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pbs_template_with_a_node_file() {
    if !openmpi("pbs template") {
        return;
    }
    let dir = temp_dir("pbs");
    let nodes = dir.join("nodefile");
    std::fs::write(&nodes, "localhost\nlocalhost\nlocalhost\n").unwrap();
    let env = [
        ("PBS_NODEFILE", nodes.to_str().unwrap()),
        ("PBS_JOBID", "77.server"),
        ("OMP_NUM_THREADS", "1"),
        ("PBS_O_WORKDIR", dir.to_str().unwrap()),
    ];
    let job = run_template("scripts/pbs/parsum.pbs", &env, &dir);
    check_result(&job, &dir.join("parsum-77.server.json"));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("parsum-77.server.json")).unwrap())
            .unwrap();
    job.check(v["ranks"] == 3, "one rank per node-file line");
    let _ = std::fs::remove_dir_all(&dir);
}
