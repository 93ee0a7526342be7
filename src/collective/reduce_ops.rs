//! The workings of the buffer reductions behind
//! [`ArrayReductions`](crate::buffers::ArrayReductions): closures as MPI operations, reduce
//! and allreduce in pieces under MPI's counts, scans, and MAXLOC / MINLOC with ranks.

use crate::collective::buffer::Buffer;
use crate::collective::element::Element;
use crate::collective::large;
use crate::collective::op::ReduceOp;
use crate::collective::shape::{agree_same_shape, check_root};
use crate::data::alloc::zeroed_vec;
use crate::error::Result;
use mpi::collective::{Operation, SystemOperation, UserOperation};
use mpi::datatype::{DynBuffer, DynBufferMut};
use mpi::topology::{Communicator, Rank};

/// An element-wise closure as an MPI user operation, applied in rank order: the result is
/// `f(f(x0, x1), x2)...`, so an associative but non-commutative `f` is fine.
pub(crate) fn user_op<'a, T: Element, F: Fn(T, T) -> T + Sync + 'a>(f: F) -> UserOperation<'a> {
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

pub(crate) fn reduce_with_op<C, B, O>(
    comm: &C,
    root: Rank,
    local: &B,
    op: O,
) -> Result<Option<B::Owned>>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
    O: Operation + Copy,
{
    check_root(comm, root)?;
    let shape = local.buffer_shape();
    agree_same_shape(comm, &shape, "reduce_array")?;
    let send = local.contiguous();
    if comm.rank() == root {
        let mut recv = zeroed_vec(send.len());
        large::reduce(comm, root, &send, Some(&mut recv), op);
        Ok(Some(B::from_parts(&shape, recv)))
    } else {
        large::reduce(comm, root, &send, None, op);
        Ok(None)
    }
}

pub(crate) fn allreduce_with_op<C, B, O>(comm: &C, local: &B, op: O) -> Result<B::Owned>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
    O: Operation + Copy,
{
    let shape = local.buffer_shape();
    agree_same_shape(comm, &shape, "allreduce_array")?;
    let send = local.contiguous();
    let mut recv = zeroed_vec(send.len());
    large::allreduce(comm, &send, &mut recv, op);
    Ok(B::from_parts(&shape, recv))
}

pub(crate) fn scan_with_op<C, B>(
    comm: &C,
    local: &B,
    op: ReduceOp,
    exclusive: bool,
) -> Result<Option<B::Owned>>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
{
    let what = if exclusive {
        "exscan_array"
    } else {
        "scan_array"
    };
    let op = op.for_type::<B::Elem>(what)?;
    let shape = local.buffer_shape();
    agree_same_shape(comm, &shape, what)?;
    let send = local.contiguous();
    let mut recv = zeroed_vec(send.len());
    large::scan(comm, &send, &mut recv, op, exclusive);
    let has_value = !exclusive || comm.rank() > 0;
    Ok(has_value.then(|| B::from_parts(&shape, recv)))
}

/// MAXLOC / MINLOC in two reductions: the extreme values, then the lowest rank whose value
/// equals each (NaN matching NaN).
pub(crate) fn allreduce_loc<C, B>(
    comm: &C,
    local: &B,
    op: ReduceOp,
    what: &str,
) -> Result<(B::Owned, Vec<Rank>)>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
{
    let system = op.for_type::<B::Elem>(what)?;
    let best = allreduce_with_op(comm, local, system)?;
    let me = comm.rank();
    let mine = local.contiguous();
    let extreme = best.contiguous();
    #[allow(clippy::eq_op)]
    let holds: Vec<Rank> = mine
        .iter()
        .zip(extreme.iter())
        .map(|(x, b)| {
            let nan_both = x != x && b != b;
            if x == b || nan_both {
                me
            } else {
                Rank::MAX
            }
        })
        .collect();
    let mut ranks = vec![0 as Rank; holds.len()];
    large::allreduce(comm, &holds, &mut ranks, SystemOperation::min());
    drop(extreme);
    Ok((best, ranks))
}
