//! Starting MPI: initialisation with a threading level, the node-local view, the default
//! thread count per rank and its ready thread pool.

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use mpi::collective::Root;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::Threading;

use crate::error::{Error, Result};
use crate::runtime::panic::install_panic_hook;

/// The environment variable that overrides the threads per rank.
pub const THREADS_ENV: &str = "MPIKIT_THREADS";

/// An initialised MPI job, as seen from one rank.
///
/// Programs get one from [`run`](crate::run), which also ends the whole job when the program
/// returns an error on any rank. `World` is the world communicator too: it dereferences to
/// rsmpi's `SimpleCommunicator`, so every collective of this crate and of rsmpi is a method
/// of `world`, and it can be passed wherever mpikit takes a communicator ([`agree`],
/// [`Pool::new`], [`Partial::combine`], ...).
///
/// [`agree`]: crate::runtime::agree
/// [`Pool::new`]: crate::Pool::new
/// [`Partial::combine`]: crate::stats::Partial::combine
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// mpikit::run(|world| {
///     println!(
///         "rank {} of {} on {} (local rank {} of {}), {} threads, block {:?} of 0..100",
///         world.rank(), world.size(), world.processor_name(),
///         world.local_rank(), world.local_size(), world.threads(), world.block(100),
///     );
///     let total = world.allreduce_scalar(1u64, mpikit::ReduceOp::Sum)?;
///     assert_eq!(total, world.size() as u64);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
///
/// **Without `run`.** [`World::init`] gives the same `World` for programs that want to
/// handle errors themselves. Then an `Err` that one rank returns from `main` (or any early
/// return) does *not* end the job: that rank waits in `MPI_Finalize` while the others wait
/// for it in their next collective, and `mpirun` hangs with nothing printed. Such programs
/// must agree on failures before the next collective ([`agree`](crate::runtime::agree)) or end the
/// job themselves ([`World::abort`]).
pub struct World {
    comm: SimpleCommunicator,
    node: SimpleCommunicator,
    /// A duplicate of the world for [`World::abort`]'s last agreement, apart from any
    /// collective the program may be in.
    errors: SimpleCommunicator,
    threading: Threading,
    threads: AtomicUsize,
    pool: OnceLock<Arc<rayon::ThreadPool>>,
    processor_name: String,
    // Last field: dropped after the communicators, which MPI_Finalize must outlive.
    universe: Mutex<Universe>,
}

impl World {
    /// Initialises MPI with [`Threading::Funneled`] (threads compute, the main thread
    /// communicates), the level the rest of the crate needs.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::World;
    /// // What mpikit::run does for you: MPI starts here and ends when `world` is dropped.
    /// let world = World::init()?;
    /// println!("rank {} of {}", world.rank(), world.size());
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn init() -> Result<World> {
        World::init_with_threading(Threading::Funneled)
    }

