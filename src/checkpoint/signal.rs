//! [`stop_requested`]: `SIGUSR1` or `SIGTERM` on any rank, seen by every rank at the same
//! step, so that all of them save and stop together.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use crate::collective::op::ReduceOp;
use crate::collective::reduce::ArrayReductions;
use crate::error::Result;
use crate::runtime::world::Comm;

/// Set by the signal handler.
static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    SIGNALLED.store(true, Ordering::SeqCst);
}

/// Whether any rank has received `SIGUSR1` or `SIGTERM` since the program started: the
/// same answer on every rank (one small allreduce), so all of them can save a checkpoint
/// and stop at the same step. The first call installs the handlers (from then on the two
/// signals no longer end the process by themselves). Collective.
///
/// Slurm sends `SIGUSR1` before the wall time with `#SBATCH --signal=B:USR1@120` (to the
/// batch shell, which passes it on to the job step: see `scripts/slurm/heat.sbatch`), and
/// `SIGTERM` when a job is cancelled or preempted (then `KillWait`, 30 s by default, before
/// `SIGKILL`).
///
/// # Examples
/// ```no_run
/// mpikit::run(|world| {
///     for step in 0.. {
///         // ... one step ...
///         if mpikit::checkpoint::stop_requested(world)? {
///             println!("saving at step {step} and stopping");
///             break;
///         }
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn stop_requested(comm: &(impl Comm + ?Sized)) -> Result<bool> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        for sig in [libc::SIGUSR1, libc::SIGTERM] {
            // SAFETY: `on_signal` only stores to an atomic, which is async-signal-safe; the
            // handler is a plain `extern "C"` function that lives for the whole program.
            unsafe {
                libc::signal(sig, on_signal as *const () as libc::sighandler_t);
            }
        }
    });
    let mine = u8::from(SIGNALLED.load(Ordering::SeqCst));
    Ok(comm.as_comm().allreduce_scalar(mine, ReduceOp::Max)? == 1)
}
