//! Non-blocking calls and their handles: start a collective or a message, compute, then
//! wait (mpi4py's `Ibcast`, `Iallreduce`, `isend`, `irecv`, `Request.Waitall`, ...).
//!
//! [`ImmediateCollectives`] starts non-blocking collectives and returns a [`Pending`], which
//! owns the buffers until it completes; [`Receiving`] is a posted object receive;
//! [`RequestSet`] waits for or tests many handles at once and says which finished
//! ([`Completion`]). Dropping a handle waits for it (or, for a posted receive, cancels it),
//! so MPI never writes into freed memory.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use mpikit::ReduceOp;
//!
//! mpikit::run(|world| {
//!     let local = vec![world.rank() as f64; 1000];
//!     // Start the sum, do other work, then collect it.
//!     let pending = world.immediate_allreduce_array(&local, ReduceOp::Sum)?;
//!     let busy: f64 = (0..1000).map(|i| i as f64).sum();
//!     let total = pending.wait()?;
//!     assert!(busy > 0.0 && total.len() == 1000);
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub use crate::collective::immediate::ImmediateCollectives;
pub use crate::collective::pending::Pending;
pub use crate::collective::receiving::Receiving;
pub use crate::collective::request_set::Completion;
pub use crate::collective::request_set::RequestSet;
