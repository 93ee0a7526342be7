//! The examples under mpirun, each self-checking, on 1, 2 and 4 ranks.

mod common;

use common::{example, have_mpirun, mpirun};

#[test]
fn scatter_gather_rows() {
    if !have_mpirun("scatter_gather_rows") {
        return;
    }
    for np in [1, 2, 4] {
        for rows in ["0", "3", "10"] {
            let job = mpirun(np, &example("scatter_gather_rows"), &[rows]);
            job.assert_ok();
            let want = format!("ok: {rows} rows over {np} ranks");
            job.check(
                job.stdout.lines().any(|l| l == want),
                &format!("expected {want:?}"),
            );
            job.check(
                job.stdout.matches(" rows\n").count() == np,
                "one line per rank",
            );
        }
    }
}
