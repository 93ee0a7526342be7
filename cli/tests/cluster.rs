//! Several hosts on one machine: parsum and examples across 2 and 3 network-namespace hosts
//! joined over real TCP (scripts/cluster.sh), data files and bad inputs included. Needs
//! root (CAP_NET_ADMIN) and OpenMPI; otherwise every test says it is skipped and why.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::{script, Job};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(120);

/// One cluster at a time: the namespaces have fixed names.
static ONE_CLUSTER: Mutex<()> = Mutex::new(());

/// Brings the cluster up for one test and always takes it down again.
struct Cluster {
    _only: MutexGuard<'static, ()>,
}

impl Cluster {
    fn up(hosts: usize, test: &str) -> Option<Cluster> {
        if !common::have_mpirun(test) {
            return None;
        }
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED {test}: network namespaces need root");
            return None;
        }
        let flavor = std::process::Command::new("mpirun")
            .arg("--version")
            .output()
            .ok()?;
        if !String::from_utf8_lossy(&flavor.stdout).contains("Open MPI") {
            eprintln!("SKIPPED {test}: the multi-host recipe needs OpenMPI's mpirun");
            return None;
        }
        let only = ONE_CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
        let job = script("cluster.sh", &["up", &hosts.to_string()], TIMEOUT);
        if job.code != Some(0) {
            eprintln!(
                "SKIPPED {test}: cannot create network namespaces here:\n{}",
                job.describe()
            );
            let _ = script("cluster.sh", &["down"], TIMEOUT);
            return None;
        }
        Some(Cluster { _only: only })
    }

    fn run(&self, np: usize, program: &str, args: &[&str]) -> Job {
        self.run_with(np, program, args, &[])
    }

    /// [`Cluster::run`] with `env` set for mpirun (Open MPI forwards `OMPI_MCA_*` to the ranks).
    fn run_with(&self, np: usize, program: &str, args: &[&str], env: &[(&str, &str)]) -> Job {
        let np = np.to_string();
        let mut all = vec!["run", &np, program];
        all.extend_from_slice(args);
        let path = common::repo_root().join("scripts").join("cluster.sh");
        common::direct(&path, &all, env, TIMEOUT)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let job = script("cluster.sh", &["down"], TIMEOUT);
        assert_eq!(
            job.code,
            Some(0),
            "cluster.sh down failed\n{}",
            job.describe()
        );
    }
}

fn parsum() -> String {
    env!("CARGO_BIN_EXE_parsum").to_string()
}

fn example(name: &str) -> String {
    common::example(name).display().to_string()
}

fn json(job: &Job) -> Value {
    let line = job
        .stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("no JSON ({e})\n{}", job.describe()))
}

/// parsum over `hosts` hosts: every op and both modes verify, the job really spans the hosts,
/// and the result matches an exact serial sum.
fn parsum_across(hosts: usize) {
    let Some(cluster) = Cluster::up(hosts, &format!("parsum across {hosts} hosts")) else {
        return;
    };
    let n: u64 = 1_000_003;
    let exact: u128 = (0..u128::from(n)).map(|i| i * i).sum();
    for np in [hosts, 2 * hosts + 1] {
        for mode in ["generate", "scatter"] {
            for op in ["sumsq", "max"] {
                let args = [
                    "--json",
                    "--len",
                    "1000003",
                    "--op",
                    op,
                    "--mode",
                    mode,
                    "--threads",
                    "1",
                ];
                let job = cluster.run(np, &parsum(), &args);
                job.assert_ok();
                let v = json(&job);
                job.check(v["ranks"] == np as u64, "rank count");
                job.check(v["nodes"] == hosts as u64, "the ranks span every host");
                job.check(v["verified"] == true, "verified");
                let got = v["result"].as_f64().unwrap_or(f64::NAN);
                let want = if op == "max" {
                    (n - 1) as f64
                } else {
                    exact as f64
                };
                let tol = if op == "max" {
                    0.0
                } else {
                    (n as f64 + 2.0) * f64::EPSILON * want
                };
                job.check(
                    (got - want).abs() <= tol,
                    &format!("{op}: {got:e} vs {want:e}"),
                );
            }
        }
    }
    for (name, args, want) in [
        (
            "ring",
            vec!["2"],
            format!("ok: 2 laps around {} ranks", 2 * hosts),
        ),
        (
            "pool_map",
            vec![],
            format!("ok: pool.map on {} ranks", 2 * hosts),
        ),
        (
            "allreduce_arrays",
            vec!["41"],
            format!("ok: y = A x for n = 41 on {} ranks", 2 * hosts),
        ),
        // One-sided access and locks over TCP: a mutex, a counter and scattered updates
        // spanning the hosts, and a node-shared table (one copy per host).
        (
            "lock_counter",
            vec!["5", "2", "100"],
            format!(
                "ok: {} ranks x 2 threads x 5 rounds x 100 increments under one Mutex",
                2 * hosts
            ),
        ),
        (
            "self_scheduling",
            vec!["300"],
            format!("ok: 300 tasks on {} ranks", 2 * hosts),
        ),
        (
            "gups",
            vec!["12", "2"],
            format!("ok: gups on {} ranks, table 2^12", 2 * hosts),
        ),
    ] {
        let job = cluster.run(2 * hosts, &example(name), &args);
        job.assert_ok();
        job.check(
            job.stdout.lines().any(|l| l.starts_with(&want)),
            &format!("expected {want:?}"),
        );
    }
    // A node-shared table: one copy per host, held by the host's 2 ranks.
    let job = cluster.run(2 * hosts, &example("shared_table"), &["16"]);
    job.assert_ok();
    let line = job.stdout.lines().find(|l| l.starts_with("node memory: "));
    job.check(
        line.is_some_and(|l| l.ends_with(" MiB for 2 ranks, one copy 16 MiB")),
        "rank 0's host: 2 ranks sharing one copy of 16 MiB",
    );
    // Open MPI's default one-sided choice over TCP alone fails to create a window: a clear
    // Err with the cure on the failing ranks, and the job ends (no MPI abort text, no hang).
    let job = cluster.run_with(
        2 * hosts,
        &example("lock_counter"),
        &["1", "1", "1"],
        &[("OMPI_MCA_osc", "rdma")],
    );
    job.assert_exit(1);
    job.check(
        job.stderr
            .contains("error: window: MPI_Win_allocate failed")
            && job.stderr.contains("--mca osc sm,pt2pt"),
        "a clear error naming the cure",
    );
    files_across(&cluster, hosts);
}

