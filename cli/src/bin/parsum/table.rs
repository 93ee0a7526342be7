//! The report as text: the table rank 0 prints without `--json`.

use crate::report::{Report, Result1};

pub fn print_table(r: &Report) {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let what = match &r.input {
        None => format!("x_i = i, i in 0..{} (f64)", r.len),
        Some(i) => format!(
            "{} ({} {} values, shape {:?}, {} read)",
            i.path.display(),
            r.len,
            i.dtype,
            i.shape,
            serde_json::to_value(i.read)
                .unwrap()
                .as_str()
                .unwrap_or("?")
        ),
    };
    println!(
        "parsum: {}{} of {what}, {} on {} x {} per rank, mode {}",
        r.op,
        if r.reproducible {
            " (reproducible)"
        } else {
            ""
        },
        plural(r.ranks as usize, "rank"),
        plural(r.nodes as usize, "node"),
        plural(r.threads, "thread"),
        r.mode,
    );
    match &r.result {
        Result1::One(v) => println!("  result     {v}"),
        Result1::Columns(vs) => {
            for (c, v) in vs.iter().enumerate() {
                println!("  column {c:<4} {v}");
            }
        }
    }
    if let (Some(e), Some(err), Some(tol), Some(ok)) =
        (&r.expected, &r.rel_error, r.tolerance, r.verified)
    {
        println!("  expected   {e}");
        println!(
            "  rel_error  {:.3e} (tolerance {tol:.3e}): {}",
            err.to_f64(),
            if ok { "verified" } else { "NOT VERIFIED" }
        );
    }
    println!(
        "  compute    {:.2} GB/s (bytes / slowest rank's compute time)",
        r.compute_gb_per_s.to_f64()
    );
    print!("{}", mpikit::runtime::report::table(&r.phases));
    print!("{}", r.peak_rss.line());
}
