//! `run`: the program's body on every rank, with an error on any rank ending the whole job
//! loudly instead of hanging it.

use std::fmt::Display;
use std::time::{Duration, Instant};

use mpi::raw::AsRaw;
use mpi::Threading;

use crate::raw;
use crate::runtime::launcher::launcher_rank_and_size;
use crate::runtime::panic::say_line;
use crate::runtime::world::World;

/// How long a failing rank waits for the other ranks to fail too before it aborts the job.
/// When every rank fails at about the same time, each prints its own message and the job
/// ends cleanly with exit status 1; otherwise the job is aborted after this long.
const ERROR_GRACE: Duration = Duration::from_secs(2);

/// Exit status of a job that one of its ranks ended with an error.
pub const ERROR_EXIT: i32 = 1;

/// Runs a program's body on every rank: initialises MPI ([`World::init`]), calls `f`, and
/// finalises MPI when `f` returns `Ok`, handing back its value.
///
/// When `f` returns `Err` on any rank, that rank prints `rank R: error: MESSAGE` to stderr in
/// one write and the whole job ends with exit status 1 — the other ranks are not left
/// waiting in a collective for it (mpi4py's `python -m mpi4py` does the same). A panic on
/// any thread of any rank ends the job too (`rank R: panicked at FILE:LINE: MESSAGE`). If
/// MPI cannot start (a bad `MPIKIT_THREADS`, say), every process prints the reason and
/// exits with status 1.
///
/// Every rank that fails within two seconds of the first prints its own line; the job then
/// ends through `MPI_Abort`, or through `MPI_Finalize` when every rank has reached its end
/// (failed, or returned `Ok` and waits for the others, as `MPI_Finalize` would).
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
///
/// fn main() {
///     mpikit::run(|world| {
///         // An Err on any rank (a missing file, here) ends the whole job with its message.
///         let text = std::fs::read_to_string(format!("input-{}.txt", world.rank()))
///             .map_err(|e| format!("cannot read my input: {e}"))?;
///         let words = world.allreduce_scalar(text.split_whitespace().count() as u64, mpikit::ReduceOp::Sum)
///             .map_err(|e| e.to_string())?;
///         if world.is_root() {
///             println!("{words} words");
///         }
///         Ok::<(), String>(())
///     });
/// }
/// ```
pub fn run<T, E, F>(f: F) -> T
where
    F: FnOnce(&World) -> Result<T, E>,
    E: Display,
{
    run_with_threading(default_threading(), f)
}

/// The threading level [`run`] asks for: [`Threading::Single`] when `MPIKIT_THREADS=1` fixes
/// one thread per rank (nothing but the main thread runs, and Open MPI 4.1 then spends about
/// 80 ns less per message than at `Funneled`, measured with PRK Synch_p2p), else
/// [`Threading::Funneled`]: compute threads in each rank, MPI from the main thread.
///
/// # Examples
/// ```
/// use mpikit::mpi::Threading;
/// let level = mpikit::runtime::default_threading();
/// assert!(level == Threading::Single || level == Threading::Funneled);
/// ```
pub fn default_threading() -> Threading {
    match crate::runtime::world::threads_from_env() {
        Ok(Some(1)) => Threading::Single,
        _ => Threading::Funneled,
    }
}

/// [`run`] with MPI initialised at the threading level `threading` (and the provided level
/// checked: an MPI that gives less is an error on every rank).
///
/// `run` asks for [`default_threading`]: [`Threading::Funneled`], what mpikit needs (compute
/// threads inside each rank, MPI called from the main thread only, which is everything
/// mpikit does), or [`Threading::Single`] when `MPIKIT_THREADS=1`. A program with one thread
/// per rank may ask for `Single` itself; a program that calls MPI from several threads asks
/// for [`Threading::Multiple`]. The level the MPI library gave is [`World::threading`]; at
/// `Single`, [`World::set_threads`] refuses more than one thread.
///
/// # Examples
/// ```no_run
/// use mpikit::mpi::Threading;
/// mpikit::runtime::run_with_threading(Threading::Single, |world| {
///     assert_eq!(world.threading(), Threading::Single);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn run_with_threading<T, E, F>(threading: Threading, f: F) -> T
where
    F: FnOnce(&World) -> Result<T, E>,
    E: Display,
{
    let world = match World::init_with_threading(threading) {
        Ok(world) => world,
        Err(e) => fail_at_start(&e),
    };
    match f(&world) {
        Ok(value) => {
            // Wait here (not in MPI_Finalize) until every rank is done: a rank that fails
            // meanwhile then aborts a job whose other ranks are all still inside MPI, which
            // Debian's OpenMPI 4.1 survives; an abort while ranks sit in MPI_Finalize can
            // leave mpirun hung.
            if world.failures_within(false, None) != Some(0) {
                // Another rank failed and has said so: the job fails, quietly here.
                world.finalize_and_exit();
            }
            drop(world);
            value
        }
        Err(e) => world.abort(&e),
    }
}

