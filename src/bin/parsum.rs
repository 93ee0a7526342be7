//! parsum: a distributed reduction over a large generated array, verified against its closed
//! form. Launch with `mpirun -n 8 target/release/parsum`; see `parsum --help`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use mpikit::prelude::*;
use mpikit::{
    par_arange, MemorySummary, Partial, Partition, PhaseSummary, PhaseTimer, Stat, Watchdog, World,
};
use ndarray::Array1;
use serde::{Serialize, Serializer};

/// Largest accepted --len: the closed forms stay exact in 128-bit integers, and every x_i is
/// exact in f64.
const MAX_LEN: u64 = 1 << 42;

const AFTER_HELP: &str = "\
The data is x_i = i for i in 0..LEN as f64 (numpy: np.arange(0, LEN, dtype=float)), split
into balanced contiguous chunks, one per rank. Each rank reduces its chunk with THREADS
threads; one MPI reduction combines the ranks.

The result is checked against the closed form (sum = N(N-1)/2, sumsq = (N-1)N(2N-1)/6,
min = 0, max = N-1, mean = (N-1)/2; with N = 0 the identities 0, 0, +inf, -inf, NaN).
Tolerance: relative error at most (N + 2) * 2.2e-16 for sum, sumsq and mean (the worst-case
bound for summing N rounded non-negative terms in any order), exact for min and max.

Exit status: 0 verified, 1 result outside the tolerance, 2 bad usage or input, 124 time
limit (--timeout) reached; a panic on any rank aborts the job with a non-zero status.

Examples:
  mpirun -n 8 parsum                      # sum of squares of 1e8 values, 8 ranks
  mpirun -n 2 parsum --len 1e9 --op mean --threads 4 --json
  MPIKIT_THREADS=2 srun parsum --mode scatter";

/// Distributed sum / sum of squares / min / max / mean of 0..N over MPI ranks and threads.
#[derive(Parser, Debug)]
#[command(name = "parsum", version, after_help = AFTER_HELP, color = clap::ColorChoice::Never)]
struct Cli {
    /// Number of elements N (accepts 100000000, 100_000_000 or 1e8)
    #[arg(long, value_name = "N", default_value = "100_000_000", value_parser = parse_len, allow_hyphen_values = true)]
    len: u64,

    /// Reduction to compute
    #[arg(long, value_enum, default_value_t = OpArg::Sumsq)]
    op: OpArg,

    /// generate: each rank builds only its own slice; scatter: rank 0 builds the whole
    /// array and scatters it (MPI_Scatterv)
    #[arg(long, value_enum, default_value_t = Mode::Generate)]
    mode: Mode,

    /// Threads per rank [default: MPIKIT_THREADS, else cores per node / ranks per node]
    #[arg(long, value_name = "T", value_parser = parse_threads, allow_hyphen_values = true)]
    threads: Option<usize>,

    /// Print one JSON object (rank 0) instead of the table
    #[arg(long)]
    json: bool,

    /// Abort the whole job if it has not finished after SECS seconds (a hung rank, a cut
    /// link), saying which phase each rank was in; exit status 124
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    timeout: Option<f64>,

    /// Also write the JSON result to FILE (rank 0; written whole or not at all)
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Testing aid: panic on this rank at the start of --fault-phase
    #[arg(long, hide = true, value_name = "RANK")]
    panic_on_rank: Option<i32>,

    /// Testing aid: this rank stops responding at the start of --fault-phase
    #[arg(long, hide = true, value_name = "RANK")]
    hang_on_rank: Option<i32>,

    /// Testing aid: the phase of --panic-on-rank and --hang-on-rank
    #[arg(long, hide = true, value_enum, default_value_t = Phase::Compute)]
    fault_phase: Phase,
}

/// The phases of a run, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Phase {
    Setup,
    Distribute,
    Compute,
    Reduce,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Distribute => "distribute",
            Phase::Compute => "compute",
            Phase::Reduce => "reduce",
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OpArg {
    Sum,
    Sumsq,
    Min,
    Max,
    Mean,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Generate,
    Scatter,
}

