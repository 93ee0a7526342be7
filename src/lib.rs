//! # mpikit: MPI-style parallel programs in Rust
//!
//! mpikit gives Python's parallel idioms — `multiprocessing.Pool.map`, mpi4py's
//! collectives — to Rust programs that run on a real MPI library through
//! [rsmpi](https://docs.rs/mpi). The same binary runs on a laptop (`mpirun -n 4`), a CI box
//! and a cluster (`srun`), with threads inside each rank.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use mpikit::{Partial, Stat};
//!
//! fn main() {
//!     // MPI starts here; an Err or a panic on any rank ends the whole job with its message.
//!     mpikit::run(|world| {
//!         // Each rank builds its own block of 0..n and reduces it with its threads.
//!         let n = 1_000_000;
//!         let x: Vec<f64> = world.block(n).map(|i| i as f64).collect();
//!         let total = Partial::local(Stat::Sum, &x, world.pool()).combine(world)?;
//!         if world.is_root() {
//!             println!("sum = {total}");
//!         }
//!         Ok::<(), mpikit::Error>(())
//!     });
//! }
//! ```
//!
//! Launch with `mpirun -n 4 target/release/your-program`; `docs/clusters.md` has the settings
//! Open MPI needs as root or with more ranks than cores.
//!
//! - [`run`] and [`World`]: MPI started once, node-local ranks, a default thread count per
//!   rank with its ready [`World::pool`]; an error or panic on one rank ends the whole job
//!   instead of hanging it. `World` is the world communicator: every collective is a method
//!   of `world`, and [`Blocks`] gives its balanced blocks (`world.block(n)`).
//! - [`Partition`] / [`RowPartition`]: balanced block chunking (counts, displacements,
//!   ranges), the arithmetic behind every scatter and gather.
//! - [`ArrayCollectives`] and [`ArrayReductions`]: buffer collectives on any communicator
//!   (mpi4py's uppercase methods) for slices, `Vec`s and ndarray arrays of any [`Element`]
//!   type ([`Buffer`]): broadcast, scatter(v), gather(v), allgather(v), alltoall(v) by rows;
//!   reduce / allreduce with MPI operations or closures, reduce-scatter, scans,
//!   non-blocking allreduce and broadcast ([`Pending`]).
//! - [`ObjectCollectives`]: any `serde` value as bincode bytes (mpi4py's lowercase
//!   methods): send / receive / non-blocking send, broadcast, scatter, gather, allgather,
//!   alltoall, reduce, allreduce, scan, exscan with closures applied in rank order.
//! - [`Pool`]: a master-worker task pool (`Pool.map`, `imap_unordered`, `as_completed`)
//!   with dynamic load balancing and per-task errors; [`Queue`]: a bounded
//!   producer/consumer queue across ranks.
//! - Every call works past MPI's 32-bit counts: messages over 2^31 elements or bytes travel
//!   in pieces of at most [`max_message_bytes`] (1 GiB; `MPIKIT_MAX_MESSAGE_BYTES` lowers it).
//! - [`Partial`], [`Histogram`] and the [`kernels`]: threaded, vectorised local statistics,
//!   combined across ranks in one reduction; [`Random`]: random values by global index, the
//!   same for any rank count.
//! - [`Summary`] (sum, sumsq, min, max, mean, var, std, count, stats; NaN policies; exact
//!   integer sums; Welford merging) and [`ExactSum`], a superaccumulator for correctly
//!   rounded, bitwise-reproducible floating-point sums across any ranks and threads.
//! - [`summarize_file`] and [`write_npy`]: `.npy` and raw files reduced or written across
//!   ranks in small pieces (each rank its own slice, or rank 0 for all), from a path or any
//!   [`DataFile`] (a [`ReadAt`] of one's own, such as a decoding reader); [`median`],
//!   [`quantiles`] and [`histogram`] exactly over any [`Passes`] source; [`agree`] turns each
//!   rank's outcome into one decision before the next collective.
//! - [`PhaseTimer`]: phase timings summarised over ranks; [`Progress`]: rate and ETA lines;
//!   [`Watchdog`]: a time limit that says where each rank was.
//!
//! **Conventions.** Every collective returns [`Result`], with the same `Err` on every rank
//! for anything that depends on data; data that only the root has is an `Option<&T>`
//! (`Some` on the root); buffers are slices, `Vec`s or ndarray arrays; method names follow
//! rsmpi's (`_into` writes into a buffer the caller gives, `immediate_` starts a
//! non-blocking call, `_with` takes a closure).

#![deny(missing_docs)]

mod collective;
mod data;
mod distarray;
mod error;
mod runtime;
mod stats;
mod tasks;

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

