//! parsum's command line: flags, their parsing, and the checks that need no MPI.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mpikit::io::{ByteOrder, Dtype, ReadMode};
use mpikit::stats::{NanPolicy, Stat};
use serde::Serialize;

/// Largest accepted --len: the closed forms stay exact in 128-bit integers, and every x_i is
/// exact in f64.
pub const MAX_LEN: u64 = 1 << 42;

const AFTER_HELP: &str = "\
Data: without --input, x_i = i for i in 0..LEN as f64 (numpy: np.arange(LEN, dtype=float)),
split into balanced contiguous chunks, one per rank, and the result is checked against its
closed form (sum = N(N-1)/2, sumsq = (N-1)N(2N-1)/6, min 0, max N-1, mean (N-1)/2,
var (N^2-1)/12, count N); tolerance (N + 2) * 2.2e-16 relative (0 for min, max, count, and
for sum and sumsq with --reproducible, which must equal the correctly rounded exact sum).

With --input FILE, each rank reads only its own slice of the file (--read parallel, for a
shared file system) or rank 0 reads and scatters it piece by piece (--read root, for a file
on rank 0's node); no rank holds more than a few 1 MiB buffers, so files larger than memory
work. .npy files (1-D, or 2-D reduced over every element or per column with --axis 0) of
every numpy number type in either byte order: f64 f32 f16 i64 i32 i16 i8 u64 u32 u16 u8,
bool (summed as 0/1: the sum counts the true values) and complex c64 c128 (sum, mean and
count only); .npz archives (FILE.npz:NAME; stored members (np.savez) read by position,
deflated ones (np.savez_compressed) inflated once by rank 0 and scattered in 1 MiB pieces,
CRC-checked; for median, quantile and histogram each rank inflates up to its slice's end,
once per pass); HDF5 datasets (FILE.h5:/GROUP/DATASET, 1-D, 2-D or N-D, any of those
types: contiguous ones read by position like .npy, chunked or compressed ones through the
HDF5 library); raw binary with
--dtype (and --offset). f32 and f16 data is summed in f64; integer data is summed exactly in
128 bits (an overflow of sumsq is an error). var and std are population statistics (numpy's
ddof=0), merged with the parallel (Welford/Chan) formula.

Order statistics (--op median, quantile, histogram) are exact and equal to numpy's on the
same data (np.median, np.quantile with --method, np.histogram with --bins and --range; NaN as
--nan says: nanmedian and nanquantile with skip). Medians and quantiles never gather the
data: a sample brackets them and one pass over memory or file keeps the few values inside
(a distributed radix selection, about three passes, when the sample misleads); a histogram's
range is the data's min and max unless --range gives it. Integer data
is taken as f64, as numpy does. Files are read with --read parallel, over every element.

Memory: before allocating, every rank checks that the ranks on its node fit in the node's
available memory (and any cgroup limit); a job that cannot fit exits 2 with one line saying
what each rank needs and what to do instead.

Exit status: 0 done (and verified, for generated data), 1 result outside the tolerance,
2 bad usage or input, 124 time limit (--timeout) reached; a panic on any rank aborts the job
with a non-zero status.

Examples:
  mpirun -n 8 parsum                             # sum of squares of 1e8 values
  mpirun -n 2 parsum --len 1e9 --op mean --threads 4 --json
  mpirun -n 4 parsum gen --len 1e8 --out x.npy --pattern random --seed 1
  mpirun -n 4 parsum --input x.npy --op stats --reproducible
  mpirun -n 4 parsum --input table.npy --axis 0 --op mean --nan skip
  mpirun -n 2 parsum --input x.npy --op quantile --q 0.01,0.5,0.99 --method nearest
  mpirun -n 2 parsum --input run.npz:pressure --op histogram --bins 64 --range 0,1
  mpirun -n 4 parsum --input sim.h5:/fields/temperature --op stats
  mpirun -n 4 parsum gen --len 1e8 --out x.h5:/run/x --deflate 4
  mpirun -n 2 parsum --input data.bin --dtype '>f4' --offset 128 --read root
  MPIKIT_THREADS=2 srun parsum --mode scatter";

/// Distributed statistics (sum, sumsq, min, max, mean, var, std, count) of a generated array
/// or a data file, over MPI ranks and threads.
#[derive(Parser, Debug)]
#[command(name = "parsum", version, after_help = AFTER_HELP, color = clap::ColorChoice::Never,
          args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a test .npy or HDF5 file in parallel (atomically: a temporary file, then a rename)
    Gen(GenArgs),
}

