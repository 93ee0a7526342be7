//! The Parallel Research Kernels and the NAS Parallel Benchmarks on mpikit: what the
//! programs share (the NPB programs' own pieces are in [`npb`]).
//!
//! Each `prk-*` program takes its C + MPI reference's arguments (ParRes/Kernels, MPI1), does
//! the reference's work with the reference's timing rules (iteration 0 untimed, a barrier
//! before iteration 1, the maximum over ranks), verifies by the reference's own formula and
//! prints the reference's lines ("Solution validates", "Rate (...): ... Avg time (s): ..."),
//! so a script can set the two outputs side by side. The work is written the way mpikit wants
//! programs written: DistArrays, their halos, stencils and redistributions, mpikit's
//! collectives and buffer messages.
//!
//! Exit status: 0 when the solution validates, 1 when it does not, 2 for bad arguments (one
//! line from rank 0).

pub mod npb;

use std::process::ExitCode;

use clap::Parser;
use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::{Error, World};

/// The version line every reference prints first.
pub const PRK_VERSION: &str = "Parallel Research Kernels version 2.17";

/// How a kernel ended.
pub enum Outcome {
    /// The solution validates.
    Validated,
    /// It does not (the kernel printed the reference's error line).
    Failed,
    /// The arguments cannot run on this job (one line for rank 0 to print).
    Invalid(String),
}

/// Options every kernel takes beside the reference's arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Compute threads per rank (default: MPIKIT_THREADS, else cores per node / ranks per
    /// node).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// A kernel's arguments: the reference's, then [`Common`].
pub trait KernelArgs: Parser {
    /// The options every kernel takes.
    fn common(&self) -> &Common;
}

/// Implements [`KernelArgs`] for an argument struct with a `common: Common` field.
#[macro_export]
macro_rules! kernel_args {
    ($args:ty) => {
        impl $crate::KernelArgs for $args {
            fn common(&self) -> &$crate::Common {
                &self.common
            }
        }
    };
}

/// Runs a kernel: MPI up ([`mpikit::run`]), arguments parsed (help and errors printed once),
/// the thread count set, the body, and the exit status of its [`Outcome`].
pub fn kernel_main<A: KernelArgs>(
    name: &'static str,
    body: impl FnOnce(&World, A) -> Result<Outcome, Error>,
) -> ExitCode {
    let code: u8 = mpikit::run(|world| {
        let parsed = A::command()
            .name(name)
            .bin_name(name)
            .try_get_matches()
            .and_then(|m| A::from_arg_matches(&m));
        let args = match parsed {
            Ok(args) => args,
            Err(e) => {
                if world.is_root() {
                    let _ = e.print();
                }
                return Ok::<u8, Error>(if e.use_stderr() { 2 } else { 0 });
            }
        };
        if let Some(t) = args.common().threads {
            world.set_threads(t)?;
        }
        Ok(match body(world, args)? {
            Outcome::Validated => 0,
            Outcome::Failed => 1,
            Outcome::Invalid(line) => {
                if world.is_root() {
                    eprintln!("{name}: ERROR: {line}");
                }
                2
            }
        })
    });
    ExitCode::from(code)
}

/// The reference's timing: [`start`](Timer::start) at every iteration (it starts the clock
/// after a barrier at iteration 1, so iteration 0 is an untimed warm-up), then
/// [`average`](Timer::average): the slowest rank's time over the timed iterations.
pub struct Timer {
    started: f64,
}

impl Default for Timer {
    fn default() -> Self {
        Timer::new()
    }
}

impl Timer {
    /// A clock not yet started.
    pub fn new() -> Timer {
        Timer { started: 0.0 }
    }

    /// Call at the top of iteration `iter`: at iteration 1, a barrier and the clock starts.
    pub fn start(&mut self, world: &World, iter: usize) {
        if iter == 1 {
            world.barrier();
            self.started = mpikit::mpi::time();
        }
    }

    /// This rank's time since the clock started.
    pub fn elapsed(&self) -> f64 {
        mpikit::mpi::time() - self.started
    }

    /// The slowest rank's time over `iterations` timed iterations (every rank gets it).
    pub fn average(&self, world: &World, iterations: usize) -> Result<f64, Error> {
        let slowest = world.allreduce_scalar(self.elapsed(), mpikit::ReduceOp::Max)?;
        Ok(slowest / iterations as f64)
    }
}

/// Prints a report line from rank 0.
pub fn say(world: &World, line: impl AsRef<str>) {
    if world.is_root() {
        println!("{}", line.as_ref());
    }
}

/// Prints the reference's two closing lines from rank 0: "Solution validates", then
/// `Rate (UNIT): RATE<gap>Avg time (s): AVG` (`gap` is one or two spaces, as each reference
/// prints it).
pub fn validated(world: &World, unit: &str, rate: f64, avg: f64, gap: &str) -> Outcome {
    say(world, "Solution validates");
    say(world, rate_line(unit, rate, avg, gap));
    Outcome::Validated
}

/// `Rate (UNIT): RATE<gap>Avg time (s): AVG`.
pub fn rate_line(unit: &str, rate: f64, avg: f64, gap: &str) -> String {
    format!("Rate ({unit}): {}{gap}Avg time (s): {}", lf(rate), lf(avg))
}

/// `%lf`: six decimals.
pub fn lf(x: f64) -> String {
    format!("{x:.6}")
}

/// C's `%e`: `1.000000e-08`.
pub fn e(x: f64) -> String {
    let s = format!("{x:.6e}");
    match s.split_once('e') {
        Some((m, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn c_formats() {
        assert_eq!(super::e(1e-8), "1.000000e-08");
        assert_eq!(super::e(12345.0), "1.234500e+04");
        assert_eq!(super::lf(0.5), "0.500000");
    }
}
