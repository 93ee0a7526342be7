//! # mpikit: MPI-style parallel programs in Rust
//!
//! mpikit gives Python's parallel idioms — `multiprocessing.Pool.map`, queues, mpi4py's
//! collectives, numpy arrays in chunks — to Rust programs that run on a real MPI library
//! through [rsmpi](https://docs.rs/mpi). The same binary runs on a laptop (`mpirun -n 4`), a
//! CI box and a cluster (`srun`), with threads inside each rank.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use mpikit::stats::{Partial, Stat};
//!
//! fn main() {
//!     // MPI starts here; an Err or a panic on any rank ends the whole job with its message.
//!     mpikit::run(|world| {
//!         // Each rank builds its own block of 0..n and reduces it with its threads.
//!         let n = 1_000_000;
//!         let x: Vec<f64> = world.block(n).map(|i| i as f64).collect();
//!         let total = Partial::local(Stat::Sum, &x, world.pool())?.combine(world)?;
//!         if world.is_root() {
//!             println!("sum = {total}");
//!         }
//!         Ok::<(), mpikit::Error>(())
//!     });
//! }
//! ```
//!
//! Launch with `mpirun -n 4 target/release/your-program`; `docs/clusters.md` has the settings
//! Open MPI needs as root or with more ranks than cores, and `docs/guide.md` walks through
//! Python's idioms side by side.
//!
//! ## Where things are
//!
//! The crate root holds what every program needs: [`run`], [`World`], [`Error`] and
//! [`Result`], [`DistArray`] and [`Grid`], [`Pool`], [`ReduceOp`], the [`prelude`] of traits,
//! and the crates mpikit's types come from ([`mpi`], [`ndarray`], [`rayon`],
//! [`num_complex`]). The rest is reached through its module:
//!
//! | module | what | mpi4py / Python |
//! | --- | --- | --- |
//! | [`buffers`] | numbers sent as they lie: collectives, reductions, in place, tagged messages | `Bcast`, `Scatter`, `Allreduce`, `Send`, `Recv` |
//! | [`objects`] | any `serde` value as bytes: messages and collectives | `send`, `recv`, `bcast`, `gather`, `allreduce` |
//! | [`p2p`] | neighbour exchanges, `PROC_NULL` | `sendrecv`, `Sendrecv` |
//! | [`requests`] | non-blocking collectives and the handles of everything non-blocking | `Ibcast`, `Iallreduce`, `Request.Waitall` |
//! | [`rma`] | one-sided windows, node-shared arrays, counters and locks across ranks | `Win`, `Win.Allocate_shared`, `util.sync`, `Lock` |
//! | [`distarray`] | the chunked array: halos, stencils, redistribution, transposes, sorting | numpy arrays in chunks, heat |
//! | [`fft`] | distributed FFTs: complex and real, slabs and pencils, planned once | `np.fft.fftn`, `rfftn`, FFTW's MPI transforms |
//! | [`sparse`] | sparse matrices by rows: built from triplets, `A·x` with ghost entries only, Matrix Market files | `scipy.sparse`, PETSc `Mat` |
//! | [`stats`] | threaded statistics combined in one reduction, exact medians, exact sums | `np.sum`, `np.median`, `math.fsum` |
//! | [`io`] | `.npy`, `.npz` and raw files read and written by every rank | `np.load`, `np.save` |
//! | [`tasks`] | a task pool and a queue across ranks | `Pool.map`, `as_completed`, `Queue` |
//! | [`data`] | each rank's share of a range, fresh memory, random values by index | `np.array_split` |
//! | [`runtime`] | the job: threads, agreement, memory checks, time limits, timings | |
//!
//! ## Conventions
//!
//! One calling convention holds for every method:
//!
//! - Every collective returns [`Result`], with the same `Err` on every rank for anything that
//!   depends on data (a root that passes `None` where it must pass data included); nothing
//!   data-dependent panics.
//! - Data that only the root has is an `Option<&T>`: `Some` on the root, ignored elsewhere.
//! - Buffers are slices, `Vec`s or ndarray arrays ([`buffers::Buffer`]). Values a call only
//!   reads are borrowed (`&T`); values a call consumes (a reduction folds them, a
//!   non-blocking call holds them until it completes) are taken by value.
//! - Names follow mpi4py's verbs with rsmpi's affixes: `_into` writes into a buffer the
//!   caller lends; `_owned` takes owned buffers and hands them back when the call completes;
//!   `immediate_` starts a non-blocking call; `_with` takes a closure.
//! - Every non-blocking collective is a method of [`requests::ImmediateCollectives`], every
//!   handle ([`requests::Pending`], [`requests::Receiving`]) has `wait() -> Result<T>` and
//!   `test() -> Result<Option<T>>`, goes into a [`requests::RequestSet`], and when dropped
//!   unfinished waits (a send or a collective) or cancels (a posted receive).
//! - The [`prelude`] brings mpikit's traits only; rsmpi's come with
//!   `use mpikit::mpi::traits::*;` and share one method name with mpikit's,
//!   `immediate_barrier` (call it as `ImmediateCollectives::immediate_barrier(&world)` when
//!   both are in scope).
//! - Programs run inside [`run`], so an `Err` or a panic on one rank ends the job at once.

