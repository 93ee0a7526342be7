//! The examples under mpirun, each self-checking (a failed check panics, which aborts the
//! job), on 1, 2 and 4 ranks; the DistArray examples on 1, 2, 3, 4 and 8.

mod common;

use common::{example, have_mpirun, mpirun};

/// Runs `name args` on 1, 2 and 4 ranks; each run must exit 0 and print one line that is
/// `want(np)`, or `want(np)` followed by a space or comma and measured details.
fn check(name: &str, args: &[&str], want: impl Fn(usize) -> String) {
    check_on(&[1, 2, 4], name, args, want)
}

/// [`check`] on the rank counts `ranks`.
fn check_on(ranks: &[usize], name: &str, args: &[&str], want: impl Fn(usize) -> String) {
    if !have_mpirun(name) {
        return;
    }
    for &np in ranks {
        let job = mpirun(np, &example(name), args);
        job.assert_ok();
        let line = want(np);
        let matches = |l: &&str| {
            l.strip_prefix(line.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ',']))
        };
        job.check(
            job.stdout.lines().filter(matches).count() == 1,
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

#[test]
fn pool_map() {
    check("pool_map", &[], |np| format!("ok: pool.map on {np} ranks"));
}

#[test]
fn heavy_computation() {
    check("heavy_computation", &["100000"], |np| {
        format!("ok: 8 tasks on {np} ranks")
    });
}

#[test]
fn chunked_sum_of_squares() {
    check("chunked_sum_of_squares", &["1000003", "4"], |np| {
        format!("ok: 4 chunks of 1000003 values on {np} ranks")
    });
}

#[test]
fn producer_consumer() {
    check("producer_consumer", &["7"], |np| {
        let producers = if np >= 4 { 2 } else { 1 };
        format!(
            "ok: {} items from {producers} producers consumed on {np} ranks",
            7 * producers
        )
    });
}

#[test]
fn error_handling() {
    check("error_handling", &[], |np| {
        format!("ok: 4 results and 1 error (division by zero for item: 0) on {np} ranks")
    });
}

#[test]
fn sleep_tasks() {
    check("sleep_tasks", &["0.05"], |np| {
        format!("ok: 8 sleeps on {np} ranks")
    });
}

#[test]
fn shared_counter() {
    check("shared_counter", &["4", "10000"], |np| {
        format!("ok: {np} ranks x 4 threads x 10000 increments")
    });
}

#[test]
fn lock_counter() {
    check_on(&[1, 2, 3, 4], "lock_counter", &["10", "3", "100"], |np| {
        format!("ok: {np} ranks x 3 threads x 10 rounds x 100 increments under one Mutex")
    });
}

#[test]
fn self_scheduling() {
    check_on(&[1, 2, 3, 4], "self_scheduling", &["500"], |np| {
        format!("ok: 500 tasks on {np} ranks")
    });
}

/// One copy per node: the node's memory (its ranks' PSS summed) stays within one copy of
/// the table plus 64 MiB per rank, where copies per rank would need the table times ranks.
#[test]
fn shared_table() {
    if !have_mpirun("shared_table") {
        return;
    }
    for np in [1, 2, 3, 4] {
        let job = mpirun(np, &example("shared_table"), &["128"]);
        job.assert_ok();
        let last = job.stdout.lines().last().unwrap_or_default().to_string();
        let words: Vec<&str> = last.split_whitespace().collect();
        let number = |k: usize| words.get(k).and_then(|w| w.parse::<u64>().ok());
        let (node, ranks, copy) = (number(2), number(5), number(9));
        job.check(
            last.starts_with("node memory: ") && ranks == Some(np as u64) && copy == Some(128),
            &format!(
                "a last line `node memory: X MiB for {np} ranks, one copy 128 MiB`, got {last:?}"
            ),
        );
        let node = node.unwrap_or(u64::MAX);
        job.check(
            node <= 128 + 64 * np as u64,
            &format!("node memory {node} MiB for {np} ranks: more than one copy + 64 MiB per rank"),
        );
    }
}

#[test]
fn gups() {
    check_on(&[1, 2, 3, 4], "gups", &["12", "2"], |np| {
        format!("ok: gups on {np} ranks, table 2^12")
    });
}

#[test]
fn threads_for_io() {
    check("threads_for_io", &["16", "5", "8"], |_| {
        "ok: threads and ranks agree on 16 tasks".to_string()
    });
}

#[test]
fn shift() {
    for cells in ["1000", "3"] {
        check("shift", &[cells], |np| {
            format!("ok: halos of {cells} cells along {np} ranks, PROC_NULL at the ends")
        });
    }
}

#[test]
fn wait_any() {
    check("wait_any", &[], |np| {
        format!("ok: {} answers from {} workers", np - 1, np - 1)
    });
}

/// Every rank count the DistArray tests use: uneven blocks at 3, a 2-D grid from 4.
const ALL_RANKS: [usize; 5] = [1, 2, 3, 4, 8];

#[test]
fn heat_2d() {
    // Overlapped and blocking exchanges, on a balanced 2-D grid and on row blocks; 61 x 37
    // gives uneven blocks along both axes.
    for mode in [&[][..], &["--blocking"], &["--rows"]] {
        let mut args = vec!["61", "37", "15"];
        args.extend_from_slice(mode);
        check_on(&ALL_RANKS, "heat_2d", &args, |np| {
            format!(
                "ok: heat_2d 61x37, 15 steps on {np} ranks, equal to the serial run bit for bit"
            )
        });
    }
}

#[test]
fn kmeans() {
    // 5 points on 8 ranks leaves blocks empty.
    for (n, k) in [("20011", "4"), ("5", "2")] {
        check_on(&ALL_RANKS, "kmeans", &[n, "3", k, "8"], |np| {
            format!("ok: kmeans {n} points, 3 dims, {k} clusters, 8 iterations on {np} ranks, as the serial run")
        });
    }
}

#[test]
fn histogram() {
    for (rows, cols) in [("301", "77"), ("3", "2")] {
        check_on(&ALL_RANKS, "histogram", &[rows, cols, "13"], |np| {
            format!("ok: histogram of {rows}x{cols} values in 13 bins on {np} ranks, as the serial count")
        });
    }
}

#[test]
fn npy_sum() {
    // 5 values on 8 ranks leaves blocks empty.
    for n in ["1000003", "5"] {
        check_on(&ALL_RANKS, "npy_sum", &[n], |np| {
            format!("ok: {n} values on {np} ranks, as the closed form")
        });
    }
}
