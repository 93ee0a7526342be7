//! ndarray reduction collectives: reduce / allreduce of scalars and arrays with MPI's
//! built-in operations or a Rust closure, reduce-scatter by rows, inclusive and exclusive
//! scans, and non-blocking allreduce and broadcast (mpi4py's `Reduce`, `Allreduce`,
//! `Reduce_scatter`, `Scan`, `Exscan`, `Iallreduce`, `Ibcast`).
//!
//! Arrays of any size work (reductions run in pieces of at most
//! [`max_message_bytes`](crate::max_message_bytes)). Shapes must agree on all ranks; a
//! mismatch is the same `Err` on every rank.

use mpi::collective::{CommunicatorCollectives, Root, SystemOperation, UserOperation};
use mpi::datatype::{DynBuffer, DynBufferMut};
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};
use ndarray::{Array, ArrayBase, Data, DataMut, Dimension};

use crate::collective::element::Element;
use crate::collective::large;
use crate::collective::pending::{start_each, Pending};
use crate::collective::shape::{
    agree_same_shape, check_root, contiguous, into_array, with_contiguous,
};
use crate::data::alloc::zeroed_vec;
use crate::data::partition::RowPartition;
use crate::error::{Error, Result};

/// Built-in MPI reduction operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    /// `MPI_SUM`
    Sum,
    /// `MPI_PROD`
    Product,
    /// `MPI_MIN`
    Min,
    /// `MPI_MAX`
    Max,
}

impl ReduceOp {
    /// The rsmpi operation.
    pub fn system(self) -> SystemOperation {
        match self {
            ReduceOp::Sum => SystemOperation::sum(),
            ReduceOp::Product => SystemOperation::product(),
            ReduceOp::Min => SystemOperation::min(),
            ReduceOp::Max => SystemOperation::max(),
        }
    }
}

/// An element-wise closure as an MPI user operation, applied in rank order: the result is
/// `f(f(x0, x1), x2)...`, so an associative but non-commutative `f` is fine.
fn user_op<'a, T: Element, F: Fn(T, T) -> T + Sync + 'a>(f: F) -> UserOperation<'a> {
    UserOperation::associative(move |lower: DynBuffer, acc: DynBufferMut| {
        let lower = lower
            .downcast::<T>()
            .expect("mpikit: user operation on another type");
        let acc = acc
            .downcast::<T>()
            .expect("mpikit: user operation on another type");
        for (a, &l) in acc.iter_mut().zip(lower) {
            *a = f(l, *a);
        }
    })
}

/// Reductions on scalars and ndarray arrays, for any rsmpi communicator.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::ReduceOp;
/// use ndarray::array;
/// let world = mpikit::World::init()?;
/// let comm = world.comm();
/// let r = comm.rank() as f64;
/// let mine = array![[r, 1.0], [2.0 * r, 1.0]];
/// let total = comm.allreduce_array(&mine, ReduceOp::Sum)?;          // MPI_SUM
/// let biggest = comm.allreduce_array_with(&mine, |a, b| a.max(b))?; // a closure
/// let upto_me = comm.scan_array(&mine, ReduceOp::Sum)?;             // inclusive prefix
/// let my_rows = comm.reduce_scatter_rows(&mine, ReduceOp::Sum)?;    // total, split by rows
/// let pending = comm.immediate_allreduce_array(&mine, ReduceOp::Max)?;
/// // ... overlap other work ...
/// let maxima = pending.wait();
/// # Ok::<(), mpikit::Error>(())
/// ```
pub trait ArrayReductions: Communicator {
    /// Combines one value from every rank with `op`; the root gets `Some(result)`.
    fn reduce_scalar<T: Element>(&self, root: Rank, value: T, op: ReduceOp) -> Result<Option<T>> {
        check_root(self, root)?;
        let proc = self.process_at_rank(root);
        if self.rank() == root {
            let mut out = T::default();
            proc.reduce_into_root(&value, &mut out, op.system());
            Ok(Some(out))
        } else {
            proc.reduce_into(&value, op.system());
            Ok(None)
        }
    }

    /// Combines one value from every rank with `op`; every rank gets the result.
    fn allreduce_scalar<T: Element>(&self, value: T, op: ReduceOp) -> T {
        let mut out = T::default();
        self.all_reduce_into(&value, &mut out, op.system());
        out
    }

