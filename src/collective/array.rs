//! ndarray buffer collectives that move data: broadcast, scatter(v), gather(v),
//! allgather(v) and alltoall(v) of arrays split by rows (axis 0), as an extension trait on
//! every rsmpi communicator. Reductions are in [`ArrayReductions`](crate::ArrayReductions).
//!
//! These are mpi4py's uppercase methods (`Bcast`, `Scatterv`, `Gatherv`, `Allgatherv`,
//! `Alltoallv`) for `ndarray` arrays. Shapes travel with the data, so receivers do not
//! pre-allocate; balanced counts come from [`RowPartition`](crate::RowPartition).
//!
//! **Layout.** Arrays in standard (C, row-major) layout are sent without copying. Any other
//! layout (a transposed view, a strided slice) is first copied once into standard layout.
//!
//! **Size.** Messages of any size work: transfers over 2^31 elements (or over
//! [`max_message_bytes`](crate::max_message_bytes)) are split into pieces.
//!
//! **Errors.** Every check that can fail (row shapes that disagree between ranks, row counts
//! that do not add up, a root out of range) is decided from data that all ranks share, so
//! all ranks return the same `Err` before any data moves. Passing no data on the root is a
//! programming error and panics, which aborts the job (see [`crate::World`]).

use crate::collective::element::Element;
use mpi::collective::CommunicatorCollectives;
use mpi::topology::{Communicator, Rank};
use ndarray::{Array, ArrayBase, Data, DataMut, Dimension};

use crate::collective::large;
use crate::collective::shape::{
    agree_rows, agree_rows_if, broadcast_shape, check_root, contiguous, into_array, root_array,
    with_contiguous,
};
use crate::data::alloc::zeroed_vec;
use crate::data::partition::Partition;
use crate::error::Result;

/// Data-moving collectives on ndarray arrays, for any rsmpi communicator (world or split).
///
/// Every rank of the communicator must make the same call with the same `root`.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::ReduceOp;
/// use ndarray::Array2;
/// let world = mpikit::World::init()?;
/// let comm = world.comm();
/// // Rank 0 owns a 10x3 matrix; every rank gets a block of rows.
/// let full = (comm.rank() == 0).then(|| Array2::<f64>::ones((10, 3)));
/// let mine = comm.scatter_rows(0, full.as_ref())?;
/// let doubled = mine.mapv(|x| 2.0 * x);
/// // Back on rank 0, in rank order.
/// if let Some(all) = comm.gather_rows(0, &doubled)? {
///     assert_eq!(all.sum(), 60.0);
/// }
/// let total = comm.allreduce_scalar(doubled.sum(), ReduceOp::Sum);
/// assert_eq!(total, 60.0);
/// # Ok::<(), mpikit::Error>(())
/// ```
pub trait ArrayCollectives: Communicator {
    /// Broadcasts the root's `buf` into `buf` on every other rank, in place (`MPI_Bcast`,
    /// mpi4py's `Bcast`): no shapes travel and nothing is allocated, the fastest way to send
    /// the same array again and again. Every rank must pass a buffer of the root's shape; a
    /// different length is a programming error, which MPI reports by aborting the job.
    fn broadcast_array_into<T, S, D>(&self, root: Rank, buf: &mut ArrayBase<S, D>) -> Result<()>
    where
        T: Element,
        S: DataMut<Elem = T>,
        D: Dimension,
    {
        check_root(self, root)?;
        with_contiguous(buf, |slice| large::broadcast(self, root, slice));
        Ok(())
    }