/// Flags of a reduction run.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Number of generated elements N (accepts 100000000, 100_000_000 or 1e8)
    #[arg(long, value_name = "N", value_parser = parse_len, allow_hyphen_values = true,
          conflicts_with = "input")]
    pub len: Option<u64>,

    /// Statistic to compute (stats = count, sum, mean, std, min, max in one pass; median,
    /// quantile and histogram are exact, as numpy's, in a few passes over the data)
    #[arg(long, value_enum, default_value_t = OpArg::Stat(Stat::SumSq))]
    pub op: OpArg,

    /// --op quantile: the quantiles, each in [0, 1] (numpy's q), e.g. 0.01,0.5,0.99
    #[arg(long, value_name = "Q,...", value_delimiter = ',', value_parser = parse_q,
          allow_hyphen_values = true)]
    pub q: Option<Vec<f64>>,

    /// --op quantile: how a quantile between two values is chosen (numpy's method=)
    #[arg(long, value_enum, default_value_t = MethodArg::Linear)]
    pub method: MethodArg,

    /// --op histogram: the number of equal-width bins (numpy's bins=)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = parse_bins)]
    pub bins: usize,

    /// --op histogram: the range of the bins, LO,HI [default: the data's min and max]
    #[arg(long, value_name = "LO,HI", value_parser = parse_range, allow_hyphen_values = true)]
    pub range: Option<(f64, f64)>,

    /// Generated data: each rank builds only its own slice (generate), or rank 0 builds the
    /// whole array and scatters it (scatter)
    #[arg(long, value_enum, default_value_t = Mode::Generate, conflicts_with = "input")]
    pub mode: Mode,

    /// Read the data from FILE: .npy, .npz (FILE.npz:NAME for one array), HDF5
    /// (FILE.h5:/GROUP/DATASET, or FILE.h5 with one dataset), or raw binary with --dtype
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// FILE is raw binary of this type: f64 f32 f16 i64 i32 i16 i8 u64 u32 u16 u8 bool c64
    /// c128 (native byte order; '>f32' for big-endian) or a numpy type string such as '<f8',
    /// '>i2', '|b1' or '<c16' (so '<u8' is numpy's uint64, while u8 is one byte)
    #[arg(long, value_name = "TYPE", requires = "input", value_parser = parse_dtype)]
    pub dtype: Option<(Dtype, ByteOrder)>,

    /// Raw binary: bytes to skip at the start of FILE
    #[arg(long, value_name = "BYTES", requires = "dtype", value_parser = parse_offset)]
    pub offset: Option<u64>,

    /// Who reads FILE: every rank its own slice (parallel), or rank 0 for all (root)
    #[arg(long, value_enum, requires = "input")]
    pub read: Option<ReadArg>,

    /// Per-column results of a 2-D array (only 0, numpy's axis=0)
    #[arg(
        long,
        value_name = "AXIS",
        requires = "input",
        allow_hyphen_values = true
    )]
    pub axis: Option<String>,

    /// NaN values: propagate (any NaN makes the result NaN, like numpy.sum) or skip (like
    /// numpy.nansum; not counted)
    #[arg(long, value_enum, default_value_t = NanArg::Propagate)]
    pub nan: NanArg,

    /// Exact, correctly rounded floating-point sums (sum, sumsq, mean, and stats' sum and
    /// mean): bitwise identical for any number of ranks and threads
    #[arg(long)]
    pub reproducible: bool,

    /// Report read progress, rate and ETA on stderr (rank 0); auto: when stderr is a
    /// terminal
    #[arg(long, value_enum, value_name = "WHEN", num_args = 0..=1,
          default_missing_value = "always", default_value_t = WhenArg::Auto)]
    pub progress: WhenArg,

    /// Threads per rank [default: MPIKIT_THREADS, else cores per node / ranks per node];
    /// more than 8 per CPU the rank may use is capped there, with a warning
    #[arg(long, value_name = "T", value_parser = parse_threads, allow_hyphen_values = true)]
    pub threads: Option<usize>,

    /// Print one JSON object (rank 0) instead of the table
    #[arg(long)]
    pub json: bool,

    /// Abort the whole job if it has not finished after SECS seconds (a hung rank, a cut
    /// link), saying which phase each rank was in; exit status 124
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,

    /// Also write the JSON result to FILE (rank 0; written whole or not at all)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Testing aid: panic on this rank at the start of --fault-phase
    #[arg(long, hide = true, value_name = "RANK")]
    pub panic_on_rank: Option<i32>,

    /// Testing aid: this rank stops responding at the start of --fault-phase
    #[arg(long, hide = true, value_name = "RANK")]
    pub hang_on_rank: Option<i32>,

    /// Testing aid: the phase of --panic-on-rank and --hang-on-rank
    #[arg(long, hide = true, value_enum, default_value_t = Phase::Compute)]
    pub fault_phase: Phase,
}

