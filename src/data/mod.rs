//! The data each rank holds: its share of a global range ([`Partition`], [`Blocks`],
//! [`RowPartition`]: mpi4py's chunking arithmetic, balanced so that block sizes differ by at
//! most one), fresh memory first touched by the threads that will use it ([`zeroed_vec`],
//! [`par_from_fn`], [`par_arange`], [`advise_huge_pages`]), and random values by global
//! index ([`Random`]), the same whatever the rank count.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use mpikit::data::{par_from_fn, Partition, Random};
//!
//! mpikit::run(|world| {
//!     let n = 1_000_003;
//!     // This rank's block of 0..n: the same as Partition::new(n, size).range(rank).
//!     let mine = world.block(n);
//!     assert_eq!(mine, Partition::new(n, world.size() as usize).range(world.rank() as usize));
//!     // Its values, written by this rank's threads: value i depends on i alone.
//!     let rng = Random::new(7);
//!     let x = par_from_fn(mine.len(), world.pool(), |k| rng.uniform((mine.start + k) as u64));
//!     assert_eq!(x.len(), mine.len());
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub(crate) mod alloc;
pub(crate) mod dtype;
pub(crate) mod file_summary;
pub(crate) mod inflate;
pub(crate) mod npy;
pub(crate) mod npz;
pub(crate) mod partition;
pub(crate) mod passes;
pub(crate) mod random;
pub(crate) mod source;
pub(crate) mod summarize;
pub(crate) mod write;
pub(crate) mod zipfmt;

pub use alloc::{advise_huge_pages, par_arange, par_from_fn, zeroed_vec, HUGE_PAGE_THRESHOLD};
pub use partition::{Blocks, Partition, RowPartition};
pub use random::Random;