/// Data files across hosts (one file system, as on a cluster): `parsum gen` writes one file
/// from every host, both read modes give the bitwise-same reproducible sum as one local
/// rank, and every kind of bad input ends the job on every host with exit 2 and one line.
fn files_across(cluster: &Cluster, hosts: usize) {
    let dir = std::env::temp_dir().join(format!("mpikit-cluster-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("x.npy");
    let d = data.to_str().unwrap();
    let np = 2 * hosts + 1;
    let gen = [
        "gen",
        "--len",
        "300007",
        "--out",
        d,
        "--pattern",
        "random",
        "--seed",
        "4",
    ];
    cluster.run(np, &parsum(), &gen).assert_ok();
    let sum = ["--input", d, "--op", "sum", "--reproducible", "--json"];
    let local = common::mpirun(1, std::path::Path::new(&parsum()), &sum);
    local.assert_ok();
    let want = json(&local)["result"].clone();
    for read in ["parallel", "root"] {
        let mut args = sum.to_vec();
        args.extend(["--read", read]);
        let job = cluster.run(np, &parsum(), &args);
        job.assert_ok();
        let v = json(&job);
        job.check(v["nodes"] == hosts as u64, "the ranks span every host");
        job.check(
            v["result"] == want,
            &format!("{read}: the same bits as one local rank"),
        );
    }
    let bytes = std::fs::read(&data).unwrap();
    let truncated = dir.join("truncated.npy");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = dir.join("text.npy");
    std::fs::write(&text, b"not numpy\n").unwrap();
    let missing = dir.join("missing.npy");
    let (t, x, m) = (
        truncated.to_str().unwrap(),
        text.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let cases: [(&[&str], &str); 5] = [
        (&["--input", m], "No such file"),
        (&["--input", t], "truncated"),
        (&["--input", x], "not an npy file"),
        (&["--input", x, "--dtype", "f64"], "not a whole number"),
        (&["--input", d, "--axis", "0"], "needs a 2-D array"),
    ];
    for (i, (args, msg)) in cases.iter().enumerate() {
        let mut a = args.to_vec();
        a.extend(["--read", if i % 2 == 0 { "parallel" } else { "root" }]);
        let job = cluster.run(np, &parsum(), &a);
        job.assert_exit(2);
        let lines: Vec<&str> = job
            .stderr
            .lines()
            .filter(|l| l.starts_with("parsum:"))
            .collect();
        job.check(
            lines.len() == 1 && lines[0].contains(msg),
            &format!("one line saying {msg:?}"),
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parsum_and_examples_across_two_hosts() {
    parsum_across(2);
}

#[test]
fn parsum_and_examples_across_three_hosts() {
    parsum_across(3);
}

#[test]
fn a_cut_link_ends_a_job_with_a_timeout_and_leaves_nothing_behind() {
    let marker = "424242";
    {
        let Some(cluster) = Cluster::up(2, "cut link") else {
            return;
        };
        // Rank 0 stops answering in the reduction, so rank 1 (on the other host) waits on
        // the network; then the link between the hosts goes down.
        let args = [
            "--len",
            marker,
            "--timeout",
            "4",
            "--hang-on-rank",
            "0",
            "--fault-phase",
            "reduce",
        ];
        let job = std::thread::scope(|s| {
            let job = s.spawn(|| cluster.run(2, &parsum(), &args));
            std::thread::sleep(Duration::from_millis(2000));
            let cut = script("cluster.sh", &["cut", "2"], TIMEOUT);
            assert_eq!(cut.code, Some(0), "cut failed\n{}", cut.describe());
            job.join().expect("launch thread")
        });
        job.check(
            !job.timed_out && job.code.is_some_and(|c| c != 0),
            "the job must fail",
        );
        job.check(
            job.elapsed < Duration::from_secs(4 + 10),
            "within the limit + 10 s",
        );
        job.check(
            job.stderr
                .contains("time limit of 4 s reached in phase reduce"),
            "where it was",
        );
    }
    // The cluster is down: no rank of that job is left anywhere.
    let left = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
        .count();
    assert_eq!(left, 0, "processes of the cut job are still running");
}