    /// Element-wise reduction of same-shaped arrays; the root gets `Some(result)`.
    fn reduce_array<T, S, D>(
        &self,
        root: Rank,
        local: &ArrayBase<S, D>,
        op: ReduceOp,
    ) -> Result<Option<Array<T, D>>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        reduce_with_op(self, root, local, op.system())
    }

    /// [`reduce_array`](Self::reduce_array) with an associative closure, applied in rank
    /// order (`f(lower rank's value, higher rank's value)`).
    fn reduce_array_with<T, S, D, F>(
        &self,
        root: Rank,
        local: &ArrayBase<S, D>,
        f: F,
    ) -> Result<Option<Array<T, D>>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
        F: Fn(T, T) -> T + Sync,
    {
        reduce_with_op(self, root, local, &user_op(f))
    }

    /// Element-wise reduction into a buffer the caller gives (`MPI_Allreduce`, mpi4py's
    /// `Allreduce(sendbuf, recvbuf)`): no shapes travel and nothing is allocated. `out` must
    /// have `local`'s shape (checked here: a mismatch panics, which aborts the job), and every
    /// rank must pass the same shape (a programming error otherwise, reported by MPI).
    fn allreduce_array_into<T, S, S2, D>(
        &self,
        local: &ArrayBase<S, D>,
        out: &mut ArrayBase<S2, D>,
        op: ReduceOp,
    ) where
        T: Element,
        S: Data<Elem = T>,
        S2: DataMut<Elem = T>,
        D: Dimension,
    {
        assert_eq!(
            local.shape(),
            out.shape(),
            "mpikit: allreduce_array_into needs an output of the input's shape"
        );
        let local = local.as_standard_layout();
        with_contiguous(out, |o| {
            large::allreduce(self, contiguous(&local), o, op.system())
        });
    }

    /// Element-wise reduction of same-shaped arrays; every rank gets the result.
    fn allreduce_array<T, S, D>(&self, local: &ArrayBase<S, D>, op: ReduceOp) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        allreduce_with_op(self, local, op.system())
    }

    /// [`allreduce_array`](Self::allreduce_array) with an associative closure, in rank order.
    fn allreduce_array_with<T, S, D, F>(&self, local: &ArrayBase<S, D>, f: F) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
        F: Fn(T, T) -> T + Sync,
    {
        allreduce_with_op(self, local, &user_op(f))
    }

    /// Element-wise reduction of same-shaped arrays whose result is split by rows over the
    /// ranks: rank r gets the rows [`RowPartition`] gives it (`MPI_Reduce_scatter`).
    fn reduce_scatter_rows<T, S, D>(
        &self,
        local: &ArrayBase<S, D>,
        op: ReduceOp,
    ) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        agree_same_shape(self, local.shape(), "reduce_scatter_rows")?;
        if local.ndim() == 0 {
            return Err(Error::Shape(
                "reduce_scatter_rows: arrays need at least one axis".into(),
            ));
        }
        let local = local.as_standard_layout();
        let send = contiguous(&local);
        let part = RowPartition::new(local.shape(), self.size() as usize);
        let (counts, displs) = (part.element_counts(), part.element_displs());
        let rank = self.rank() as usize;
        let mut recv = zeroed_vec(counts[rank]);
        // One reduction per rank's block, each to its owner, in pieces: the same data as
        // MPI_Reduce_scatter, and no count limit.
        for (r, (&c, &d)) in counts.iter().zip(&displs).enumerate() {
            let out = (r == rank).then_some(&mut recv[..]);
            large::reduce(self, r as Rank, &send[d..d + c], out, op.system());
        }
        Ok(into_array(&part.shape_of(rank), recv))
    }

    /// Inclusive prefix reduction (`MPI_Scan`): rank r gets `x0 op x1 op ... op xr`.
    fn scan_array<T, S, D>(&self, local: &ArrayBase<S, D>, op: ReduceOp) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        Ok(scan_with_op(self, local, op, false)?.expect("inclusive scans give every rank a value"))
    }

    /// Exclusive prefix reduction (`MPI_Exscan`): rank r > 0 gets `Some(x0 op ... op x(r-1))`,
    /// rank 0 gets `None`.
    fn exscan_array<T, S, D>(
        &self,
        local: &ArrayBase<S, D>,
        op: ReduceOp,
    ) -> Result<Option<Array<T, D>>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        scan_with_op(self, local, op, true)
    }

    /// Starts an element-wise allreduce (`MPI_Iallreduce`) and returns at once; the result
    /// comes from [`Pending::wait`]. Shapes are checked (blocking, a few bytes) before it starts.
    fn immediate_allreduce_array<T, S, D>(
        &self,
        local: &ArrayBase<S, D>,
        op: ReduceOp,
    ) -> Result<Pending<Array<T, D>>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        agree_same_shape(self, local.shape(), "immediate_allreduce_array")?;
        let send: Vec<T> = local
            .as_standard_layout()
            .into_owned()
            .into_raw_vec_and_offset()
            .0;
        let mut recv: Array<T, D> = into_array(local.shape(), zeroed_vec(send.len()));
        let out = recv.as_slice_mut().expect("fresh arrays are contiguous");
        let requests = start_each(large::pieces::<T>(send.len()), |r, req| {
            // SAFETY: both buffers are heap allocations owned by the returned Pending, which
            // waits for the requests before it gives them up.
            unsafe {
                mpi::ffi::MPI_Iallreduce(
                    send[r.clone()].as_ptr().cast(),
                    out[r.clone()].as_mut_ptr().cast(),
                    r.len() as i32,
                    T::equivalent_datatype().as_raw(),
                    op.system().as_raw(),
                    self.as_raw(),
                    req,
                );
            }
        });
        Ok(Pending::new(requests, recv, Some(Box::new(send))))
    }

    /// Starts a broadcast of `buf` from `root` into `buf` on every other rank (`MPI_Ibcast`)
    /// and returns at once. `buf` must have the same shape on every rank (the caller gives
    /// the buffer: this call cannot exchange shapes without blocking).
    fn immediate_broadcast_into<T, D>(
        &self,
        root: Rank,
        mut buf: Array<T, D>,
    ) -> Result<Pending<Array<T, D>>>
    where
        T: Element,
        D: Dimension,
    {
        check_root(self, root)?;
        if !buf.is_standard_layout() {
            buf = buf.as_standard_layout().into_owned();
        }
        let data = buf.as_slice_mut().expect("standard layout is contiguous");
        let requests = start_each(large::pieces::<T>(data.len()), |r, req| {
            // SAFETY: the buffer's heap storage is owned by the returned Pending, which waits
            // for the requests before it gives it up.
            unsafe {
                mpi::ffi::MPI_Ibcast(
                    data[r.clone()].as_mut_ptr().cast(),
                    r.len() as i32,
                    T::equivalent_datatype().as_raw(),
                    root,
                    self.as_raw(),
                    req,
                );
            }
        });
        Ok(Pending::new(requests, buf, None))
    }
}

