//! In-place buffer collectives (`MPI_IN_PLACE`): reductions, scans, gathers, scatters and
//! all-to-all on the caller's own buffer, with no second buffer allocated.
//!
//! Messages over [`max_message_bytes`](crate::runtime::max_message_bytes) go in pieces: reductions
//! and scans piece by piece in place; the data-moving calls through point-to-point pieces
//! (gather, scatter), broadcasts from each owner (allgather) or pairwise exchanges
//! (all-to-all), so their memory stays the caller's buffer.

use mpi::datatype::Equivalence;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::buffer::{with_contiguous_mut, BufferMut};
use crate::collective::in_place_ops::{
    blocks, reduce_in_place, rooted_in_place, scan_in_place, Direction,
};
use crate::collective::large::{self, max_elems, INTERNAL_TAG};
use crate::collective::op::ReduceOp;
use crate::collective::shape::{agree_lengths, check_root};
use crate::error::Result;
use crate::raw;
use crate::raw::{in_place, is_open_mpi};

/// In-place collectives on the caller's buffer (mpi4py's `Allreduce(MPI.IN_PLACE, buf)` and
/// friends), for slices, `Vec`s and ndarray arrays (views in another layout go through one
/// copy). Buffers must have the same length on every rank (checked across ranks in debug
/// builds and under `MPIKIT_CHECK=1`); for the gathers, scatters and all-to-all that length
/// is `size` blocks of equal length, block `r` belonging to rank `r`.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::ReduceOp;
/// mpikit::run(|world| {
///     let mut x = vec![world.rank() as f64, 1.0];
///     world.allreduce_array_in_place(&mut x, ReduceOp::Sum)?; // x is now the total
///     let mut all = vec![0u32; 2 * world.size_count()];
///     let me = 2 * world.rank_index();
///     all[me..me + 2].copy_from_slice(&[world.rank() as u32; 2]);
///     world.allgather_array_in_place(&mut all)?; // every rank's block, in rank order
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait InPlaceCollectives: Communicator {
    /// Element-wise reduction of every rank's `buf` into `buf` on every rank (`MPI_Allreduce`
    /// with `MPI_IN_PLACE`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut x = vec![world.rank() as f64, 1.0];
    ///     world.allreduce_array_in_place(&mut x, ReduceOp::Sum)?;
    ///     assert_eq!(x[1], world.size() as f64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allreduce_array_in_place<B>(&self, buf: &mut B, op: ReduceOp) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        reduce_in_place(self, buf, op, (raw::allreduce, "allreduce_array_in_place"))?;
        Ok(())
    }

    /// Element-wise reduction onto the root: the root's `buf` becomes the result; the other
    /// ranks' buffers are only read (`MPI_Reduce` with `MPI_IN_PLACE` on the root).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut x = [world.rank(), 1];
    ///     world.reduce_array_in_place(0, &mut x, ReduceOp::Max)?;
    ///     if world.is_root() {
    ///         assert_eq!(x, [world.size() - 1, 1]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_array_in_place<B>(&self, root: Rank, buf: &mut B, op: ReduceOp) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        check_root(self, root)?;
        let op = op.for_type::<B::Elem>("reduce_array_in_place")?;
        agree_lengths(self, buf.buffer_len(), true, "reduce_array_in_place")?;
        let is_root = self.rank() == root;
        // MPICH 4.0-4.1 reads from MPI_IN_PLACE itself in MPI_Reduce at a root other than 0
        // (pmodels/mpich#6540, a crash): there the root reduces from a scratch copy of each
        // piece, in pieces of at most 1 MiB so the copy stays small. Every rank knows the
        // library and the root, so all cut the same pieces.
        let scratch = root != 0 && !is_open_mpi();
        let step = if scratch {
            max_elems::<B::Elem>().min((1 << 20) / std::mem::size_of::<B::Elem>().max(1))
        } else {
            max_elems::<B::Elem>()
        };
        let mut copy = Vec::new();
        with_contiguous_mut(buf, |data| {
            let len = data.len();
            for start in (0..len).step_by(step) {
                let piece = &mut data[start..(start + step).min(len)];
                let (send, recv) = match (is_root, scratch) {
                    (true, false) => (in_place().cast_const(), recv_ptr(piece)),
                    (true, true) => {
                        copy.clear();
                        copy.extend_from_slice(piece);
                        (send_ptr(&copy), recv_ptr(piece))
                    }
                    (false, _) => (send_ptr(piece), std::ptr::null_mut()),
                };
                // SAFETY: valid buffers as MPI_Reduce needs them on each side.
                unsafe {
                    raw::reduce(
                        send,
                        recv,
                        piece.len() as i32,
                        B::Elem::equivalent_datatype().as_raw(),
                        op.as_raw(),
                        root,
                        self.as_raw(),
                    );
                }
            }
        });
        Ok(())
    }

    /// Element-wise reduction of every rank's `buf` (`size` equal blocks), split by blocks:
    /// afterwards the first block of rank r's `buf` holds block r of the reduction and the
    /// rest of `buf` is unspecified (`MPI_Reduce_scatter_block` with `MPI_IN_PLACE`, mpi4py's
    /// `Reduce_scatter_block(MPI.IN_PLACE, buf)`). Returns the block length. Past one call's
    /// size, one in-place reduce per block and piece, to the block's rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut x = vec![1u64; 3 * world.size_count()];
    ///     let n = world.reduce_scatter_array_in_place(&mut x, ReduceOp::Sum)?;
    ///     assert_eq!(&x[..n], &vec![world.size() as u64; 3][..]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn reduce_scatter_array_in_place<B>(&self, buf: &mut B, op: ReduceOp) -> Result<usize>
    where
        B: BufferMut + ?Sized,
    {
        let what = "reduce_scatter_array_in_place";
        let mpi_op = op.for_type::<B::Elem>(what)?;
        let block = blocks(self, buf.buffer_len(), what)?;
        let me = self.rank() as usize;
        with_contiguous_mut(buf, |data| {
            if data.len() <= max_elems::<B::Elem>() {
                // SAFETY: `data` holds `size` blocks of `block` elements, reduced in place.
                unsafe {
                    raw::reduce_scatter_block(
                        in_place().cast_const(),
                        recv_ptr(data),
                        block as i32,
                        B::Elem::equivalent_datatype().as_raw(),
                        mpi_op.as_raw(),
                        self.as_raw(),
                    );
                }
                return Ok(());
            }
            // Each block onto its rank, in place; other ranks' blocks are only read there.
            for r in 0..self.size() {
                let part = &mut data[r as usize * block..(r as usize + 1) * block];
                self.reduce_array_in_place(r, part, op)?;
            }
            data.copy_within(me * block..(me + 1) * block, 0);
            Ok(())
        })?;
        Ok(block)
    }

    /// Inclusive prefix reduction in place (`MPI_Scan`): rank r's `buf` becomes
    /// `x0 op ... op xr`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut x = vec![1u32; 2];
    ///     world.scan_array_in_place(&mut x, ReduceOp::Sum)?;
    ///     assert_eq!(x, vec![world.rank() as u32 + 1; 2]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scan_array_in_place<B>(&self, buf: &mut B, op: ReduceOp) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        scan_in_place(self, buf, op, false).map(drop)
    }

    /// Exclusive prefix reduction in place (`MPI_Exscan`): rank r > 0's `buf` becomes
    /// `x0 op ... op x(r-1)`; rank 0's is left unspecified, as MPI leaves it. Returns whether
    /// this rank's buffer holds a result (`false` on rank 0).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut x = [1u32];
    ///     let has_result = world.exscan_array_in_place(&mut x, ReduceOp::Sum)?;
    ///     assert_eq!(has_result, world.rank() > 0);
    ///     if has_result {
    ///         assert_eq!(x, [world.rank() as u32]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn exscan_array_in_place<B>(&self, buf: &mut B, op: ReduceOp) -> Result<bool>
    where
        B: BufferMut + ?Sized,
    {
        scan_in_place(self, buf, op, true)
    }

    /// Every rank's block, in rank order, into every rank's `buf` (`MPI_Allgather` with
    /// `MPI_IN_PLACE`): rank r's own block `r` is sent, the others are overwritten.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let mut all = vec![0i32; world.size_count()];
    ///     all[world.rank_index()] = 10 * world.rank(); // this rank's block
    ///     world.allgather_array_in_place(&mut all)?;
    ///     assert_eq!(all, (0..world.size()).map(|r| 10 * r).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allgather_array_in_place<B>(&self, buf: &mut B) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        let block = blocks(self, buf.buffer_len(), "allgather_array_in_place")?;
        let size = self.size() as usize;
        with_contiguous_mut(buf, |data| {
            if data.len() <= max_elems::<B::Elem>() {
                // SAFETY: `data` holds `size` blocks of `block` elements.
                unsafe {
                    raw::allgather(
                        in_place().cast_const(),
                        0,
                        B::Elem::equivalent_datatype().as_raw(),
                        recv_ptr(data),
                        block as i32,
                        B::Elem::equivalent_datatype().as_raw(),
                        self.as_raw(),
                    );
                }
            } else {
                for r in 0..size {
                    large::broadcast(self, r as Rank, &mut data[r * block..(r + 1) * block]);
                }
            }
        });
        Ok(())
    }

    /// Every rank's block onto the root, in rank order (`MPI_Gather` with `MPI_IN_PLACE`):
    /// the root's `buf` holds `size` blocks, its own already in place; every other rank's
    /// `buf` is its one block.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count() as u64;
    ///     // The root holds one block per rank (its own, 0, in place); the others one block.
    ///     let mut buf = if world.is_root() { vec![0u64; n as usize] } else { vec![world.rank() as u64] };
    ///     world.gather_array_in_place(0, &mut buf)?;
    ///     if world.is_root() {
    ///         assert_eq!(buf, (0..n).collect::<Vec<_>>());
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn gather_array_in_place<B>(&self, root: Rank, buf: &mut B) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        rooted_in_place(self, root, buf, Direction::Gather)
    }

    /// The root's blocks out to the ranks (`MPI_Scatter` with `MPI_IN_PLACE`): the root's
    /// `buf` holds `size` blocks and keeps its own; every other rank's `buf` receives its
    /// one block.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count() as u64;
    ///     let mut buf: Vec<u64> = if world.is_root() { (0..n).collect() } else { vec![0] };
    ///     world.scatter_array_in_place(0, &mut buf)?;
    ///     assert_eq!(buf[0], world.rank() as u64); // the root's own block is its first
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scatter_array_in_place<B>(&self, root: Rank, buf: &mut B) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        rooted_in_place(self, root, buf, Direction::Scatter)
    }

    /// Personalised all-to-all in place (`MPI_Alltoall` with `MPI_IN_PLACE`): block `r` of
    /// this rank's `buf` goes to rank `r`, and is replaced by the block rank `r` sent here.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let (n, me) = (world.size_count(), world.rank_index());
    ///     let mut buf: Vec<usize> = (0..n).map(|r| 100 * me + r).collect();
    ///     world.alltoall_array_in_place(&mut buf)?;
    ///     assert_eq!(buf, (0..n).map(|r| 100 * r + me).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn alltoall_array_in_place<B>(&self, buf: &mut B) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        let block = blocks(self, buf.buffer_len(), "alltoall_array_in_place")?;
        let (size, rank) = (self.size() as usize, self.rank() as usize);
        let datatype = B::Elem::equivalent_datatype().as_raw();
        with_contiguous_mut(buf, |data| {
            if data.len() <= max_elems::<B::Elem>() {
                // SAFETY: `data` holds `size` blocks of `block` elements.
                unsafe {
                    raw::alltoall(
                        in_place().cast_const(),
                        0,
                        datatype,
                        recv_ptr(data),
                        block as i32,
                        datatype,
                        self.as_raw(),
                    );
                }
                return;
            }
            // Pairwise exchanges: at step s, ranks a and b with a + b = s (mod size) swap
            // block b of a with block a of b, each in place, piece by piece.
            for step in 0..size {
                let partner = (step + size - rank) % size;
                if partner == rank {
                    continue;
                }
                let part = &mut data[partner * block..(partner + 1) * block];
                for r in large::pieces::<B::Elem>(block) {
                    let piece = &mut part[r];
                    let mut status = std::mem::MaybeUninit::uninit();
                    // SAFETY: a valid buffer, sent and replaced with a message of its length.
                    unsafe {
                        raw::sendrecv_replace(
                            recv_ptr(piece),
                            piece.len() as i32,
                            datatype,
                            partner as Rank,
                            INTERNAL_TAG,
                            partner as Rank,
                            INTERNAL_TAG,
                            self.as_raw(),
                            status.as_mut_ptr(),
                        );
                    }
                }
            }
        });
        Ok(())
    }
}

impl<C: Communicator + ?Sized> InPlaceCollectives for C {}
