//! What the NAS Parallel Benchmarks on mpikit share: the problem classes, NPB's random number
//! generator (`randlc` / `vranlc`, the 46-bit linear congruential generator
//! x_{k+1} = a·x_k mod 2^46 with NPB's multiplier and seeds), and the report every NPB
//! program ends with ("Verification = SUCCESSFUL", "Mop/s total").
//!
//! Each `npb-*` program takes the class as its first argument (`mpirun -n 4 npb-cg A`),
//! follows NPB 3.4's algorithm and random numbers so that its answer is NPB's, verifies
//! against NPB's published values, and prints NPB's report from rank 0. Exit status: 0 when
//! verified, 1 when not, 2 for arguments the job cannot run.

use mpikit::{Error, World};

use crate::{Common, Outcome};

/// The arguments of every NPB program: the class, then [`Common`].
#[derive(clap::Parser, Debug)]
#[command(
    version,
    about = "A NAS Parallel Benchmark on mpikit (NPB 3.4's algorithm, random numbers and verification)"
)]
pub struct Args {
    /// The problem class.
    #[arg(value_enum, ignore_case = true)]
    pub class: Class,
    #[command(flatten)]
    pub common: Common,
}

crate::kernel_args!(Args);

/// An NPB problem class: S (sample), W (workstation), A, B and C (standard sizes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Class {
    /// The sample size (seconds on one core).
    S,
    /// The workstation size.
    W,
    /// Class A.
    A,
    /// Class B.
    B,
    /// Class C.
    C,
}

impl Class {
    /// The class letter.
    pub fn letter(self) -> char {
        match self {
            Class::S => 'S',
            Class::W => 'W',
            Class::A => 'A',
            Class::B => 'B',
            Class::C => 'C',
        }
    }
}

/// NPB's multiplier a = 5^13.
pub const MULTIPLIER: f64 = 1_220_703_125.0;

const MASK: u64 = (1 << 46) - 1;
const R46: f64 = 1.0 / (1u64 << 46) as f64;

/// NPB's `randlc(x, a)`: advances the seed `x` to a·x mod 2^46 and returns it times 2^-46,
/// a uniform number in (0, 1). `x` and `a` are odd integers below 2^46 held in doubles, as in
/// NPB; the product is exact here (integer arithmetic), as NPB's split multiplication makes it.
///
/// # Examples
/// ```
/// use mpikit_kernels::npb::{randlc, MULTIPLIER};
/// let mut x = 314_159_265.0;
/// let r = randlc(&mut x, MULTIPLIER);
/// assert_eq!(x, (314_159_265u64 * 1_220_703_125 % (1 << 46)) as f64);
/// assert_eq!(r, x / 2f64.powi(46));
/// ```
#[inline]
pub fn randlc(x: &mut f64, a: f64) -> f64 {
    let next = (*x as u64).wrapping_mul(a as u64) & MASK;
    *x = next as f64;
    next as f64 * R46
}

/// NPB's `vranlc(n, x, a, y)`: fills `y` with the next `y.len()` numbers of the sequence
/// (what `randlc` would return one by one) and leaves `x` at the last seed.
#[inline]
pub fn vranlc(x: &mut f64, a: f64, y: &mut [f64]) {
    let (mut s, a) = (*x as u64, a as u64);
    for out in y.iter_mut() {
        s = s.wrapping_mul(a) & MASK;
        *out = s as f64 * R46;
    }
    *x = s as f64;
}

/// a^n mod 2^46 as a double (NPB's `ipow46` and the seed jumps of EP and IS): the multiplier
/// that advances the sequence by `n` steps.
pub fn power(a: f64, n: u64) -> f64 {
    let (mut result, mut base, mut n) = (1u64, a as u64, n);
    while n > 0 {
        if n & 1 == 1 {
            result = result.wrapping_mul(base) & MASK;
        }
        base = base.wrapping_mul(base) & MASK;
        n >>= 1;
    }
    result as f64
}

/// The seed after `n` steps from `seed` (`seed · a^n mod 2^46`).
pub fn skip(seed: f64, a: f64, n: u64) -> f64 {
    let mut x = seed;
    randlc(&mut x, power(a, n));
    x
}

