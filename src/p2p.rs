//! Neighbours: send to one rank and receive from another in one deadlock-free step
//! (`MPI_Sendrecv`, mpi4py's `sendrecv`, `Sendrecv`, `Sendrecv_replace`), objects and
//! buffers, with [`PROC_NULL`] for "no rank" at the ends of a chain.
//!
//! Tagged sends and receives of one kind of data live with that data:
//! [`ArrayMessages`](crate::buffers::ArrayMessages) for buffers,
//! [`ObjectCollectives::send_object`](crate::objects::ObjectCollectives::send_object) and
//! [`ObjectMessages`](crate::objects::ObjectMessages) for objects.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use mpikit::p2p::PROC_NULL;
//!
//! mpikit::run(|world| {
//!     let (rank, size) = (world.rank(), world.size());
//!     let right = if rank + 1 < size { rank + 1 } else { PROC_NULL };
//!     let left = if rank > 0 { rank - 1 } else { PROC_NULL };
//!     // Each rank passes its value right and gets its left neighbour's (none on rank 0).
//!     let got: Option<i32> = world.send_receive_object(&rank, right, left)?;
//!     assert_eq!(got, (rank > 0).then(|| rank - 1));
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub use crate::collective::p2p::SendReceive;
pub use crate::collective::shape::PROC_NULL;
