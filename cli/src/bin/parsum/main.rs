//! parsum: distributed statistics of a generated array (verified against its closed form) or
//! of a data file. Launch with `mpirun -n 8 target/release/parsum`; see `parsum --help`.

mod cli;
mod closed_form;
mod gen;
mod inputs;
mod job;
mod output;
mod phases;
mod report;
mod run;
mod table;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mpikit::World;

use cli::{Cli, Command};

/// The system allocator, except that a failed allocation ends the job with one line and
/// exit status 2 (not Rust's abort, which MPI turns into a signal report): `MPI_Abort`
/// with code 2, so the launcher's status is 2 whichever rank fails first.
struct ExitOnOom;

// SAFETY: every call goes to `System` unchanged; only a null result is acted on.
unsafe impl std::alloc::GlobalAlloc for ExitOnOom {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        not_null(std::alloc::System.alloc(layout), layout.size())
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        not_null(std::alloc::System.alloc_zeroed(layout), layout.size())
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        not_null(std::alloc::System.realloc(ptr, layout, size), size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: ExitOnOom = ExitOnOom;

/// `ptr`, or (when the allocation of `size` bytes failed) the one-line exit. Writes with
/// `write(2)` from a stack buffer: nothing may allocate here.
fn not_null(ptr: *mut u8, size: usize) -> *mut u8 {
    if !ptr.is_null() {
        return ptr;
    }
    let mut line = [0u8; 200];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        let n = bytes.len().min(line.len() - at);
        line[at..at + n].copy_from_slice(&bytes[..n]);
        at += n;
    };
    put(b"parsum: out of memory: could not allocate ");
    let mut digits = [0u8; 20];
    let mut k = digits.len();
    let mut v = size;
    loop {
        k -= 1;
        digits[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put(&digits[k..]);
    put(b" bytes (use more ranks or nodes, or --input a file)\n");
    // SAFETY: writes `at` initialised bytes to stderr.
    unsafe {
        libc::write(2, line.as_ptr().cast(), at);
    }
    mpikit::runtime::abort_job(2)
}

/// Prints `msg` once, from rank 0 (or, before MPI is up, the launcher's rank 0).
fn print_once(rank: i32, msg: &str) {
    if rank == 0 {
        eprintln!("{msg}");
    }
}

/// Leaves the job with `code` after an error on rank 0; other ranks wait a moment, since
/// the launcher may end everything at the first failed process before rank 0 has spoken.
fn fail_early(code: u8) -> ExitCode {
    let rank = mpikit::runtime::launcher_rank_and_size().map_or(0, |(r, _)| r);
    if rank != 0 {
        std::thread::sleep(Duration::from_millis(300));
    }
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let world = match World::init() {
        Ok(w) => w,
        Err(e) => {
            let rank = mpikit::runtime::launcher_rank_and_size().map_or(0, |(r, _)| r);
            print_once(rank, &format!("parsum: {e}"));
            return fail_early(2);
        }
    };
    // A binary launched by another MPI's launcher runs as N separate 1-rank jobs.
    if let Some(launched) = mpikit::runtime::launcher_mismatch(world.size()) {
        let rank = mpikit::runtime::launcher_rank_and_size().map_or(0, |(r, _)| r);
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
        return fail_early(2);
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
                    // clap's first line, with the indented lines that complete it
                    // ("required arguments were not provided:\n  --input <FILE>").
                    let text = e.to_string();
                    let mut lines = text.lines();
                    let mut line = lines
                        .next()
                        .unwrap_or("")
                        .trim_start_matches("error: ")
                        .to_string();
                    for more in lines.take_while(|l| l.starts_with("  ")) {
                        line.push(' ');
                        line.push_str(more.trim());
                    }
                    print_once(world.rank(), &format!("parsum: {line} (see parsum --help)"));
                    2
                }
            };
            drop(world);
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Some(Command::Gen(args)) => match gen::run(&world, &args) {
            Ok(()) => 0,
            Err(e) => {
                print_once(world.rank(), &format!("parsum: {e}"));
                2
            }
        },
        None => run::main(&world, cli.run),
    };
    drop(world);
    ExitCode::from(code)
}