#![deny(missing_docs)]

pub mod buffers;
pub mod checkpoint;
mod collective;
pub mod data;
pub mod distarray;
mod error;
pub mod fft;
#[cfg(feature = "hdf5")]
pub mod hdf5;
pub mod io;
pub mod objects;
pub mod p2p;
mod raw;
pub mod requests;
pub mod rma;
pub mod runtime;
pub mod sparse;
pub mod stats;
pub mod tasks;

/// The pages under `docs/`, compiled by `cargo test --doc`: every Rust block in them builds
/// against this version of the library (the README's program is built and run by
/// tests/dependent.rs).
#[cfg(doctest)]
mod docs {
    #[doc = include_str!("../docs/guide.md")]
    mod guide {}
    #[doc = include_str!("../docs/parsum.md")]
    mod parsum {}
    #[doc = include_str!("../docs/clusters.md")]
    mod clusters {}
    #[doc = include_str!("../docs/performance.md")]
    mod performance {}
    #[doc = include_str!("../docs/design.md")]
    mod design {}
}

pub use collective::op::ReduceOp;
pub use distarray::{DistArray, Grid};
pub use error::{Error, Result};
pub use runtime::{run, World};
pub use tasks::Pool;

pub use mpi;
/// ndarray, re-exported: use `mpikit::ndarray` so that your arrays are the version mpikit's
/// collectives take (a second ndarray in the build gives "multiple different versions of
/// crate ndarray" errors).
pub use ndarray;
/// num-complex, re-exported: `Complex<f32>` and `Complex<f64>` are [`Element`](buffers::Element)s.
pub use num_complex;
/// rayon, re-exported: the thread pools that [`World::pool`] and the kernels use.
pub use rayon;

/// mpikit's traits, and only those: `use mpikit::prelude::*;` brings every mpikit method
/// into scope on any communicator and on [`World`]. With rsmpi's traits in scope too, one
/// name is on both sides, `immediate_barrier` (name the trait to call it). rsmpi's own traits (`comm.rank()` on a split communicator, `barrier()`, rsmpi's
/// collectives) come with `use mpikit::mpi::traits::*;`.
pub mod prelude {
    pub use crate::collective::array::ArrayCollectives;
    pub use crate::collective::array_p2p::ArrayMessages;
    pub use crate::collective::immediate::ImmediateCollectives;
    pub use crate::collective::in_place::InPlaceCollectives;
    pub use crate::collective::object::ObjectCollectives;
    pub use crate::collective::object_messages::ObjectMessages;
    pub use crate::collective::p2p::SendReceive;
    pub use crate::collective::reduce::ArrayReductions;
    pub use crate::data::partition::Blocks;
    pub use crate::runtime::world::Comm;
}
