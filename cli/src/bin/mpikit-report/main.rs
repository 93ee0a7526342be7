//! mpikit-report: turns the raw samples of the benchmark scripts (`.bench/*.csv`) into one
//! table, `bench/results.csv` (one row per measurement: name, ranks, threads, size, median,
//! min, max, unit, peer), and PNG plots (plotters).
//!
//!     target/release/mpikit-report [--raw .bench] [--out bench] [--font FILE.ttf]
//!
//! Run by `scripts/bench.sh` after the benchmarks; it needs no MPI.

mod chart;
mod plots;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

/// Benchmark samples in, results.csv and plots out.
#[derive(Parser, Debug)]
#[command(name = "mpikit-report", version)]
struct Cli {
    /// Folder with the scripts' raw samples (parsum.csv, collectives-*.csv, pool.csv,
    /// files.csv, stencil.csv, reduce.csv, kernels.csv; missing ones are left out)
    #[arg(long, default_value = ".bench")]
    raw: PathBuf,

    /// Folder for results.csv and the PNG plots
    #[arg(long, default_value = "bench")]
    out: PathBuf,

    /// A TrueType font for the plots' text
    #[arg(
        long,
        default_value = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    )]
    font: PathBuf,
}

/// One measurement: the median (min, max) of its samples.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub ranks: u32,
    pub threads: String,
    pub size: u64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub unit: &'static str,
    pub peer: String,
}

/// Samples grouped by measurement, in first-seen order.
#[derive(Default)]
struct Groups {
    order: Vec<Key>,
    samples: BTreeMap<Key, Vec<f64>>,
}

type Key = (String, u32, String, u64, &'static str, String);

impl Groups {
    fn add(&mut self, key: Key, v: f64) {
        if !v.is_finite() {
            return;
        }
        if !self.samples.contains_key(&key) {
            self.order.push(key.clone());
        }
        self.samples.entry(key).or_default().push(v);
    }

    fn rows(self) -> Vec<Row> {
        self.order
            .iter()
            .map(|k| {
                let mut s = self.samples[k].clone();
                s.sort_by(f64::total_cmp);
                let n = s.len();
                let median = if n % 2 == 1 {
                    s[n / 2]
                } else {
                    (s[n / 2 - 1] + s[n / 2]) / 2.0
                };
                Row {
                    name: k.0.clone(),
                    ranks: k.1,
                    threads: k.2.clone(),
                    size: k.3,
                    median,
                    min: s[0],
                    max: s[n - 1],
                    unit: k.4,
                    peer: k.5.clone(),
                }
            })
            .collect()
    }
}

/// The rows of a CSV file with a header line, as string fields; `None` if it is missing.
fn read_csv(path: &Path) -> Option<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|f| f.trim().to_string()).collect())
            .collect(),
    )
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

/// `parsum.csv`: round, name, seconds, compute GB/s, N.
fn parsum_rows(raw: &Path, g: &mut Groups) {
    let Some(rows) = read_csv(&raw.join("parsum.csv")) else {
        return;
    };
    for r in rows {
        let [_, name, secs, gbs, ..] = &r[..] else {
            continue;
        };
        let size = r.get(4).map_or(0, |l| num(l) as u64);
        if name == "yardstick" {
            g.add(
                (
                    "read yardstick".into(),
                    1,
                    "all".into(),
                    size,
                    "GB/s",
                    "C OpenMP".into(),
                ),
                num(gbs),
            );
            continue;
        }
        let (peer, ranks, threads) = match name.as_str() {
            "python Pool(4)" => ("multiprocessing.Pool(4)", 4, "1"),
            "numpy 1 process" => ("numpy", 1, "1"),
            "mpi4py -n 2" => ("mpi4py", 2, "1"),
            n => {
                let ranks = n
                    .split_whitespace()
                    .skip_while(|w| *w != "-n")
                    .nth(1)
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(0);
                (
                    "mpikit",
                    ranks,
                    if n.contains("-t 1") { "1" } else { "auto" },
                )
            }
        };
        g.add(
            (
                "parsum time".into(),
                ranks,
                threads.into(),
                size,
                "s",
                peer.into(),
            ),
            num(secs),
        );
        if peer == "mpikit" {
            g.add(
                (
                    "parsum compute".into(),
                    ranks,
                    threads.into(),
                    size,
                    "GB/s",
                    peer.into(),
                ),
                num(gbs),
            );
        }
    }
}

