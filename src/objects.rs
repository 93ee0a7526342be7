//! Objects: any `serde` value sent as bincode bytes (mpi4py's lowercase methods: `send`,
//! `recv`, `isend`, `irecv`, `bcast`, `scatter`, `gather`, `allgather`, `alltoall`,
//! `reduce`, `allreduce`, `scan`, `exscan`).
//!
//! [`ObjectCollectives`] has the blocking calls and the collectives, with reductions by any
//! closure applied in rank order; [`ObjectMessages`] the non-blocking receives and
//! synchronous sends, whose handles live in [`requests`](crate::requests). Objects of any
//! size travel: a point-to-point object is one message of a 16-byte header and the first
//! [`FIRST_BYTES`] bytes, then, when it is larger, a continuation on a private channel that
//! no other receive can match. Bytes that do not decode as the requested type give
//! [`Error::Decode`](crate::Error::Decode), never a panic; a value that fails to encode on
//! one rank of a collective is an [`Error::Encode`](crate::Error::Encode) on every rank.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use std::collections::BTreeMap;
//!
//! mpikit::run(|world| {
//!     // mpi4py: config = comm.bcast(config if rank == 0 else None)
//!     let config = world.is_root().then(|| BTreeMap::from([("steps".to_string(), 10)]));
//!     let config = world.broadcast_object(0, config.as_ref())?;
//!     // Every rank's name on rank 0, in rank order.
//!     let names = world.gather_objects(0, &format!("rank {}", world.rank()))?;
//!     if let Some(names) = names {
//!         println!("{config:?} {names:?}");
//!     }
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub use crate::collective::codec::ObjectStatus;
pub use crate::collective::message::FIRST_BYTES;
pub use crate::collective::object::ObjectCollectives;
pub use crate::collective::object_messages::ObjectMessages;
pub use crate::collective::tree::tree_traffic;