fn parse_len(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let n = match t.parse::<u64>() {
        Ok(n) => n,
        Err(_) => match t.parse::<f64>() {
            Ok(f) if f < 0.0 => return Err("the length must not be negative".into()),
            Ok(f) if f.is_finite() && f.fract() == 0.0 && f <= MAX_LEN as f64 => f as u64,
            _ if t.starts_with('-') => return Err("the length must not be negative".into()),
            _ => {
                return Err("expected a whole number such as 100000000, 100_000_000 or 1e8".into())
            }
        },
    };
    if n > MAX_LEN {
        return Err(format!("at most 2^42 = {MAX_LEN} elements"));
    }
    Ok(n)
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 => Ok(t),
        _ => Err("expected a positive number of seconds".into()),
    }
}

fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(t) if t >= 1 => Ok(t),
        _ => Err("expected a whole number of threads, at least 1".into()),
    }
}

impl From<OpArg> for Stat {
    fn from(op: OpArg) -> Stat {
        match op {
            OpArg::Sum => Stat::Sum,
            OpArg::Sumsq => Stat::SumSq,
            OpArg::Min => Stat::Min,
            OpArg::Max => Stat::Max,
            OpArg::Mean => Stat::Mean,
        }
    }
}

/// A float that JSON can hold: numbers as numbers, non-finite values as "inf", "-inf", "nan".
#[derive(Clone, Copy, Debug)]
struct Num(f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            x if x.is_finite() => s.serialize_f64(x),
            x if x.is_nan() => s.serialize_str("nan"),
            x if x > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }
}

#[derive(Serialize)]
struct Timings {
    setup: f64,
    distribute: f64,
    compute: f64,
    reduce: f64,
    total: f64,
}

#[derive(Serialize)]
struct Report {
    op: Stat,
    len: u64,
    ranks: i32,
    /// Nodes the ranks run on (distinct shared-memory domains).
    nodes: u32,
    threads: usize,
    mode: Mode,
    result: Num,
    expected: Num,
    rel_error: Num,
    tolerance: f64,
    verified: bool,
    /// Bytes reduced per second of the slowest rank's compute phase.
    compute_gb_per_s: Num,
    /// Seconds, the slowest rank.
    timings: Timings,
    phases: Vec<PhaseSummary>,
    /// Peak resident memory per rank, bytes.
    peak_rss: MemorySummary,
}

/// The closed form for x_i = i, i in 0..n, from exact integer arithmetic.
fn expected(stat: Stat, n: u64) -> f64 {
    let n128 = u128::from(n);
    match (stat, n) {
        (Stat::Min, 0) => f64::INFINITY,
        (Stat::Max, 0) => f64::NEG_INFINITY,
        (Stat::Mean, 0) => f64::NAN,
        (Stat::Sum, _) => (n128 * n128.saturating_sub(1) / 2) as f64,
        (Stat::SumSq, _) => {
            (n128.saturating_sub(1) * n128 * (2 * n128).saturating_sub(1) / 6) as f64
        }
        (Stat::Min, _) => 0.0,
        (Stat::Max, _) => (n - 1) as f64,
        (Stat::Mean, _) => (n - 1) as f64 / 2.0,
    }
}

fn rel_error(result: f64, expected: f64) -> f64 {
    if !expected.is_finite() || !result.is_finite() {
        let same = result == expected || (result.is_nan() && expected.is_nan());
        return if same { 0.0 } else { f64::INFINITY };
    }
    let diff = (result - expected).abs();
    if expected == 0.0 {
        diff
    } else {
        diff / expected.abs()
    }
}

fn tolerance(stat: Stat, n: u64) -> f64 {
    match stat {
        Stat::Min | Stat::Max => 0.0,
        _ => (n as f64 + 2.0) * f64::EPSILON,
    }
}