/// Flags of `parsum gen`.
#[derive(Args, Debug)]
pub struct GenArgs {
    /// Number of elements
    #[arg(long, value_name = "N", value_parser = parse_len, allow_hyphen_values = true)]
    pub len: u64,

    /// Element type: f64 f32 f16 i64 i32 i16 i8 u64 u32 u16 u8 bool c64 c128, or a numpy
    /// type string ('>f8' for big-endian)
    #[arg(long, value_name = "TYPE", default_value = "f64", value_parser = parse_dtype)]
    pub dtype: (Dtype, ByteOrder),

    /// The file to write: FILE.npy, or FILE.h5 (one dataset, /data) or FILE.h5:/GROUP/NAME
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// File format [default: h5 when --out ends in .h5, .hdf5 or .he5, else npy]
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// HDF5: a chunked dataset of N elements per chunk (read back through the HDF5
    /// library); without --chunk or --deflate the dataset is contiguous and read by position
    #[arg(long, value_name = "N", value_parser = parse_chunk)]
    pub chunk: Option<u64>,

    /// HDF5: compress the chunks with deflate (gzip) at LEVEL 0-9 (implies chunked, 65536
    /// elements per chunk unless --chunk says)
    #[arg(long, value_name = "LEVEL", value_parser = clap::value_parser!(u8).range(0..=9))]
    pub deflate: Option<u8>,

    /// arange: x_i = i (modulo 2^bits for integer types, i odd for bool, i + 0j for
    /// complex); random: uniform in [0, 1) for floats (complex: real part), in [0, 1000000)
    /// for 32- and 64-bit integers, modulo 2^bits below, from --seed and i alone, so any
    /// number of ranks writes the same file
    #[arg(long, value_enum, default_value_t = Pattern::Arange)]
    pub pattern: Pattern,

    /// Seed of --pattern random
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,

    /// Threads per rank [default: as for a run]
    #[arg(long, value_name = "T", value_parser = parse_threads)]
    pub threads: Option<usize>,
}

/// `parsum gen`'s file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Npy,
    H5,
}

fn parse_chunk(s: &str) -> Result<u64, String> {
    let n = parse_len(s)?;
    if n == 0 {
        return Err("a chunk holds at least one element".into());
    }
    Ok(n)
}

/// The phases of a run, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    Setup,
    Distribute,
    Compute,
    Reduce,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Distribute => "distribute",
            Phase::Compute => "compute",
            Phase::Reduce => "reduce",
        }
    }
}

/// What `--op` asks for: one of the library's one-pass statistics ([`Stat`], the same list
/// and spellings), or an order statistic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpArg {
    /// sum, sumsq, min, max, mean, var, std, count or stats.
    Stat(Stat),
    Median,
    Quantile,
    Histogram,
}

impl OpArg {
    const ALL: [OpArg; 12] = [
        OpArg::Stat(Stat::Sum),
        OpArg::Stat(Stat::SumSq),
        OpArg::Stat(Stat::Min),
        OpArg::Stat(Stat::Max),
        OpArg::Stat(Stat::Mean),
        OpArg::Stat(Stat::Var),
        OpArg::Stat(Stat::Std),
        OpArg::Stat(Stat::Count),
        OpArg::Stat(Stat::Stats),
        OpArg::Median,
        OpArg::Quantile,
        OpArg::Histogram,
    ];