impl World {
    /// Ends the whole job because of `error` on this rank: prints `rank R: error: MESSAGE`
    /// to stderr in one write, gives the other ranks a moment to finish or fail too (so that
    /// each failing rank prints its own message), and then aborts every rank (`MPI_Abort`,
    /// exit status 1) — or, when every rank reached its end, finalises MPI and exits with
    /// status 1. Never returns.
    ///
    /// [`run`] calls this for an `Err`; programs that use [`World::init`] may call it
    /// themselves wherever one rank cannot go on.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::World;
    /// let world = World::init()?;
    /// if std::env::args().count() > 3 {
    ///     // Ends every rank with this line, instead of leaving the others waiting.
    ///     world.abort(&"too many arguments");
    /// }
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn abort(&self, error: &dyn Display) -> ! {
        say_line(&format!("rank {}: error: {error}", self.rank()));
        if self.failures_within(true, Some(ERROR_GRACE)).is_some() {
            self.finalize_and_exit();
        }
        // SAFETY: MPI is initialised and not finalised (this World is alive); MPI_Abort does
        // not return.
        unsafe {
            raw::abort(raw::comm_world(), ERROR_EXIT);
        }
        std::process::exit(ERROR_EXIT)
    }

    /// The last agreement of a [`run`]: every rank adds 1 if it `failed`, 0 if not, in a
    /// non-blocking allreduce on the duplicate communicator (which no collective of the
    /// program can be using), polled without spinning. `Some(failures)` once every rank has
    /// arrived; `None` if `limit` passed first.
    fn failures_within(&self, failed: bool, limit: Option<Duration>) -> Option<i32> {
        let failed = i32::from(failed);
        let mut total = 0i32;
        let mut request = std::mem::MaybeUninit::uninit();
        // SAFETY: the buffers outlive the request (it completes below, or the process ends
        // without returning); the communicator is valid.
        let mut request = unsafe {
            raw::iallreduce(
                (&failed as *const i32).cast(),
                (&mut total as *mut i32).cast(),
                1,
                raw::datatype_int32(),
                raw::op_sum(),
                self.errors().as_raw(),
                request.as_mut_ptr(),
            );
            request.assume_init()
        };
        let start = Instant::now();
        loop {
            let mut done = 0;
            // SAFETY: `request` is an active request; the status is ignored.
            unsafe {
                raw::test(&mut request, &mut done, raw::status_ignore());
            }
            if done != 0 {
                return Some(total);
            }
            if limit.is_some_and(|l| start.elapsed() >= l) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Every rank has finished the job, and some failed: finalise MPI and leave with the
    /// error status.
    fn finalize_and_exit(&self) -> ! {
        // SAFETY: MPI is initialised and not finalised; nothing uses MPI after this.
        unsafe {
            raw::finalize();
        }
        std::process::exit(ERROR_EXIT)
    }
}

/// `World::init` failed: print why on this process and end it (status 1), through
/// `MPI_Abort` if MPI did start.
fn fail_at_start(error: &dyn Display) -> ! {
    let rank = launcher_rank_and_size().map_or_else(|| "?".to_string(), |(r, _)| r.to_string());
    say_line(&format!("rank {rank}: error: {error}"));
    if mpi::environment::is_initialized() && !mpi::environment::is_finalized() {
        // SAFETY: MPI is initialised and not finalised; MPI_Abort does not return.
        unsafe {
            raw::abort(raw::comm_world(), ERROR_EXIT);
        }
    }
    std::process::exit(ERROR_EXIT)
}
