//! The examples under mpirun, each self-checking (a failed check panics, which aborts the
//! job), on 1, 2 and 4 ranks.

mod common;

use common::{example, have_mpirun, mpirun};

/// Runs `name args` on 1, 2 and 4 ranks; each run must exit 0 and print `want(np)` once.
fn check(name: &str, args: &[&str], want: impl Fn(usize) -> String) {
    if !have_mpirun(name) {
        return;
    }
    for np in [1, 2, 4] {
        let job = mpirun(np, &example(name), args);
        job.assert_ok();
        let line = want(np);
        job.check(
            job.stdout.lines().filter(|l| *l == line).count() == 1,
            &format!("expected {line:?} once"),
        );
    }
}

#[test]
fn scatter_gather_rows() {
    for rows in ["0", "3", "10"] {
        check("scatter_gather_rows", &[rows], |np| {
            format!("ok: {rows} rows over {np} ranks")
        });
    }
}

#[test]
fn p2p_objects() {
    check("p2p_objects", &[], |np| {
        format!("ok: point-to-point objects on {np} ranks")
    });
}

#[test]
fn broadcast_dict() {
    check("broadcast_dict", &[], |np| {
        format!("ok: {np} ranks got (\"abc\", \"xyz\")")
    });
}

#[test]
fn scatter_gather_objects() {
    check("scatter_gather_objects", &[], |np| {
        format!("ok: scattered and gathered {np} objects")
    });
}

#[test]
fn allreduce_arrays() {
    check("allreduce_arrays", &["37"], |np| {
        let n = 37u64;
        let total: u64 = (0..n).map(|i| n * i + n * (n - 1) / 2).sum();
        format!("ok: y = A x for n = 37 on {np} ranks, sum {total}")
    });
}

#[test]
fn ring() {
    check("ring", &["3"], |np| format!("ok: 3 laps around {np} ranks"));
}