    /// Initialises MPI with the given threading level and checks what the library provides.
    ///
    /// Installs the abort-on-panic hook (see [`install_panic_hook`]) and works out the
    /// default threads per rank: `MPIKIT_THREADS` if set, otherwise
    /// `max(1, cores on the node / ranks on the node)`, capped by the CPUs this rank may run
    /// on (so a rank that the launcher bound to one core gets one thread).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::mpi::Threading;
    /// use mpikit::World;
    /// let world = World::init_with_threading(Threading::Single)?;
    /// assert_eq!(world.threading(), Threading::Single);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
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
        // Every rank must cut large messages at the same size and run the same length
        // checks: rank 0's settings win.
        let mut settings = [
            crate::collective::large::max_message_bytes() as u64,
            u64::from(crate::collective::shape::env_checks()),
        ];
        comm.process_at_rank(0).broadcast_into(&mut settings[..]);
        crate::collective::large::set_max_message_bytes(settings[0] as usize);
        crate::collective::shape::set_checks(settings[1] == 1);
        crate::collective::message::open_continuations(&comm);
        let node = comm.split_shared(comm.rank());
        let errors = comm.duplicate();
        let threads = match env_threads {
            Some(t) => t,
            None => default_threads(node.size() as usize),
        };
        let processor_name = mpi::environment::processor_name().unwrap_or_default();
        Ok(World {
            comm,
            node,
            errors,
            threading: provided,
            threads: AtomicUsize::new(threads),
            pool: OnceLock::new(),
            processor_name,
            universe: Mutex::new(universe),
        })
    }

    /// Attaches a buffer of `bytes` for buffered sends
    /// ([`buffered_send_object`](crate::objects::ObjectMessages::buffered_send_object), mpi4py's
    /// `MPI.Attach_buffer` + `bsend`), replacing any earlier one (`MPI_Buffer_detach` first
    /// waits until the messages in it are delivered). 0 detaches. Each rank attaches its own.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     world.attach_send_buffer(64 << 20)?; // room for 64 MiB of outgoing messages
    ///     assert_eq!(world.send_buffer_size(), 64 << 20);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn attach_send_buffer(&self, bytes: usize) -> Result<()> {
        if bytes > i32::MAX as usize {
            return Err(Error::input(format!(
                "attach_send_buffer: {bytes} bytes is more than MPI's limit of {} for one buffer",
                i32::MAX
            )));
        }
        let mut universe = self.universe.lock().unwrap_or_else(|e| e.into_inner());
        universe.set_buffer_size(bytes);
        crate::collective::message::set_send_buffer(bytes);
        Ok(())
    }

    /// Bytes of the buffer attached for buffered sends (0 if none).
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     world.attach_send_buffer(1 << 20)?;
    ///     assert_eq!(world.send_buffer_size(), 1 << 20);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn send_buffer_size(&self) -> usize {
        crate::collective::message::send_buffer()
    }

    /// The world communicator: every rank of the job.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::mpi::traits::*;
    /// mpikit::run(|world| {
    ///     // rsmpi's communicator, for rsmpi's own calls.
    ///     let comm = world.comm();
    ///     assert_eq!(comm.rank(), world.rank());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn comm(&self) -> &SimpleCommunicator {
        &self.comm
    }

    /// This rank's number in the world communicator.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     assert!((0..world.size()).contains(&world.rank()));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn rank(&self) -> i32 {
        self.comm.rank()
    }

    /// The number of ranks in the job.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     println!("{} ranks", world.size());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn size(&self) -> i32 {
        self.comm.size()
    }

    /// Whether this is rank 0, the rank that prints reports.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     if world.is_root() {
    ///         println!("only rank 0 prints");
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// The threading level the MPI library provided.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     println!("MPI threading level: {:?}", world.threading());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn threading(&self) -> Threading {
        self.threading
    }

    /// The name of the node this rank runs on (`MPI_Get_processor_name`).
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     println!("rank {} runs on {}", world.rank(), world.processor_name());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn processor_name(&self) -> &str {
        &self.processor_name
    }

    /// The ranks on this node (a shared-memory split of the world).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::mpi::traits::*;
    /// mpikit::run(|world| {
    ///     assert_eq!(world.node_comm().size(), world.local_size());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn node_comm(&self) -> &SimpleCommunicator {
        &self.node
    }

    /// This rank's number among the ranks of its node.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     assert!(world.local_rank() < world.local_size());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn local_rank(&self) -> i32 {
        self.node.rank()
    }

    /// The number of ranks on this node.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     println!("{} ranks on this node", world.local_size());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn local_size(&self) -> i32 {
        self.node.size()
    }

    /// The number of compute threads for this rank: [`set_threads`](Self::set_threads), or
    /// `MPIKIT_THREADS`, or `max(1, cores on the node / ranks on the node)`.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     assert_eq!(world.pool().current_num_threads(), world.threads());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn threads(&self) -> usize {
        self.threads.load(Ordering::Relaxed)
    }

    /// Sets the number of compute threads (a program's `--threads` flag) before the pool
    /// starts: [`pool`](Self::pool) and every [`DistArray`](crate::DistArray) made on this
    /// world then run on that many. Fails if `threads` is 0, or if the pool already runs a
    /// different number.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     world.set_threads(4)?;
    ///     assert_eq!(world.pool().current_num_threads(), 4);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn set_threads(&self, threads: usize) -> Result<()> {
        if threads == 0 {
            return Err(Error::input("a rank needs at least 1 thread"));
        }
        if threads > 1 && self.threading == Threading::Single {
            return Err(Error::input(format!(
                "{threads} threads per rank need MPI started at Threading::Funneled or above; \
                 it runs at Single (MPIKIT_THREADS=1, or run_with_threading)"
            )));
        }
        match self.pool.get() {
            Some(pool) if pool.current_num_threads() != threads => Err(Error::input(format!(
                "the thread pool already runs {} threads; set the threads before using it",
                pool.current_num_threads()
            ))),
            _ => {
                self.threads.store(threads, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    /// A rayon thread pool of [`threads`](Self::threads) threads, built on first use and
    /// kept for the life of the `World`: `world.pool().install(|| ...)`, or pass it to the
    /// kernels ([`Partial::local`](crate::stats::Partial::local), [`par_from_fn`](crate::data::par_from_fn)).
    /// DistArrays made on this world share it.
    ///
    /// # Panics
    /// If the operating system cannot start the threads.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::rayon::prelude::*;
    /// mpikit::run(|world| {
    ///     // This rank's threads: a rayon pool of world.threads() threads.
    ///     let s: u64 = world.pool().install(|| (0..1_000_000u64).into_par_iter().sum());
    ///     assert_eq!(s, 499_999_500_000);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn pool(&self) -> &rayon::ThreadPool {
        self.shared_pool()
    }

    fn shared_pool(&self) -> &Arc<rayon::ThreadPool> {
        self.pool.get_or_init(|| {
            let threads = self.threads();
            Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("mpikit-{i}"))
                    .build()
                    .unwrap_or_else(|e| panic!("cannot start {threads} threads: {e}")),
            )
        })
    }

    /// The duplicate communicator [`World::abort`] agrees on.
    pub(crate) fn errors(&self) -> &SimpleCommunicator {
        &self.errors
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // Continuations of blocking object sends that are still in flight complete before
        // MPI is finalised.
        crate::collective::message::complete_detached();
    }
}