pub use collective::array::ArrayCollectives;
pub use collective::array_p2p::ArrayMessages;
pub use collective::buffer::{Buffer, BufferMut};
pub use collective::codec::ObjectStatus;
pub use collective::element::Element;
pub use collective::immediate::ImmediateCollectives;
pub use collective::in_place::InPlaceCollectives;
pub use collective::large::{max_message_bytes, MAX_MESSAGE_ENV};
pub use collective::message::FIRST_BYTES;
pub use collective::object::ObjectCollectives;
pub use collective::op::{reduce_local_into, ReduceOp};
pub use collective::p2p::SendReceive;
pub use collective::pending::Pending;
pub use collective::reduce::ArrayReductions;
pub use collective::requests::{BufferStatus, Completion, ObjectMessages, Receiving, RequestSet};
pub use collective::shape::MAX_DIMS;
pub use collective::shape::PROC_NULL;
pub use data::alloc::{
    advise_huge_pages, par_arange, par_from_fn, zeroed_vec, HUGE_PAGE_THRESHOLD,
};
pub use data::input::{summarize_file, write_npy, Axis, FilePasses, ReadMode};
pub use data::npy::{ByteOrder, Dtype, FileLayout};
pub use data::partition::{Blocks, Partition, RowPartition};
pub use data::random::Random;
pub use data::source::{DataFile, ReadAt};
pub use distarray::array::DistArray;
pub use distarray::grid::Grid;
pub use distarray::state::{Boundary, Halo};
pub use distarray::stencil::{Neighbourhood, Stencil, StencilElement};
pub use error::{Error, Result};
pub use runtime::agree::agree;
pub use runtime::memory::{available_memory, check_memory};
pub use runtime::panic::install_panic_hook;
pub use runtime::progress::Progress;
pub use runtime::report;
pub use runtime::report::{MemorySummary, PhaseSummary, PhaseTimer};
pub use runtime::run::{default_threading, run, run_with_threading, ERROR_EXIT};
pub use runtime::watchdog::{Watchdog, WATCHDOG_EXIT};
pub use runtime::world::{Comm, World, THREADS_ENV};
pub use stats::exact::ExactSum;
pub use stats::histogram::Histogram;
pub use stats::kernels;
pub use stats::kernels::{Partial, Real, Stat};
pub use stats::order::{histogram, median, quantiles, QuantileMethod};
pub use stats::radix::{InMemory, Passes};
pub use stats::summary::{
    summarize_floats, FloatSummary, IntSummary, NanPolicy, Op, Spec, Summary,
};
pub use stats::value::{Stats, Value};
pub use tasks::pool::{Completed, Pool, TaskError, TaskResult};
pub use tasks::queue::Queue;

/// rsmpi, re-exported so programs need no direct `mpi` dependency (and get the same version).
pub use mpi;
/// ndarray, re-exported: use `mpikit::ndarray` so that your arrays are the version mpikit's
/// collectives take (a second ndarray in the build gives "multiple different versions of
/// crate ndarray" errors).
pub use ndarray;
/// num-complex, re-exported: `Complex<f32>` and `Complex<f64>` are [`Element`]s.
pub use num_complex;
/// rayon, re-exported: the thread pools that [`World::pool`] and the kernels use.
pub use rayon;

/// Helpers for mpikit's own programs (parsum, mpikit-bench): not part of the library's API,
/// and free to change.
#[doc(hidden)]
pub mod cli_support {
    pub use crate::collective::in_place::in_place as mpi_in_place;
    pub use crate::collective::large::INTERNAL_TAG;
    pub use crate::collective::tree::tree_traffic;
    pub use crate::data::input::{write_file_with, write_values_at, IO_BYTES};
    pub use crate::data::npy::open as open_data_file;
    pub use crate::data::npy::{decode_floats, decode_ints};
    pub use crate::data::npz::is_zip;
    pub use crate::data::partition::{mpi_count, mpi_counts};
    pub use crate::runtime::launcher::{launcher_mismatch, launcher_rank_and_size};
    pub use crate::runtime::memory::human_bytes;
    pub use crate::runtime::progress::stderr_is_terminal;
}

/// Traits to bring into scope: `use mpikit::prelude::*;`.
pub mod prelude {
    pub use crate::collective::array::ArrayCollectives;
    pub use crate::collective::array_p2p::ArrayMessages;
    pub use crate::collective::immediate::ImmediateCollectives;
    pub use crate::collective::in_place::InPlaceCollectives;
    pub use crate::collective::object::ObjectCollectives;
    pub use crate::collective::p2p::SendReceive;
    pub use crate::collective::reduce::ArrayReductions;
    pub use crate::collective::requests::ObjectMessages;
    pub use crate::data::partition::Blocks;
    pub use mpi::collective::{CommunicatorCollectives, Root};
    pub use mpi::topology::Communicator;
}
