//! Buffers: slices, `Vec`s and ndarray arrays of plain numbers sent as they lie in memory
//! (mpi4py's uppercase methods: `Bcast`, `Scatter`, `Gather`, `Allreduce`, `Send`, `Recv`).
//!
//! Any [`Element`] (integers, floats, `bool`, complex numbers) in a [`Buffer`] travels
//! without encoding. [`ArrayCollectives`] moves data (broadcast, scatter, gather, allgather,
//! all-to-all, by rows or into buffers the caller lends), [`ArrayReductions`] combines it
//! (reduce, allreduce, reduce-scatter, scans, with a [`ReduceOp`] or a closure),
//! [`InPlaceCollectives`] works in the caller's buffer (`MPI_IN_PLACE`), and
//! [`ArrayMessages`] sends and receives buffers point to point with tags. Calls that return a
//! new array allocate it; the `_into` forms write into a buffer the caller lends.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use mpikit::ndarray::Array2;
//! use mpikit::ReduceOp;
//!
//! mpikit::run(|world| {
//!     // Rank 0's 10 x 3 array in balanced blocks of rows, one per rank.
//!     let whole = world.is_root().then(|| Array2::<f64>::ones((10, 3)));
//!     let mine: Array2<f64> = world.scatter_rows(0, whole.as_ref())?;
//!     // Column sums over every rank, on every rank.
//!     let sums = world.allreduce_array(&mine.sum_axis(mpikit::ndarray::Axis(0)), ReduceOp::Sum)?;
//!     assert_eq!(sums.to_vec(), vec![10.0; 3]);
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub use crate::collective::array::ArrayCollectives;
pub use crate::collective::array_p2p::ArrayMessages;
pub use crate::collective::buffer::{Buffer, BufferMut, OwnedBuffer, OwnedBufferMut};
pub use crate::collective::element::Element;
pub use crate::collective::in_place::InPlaceCollectives;
pub use crate::collective::object_messages::BufferStatus;
pub use crate::collective::op::{reduce_local_into, ReduceOp};
pub use crate::collective::reduce::ArrayReductions;
pub use crate::collective::shape::MAX_DIMS;
pub use crate::raw::in_place as mpi_in_place;
