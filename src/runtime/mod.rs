//! A job's life: MPI started once ([`run`], [`World`]), the threads of each rank, an error or
//! panic on any rank ending the whole job with its rank and message instead of hanging it,
//! each rank's outcome turned into one decision before the next collective ([`agree`]),
//! memory checked before a large allocation ([`check_memory`]), time limits that say where
//! each rank was ([`Watchdog`]), progress lines, and per-phase timings over ranks
//! ([`PhaseTimer`], [`report`]).
//!
//! Messages of any size travel in pieces of at most [`max_message_bytes`] (1 GiB;
//! `MPIKIT_MAX_MESSAGE_BYTES` lowers it), so counts past MPI's 32-bit limit work in every
//! call.
//!
//! ```no_run
//! use mpikit::runtime::{agree, PhaseTimer};
//! use mpikit::Error;
//!
//! mpikit::run(|world| {
//!     let mut timer = PhaseTimer::new();
//!     // A value only some ranks can read: every rank gets the same Ok or the same Err.
//!     let parsed = timer.time("parse", || {
//!         std::env::var("STEPS").unwrap_or_else(|_| "10".into()).parse::<u32>().map_err(Error::input)
//!     });
//!     let steps = agree(world, parsed)?;
//!     for phase in timer.summarize(world)? {
//!         if world.is_root() {
//!             println!("{phase:?} ({steps} steps)");
//!         }
//!     }
//!     Ok::<(), Error>(())
//! });
//! ```

pub(crate) mod agree;
pub(crate) mod backoff;
pub(crate) mod launcher;
pub(crate) mod memory;
pub(crate) mod panic;
pub(crate) mod progress;
pub mod report;
pub(crate) mod run;
pub(crate) mod threads;
pub(crate) mod watchdog;
pub(crate) mod world;

pub use crate::collective::large::{max_message_bytes, MAX_MESSAGE_ENV};
pub use agree::agree;
pub use launcher::{launcher_mismatch, launcher_rank_and_size};
pub use memory::{available_memory, check_memory, human_bytes};
pub use panic::{abort_job, install_panic_hook};
pub use progress::Progress;
pub use report::{MemorySummary, PhaseSummary, PhaseTimer};
pub use run::{default_threading, run, run_with_threading, ERROR_EXIT};
pub use watchdog::{Watchdog, WATCHDOG_EXIT};
pub use world::{Comm, World, THREADS_ENV};