fn run(world: &World, cli: Cli) -> Result<(Report, Option<Output>), mpikit::Error> {
    let comm = world.comm();
    let (rank, size) = (world.rank(), world.size());
    let threads = cli.threads.unwrap_or_else(|| world.threads());
    let stat = Stat::from(cli.op);
    let n = usize::try_from(cli.len)
        .map_err(|_| mpikit::Error::input("--len does not fit this machine's address space"))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| mpikit::Error::input(format!("cannot start {threads} threads: {e}")))?;
    let mine = Partition::new(n, size as usize).range(rank as usize);
    let output = prepare_output(comm, rank, cli.output.as_deref())?;
    let dog = cli
        .timeout
        .map(|t| Watchdog::start(Duration::from_secs_f64(t), "parsum"));
    // Each phase starts here: the watchdog learns it, and the testing aids act in it.
    let enter = |phase: Phase| {
        if let Some(dog) = &dog {
            dog.phase(phase.name());
        }
        if cli.fault_phase == phase && cli.panic_on_rank == Some(rank) {
            panic!(
                "deliberate panic requested with --panic-on-rank {rank} in {}",
                phase.name()
            );
        }
        if cli.fault_phase == phase && cli.hang_on_rank == Some(rank) {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    };

    comm.barrier();
    let start = mpi::time();
    let mut timer = PhaseTimer::new();
    enter(Phase::Setup);
    let chunk: Array1<f64> = match cli.mode {
        Mode::Generate => {
            let chunk = timer.time("setup", || par_arange(mine.start, mine.len(), &pool));
            enter(Phase::Distribute);
            timer.record("distribute", 0.0);
            Array1::from_vec(chunk)
        }
        Mode::Scatter => {
            let full = timer.time("setup", || {
                (rank == 0).then(|| Array1::from_vec(par_arange(0, n, &pool)))
            });
            enter(Phase::Distribute);
            // The root's full array is dropped as soon as it is scattered.
            timer.time("distribute", || comm.scatter_rows(0, full.as_ref()))?
        }
    };
    let data = chunk.as_slice().expect("fresh arrays are contiguous");
    enter(Phase::Compute);
    let partial = timer.time("compute", || Partial::local(stat, data, &pool));
    enter(Phase::Reduce);
    let result = timer.time("reduce", || partial.combine(comm));
    timer.record("total", mpi::time() - start);
    drop(chunk);

    let phases = timer.summarize(comm);
    let peak_rss = MemorySummary::gather(comm);
    if let Some(dog) = &dog {
        dog.disarm();
    }
    let max_of = |name: &str| {
        phases
            .iter()
            .find(|p| p.name == name)
            .map_or(0.0, |p| p.max)
    };
    let expected = expected(stat, cli.len);
    let rel_error = rel_error(result, expected);
    let tolerance = tolerance(stat, cli.len);
    let compute = max_of("compute");
    let report = Report {
        op: stat,
        len: cli.len,
        ranks: size,
        nodes: comm.allreduce_scalar(u32::from(world.local_rank() == 0), mpikit::ReduceOp::Sum),
        threads,
        mode: cli.mode,
        result: Num(result),
        expected: Num(expected),
        rel_error: Num(rel_error),
        tolerance,
        verified: rel_error <= tolerance,
        compute_gb_per_s: Num(cli.len as f64 * 8.0 / compute / 1e9),
        timings: Timings {
            setup: max_of("setup"),
            distribute: max_of("distribute"),
            compute,
            reduce: max_of("reduce"),
            total: max_of("total"),
        },
        phases,
        peak_rss,
    };
    Ok((report, output))
}

/// Rank 0's output file in the making: written to a temporary file beside it, renamed over
/// it when complete, removed if the run fails.
struct Output {
    path: PathBuf,
    tmp: PathBuf,
}