/// `collectives-{floats,bytes}.csv` and `immediate.csv`: round, bench, bytes, ranks,
/// variant, seconds.
fn collective_rows(raw: &Path, g: &mut Groups) {
    for payload in ["floats", "bytes", "immediate"] {
        let file = match payload {
            "immediate" => "immediate.csv".to_string(),
            p => format!("collectives-{p}.csv"),
        };
        let Some(rows) = read_csv(&raw.join(file)) else {
            continue;
        };
        for r in rows {
            let [_, bench, bytes, ranks, variant, secs, ..] = &r[..] else {
                continue;
            };
            if variant == "object-bytes" {
                continue; // bytes moved, not a time (reduce.csv has them)
            }
            let name = match payload {
                "immediate" => bench.clone(),
                p => format!("{bench} ({p})"),
            };
            let key = (
                name,
                num(ranks) as u32,
                "1".into(),
                num(bytes) as u64,
                "s",
                variant.clone(),
            );
            g.add(key, num(secs));
        }
    }
}

/// `pool.csv`: round, bench, chunksize, peer, value.
fn pool_rows(raw: &Path, g: &mut Groups) {
    let Some(rows) = read_csv(&raw.join("pool.csv")) else {
        return;
    };
    for r in rows {
        let [_, bench, chunk, peer, value, ..] = &r[..] else {
            continue;
        };
        let (name, unit) = match bench.as_str() {
            "tasks" => ("pool tiny tasks", "tasks/s"),
            _ => ("pool skewed makespan", "s"),
        };
        // "mpikit Pool -n 16" ran on 16 ranks, the rest on 2.
        let ranks = peer
            .rsplit_once("-n ")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(2);
        g.add(
            (
                name.into(),
                ranks,
                "1".into(),
                num(chunk) as u64,
                unit,
                peer.clone(),
            ),
            num(value),
        );
    }
}

/// `files.csv`: round, name, seconds, read+compute seconds, N.
fn file_rows(raw: &Path, g: &mut Groups) {
    let Some(rows) = read_csv(&raw.join("files.csv")) else {
        return;
    };
    for r in rows {
        let [_, name, secs, phase, ..] = &r[..] else {
            continue;
        };
        let size = r.get(4).map_or(0, |l| num(l) as u64);
        let ranks = if name.starts_with("parsum") || name.starts_with("generated") {
            2
        } else {
            1
        };
        g.add(
            (
                "file sum time".into(),
                ranks,
                "auto".into(),
                size,
                "s",
                name.clone(),
            ),
            num(secs),
        );
        if !phase.is_empty() {
            g.add(
                (
                    "file sum phase".into(),
                    ranks,
                    "auto".into(),
                    size,
                    "s",
                    name.clone(),
                ),
                num(phase),
            );
        }
    }
}

/// `reduce.csv`: round, bench, bytes, ranks, variant, seconds (or bytes per rank for the
/// `object-bytes` variant): the object allreduce by rank count.
fn reduce_rows(raw: &Path, g: &mut Groups) {
    let Some(rows) = read_csv(&raw.join("reduce.csv")) else {
        return;
    };
    for r in rows {
        let [_, _, bytes, ranks, variant, value, ..] = &r[..] else {
            continue;
        };
        let (name, unit) = if variant == "object-bytes" {
            ("object allreduce bytes per rank", "B")
        } else {
            ("object allreduce by ranks", "s")
        };
        let key = (
            name.to_string(),
            num(ranks) as u32,
            "1".to_string(),
            num(bytes) as u64,
            unit,
            variant.clone(),
        );
        g.add(key, num(value));
    }
}

