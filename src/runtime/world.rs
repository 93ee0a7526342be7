//! Starting MPI: initialisation with a threading level, the node-local view, the default
//! thread count per rank, and a panic hook that aborts the whole job.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};

use mpi::collective::Root;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::Threading;

use crate::error::{Error, Result};

/// The environment variable that overrides the threads per rank.
pub const THREADS_ENV: &str = "MPIKIT_THREADS";

/// An initialised MPI job, as seen from one rank.
///
/// Create it once, first thing in `main`; MPI is finalised when it is dropped, so keep it
/// alive until the program's MPI work is done.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// let world = mpikit::World::init()?;
/// println!(
///     "rank {} of {} on {} (local rank {} of {}), {} threads",
///     world.rank(), world.size(), world.processor_name(),
///     world.local_rank(), world.local_size(), world.threads(),
/// );
/// # Ok::<(), mpikit::Error>(())
/// ```
pub struct World {
    comm: SimpleCommunicator,
    node: SimpleCommunicator,
    threading: Threading,
    threads: usize,
    processor_name: String,
    // Last field: dropped after the communicators, which MPI_Finalize must outlive.
    _universe: Universe,
}

impl World {
    /// Initialises MPI with [`Threading::Funneled`] (threads compute, the main thread
    /// communicates), the level the rest of the crate needs.
    pub fn init() -> Result<World> {
        World::init_with_threading(Threading::Funneled)
    }

    /// Initialises MPI with the given threading level and checks what the library provides.
    ///
    /// Installs the abort-on-panic hook (see [`install_panic_hook`]) and works out the
    /// default threads per rank: `MPIKIT_THREADS` if set, otherwise
    /// `max(1, cores on the node / ranks on the node)`, capped by the CPUs this rank may run
    /// on (so a rank that the launcher bound to one core gets one thread).
    pub fn init_with_threading(requested: Threading) -> Result<World> {
        // Settings are checked before MPI starts: a bad value fails every process the same
        // way, with nothing to finalise.
        let env_threads = threads_from_env()?;
        let (universe, provided) =
            mpi::initialize_with_threading(requested).ok_or(Error::AlreadyInitialized)?;
        install_panic_hook();
        if provided < requested {
            return Err(Error::Threading {
                requested: format!("{requested:?}"),
                provided: format!("{provided:?}"),
            });
        }
        let comm = universe.world();
        // Every rank must cut large messages at the same size: rank 0's setting wins.
        let mut piece = [crate::collective::large::max_message_bytes() as u64];
        comm.process_at_rank(0).broadcast_into(&mut piece[..]);
        crate::collective::large::set_max_message_bytes(piece[0] as usize);
        let node = comm.split_shared(comm.rank());
        let threads = match env_threads {
            Some(t) => t,
            None => default_threads(node.size() as usize),
        };
        let processor_name = mpi::environment::processor_name().unwrap_or_default();
        Ok(World {
            comm,
            node,
            threading: provided,
            threads,
            processor_name,
            _universe: universe,
        })
    }

    /// The world communicator: every rank of the job.
    pub fn comm(&self) -> &SimpleCommunicator {
        &self.comm
    }

    /// This rank's number in the world communicator.
    pub fn rank(&self) -> i32 {
        self.comm.rank()
    }

    /// The number of ranks in the job.
    pub fn size(&self) -> i32 {
        self.comm.size()
    }

    /// Whether this is rank 0, the rank that prints reports.
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// The threading level the MPI library provided.
    pub fn threading(&self) -> Threading {
        self.threading
    }

    /// The name of the node this rank runs on (`MPI_Get_processor_name`).
    pub fn processor_name(&self) -> &str {
        &self.processor_name
    }

    /// The ranks on this node (a shared-memory split of the world).
    pub fn node_comm(&self) -> &SimpleCommunicator {
        &self.node
    }

    /// This rank's number among the ranks of its node.
    pub fn local_rank(&self) -> i32 {
        self.node.rank()
    }

    /// The number of ranks on this node.
    pub fn local_size(&self) -> i32 {
        self.node.size()
    }

    /// The default number of compute threads for this rank.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

/// Reads `MPIKIT_THREADS`: `None` when unset or empty, an error when not a positive integer.
fn threads_from_env() -> Result<Option<usize>> {
    let value = match std::env::var(THREADS_ENV) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => return Ok(None),
    };
    match value.trim().parse::<usize>() {
        Ok(t) if t > 0 => Ok(Some(t)),
        _ => Err(Error::Env {
            name: THREADS_ENV,
            value,
            reason: "expected a positive integer".into(),
        }),
    }
}

/// `max(1, online cores / ranks on the node)`, capped by this process's CPU affinity.
fn default_threads(ranks_on_node: usize) -> usize {
    // SAFETY: sysconf has no preconditions.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    let cores = usize::try_from(online).unwrap_or(1).max(1);
    let share = (cores / ranks_on_node.max(1)).max(1);
    let allowed = std::thread::available_parallelism().map_or(1, |n| n.get());
    share.min(allowed).max(1)
}

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
/// same line and aborts the process. [`World::init`] installs it; calling it again does
/// nothing.
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
                mpi::ffi::MPI_Abort(mpi::ffi::RSMPI_COMM_WORLD, 101);
            }
        }
        std::process::abort();
    }));
}

/// Writes `line` and a newline to stderr in one write, so lines from ranks that share the
/// launcher's stderr do not interleave mid-line (`eprintln!` may write in pieces).
pub(crate) fn say_line(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// The rank and size that the launcher put in the environment, if any: OpenMPI's
/// `OMPI_COMM_WORLD_RANK`/`_SIZE`, PMIx's `PMIX_RANK`, MPICH/Hydra's `PMI_RANK`/`PMI_SIZE`,
/// Slurm's `SLURM_PROCID`/`SLURM_NTASKS`.
///
/// Useful before MPI is initialised (to print an early error once) and to notice a launcher
/// from another MPI, whose processes each start as rank 0 of 1.
pub fn launcher_rank_and_size() -> Option<(i32, i32)> {
    let get = |name: &str| std::env::var(name).ok()?.trim().parse::<i32>().ok();
    [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
        ("SLURM_PROCID", "SLURM_NTASKS"),
    ]
    .iter()
    .find_map(|(r, s)| Some((get(r)?, get(s)?)))
    .or_else(|| get("PMIX_RANK").map(|r| (r, -1)))
}

/// The number of processes a launcher started, when it differs from the MPI job's `size`:
/// the sign of a binary started by another MPI's launcher (each process then believes it is
/// rank 0 of 1). Reads only what `mpirun`/`mpiexec` set for each process
/// (`OMPI_COMM_WORLD_SIZE`, `PMI_SIZE`), not Slurm's job-wide variables, which a batch
/// script running a 1-rank program also has.
pub fn launcher_mismatch(size: i32) -> Option<i32> {
    let get = |name: &str| std::env::var(name).ok()?.trim().parse::<i32>().ok();
    let launched = get("OMPI_COMM_WORLD_SIZE").or_else(|| get("PMI_SIZE"))?;
    (launched != size).then_some(launched)
}