impl Output {
    fn commit(self, json: &str) -> std::io::Result<()> {
        std::fs::write(&self.tmp, format!("{json}\n"))?;
        std::fs::File::open(&self.tmp)?.sync_all()?;
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Checks on rank 0, before any work, that `--output` can be written, and agrees on the
/// answer with every rank (one broadcast), so a bad path fails fast and everywhere.
fn prepare_output<C: Communicator>(
    comm: &C,
    rank: i32,
    path: Option<&std::path::Path>,
) -> Result<Option<Output>, mpikit::Error> {
    let Some(path) = path else { return Ok(None) };
    let mut problem = None;
    let mut output = None;
    if rank == 0 {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        if name.is_empty() || path.is_dir() {
            problem = Some(format!("--output {}: not a file name", path.display()));
        } else {
            match std::fs::File::create(&tmp) {
                Ok(_) => {
                    output = Some(Output {
                        path: path.to_path_buf(),
                        tmp,
                    })
                }
                Err(e) => problem = Some(format!("--output {}: {e}", path.display())),
            }
        }
    }
    let mut ok = [u8::from(problem.is_none())];
    comm.process_at_rank(0).broadcast_into(&mut ok[..]);
    if ok[0] == 0 {
        return Err(mpikit::Error::input(
            problem.unwrap_or_else(|| "--output cannot be written".into()),
        ));
    }
    Ok(output)
}

fn print_table(r: &Report) {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    println!(
        "parsum: {} of x_i = i, i in 0..{} (f64), {} on {} x {} per rank, mode {}",
        r.op,
        r.len,
        plural(r.ranks as usize, "rank"),
        plural(r.nodes as usize, "node"),
        plural(r.threads, "thread"),
        serde_json::to_value(r.mode)
            .unwrap()
            .as_str()
            .unwrap_or("?"),
    );
    println!("  result     {:e}", r.result.0);
    println!("  expected   {:e}", r.expected.0);
    println!(
        "  rel_error  {:.3e} (tolerance {:.3e}): {}",
        r.rel_error.0,
        r.tolerance,
        if r.verified {
            "verified"
        } else {
            "NOT VERIFIED"
        }
    );
    println!(
        "  compute    {:.2} GB/s (bytes / slowest rank's compute time)",
        r.compute_gb_per_s.0
    );
    print!("{}", mpikit::report::table(&r.phases));
    print!("{}", r.peak_rss.line());
}

/// Prints `msg` once, from rank 0 (or, before MPI is up, the launcher's rank 0).
fn print_once(rank: i32, msg: &str) {
    if rank == 0 {
        eprintln!("{msg}");
    }
}

fn main() -> ExitCode {
    let world = match World::init() {
        Ok(w) => w,
        Err(e) => {
            let rank = mpikit::launcher_rank_and_size().map_or(0, |(r, _)| r);
            print_once(rank, &format!("parsum: {e}"));
            if rank != 0 {
                // The launcher ends the job at the first failed process; give rank 0 the
                // moment it needs to say why.
                std::thread::sleep(Duration::from_millis(300));
            }
            return ExitCode::from(2);
        }
    };
    // A binary launched by another MPI's launcher runs as N separate 1-rank jobs.
    if let Some(launched) = mpikit::launcher_mismatch(world.size()) {
        let rank = mpikit::launcher_rank_and_size().map_or(0, |(r, _)| r);
        print_once(
            rank,
            &format!(
                "parsum: MPI says this job has {} rank(s), but the launcher started {launched} \
                 processes: the launcher belongs to another MPI than the one parsum was built \
                 with (use that MPI's mpirun/mpiexec, or rebuild with scripts/setup.sh --mpi ...)",
                world.size()
            ),
        );
        drop(world);
        if rank != 0 {
            // As above: the launcher may end everything at the first failed process.
            std::thread::sleep(Duration::from_millis(300));
        }
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            let code = match e.kind() {
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand => {
                    if world.is_root() {
                        let _ = e.print();
                    }
                    0
                }
                _ => {
                    let text = e.to_string();
                    let line = text
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim_start_matches("error: ");
                    print_once(world.rank(), &format!("parsum: {line} (see parsum --help)"));
                    2
                }
            };
            drop(world);
            return ExitCode::from(code);
        }
    };
    let json = cli.json;
    let code = match run(&world, cli) {
        Ok((report, output)) => {
            let text = serde_json::to_string(&report).expect("report serialises");
            if world.is_root() {
                if json {
                    println!("{text}");
                } else {
                    print_table(&report);
                }
            }
            if let Some(output) = output {
                let path = output.path.display().to_string();
                if let Err(e) = output.commit(&text) {
                    eprintln!("parsum: --output {path}: {e}");
                    drop(world);
                    return ExitCode::from(2);
                }
            }
            if report.verified {
                0
            } else {
                print_once(world.rank(), "parsum: result outside the tolerance");
                1
            }
        }
        Err(e) => {
            print_once(world.rank(), &format!("parsum: {e}"));
            2
        }
    };
    drop(world);
    ExitCode::from(code)
}