impl<C: Communicator + ?Sized> ArrayReductions for C {}

fn reduce_with_op<C, T, S, D, O>(
    comm: &C,
    root: Rank,
    local: &ArrayBase<S, D>,
    op: O,
) -> Result<Option<Array<T, D>>>
where
    C: Communicator + ?Sized,
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    O: mpi::collective::Operation + Copy,
{
    check_root(comm, root)?;
    agree_same_shape(comm, local.shape(), "reduce_array")?;
    let local = local.as_standard_layout();
    let send = contiguous(&local);
    if comm.rank() == root {
        let mut recv = zeroed_vec(send.len());
        large::reduce(comm, root, send, Some(&mut recv), op);
        Ok(Some(into_array(local.shape(), recv)))
    } else {
        large::reduce(comm, root, send, None, op);
        Ok(None)
    }
}

fn allreduce_with_op<C, T, S, D, O>(comm: &C, local: &ArrayBase<S, D>, op: O) -> Result<Array<T, D>>
where
    C: Communicator + ?Sized,
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    O: mpi::collective::Operation + Copy,
{
    agree_same_shape(comm, local.shape(), "allreduce_array")?;
    let local = local.as_standard_layout();
    let send = contiguous(&local);
    let mut recv = zeroed_vec(send.len());
    large::allreduce(comm, send, &mut recv, op);
    Ok(into_array(local.shape(), recv))
}

fn scan_with_op<C, T, S, D>(
    comm: &C,
    local: &ArrayBase<S, D>,
    op: ReduceOp,
    exclusive: bool,
) -> Result<Option<Array<T, D>>>
where
    C: Communicator + ?Sized,
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    agree_same_shape(
        comm,
        local.shape(),
        if exclusive {
            "exscan_array"
        } else {
            "scan_array"
        },
    )?;
    let local = local.as_standard_layout();
    let send = contiguous(&local);
    let mut recv = zeroed_vec(send.len());
    large::scan(comm, send, &mut recv, op.system(), exclusive);
    let has_value = !exclusive || comm.rank() > 0;
    Ok(has_value.then(|| into_array(local.shape(), recv)))
}
