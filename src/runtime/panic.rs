//! Panics that end the whole job: the hook that turns a panic on any rank into `MPI_Abort`,
//! and the one place (the task pool) that catches a panic instead.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::raw;
use mpi::topology::Communicator;

static HOOK_INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Set while [`catch_panic`] runs a closure on this thread.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// The message of the panic [`catch_panic`] caught.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread, turning a panic into `Err("panicked at FILE:LINE: MESSAGE")`
/// instead of aborting the job. Panics on threads that `f` starts still abort the job.
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let outer = CATCHING.replace(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.set(outer);
    result.map_err(|payload| {
        CAUGHT.take().unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panicked".into())
        })
    })
}

/// Makes a panic on any thread of any rank abort the whole MPI job.
///
/// The hook prints `rank R: panicked at FILE:LINE: MESSAGE` to stderr and calls
/// `MPI_Abort` on the world communicator, so `mpirun` ends every rank at once instead of
/// waiting forever for the dead one. Outside MPI (before init, after finalize) it prints the
/// same line and aborts the process. `World::init` installs it; calling it again does
/// nothing.
///
/// # Examples
/// ```no_run
/// // World::init and mpikit::run install it; a program of its own may call it first thing.
/// mpikit::runtime::install_panic_hook();
/// ```
pub fn install_panic_hook() {
    if HOOK_INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "Box<dyn Any>".to_string()
        };
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown location".into());
        if CATCHING.get() {
            // Inside catch_panic: the caller turns this panic into an error value.
            CAUGHT.set(Some(format!("panicked at {at}: {msg}")));
            return;
        }
        let live = mpi::environment::is_initialized() && !mpi::environment::is_finalized();
        let rank = if live {
            mpi::topology::SimpleCommunicator::world()
                .rank()
                .to_string()
        } else {
            "?".to_string()
        };
        say_line(&format!("rank {rank}: panicked at {at}: {msg}"));
        if live {
            // MPI_Abort makes the launcher kill every process at once; MPICH's Hydra can
            // lose output it has not forwarded yet. A moment first lets the message through.
            std::thread::sleep(std::time::Duration::from_millis(200));
            // SAFETY: MPI is initialised and not finalised; MPI_Abort does not return.
            unsafe {
                raw::abort(raw::comm_world(), 101);
            }
        }
        std::process::abort();
    }));
}

/// Ends the whole job at once with exit status `code`, from any thread, without allocating
/// from Rust's heap (so a global allocator may call it when an allocation fails).
///
/// With MPI live (initialised, not finalised) it waits 200 ms, so that the launcher can
/// forward what this rank has just written, then calls `MPI_Abort` on the world
/// communicator: the launcher ends every rank and exits with `code`, whichever rank got
/// there first. Without MPI it leaves through `_exit(code)`. Write the message first (with
/// `write(2)` if nothing may allocate); this function prints nothing.
///
/// # Examples
/// ```no_run
/// // A rank that cannot go on and must not touch the heap again:
/// mpikit::runtime::abort_job(2);
/// ```
pub fn abort_job(code: i32) -> ! {
    // MPI_Initialized and MPI_Finalized may be called from any thread at any time.
    if mpi::environment::is_initialized() && !mpi::environment::is_finalized() {
        std::thread::sleep(std::time::Duration::from_millis(200));
        // SAFETY: MPI is initialised and not finalised; MPI_Abort does not return.
        unsafe {
            raw::abort(raw::comm_world(), code);
        }
    }
    // SAFETY: ends the process without destructors or atexit handlers (which could
    // allocate or wait on MPI).
    unsafe { libc::_exit(code) }
}

/// Writes `line` and a newline to stderr in one write, so lines from ranks that share the
/// launcher's stderr do not interleave mid-line (`eprintln!` may write in pieces).
pub(crate) fn say_line(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}
