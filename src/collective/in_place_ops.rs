//! The workings of the in-place collectives behind
//! [`InPlaceCollectives`](crate::buffers::InPlaceCollectives): gathers and scatters with the
//! root's own block in place, scans, and the block lengths every rank must agree on.

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::buffer::{with_contiguous_mut, BufferMut};
use crate::collective::large::{self, max_elems, INTERNAL_TAG};
use crate::collective::op::ReduceOp;
use crate::collective::shape::{agree_lengths, agree_root, check_root, RootInput};
use crate::error::{Error, Result};
use crate::raw;
use crate::raw::{in_place, MPI_Comm, MPI_Datatype, MPI_Op};
use mpi::datatype::Equivalence;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};

/// Which way a rooted in-place call moves the blocks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Every rank's block onto the root.
    Gather,
    /// The root's blocks out to the ranks.
    Scatter,
}

/// Gather or scatter in place: the root's buffer holds `size` blocks (its own in place), every
/// other rank's one block. `MPI_Gather` / `MPI_Scatter` with `MPI_IN_PLACE` on the root when
/// the whole fits one call, else the blocks as point-to-point pieces.
pub(crate) fn rooted_in_place<C, B>(
    comm: &C,
    root: Rank,
    buf: &mut B,
    direction: Direction,
) -> Result<()>
where
    C: Communicator + ?Sized,
    B: BufferMut + ?Sized,
{
    let gather = direction == Direction::Gather;
    let what = if gather {
        "gather_array_in_place"
    } else {
        "scatter_array_in_place"
    };
    check_root(comm, root)?;
    let block = root_blocks(comm, root, buf.buffer_len(), what)?;
    let (size, is_root) = (comm.size() as usize, comm.rank() == root);
    let datatype = B::Elem::equivalent_datatype().as_raw();
    with_contiguous_mut(buf, |data| {
        if block * size <= max_elems::<B::Elem>() {
            // The root's own block stays where it is: MPI_IN_PLACE on the root's receive
            // side (gather) or send side (scatter); the other ranks pass their one block.
            let (send, recv) = match (gather, is_root) {
                (true, true) => (in_place().cast_const(), recv_ptr(data)),
                (true, false) => (send_ptr(data), std::ptr::null_mut()),
                (false, true) => (send_ptr(data), in_place()),
                (false, false) => (std::ptr::null(), recv_ptr(data)),
            };
            let call = if gather { raw::gather } else { raw::scatter };
            // SAFETY: the root's buffer holds `size` blocks, the others' one block.
            unsafe {
                call(
                    send,
                    block as i32,
                    datatype,
                    recv,
                    block as i32,
                    datatype,
                    root,
                    comm.as_raw(),
                );
            }
        } else if is_root {
            for r in (0..size).filter(|&r| r != root as usize) {
                let part = &mut data[r * block..(r + 1) * block];
                if gather {
                    large::receive_into(comm, r as Rank, INTERNAL_TAG, part);
                } else {
                    large::send(comm, r as Rank, INTERNAL_TAG, part);
                }
            }
        } else if gather {
            large::send(comm, root, INTERNAL_TAG, data);
        } else {
            large::receive_into(comm, root, INTERNAL_TAG, data);
        }
    });
    Ok(())
}

/// An MPI reduction that takes `MPI_IN_PLACE` as its send buffer: `MPI_Allreduce`,
/// `MPI_Scan` or `MPI_Exscan`.
pub(crate) type InPlaceReduction =
    unsafe fn(*const raw::c_void, *mut raw::c_void, i32, MPI_Datatype, MPI_Op, MPI_Comm) -> i32;

/// Runs `call` on `buf` in place, in pieces MPI's counts can hold, once `op` suits the
/// element type and (under `MPIKIT_CHECK`) the lengths agree.
pub(crate) fn reduce_in_place<C, B>(
    comm: &C,
    buf: &mut B,
    op: ReduceOp,
    (call, what): (InPlaceReduction, &'static str),
) -> Result<()>
where
    C: Communicator + ?Sized,
    B: BufferMut + ?Sized,
{
    let op = op.for_type::<B::Elem>(what)?;
    agree_lengths(comm, buf.buffer_len(), true, what)?;
    with_contiguous_mut(buf, |data| {
        for r in large::pieces::<B::Elem>(data.len()) {
            let piece = &mut data[r];
            let datatype = B::Elem::equivalent_datatype().as_raw();
            // SAFETY: `call` is one of the reductions above; a valid buffer of `piece.len()`
            // elements of `datatype`, reduced in place (MPI_IN_PLACE as the send buffer).
            unsafe {
                call(
                    in_place(),
                    recv_ptr(piece),
                    piece.len() as i32,
                    datatype,
                    op.as_raw(),
                    comm.as_raw(),
                );
            }
        }
    });
    Ok(())
}

/// The body of `scan_array_in_place` and `exscan_array_in_place`: whether this rank's
/// buffer holds a result (rank 0's does not after an exclusive scan).
pub(crate) fn scan_in_place<C, B>(
    comm: &C,
    buf: &mut B,
    op: ReduceOp,
    exclusive: bool,
) -> Result<bool>
where
    C: Communicator + ?Sized,
    B: BufferMut + ?Sized,
{
    let call: (InPlaceReduction, _) = if exclusive {
        (raw::exscan, "exscan_array_in_place")
    } else {
        (raw::scan, "scan_array_in_place")
    };
    reduce_in_place(comm, buf, op, call)?;
    Ok(!exclusive || comm.rank() > 0)
}

/// The block length of a buffer of `len` elements split into one block per rank; the same
/// `Err` on every rank when `len` is not a multiple of the size (or, with checks, when the
/// lengths differ).
pub(crate) fn blocks<C: Communicator + ?Sized>(
    comm: &C,
    len: usize,
    what: &'static str,
) -> Result<usize> {
    let size = comm.size() as usize;
    let ok = len % size == 0;
    agree_lengths(comm, len, ok, what)?;
    if !ok {
        return Err(Error::Shape(format!(
            "{what}: a buffer of {len} elements is not {size} equal blocks"
        )));
    }
    Ok(len / size)
}

/// The block length of a gather or scatter in place: the root holds `size` blocks, every
/// other rank one block. A root length that is not `size` blocks is the same `Err`
/// everywhere (the root's verdict is broadcast); with checks on, so is a rank's block that
/// differs from the root's.
pub(crate) fn root_blocks<C: Communicator + ?Sized>(
    comm: &C,
    root: Rank,
    len: usize,
    what: &'static str,
) -> Result<usize> {
    let size = comm.size() as usize;
    let is_root = comm.rank() == root;
    let block = if is_root { len / size } else { len };
    let input = if is_root && len % size != 0 {
        RootInput::NotBlocks { have: len }
    } else {
        RootInput::Ready
    };
    agree_root(comm, root, input, what)?;
    agree_lengths(comm, block, true, what)?;
    Ok(block)
}
