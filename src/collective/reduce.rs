//! Reduction collectives: reduce / allreduce of scalars and buffers (slices, `Vec`s, ndarray
//! arrays) with MPI's
//! built-in operations or a Rust closure, reduce-scatter by rows, inclusive and exclusive
//! scans, and non-blocking allreduce and broadcast (mpi4py's `Reduce`, `Allreduce`,
//! `Reduce_scatter`, `Scan`, `Exscan`, `Iallreduce`, `Ibcast`).
//!
//! Arrays of any size work (reductions run in pieces of at most
//! [`max_message_bytes`](crate::runtime::max_message_bytes)). Shapes must agree on all ranks; a
//! mismatch is the same `Err` on every rank.

use mpi::collective::{CommunicatorCollectives, Root};
use mpi::topology::{Communicator, Rank};

use crate::collective::buffer::{with_contiguous_mut, Buffer, BufferMut};
use crate::collective::element::Element;
use crate::collective::large;
pub use crate::collective::op::ReduceOp;
use crate::collective::plans::reduce_scatter_plan;
use crate::collective::reduce_ops::{
    allreduce_loc, allreduce_with_op, reduce_with_op, scan_with_op, user_op,
};
use crate::collective::shape::{agree_lengths, check_root};
use crate::data::alloc::zeroed_vec;
use crate::data::partition::RowPartition;
use crate::error::Result;