/// What [`report`] prints: NPB's `print_results` arguments.
pub struct Report<'a> {
    /// The kernel's two letters.
    pub name: &'a str,
    /// The class.
    pub class: Class,
    /// The problem size: one number (EP's count of random numbers, IS's keys, CG's order) or
    /// a 3-D grid.
    pub size: Size,
    /// Timed iterations.
    pub iterations: usize,
    /// The slowest rank's time in seconds.
    pub seconds: f64,
    /// Millions of operations per second, over all ranks.
    pub mops: f64,
    /// What an operation is ("Random numbers generated", "keys ranked", "floating point").
    pub operation: &'a str,
    /// Whether the answer verified.
    pub verified: bool,
}

/// A problem size as NPB prints it.
pub enum Size {
    /// One number.
    Count(u64),
    /// EP's count, printed as a float without its point.
    Ep(f64),
    /// A 3-D grid.
    Grid([usize; 3]),
}

/// Prints NPB's closing report from rank 0 (the layout of NPB's `print_results`).
pub fn report(world: &World, r: &Report) {
    if !world.is_root() {
        return;
    }
    let p = world.size();
    println!("\n\n {} Benchmark Completed.", r.name);
    println!(" Class           = {:>24}", r.class.letter());
    match r.size {
        Size::Count(n) => println!(" Size            = {n:>24}"),
        Size::Ep(n) => println!(" Size            = {:>24}", format!("{n:.0}")),
        Size::Grid([a, b, c]) => println!(" Size            =  {:>9}{a:>4}x{b:>4}x{c:>4}", ""),
    }
    println!(" Iterations      = {:>24}", r.iterations);
    println!(" Time in seconds = {:>24.2}", r.seconds);
    println!(" Total processes = {p:>24}");
    println!(" Active procs    = {p:>24}");
    println!(" Mop/s total     = {:>24.2}", r.mops);
    println!(" Mop/s/process   = {:>24.2}", r.mops / p as f64);
    println!(" Operation type  = {:>24}", r.operation);
    let verdict = if r.verified {
        "SUCCESSFUL"
    } else {
        "UNSUCCESSFUL"
    };
    println!(" Verification    = {verdict:>24}");
    println!(" Version         = {:>24}", "3.4 (mpikit)");
}

/// Prints NPB's closing report from rank 0 ([`report`]) and ends the program: verified or not.
pub fn finish(world: &World, r: &Report) -> Result<Outcome, Error> {
    report(world, r);
    Ok(if r.verified {
        Outcome::Validated
    } else {
        Outcome::Failed
    })
}

/// Fortran's `1pD` edit descriptor with `decimals` digits after the point:
/// `fortran_d(-3247.83, 3)` is `-3.248D+03`.
pub fn fortran_d(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$e}");
    let (mantissa, exp) = s.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("an integer exponent");
    format!(
        "{mantissa}D{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// Fortran's `E` edit descriptor with `digits` significant digits: `fortran_e(0.0123, 4)` is
/// `0.1230E-01`.
pub fn fortran_e(x: f64, digits: usize) -> String {
    let s = fortran_d(x.abs(), digits.saturating_sub(1));
    let (mantissa, exp) = s.split_once('D').expect("D form");
    let exp: i32 = exp.parse::<i32>().expect("an integer exponent") + 1;
    let sign = if x < 0.0 { "-" } else { "" };
    let digits = mantissa.replace('.', "");
    format!(
        "{sign}0.{digits}E{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// The first lines every NPB program prints.
pub fn banner(world: &World, name: &str) {
    if world.is_root() {
        println!("\n\n NAS Parallel Benchmarks 3.4 -- {name} Benchmark\n");
    }
}

/// Lines rank 0 prints while a timer runs (NPB's "iter" and checksum lines), written as NPB's
/// Fortran and C write them: at once to a terminal, kept until [`flush`](Self::flush) when
/// standard output is a pipe or a file (gfortran and stdio buffer those, so NPB's timed loops
/// make no write calls; under `mpirun` each write wakes the launcher, which on a machine with
/// as many ranks as cores takes a core from a rank: about 0.1 ms per line here, a tenth of
/// class S's MG).
pub struct Progress {
    kept: Option<String>,
}

impl Progress {
    /// Lines kept when standard output is not a terminal.
    pub fn new() -> Progress {
        use std::io::IsTerminal;
        Progress {
            kept: (!std::io::stdout().is_terminal()).then(String::new),
        }
    }

    /// Prints `line` (or keeps it).
    pub fn line(&mut self, line: std::fmt::Arguments<'_>) {
        match &mut self.kept {
            Some(kept) => {
                use std::fmt::Write;
                writeln!(kept, "{line}").expect("writing to a String");
            }
            None => println!("{line}"),
        }
    }

    /// Prints the lines kept (after the timer stops).
    pub fn flush(&mut self) {
        if let Some(kept) = &mut self.kept {
            print!("{kept}");
            kept.clear();
        }
    }
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.flush();
    }
}

thread_local! {
    /// Seconds per routine while [`RoutineTimes`] runs.
    static TIMES: std::cell::RefCell<Option<Vec<f64>>> = const { std::cell::RefCell::new(None) };
}

/// NPB's `timer.flag` convention: with a file of that name in the working directory, the
/// time of each routine (by [`timed`]) is added up while the benchmark's timer runs and
/// printed after it, the slowest rank's, as NPB's own programs print theirs.
pub struct RoutineTimes {
    names: &'static [&'static str],
}

impl RoutineTimes {
    /// Starts adding up the routines `names` (indices for [`timed`]) if `timer.flag` exists.
    pub fn start(names: &'static [&'static str]) -> RoutineTimes {
        if std::path::Path::new("timer.flag").exists() {
            TIMES.with(|t| *t.borrow_mut() = Some(vec![0.0; names.len()]));
        }
        RoutineTimes { names }
    }

    /// Stops, and prints each routine's seconds (the slowest rank's) and its share of the
    /// benchmark's `seconds` on rank 0. Collective when the timers run.
    pub fn report(self, world: &World, seconds: f64) -> Result<(), Error> {
        use mpikit::prelude::*;
        let Some(times) = TIMES.with(|t| t.borrow_mut().take()) else {
            return Ok(());
        };
        for (name, mine) in self.names.iter().zip(times) {
            let slowest = world.allreduce_scalar(mine, mpikit::ReduceOp::Max)?;
            if world.is_root() {
                println!(
                    "  {name:<8}: {slowest:9.3}  ({:6.2}%)",
                    100.0 * slowest / seconds
                );
            }
        }
        Ok(())
    }
}