    /// Sends the root's array, shape and all, to every rank (`MPI_Bcast`). `data` is `Some`
    /// on the root and ignored elsewhere.
    fn broadcast_array<T, S, D>(
        &self,
        root: Rank,
        data: Option<&ArrayBase<S, D>>,
    ) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        check_root(self, root)?;
        let is_root = self.rank() == root;
        let shape = broadcast_shape(
            self,
            root,
            is_root.then(|| root_array(data).shape()),
            true,
            &mut [],
        )?;
        let mut buf = if is_root {
            root_array(data)
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0
        } else {
            zeroed_vec(shape.iter().product())
        };
        large::broadcast(self, root, &mut buf);
        Ok(into_array(&shape, buf))
    }

    /// Splits the root's array by rows into balanced blocks, one per rank, in rank order
    /// (`MPI_Scatterv`; the first `rows % size` ranks get one row more). `data` is `Some` on
    /// the root and ignored elsewhere.
    fn scatter_rows<T, S, D>(
        &self,
        root: Rank,
        data: Option<&ArrayBase<S, D>>,
    ) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        self.scatterv_rows(root, data, None)
    }

    /// Splits the root's array by rows into blocks of `rows[r]` rows for rank `r`
    /// (`MPI_Scatterv`). `rows` is read on the root only; `None` means balanced blocks. On
    /// every rank the call fails if the root's counts do not have one entry per rank or do not
    /// add up to the array's rows.
    fn scatterv_rows<T, S, D>(
        &self,
        root: Rank,
        data: Option<&ArrayBase<S, D>>,
        rows: Option<&[usize]>,
    ) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        check_root(self, root)?;
        let is_root = self.rank() == root;
        let size = self.size() as usize;
        let mut counts = vec![0u64; size];
        let mut ok = false;
        if is_root {
            let shape = root_array(data).shape();
            let n = shape.first().copied().unwrap_or(0);
            let given = rows.map_or_else(|| Partition::new(n, size).counts(), <[usize]>::to_vec);
            ok = !shape.is_empty() && given.len() == size && given.iter().sum::<usize>() == n;
            if ok {
                counts = given.iter().map(|&c| c as u64).collect();
            }
        }
        let shape = broadcast_shape(
            self,
            root,
            is_root.then(|| root_array(data).shape()),
            ok,
            &mut counts,
        )?;
        let row_len: usize = shape[1..].iter().product();
        let elems: Vec<usize> = counts.iter().map(|&c| c as usize * row_len).collect();
        let mut mine = shape.clone();
        mine[0] = counts[self.rank() as usize] as usize;
        let mut recv = zeroed_vec(mine.iter().product());
        if is_root {
            let data = root_array(data).as_standard_layout();
            large::scatterv(self, root, Some(contiguous(&data)), &elems, &mut recv);
        } else {
            large::scatterv(self, root, None, &elems, &mut recv);
        }
        Ok(into_array(&mine, recv))
    }

    /// Equal blocks into buffers the caller gives (`MPI_Scatter`, mpi4py's `Scatter`): rank
    /// r gets block r of the root's `send`, whose length must be `size` times every rank's
    /// `recv` length. No shapes travel and nothing is allocated. A root buffer of the wrong
    /// length panics (aborting the job); `recv` lengths that differ between ranks are a
    /// programming error that MPI reports by aborting.
    fn scatter_array_into<T, S, S2, D, D2>(
        &self,
        root: Rank,
        send: Option<&ArrayBase<S, D>>,
        recv: &mut ArrayBase<S2, D2>,
    ) -> Result<()>
    where
        T: Element,
        S: Data<Elem = T>,
        S2: DataMut<Elem = T>,
        D: Dimension,
        D2: Dimension,
    {
        check_root(self, root)?;
        let counts = vec![recv.len(); self.size() as usize];
        let send = (self.rank() == root).then(|| root_array(send).as_standard_layout());
        if let Some(send) = &send {
            assert_eq!(
                send.len(),
                recv.len() * counts.len(),
                "mpikit: scatter_array_into: the root's array must hold size x recv elements"
            );
        }
        with_contiguous(recv, |out| {
            large::scatterv(
                self,
                root,
                send.as_ref().map(|s| contiguous(s)),
                &counts,
                out,
            )
        });
        Ok(())
    }

    /// Equal blocks gathered into a buffer the root gives (`MPI_Gather`, mpi4py's `Gather`):
    /// block r of the root's `recv` comes from rank r. The root's `recv` must hold `size`
    /// times `local`'s length (a mismatch panics, aborting the job); `local` lengths that
    /// differ between ranks are a programming error that MPI reports by aborting.
    fn gather_array_into<T, S, S2, D, D2>(
        &self,
        root: Rank,
        local: &ArrayBase<S, D>,
        recv: Option<&mut ArrayBase<S2, D2>>,
    ) -> Result<()>
    where
        T: Element,
        S: Data<Elem = T>,
        S2: DataMut<Elem = T>,
        D: Dimension,
        D2: Dimension,
    {
        check_root(self, root)?;
        let counts = vec![local.len(); self.size() as usize];
        let local = local.as_standard_layout();
        if self.rank() == root {
            let recv =
                recv.expect("mpikit: the root rank must pass Some(buffer) to gather_array_into");
            assert_eq!(
                recv.len(),
                local.len() * counts.len(),
                "mpikit: gather_array_into: the root's buffer must hold size x local elements"
            );
            with_contiguous(recv, |out| {
                large::gatherv(self, root, contiguous(&local), &counts, Some(out))
            });
        } else {
            large::gatherv(self, root, contiguous(&local), &counts, None);
        }
        Ok(())
    }

    /// Concatenates every rank's rows on the root, in rank order (`MPI_Gatherv`). Returns
    /// `Some(array)` on the root, `None` elsewhere. Blocks may have any number of rows
    /// (zero too); the other axes must agree on all ranks.
    fn gather_rows<T, S, D>(
        &self,
        root: Rank,
        local: &ArrayBase<S, D>,
    ) -> Result<Option<Array<T, D>>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        check_root(self, root)?;
        let (total, counts) = agree_rows(self, local.shape(), "gather_rows")?;
        let local = local.as_standard_layout();
        if self.rank() == root {
            let mut recv = zeroed_vec(total.iter().product());
            large::gatherv(self, root, contiguous(&local), &counts, Some(&mut recv));
            Ok(Some(into_array(&total, recv)))
        } else {
            large::gatherv(self, root, contiguous(&local), &counts, None);
            Ok(None)
        }
    }

    /// Like [`gather_rows`](Self::gather_rows), but every rank gets the whole array
    /// (`MPI_Allgatherv`).
    fn allgather_rows<T, S, D>(&self, local: &ArrayBase<S, D>) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let (total, counts) = agree_rows(self, local.shape(), "allgather_rows")?;
        let local = local.as_standard_layout();
        let mut recv = zeroed_vec(total.iter().product());
        large::allgatherv(self, contiguous(&local), &counts, &mut recv);
        Ok(into_array(&total, recv))
    }

    /// Personalised all-to-all by rows (`MPI_Alltoallv`): this rank sends its next
    /// `send_rows[r]` rows to rank `r`, in rank order, and gets back the blocks every rank sent
    /// it, stacked in rank order. Fails on every rank if any rank's `send_rows` does not have
    /// one entry per rank or does not add up to its rows, or if the other axes disagree.
    fn alltoallv_rows<T, S, D>(
        &self,
        local: &ArrayBase<S, D>,
        send_rows: &[usize],
    ) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let size = self.size() as usize;
        let rows = local.shape().first().copied().unwrap_or(0);
        let ok = send_rows.len() == size && send_rows.iter().sum::<usize>() == rows;
        let (total, _) = agree_rows_if(self, local.shape(), ok, "alltoallv_rows")?;
        let row_len: usize = total[1..].iter().product();
        let sent: Vec<u64> = send_rows.iter().map(|&r| r as u64).collect();
        let mut got = vec![0u64; size];
        self.all_to_all_into(&sent[..], &mut got[..]);
        let send_counts: Vec<usize> = send_rows.iter().map(|&r| r * row_len).collect();
        let recv_counts: Vec<usize> = got.iter().map(|&r| r as usize * row_len).collect();
        let mut shape = total;
        shape[0] = got.iter().sum::<u64>() as usize;
        let local = local.as_standard_layout();
        let mut recv = zeroed_vec(recv_counts.iter().sum());
        large::alltoallv(
            self,
            contiguous(&local),
            &send_counts,
            &mut recv,
            &recv_counts,
        );
        Ok(into_array(&shape, recv))
    }

    /// [`alltoallv_rows`](Self::alltoallv_rows) with this rank's rows split into balanced
    /// blocks, one per rank (mpi4py's `Alltoall` when the rows divide evenly).
    fn alltoall_rows<T, S, D>(&self, local: &ArrayBase<S, D>) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let rows = local.shape().first().copied().unwrap_or(0);
        let counts = Partition::new(rows, self.size() as usize).counts();
        self.alltoallv_rows(local, &counts)
    }
}

impl<C: Communicator + ?Sized> ArrayCollectives for C {}