    /// An order statistic (median, quantile, histogram), not a one-pass summary.
    pub fn is_order(self) -> bool {
        !matches!(self, OpArg::Stat(_))
    }

    /// The flag's spelling.
    pub fn name(self) -> &'static str {
        match self {
            OpArg::Median => "median",
            OpArg::Quantile => "quantile",
            OpArg::Histogram => "histogram",
            OpArg::Stat(stat) => stat.name(),
        }
    }
}

impl ValueEnum for OpArg {
    fn value_variants<'a>() -> &'a [Self] {
        &OpArg::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// numpy's quantile methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    Linear,
    Lower,
    Higher,
    Nearest,
    Midpoint,
}

impl From<MethodArg> for mpikit::stats::QuantileMethod {
    fn from(m: MethodArg) -> mpikit::stats::QuantileMethod {
        match m {
            MethodArg::Linear => mpikit::stats::QuantileMethod::Linear,
            MethodArg::Lower => mpikit::stats::QuantileMethod::Lower,
            MethodArg::Higher => mpikit::stats::QuantileMethod::Higher,
            MethodArg::Nearest => mpikit::stats::QuantileMethod::Nearest,
            MethodArg::Midpoint => mpikit::stats::QuantileMethod::Midpoint,
        }
    }
}

/// The one-pass summary of an op; order statistics take none (their summary is a count).
impl From<OpArg> for Stat {
    fn from(op: OpArg) -> Stat {
        match op {
            OpArg::Stat(stat) => stat,
            OpArg::Median | OpArg::Quantile | OpArg::Histogram => Stat::Count,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Generate,
    Scatter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadArg {
    Parallel,
    Root,
}

impl From<ReadArg> for ReadMode {
    fn from(r: ReadArg) -> ReadMode {
        match r {
            ReadArg::Parallel => ReadMode::Parallel,
            ReadArg::Root => ReadMode::Root,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NanArg {
    Propagate,
    Skip,
}

impl From<NanArg> for NanPolicy {
    fn from(n: NanArg) -> NanPolicy {
        match n {
            NanArg::Propagate => NanPolicy::Propagate,
            NanArg::Skip => NanPolicy::Skip,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WhenArg {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Pattern {
    Arange,
    Random,
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

fn parse_offset(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| "expected a whole number of bytes, at least 0".into())
}

fn parse_q(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(q) if (0.0..=1.0).contains(&q) => Ok(q),
        Ok(q) => Err(format!("a quantile must be in [0, 1], got {q}")),
        Err(_) => Err("expected numbers in [0, 1] such as 0.01,0.5,0.99".into()),
    }
}

fn parse_bins(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(b) if (1..=1 << 24).contains(&b) => Ok(b),
        _ => Err("expected a whole number of bins from 1 to 16777216".into()),
    }
}

fn parse_range(s: &str) -> Result<(f64, f64), String> {
    let bad = || format!("expected LO,HI such as -1,1, got {s:?}");
    let (lo, hi) = s.split_once(',').ok_or_else(bad)?;
    let (lo, hi): (f64, f64) = (
        lo.trim().parse().map_err(|_| bad())?,
        hi.trim().parse().map_err(|_| bad())?,
    );
    if !lo.is_finite() || !hi.is_finite() {
        return Err(format!("the range {lo},{hi} is not finite"));
    }
    if lo > hi {
        return Err(format!(
            "the range {lo},{hi} is reversed (LO must not exceed HI)"
        ));
    }
    Ok((lo, hi))
}

fn parse_dtype(s: &str) -> Result<(Dtype, ByteOrder), String> {
    Dtype::parse(s.trim()).map_err(|e| e.to_string())
}

impl RunArgs {
    /// `--axis`: `Some(0)`, or an error for anything else.
    pub fn columns(&self) -> Result<bool, String> {
        match self.axis.as_deref().map(str::trim) {
            None => Ok(false),
            Some("0") => Ok(true),
            Some(other) => Err(format!(
                "--axis {other}: only --axis 0 (one result per column of a 2-D array) is \
                 supported"
            )),
        }
    }
}