/// `stencil.csv`: round, ranks, variant, seconds, halo ms per step, sum, size, steps.
fn stencil_rows(raw: &Path, g: &mut Groups) {
    let Some(rows) = read_csv(&raw.join("stencil.csv")) else {
        return;
    };
    for r in rows {
        let [_, ranks, variant, secs, halo, _, size, ..] = &r[..] else {
            continue;
        };
        let key = |name: &str, unit| {
            let ranks = num(ranks) as u32;
            (
                name.to_string(),
                ranks,
                "auto".to_string(),
                num(size) as u64,
                unit,
                variant.clone(),
            )
        };
        g.add(key("stencil time", "s"), num(secs));
        g.add(key("stencil halo", "ms/step"), num(halo));
    }
}

/// `kernels.csv`: round, kernel, arguments, ranks, threads, variant, seconds, rate,
/// validated. Two rows (time, rate) per kernel, arguments, ranks, threads and side (`mpikit`,
/// `C`).
fn kernel_rows(raw: &Path, g: &mut Groups) {
    let Some(rows) = read_csv(&raw.join("kernels.csv")) else {
        return;
    };
    for r in rows {
        let [_, kernel, args, ranks, threads, variant, secs, rate, ..] = &r[..] else {
            continue;
        };
        let peer = if variant == "c" { "C" } else { "mpikit" };
        let name = format!("prk {kernel} {}", args.replace('_', " "));
        let key = |name: String, unit| {
            (
                name,
                num(ranks) as u32,
                threads.clone(),
                0,
                unit,
                peer.to_string(),
            )
        };
        g.add(key(name.clone(), "s"), num(secs));
        // The rate lines carry more digits than the times of small sizes.
        let unit = if kernel == "random" {
            "GUPS"
        } else if kernel == "transpose" || kernel == "nstream" {
            "MB/s"
        } else {
            "MFlops/s"
        };
        g.add(key(format!("{name} rate"), unit), num(rate));
    }
}

fn write_results(path: &Path, rows: &[Row]) -> std::io::Result<()> {
    let mut text = String::from("name,ranks,threads,size,median,min,max,unit,peer\n");
    for r in rows {
        let _ = writeln!(
            text,
            "{},{},{},{},{:.6e},{:.6e},{:.6e},{},{}",
            r.name, r.ranks, r.threads, r.size, r.median, r.min, r.max, r.unit, r.peer
        );
    }
    let tmp = path.with_extension("csv.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut g = Groups::default();
    parsum_rows(&cli.raw, &mut g);
    collective_rows(&cli.raw, &mut g);
    pool_rows(&cli.raw, &mut g);
    file_rows(&cli.raw, &mut g);
    stencil_rows(&cli.raw, &mut g);
    reduce_rows(&cli.raw, &mut g);
    kernel_rows(&cli.raw, &mut g);
    let rows = g.rows();
    if rows.is_empty() {
        eprintln!(
            "mpikit-report: no samples in {} (run scripts/bench.sh)",
            cli.raw.display()
        );
        return ExitCode::from(2);
    }
    if let Err(e) = std::fs::create_dir_all(&cli.out) {
        eprintln!("mpikit-report: {}: {e}", cli.out.display());
        return ExitCode::from(2);
    }
    let results = cli.out.join("results.csv");
    if let Err(e) = write_results(&results, &rows) {
        eprintln!("mpikit-report: {}: {e}", results.display());
        return ExitCode::from(2);
    }
    println!(
        "mpikit-report: {} rows in {}",
        rows.len(),
        results.display()
    );
    match plots::draw_all(&rows, &cli.out, &cli.font) {
        Ok(files) => {
            for f in files {
                println!("mpikit-report: plot {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mpikit-report: plots: {e}");
            ExitCode::from(2)
        }
    }
}
