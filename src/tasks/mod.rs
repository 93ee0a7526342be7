//! Work handed out across ranks, the way Python hands it to processes: [`Pool`] is
//! `multiprocessing.Pool.map`, `imap_unordered` and `ProcessPoolExecutor` + `as_completed`
//! (rank 0 hands out chunks of items to the ranks that ask, and a task that fails is an
//! `Err` for that item alone: [`TaskResult`], [`TaskError`]); [`Queue`] is
//! `multiprocessing.Queue`, bounded, across ranks, ending when every producer has closed.
//!
//! Recovery: a pool with a journal ([`Pool::journal`]) records each finished task on rank 0,
//! and the same map run again after a crash hands out only the tasks the journal lacks and
//! returns the same results in the same order (failed tasks are retried; a journal of other
//! items is refused with one `Err` on every rank).
//!
//! ```no_run
//! use mpikit::tasks::Queue;
//! use mpikit::Pool;
//!
//! mpikit::run(|world| {
//!     // Pool.map: rank 0 gets the results in input order.
//!     let mut pool = Pool::new(world);
//!     let items: Vec<u64> = (0..100).collect();
//!     if let Some(squares) = pool.map(&items, |x| x * x)? {
//!         assert_eq!(squares.len(), 100);
//!     }
//!     // Queue: rank 0 produces, every other rank consumes until the queue is closed.
//!     let mut q = Queue::<String>::new(world, 8, world.is_root(), !world.is_root())?;
//!     if world.is_root() {
//!         for i in 0..10 {
//!             q.put(&format!("job {i}"))?;
//!         }
//!         q.close()?;
//!     } else {
//!         while let Some(job) = q.get()? {
//!             println!("rank {} took {job}", world.rank());
//!         }
//!     }
//!     q.finish()?; // every rank: rank 0 serves the others until they are done
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! });
//! ```

pub(crate) mod journal;
pub(crate) mod pool;
pub(crate) mod protocol;
pub(crate) mod queue;
pub(crate) mod recovery;

pub use pool::{Completed, Pool, TaskError, TaskResult};
pub use queue::Queue;