/// Reductions on scalars and buffers (slices, `Vec`s, ndarray arrays), for any rsmpi
/// communicator and for [`World`](crate::World).
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::ndarray::array;
/// use mpikit::ReduceOp;
/// mpikit::run(|world| {
///     let r = world.rank() as f64;
///     let mine = array![[r, 1.0], [2.0 * r, 1.0]];
///     let total = world.allreduce_array(&mine, ReduceOp::Sum)?;          // MPI_SUM
///     let biggest = world.allreduce_array_with(&mine, |a, b| a.max(b))?; // a closure
///     let upto_me = world.scan_array(&mine, ReduceOp::Sum)?;             // inclusive prefix
///     let my_rows = world.reduce_scatter_rows(&mine, ReduceOp::Sum)?;    // total, split by rows
///     let counts = world.allreduce_array(&vec![1u64, world.rank() as u64], ReduceOp::Sum)?;
///     let pending = world.immediate_allreduce_array(&mine, ReduceOp::Max)?;
///     // ... overlap other work ...
///     let maxima = pending.wait()?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait ArrayReductions: Communicator {
    /// Combines one value from every rank with `op`; the root gets `Some(result)`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let total = world.reduce_scalar(0, world.rank() as u64, ReduceOp::Sum)?;
    ///     if let Some(total) = total {
    ///         let n = world.size() as u64;
    ///         assert_eq!(total, n * (n - 1) / 2); // 0 + 1 + ... + (n - 1), on rank 0 only
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_scalar<T: Element>(&self, root: Rank, value: T, op: ReduceOp) -> Result<Option<T>> {
        check_root(self, root)?;
        let op = op.for_type::<T>("reduce_scalar")?;
        let proc = self.process_at_rank(root);
        if self.rank() == root {
            let mut out = T::default();
            proc.reduce_into_root(&value, &mut out, op);
            Ok(Some(out))
        } else {
            proc.reduce_into(&value, op);
            Ok(None)
        }
    }

    /// Combines one value from every rank with `op`; every rank gets the result.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let biggest = world.allreduce_scalar(world.rank(), ReduceOp::Max)?;
    ///     assert_eq!(biggest, world.size() - 1);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_scalar<T: Element>(&self, value: T, op: ReduceOp) -> Result<T> {
        let op = op.for_type::<T>("allreduce_scalar")?;
        let mut out = T::default();
        self.all_reduce_into(&value, &mut out, op);
        Ok(out)
    }

    /// Element-wise reduction of same-shaped buffers; the root gets `Some(result)`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let counts = world.reduce_array(0, &[1u32, world.rank() as u32], ReduceOp::Sum)?;
    ///     if let Some(counts) = counts {
    ///         let n = world.size() as u32;
    ///         assert_eq!(counts, vec![n, n * (n - 1) / 2]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_array<B>(&self, root: Rank, local: &B, op: ReduceOp) -> Result<Option<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        reduce_with_op(self, root, local, op.for_type::<B::Elem>("reduce_array")?)
    }

    /// [`reduce_array`](Self::reduce_array) with an associative closure, applied in rank
    /// order (`f(lower rank's value, higher rank's value)`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // The largest magnitude of each element, on rank 0.
    ///     let r = world.rank() as f64;
    ///     if let Some(m) = world.reduce_array_with(0, &[-r, 0.5], |a, b| a.abs().max(b.abs()))? {
    ///         assert_eq!(m, vec![(world.size() - 1) as f64, 0.5]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_array_with<B, F>(&self, root: Rank, local: &B, f: F) -> Result<Option<B::Owned>>
    where
        B: Buffer + ?Sized,
        F: Fn(B::Elem, B::Elem) -> B::Elem + Sync,
    {
        reduce_with_op(self, root, local, &user_op(f))
    }

    /// Element-wise reduction into a buffer the caller gives (`MPI_Allreduce`, mpi4py's
    /// `Allreduce(sendbuf, recvbuf)`): no shapes travel and nothing is allocated. `out` must
    /// have `local`'s length (checked here: a mismatch panics, which aborts the job), and
    /// every rank must pass the same length (checked across ranks in debug builds and under
    /// `MPIKIT_CHECK=1`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let local = vec![1.0f64; 1000];
    ///     let mut total = vec![0.0f64; 1000]; // reusable call after call: nothing is allocated
    ///     world.allreduce_array_into(&local, &mut total, ReduceOp::Sum)?;
    ///     assert_eq!(total, vec![world.size() as f64; 1000]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_array_into<B, R>(&self, local: &B, out: &mut R, op: ReduceOp) -> Result<()>
    where
        B: Buffer + ?Sized,
        R: BufferMut<Elem = B::Elem> + ?Sized,
    {
        let op = op.for_type::<B::Elem>("allreduce_array_into")?;
        let ok = local.buffer_len() == out.buffer_len();
        agree_lengths(self, local.buffer_len(), ok, "allreduce_array_into")?;
        if !ok {
            return Err(crate::Error::Shape(
                "allreduce_array_into needs an output as long as the input".into(),
            ));
        }
        let local = local.contiguous();
        with_contiguous_mut(out, |o| large::allreduce(self, &local, o, op));
        Ok(())
    }

    /// Element-wise reduction of same-shaped buffers; every rank gets the result.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ndarray::array;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let r = world.rank() as f64;
    ///     let total = world.allreduce_array(&array![[1.0, r], [0.0, 2.0]], ReduceOp::Sum)?;
    ///     let n = world.size() as f64;
    ///     assert_eq!(total, array![[n, n * (n - 1.0) / 2.0], [0.0, 2.0 * n]]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_array<B>(&self, local: &B, op: ReduceOp) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        allreduce_with_op(self, local, op.for_type::<B::Elem>("allreduce_array")?)
    }

    /// [`allreduce_array`](Self::allreduce_array) with an associative closure, in rank order.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let r = world.rank() as f64;
    ///     let top = world.allreduce_array_with(&[r, -r], |a, b| a.max(b))?;
    ///     assert_eq!(top, vec![(world.size() - 1) as f64, 0.0]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_array_with<B, F>(&self, local: &B, f: F) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
        F: Fn(B::Elem, B::Elem) -> B::Elem + Sync,
    {
        allreduce_with_op(self, local, &user_op(f))
    }

    /// Element-wise reduction of same-shaped buffers whose result is split by rows over the
    /// ranks: rank r gets the rows [`RowPartition`] gives it (`MPI_Reduce_scatter`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mine: Vec<u64> = world.reduce_scatter_rows(&vec![1u64; 10], ReduceOp::Sum)?;
    ///     // This rank's balanced block of the 10 sums.
    ///     assert_eq!(mine, vec![world.size() as u64; world.block(10).len()]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_scatter_rows<B>(&self, local: &B, op: ReduceOp) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        let rows = local.buffer_shape().first().copied().unwrap_or(0);
        let counts = RowPartition::new(&[rows], self.size() as usize).element_counts();
        self.reduce_scatterv_rows(local, &counts, op)
    }

    /// [`reduce_scatter_rows`](Self::reduce_scatter_rows) with `rows[r]` rows of the result
    /// for rank `r` (`MPI_Reduce_scatter` with per-rank counts, mpi4py's `Reduce_scatter`
    /// with `recvcounts`). Every rank passes the same `rows`, one entry per rank, adding up
    /// to the buffer's rows; otherwise the same `Err` on every rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     // The whole sum to the last rank, nothing to the others.
    ///     let n = world.size_count();
    ///     let mut rows = vec![0; n];
    ///     rows[n - 1] = 4;
    ///     let mine: Vec<i64> = world.reduce_scatterv_rows(&[1i64; 4], &rows, ReduceOp::Sum)?;
    ///     assert_eq!(mine, vec![n as i64; rows[world.rank_index()]]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_scatterv_rows<B>(&self, local: &B, rows: &[usize], op: ReduceOp) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        let what = "reduce_scatterv_rows";
        let op = op.for_type::<B::Elem>(what)?;
        let (counts, mine) = reduce_scatter_plan(self, &local.buffer_shape(), rows, what)?;
        let displs = large::displs_of(&counts);
        let send = local.contiguous();
        let rank = self.rank() as usize;
        let mut recv = zeroed_vec(counts[rank]);
        // One reduction per rank's block, each to its owner, in pieces: the same data as
        // MPI_Reduce_scatter, and no count limit.
        for (r, (&c, &d)) in counts.iter().zip(&displs).enumerate() {
            let out = (r == rank).then_some(&mut recv[..]);
            large::reduce(self, r as Rank, &send[d..d + c], out, op);
        }
        Ok(B::from_parts(&mine, recv))
    }

    /// Inclusive prefix reduction (`MPI_Scan`): rank r gets `x0 op x1 op ... op xr`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let r = world.rank() as u64;
    ///     let upto: Vec<u64> = world.scan_array(&[1u64, r], ReduceOp::Sum)?;
    ///     assert_eq!(upto, vec![r + 1, r * (r + 1) / 2]); // sums over ranks 0..=r
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scan_array<B>(&self, local: &B, op: ReduceOp) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        Ok(scan_with_op(self, local, op, false)?.expect("inclusive scans give every rank a value"))
    }

    /// Exclusive prefix reduction (`MPI_Exscan`): rank r > 0 gets `Some(x0 op ... op x(r-1))`,
    /// rank 0 gets `None`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     // Where this rank's 100 items start in a global numbering.
    ///     let start = world.exscan_array(&[100u64], ReduceOp::Sum)?.map_or(0, |s| s[0]);
    ///     assert_eq!(start, 100 * world.rank() as u64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn exscan_array<B>(&self, local: &B, op: ReduceOp) -> Result<Option<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        scan_with_op(self, local, op, true)
    }

    /// The element-wise maximum over the ranks and, for each element, the lowest rank that
    /// holds it (`MPI_MAXLOC` with the rank as the location: ties go to the lowest rank, as
    /// MPI's rule has it; a NaN maximum goes to the lowest rank holding a NaN there). For
    /// integer and float elements.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let (max, owner) = world.allreduce_maxloc(&[world.rank() as f64, 1.0])?;
    ///     let last = world.size() - 1;
    ///     assert_eq!(max, vec![last as f64, 1.0]);
    ///     assert_eq!(owner, vec![last, 0]); // a tie goes to the lowest rank
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_maxloc<B>(&self, local: &B) -> Result<(B::Owned, Vec<Rank>)>
    where
        B: Buffer + ?Sized,
    {
        allreduce_loc(self, local, ReduceOp::Max, "allreduce_maxloc")
    }

    /// [`allreduce_maxloc`](Self::allreduce_maxloc) for the minimum (`MPI_MINLOC`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let (min, owner) = world.allreduce_minloc(&[-(world.rank() as f64), 1.0])?;
    ///     let last = world.size() - 1;
    ///     assert_eq!(min, vec![-(last as f64), 1.0]);
    ///     assert_eq!(owner, vec![last, 0]); // a tie goes to the lowest rank
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_minloc<B>(&self, local: &B) -> Result<(B::Owned, Vec<Rank>)>
    where
        B: Buffer + ?Sized,
    {
        allreduce_loc(self, local, ReduceOp::Min, "allreduce_minloc")
    }
}

impl<C: Communicator + ?Sized> ArrayReductions for C {}