impl Deref for World {
    type Target = SimpleCommunicator;

    fn deref(&self) -> &SimpleCommunicator {
        &self.comm
    }
}

/// Reads `MPIKIT_THREADS`: `None` when unset or empty, an error when not a positive integer.
pub(crate) fn threads_from_env() -> Result<Option<usize>> {
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
pub(crate) fn default_threads(ranks_on_node: usize) -> usize {
    // SAFETY: sysconf has no preconditions.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    let cores = usize::try_from(online).unwrap_or(1).max(1);
    let share = (cores / ranks_on_node.max(1)).max(1);
    let allowed = std::thread::available_parallelism().map_or(1, |n| n.get());
    share.min(allowed).max(1)
}

/// Anything that is or holds a communicator: every rsmpi communicator (world, split,
/// Cartesian, ...) and [`World`]. mpikit's functions and constructors that take a
/// communicator ([`agree`](crate::runtime::agree), [`Pool::new`](crate::Pool::new),
/// [`Partial::combine`](crate::stats::Partial::combine), ...) take `&impl Comm`, so `&world`,
/// `world.comm()` and a generic `&C` with `C: Communicator` all work.
pub trait Comm {
    /// The communicator type.
    type Communicator: Communicator + ?Sized;

    /// The communicator.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::runtime::Comm;
    /// // A function that takes any communicator, or the World.
    /// fn ranks(comm: &impl Comm) -> i32 {
    ///     use mpikit::mpi::traits::*;
    ///     comm.as_comm().size()
    /// }
    /// mpikit::run(|world| {
    ///     assert_eq!(ranks(world), ranks(world.comm()));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn as_comm(&self) -> &Self::Communicator;

    /// The thread pool that arrays made on this communicator compute on, if it has one (a
    /// [`World`]'s); otherwise they share one of `MPIKIT_THREADS` or the default count.
    #[doc(hidden)]
    fn thread_pool(&self) -> Option<Arc<rayon::ThreadPool>> {
        None
    }
}

impl<C: Communicator + ?Sized> Comm for C {
    type Communicator = C;

    fn as_comm(&self) -> &C {
        self
    }
}

impl Comm for World {
    type Communicator = SimpleCommunicator;

    fn as_comm(&self) -> &SimpleCommunicator {
        &self.comm
    }

    fn thread_pool(&self) -> Option<Arc<rayon::ThreadPool>> {
        Some(self.shared_pool().clone())
    }
}