/// Runs `f`, adding its time to routine `which` of [`RoutineTimes`] when they run.
pub fn timed<R>(which: usize, f: impl FnOnce() -> R) -> R {
    if TIMES.with(|t| t.borrow().is_none()) {
        return f();
    }
    let start = mpikit::mpi::time();
    let out = f();
    let spent = mpikit::mpi::time() - start;
    TIMES.with(|t| {
        if let Some(times) = t.borrow_mut().as_mut() {
            times[which] += spent;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NPB's own double-precision randlc, as in common/randdp.f.
    fn randlc_npb(x: &mut f64, a: f64) -> f64 {
        let (r23, t23) = (0.5f64.powi(23), 2f64.powi(23));
        let (r46, t46) = (r23 * r23, t23 * t23);
        let t1 = r23 * a;
        let a1 = t1.trunc();
        let a2 = a - t23 * a1;
        let t1 = r23 * *x;
        let x1 = t1.trunc();
        let x2 = *x - t23 * x1;
        let t1 = a1 * x2 + a2 * x1;
        let t2 = (r23 * t1).trunc();
        let z = t1 - t23 * t2;
        let t3 = t23 * z + a2 * x2;
        let t4 = (r46 * t3).trunc();
        *x = t3 - t46 * t4;
        r46 * *x
    }

    #[test]
    fn integer_randlc_is_npbs() {
        let (mut x, mut y) = (314_159_265.0, 314_159_265.0);
        for _ in 0..100_000 {
            assert_eq!(randlc(&mut x, MULTIPLIER), randlc_npb(&mut y, MULTIPLIER));
        }
        let mut v = vec![0.0; 1000];
        let (mut s, mut t) = (271_828_183.0, 271_828_183.0);
        vranlc(&mut s, MULTIPLIER, &mut v);
        for (k, &value) in v.iter().enumerate() {
            assert_eq!(value, randlc_npb(&mut t, MULTIPLIER), "number {k}");
        }
        assert_eq!(s, t);
    }

    #[test]
    fn fortran_formats() {
        assert_eq!(fortran_d(-3247.83465203474, 15), "-3.247834652034740D+03");
        assert_eq!(fortran_d(554.6087004964, 12), "5.546087004964D+02");
        assert_eq!(fortran_e(8.5971775078648, 14), "0.85971775078648E+01");
        assert_eq!(fortran_e(-1.9e-15, 3), "-0.190E-14");
    }

    #[test]
    fn skipping_is_stepping() {
        let mut x = 271_828_183.0;
        for _ in 0..1234 {
            randlc(&mut x, MULTIPLIER);
        }
        assert_eq!(skip(271_828_183.0, MULTIPLIER, 1234), x);
        assert_eq!(power(MULTIPLIER, 0), 1.0);
    }
}
