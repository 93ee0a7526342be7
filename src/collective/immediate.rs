//! Non-blocking buffer collectives (mpi4py's `Ibarrier`, `Igatherv`, `Iallreduce`, ...):
//! the trait and its documentation; what each method does is in `immediate_start.rs`.

use mpi::topology::{Communicator, Rank};

use crate::collective::buffer::{Buffer, BufferMut, OwnedBuffer, OwnedBufferMut};
use crate::collective::immediate_start as start;
use crate::collective::op::ReduceOp;
use crate::collective::pending::Pending;
use crate::collective::started;
use crate::data::partition::RowPartition;
use crate::error::Result;

/// Non-blocking gathers, scatters, all-to-alls, reductions, scans and a barrier on buffers
/// (slices, `Vec`s, ndarray arrays), for any rsmpi communicator and for
/// [`World`](crate::World). Each returns a [`Pending`] whose [`wait`](Pending::wait) gives
/// the result the blocking call of the same name (without `immediate_`) returns; several may
/// be in flight at once, and a [`RequestSet`](crate::requests::RequestSet) waits for any of them.
/// Each method has its example; the [`requests`](crate::requests) page shows one in context.
pub trait ImmediateCollectives: Communicator {
    /// Starts a barrier (`MPI_Ibarrier`): [`Pending::wait`] returns once every rank has
    /// started it. With rsmpi's traits imported too, write `ImmediateCollectives::
    /// immediate_barrier(&world)` (rsmpi's namesake panics if dropped unfinished).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let barrier = world.immediate_barrier()?;
    ///     // ... work while the other ranks arrive ...
    ///     barrier.wait()?; // every rank has started the barrier
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_barrier(&self) -> Result<Pending<()>> {
        Ok(started::barrier(self).into_pending((), ()))
    }

    /// Starts [`gather_rows`](crate::buffers::ArrayCollectives::gather_rows) (`MPI_Igatherv`): the
    /// root gets `Some(every rank's rows, stacked in rank order)`, the others `None`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let gathering = world.immediate_gather_rows(0, &[world.rank(); 3])?;
    ///     // ... work while the rows travel ...
    ///     if let Some(all) = gathering.wait()? {
    ///         assert_eq!(all.len(), 3 * world.size_count());
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_gather_rows<B>(&self, root: Rank, local: &B) -> Result<Pending<Option<B::Owned>>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_gather_rows(self, root, local)
    }

    /// Starts [`allgather_rows`](crate::buffers::ArrayCollectives::allgather_rows)
    /// (`MPI_Iallgatherv`): every rank gets every rank's rows, stacked in rank order.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let gathering = world.immediate_allgather_rows(&[world.rank()])?;
    ///     let all: Vec<i32> = gathering.wait()?;
    ///     assert_eq!(all, (0..world.size()).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_allgather_rows<B>(&self, local: &B) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_allgather_rows(self, local)
    }

    /// Starts [`scatter_rows`](crate::buffers::ArrayCollectives::scatter_rows) (`MPI_Iscatterv`):
    /// balanced blocks of the root's rows, one per rank. `data` is read on the root only.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let all = world.is_root().then(|| (0..10u64).collect::<Vec<_>>());
    ///     let scattering = world.immediate_scatter_rows(0, all.as_ref())?;
    ///     let mine: Vec<u64> = scattering.wait()?;
    ///     assert_eq!(mine, world.block(10).map(|i| i as u64).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_scatter_rows<B>(&self, root: Rank, data: Option<&B>) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_scatterv_rows(self, root, (data, None), "immediate_scatter_rows")
    }

    /// Starts [`scatterv_rows`](crate::buffers::ArrayCollectives::scatterv_rows) (`MPI_Iscatterv`):
    /// `rows[r]` of the root's rows to rank `r` (`rows` is read on the root; `None` means
    /// balanced blocks).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // All 6 rows to the last rank, none to the others.
    ///     let n = world.size_count();
    ///     let mut rows = vec![0; n];
    ///     rows[n - 1] = 6;
    ///     let data = world.is_root().then(|| vec![1.5f32; 6]);
    ///     let mine: Vec<f32> = world.immediate_scatterv_rows(0, data.as_ref(), Some(&rows[..]))?.wait()?;
    ///     assert_eq!(mine.len(), rows[world.rank_index()]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_scatterv_rows<B>(
        &self,
        root: Rank,
        data: Option<&B>,
        rows: Option<&[usize]>,
    ) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_scatterv_rows(self, root, (data, rows), "immediate_scatterv_rows")
    }

    /// Starts [`alltoall_rows`](crate::buffers::ArrayCollectives::alltoall_rows): this rank's rows in
    /// balanced blocks, one to each rank.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let mine = vec![world.rank(); world.size_count()]; // one row for each rank
    ///     let got: Vec<i32> = world.immediate_alltoall_rows(&mine)?.wait()?;
    ///     assert_eq!(got, (0..world.size()).collect::<Vec<_>>()); // row r from rank r
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_alltoall_rows<B>(&self, local: &B) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        let rows = local.buffer_shape().first().copied().unwrap_or(0);
        let counts = crate::data::partition::Partition::new(rows, self.size() as usize).counts();
        self.immediate_alltoallv_rows(local, &counts)
    }

    /// Starts [`alltoallv_rows`](crate::buffers::ArrayCollectives::alltoallv_rows)
    /// (`MPI_Ialltoallv`): this rank's next `send_rows[r]` rows go to rank `r`; the result
    /// stacks what every rank sent here, in rank order.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // Two rows to rank 0, none to the others.
    ///     let n = world.size_count();
    ///     let mut send_rows = vec![0; n];
    ///     send_rows[0] = 2;
    ///     let got: Vec<u8> = world.immediate_alltoallv_rows(&[1u8, 2], &send_rows)?.wait()?;
    ///     assert_eq!(got.len(), if world.is_root() { 2 * n } else { 0 });
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_alltoallv_rows<B>(
        &self,
        local: &B,
        send_rows: &[usize],
    ) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_alltoallv_rows(self, local, send_rows)
    }

    /// Starts an element-wise allreduce of `local` into `out` (`MPI_Iallreduce(sendbuf,
    /// recvbuf)`, mpi4py's `Iallreduce`): both are owned `Vec`s or `Array`s, handed back by
    /// [`Pending::wait`] as `(local, out)`, so a loop can reduce again and again without
    /// copying or allocating. `out` must have `local`'s length (a mismatch panics, which
    /// aborts the job); every rank must pass the same length (checked across ranks in debug
    /// builds and under `MPIKIT_CHECK=1`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let (mut x, mut total) = (vec![1.0f64; 1 << 20], vec![0.0f64; 1 << 20]);
    ///     for _ in 0..10 {
    ///         let pending = world.immediate_allreduce_array_owned(x, total, ReduceOp::Sum)?;
    ///         // ... compute while the reduction runs ...
    ///         (x, total) = pending.wait()?;
    ///     }
    ///     assert_eq!(total[0], world.size() as f64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_allreduce_array_owned<B, R>(
        &self,
        local: B,
        out: R,
        op: ReduceOp,
    ) -> Result<Pending<(B, R)>>
    where
        B: OwnedBuffer,
        R: OwnedBufferMut<B::Elem>,
    {
        start::immediate_allreduce_array_owned(self, (local, out), op)
    }

    /// Starts an element-wise allreduce (`MPI_Iallreduce`) and returns at once; the result
    /// comes from [`Pending::wait`]. Shapes are checked (blocking, a few bytes) before it starts.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let summing = world.immediate_allreduce_array(&[1u64; 4], ReduceOp::Sum)?;
    ///     // ... work while the reduction runs ...
    ///     assert_eq!(summing.wait()?, vec![world.size() as u64; 4]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_allreduce_array<B>(&self, local: &B, op: ReduceOp) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_allreduce(self, local, op)
    }

    /// Starts a broadcast of `buf` from `root` into `buf` on every other rank (`MPI_Ibcast`)
    /// and returns at once; [`Pending::wait`] hands the buffer back. `buf` is an owned `Vec`
    /// or `Array` of the same length on every rank (checked across ranks, blocking, in debug
    /// builds and under `MPIKIT_CHECK=1`): this call cannot exchange shapes without blocking.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let buf = if world.is_root() { vec![3.0f64; 5] } else { vec![0.0; 5] };
    ///     let broadcasting = world.immediate_broadcast_array_owned(0, buf)?;
    ///     // ... work while the data travels ...
    ///     let buf = broadcasting.wait()?;
    ///     assert_eq!(buf, vec![3.0; 5]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_broadcast_array_owned<B>(&self, root: Rank, buf: B) -> Result<Pending<B>>
    where
        B: BufferMut<Owned = B> + 'static,
    {
        start::immediate_broadcast(self, root, buf)
    }

    /// Starts a gather of equal blocks into the root's `recv` (`MPI_Igather(sendbuf,
    /// recvbuf)`, mpi4py's `Igather`): block r of `recv` comes from rank r. Buffers are owned
    /// `Vec`s or `Array`s, handed back by [`Pending::wait`]; the root passes `Some(recv)`
    /// holding `size` times `local`'s length (else the same `Err` on every rank, agreed by a
    /// small blocking broadcast before the gather starts). Lengths are compared across ranks
    /// in debug builds and under `MPIKIT_CHECK=1`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let recv = world.is_root().then(|| vec![0i32; world.size_count()]);
    ///     let gathering = world.immediate_gather_array_owned(0, vec![world.rank()], recv)?;
    ///     let (_local, recv) = gathering.wait()?;
    ///     if let Some(all) = recv {
    ///         assert_eq!(all, (0..world.size()).collect::<Vec<_>>());
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_gather_array_owned<B, R>(
        &self,
        root: Rank,
        local: B,
        recv: Option<R>,
    ) -> Result<Pending<(B, Option<R>)>>
    where
        B: OwnedBuffer,
        R: OwnedBufferMut<B::Elem>,
    {
        start::immediate_gather_array_owned(self, root, (local, recv))
    }

    /// Starts a scatter of equal blocks of the root's `send` (`MPI_Iscatter(sendbuf,
    /// recvbuf)`, mpi4py's `Iscatter`): rank r's `recv` gets block r. Buffers are owned and
    /// handed back by [`Pending::wait`]; the root passes `Some(send)` holding `size` times
    /// `recv`'s length (else the same `Err` on every rank, agreed by a small blocking
    /// broadcast before the scatter starts).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count() as u32;
    ///     let send = world.is_root().then(|| (0..2 * n).collect::<Vec<u32>>());
    ///     let (_send, mine) = world.immediate_scatter_array_owned(0, send, vec![0u32; 2])?.wait()?;
    ///     let r = 2 * world.rank() as u32;
    ///     assert_eq!(mine, vec![r, r + 1]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_scatter_array_owned<B, R>(
        &self,
        root: Rank,
        send: Option<B>,
        recv: R,
    ) -> Result<Pending<(Option<B>, R)>>
    where
        B: OwnedBuffer,
        R: OwnedBufferMut<B::Elem>,
    {
        start::immediate_scatter_array_owned(self, root, (send, recv))
    }

    /// Starts an allgather of equal blocks into `recv` (`MPI_Iallgather(sendbuf, recvbuf)`,
    /// mpi4py's `Iallgather`): block r of `recv` comes from rank r; `recv` holds `size` times
    /// `local`'s length (else a panic, which aborts the job). Buffers are owned and handed
    /// back by [`Pending::wait`].
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count();
    ///     let gathering = world.immediate_allgather_array_owned(vec![world.rank(); 2], vec![0i32; 2 * n])?;
    ///     let (_mine, all) = gathering.wait()?;
    ///     assert_eq!(all[2 * n - 1], world.size() - 1); // block r came from rank r
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_allgather_array_owned<B, R>(&self, local: B, recv: R) -> Result<Pending<(B, R)>>
    where
        B: OwnedBuffer,
        R: OwnedBufferMut<B::Elem>,
    {
        start::immediate_exchange_owned(self, (local, recv, false))
    }

    /// Starts an all-to-all of equal blocks (`MPI_Ialltoall(sendbuf, recvbuf)`, mpi4py's
    /// `Ialltoall`): block r of `local` goes to rank r, block r of `recv` comes from rank r.
    /// `local` and `recv` have the same length, a multiple of `size` (else a panic, which
    /// aborts the job). Buffers are owned and handed back by [`Pending::wait`].
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let (n, me) = (world.size_count(), world.rank_index());
    ///     let out: Vec<usize> = (0..n).map(|r| 100 * me + r).collect();
    ///     let (_out, back) = world.immediate_alltoall_array_owned(out, vec![0usize; n])?.wait()?;
    ///     assert_eq!(back[0], me); // rank 0 sent "100 * 0 + my rank"
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_alltoall_array_owned<B, R>(&self, local: B, recv: R) -> Result<Pending<(B, R)>>
    where
        B: OwnedBuffer,
        R: OwnedBufferMut<B::Elem>,
    {
        start::immediate_exchange_owned(self, (local, recv, true))
    }

    /// Starts [`reduce_array`](crate::buffers::ArrayReductions::reduce_array) (`MPI_Ireduce`): the
    /// root gets `Some(element-wise reduction)`, the others `None`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let reducing = world.immediate_reduce_array(0, &[world.rank(), 1], ReduceOp::Max)?;
    ///     if let Some(max) = reducing.wait()? {
    ///         assert_eq!(max, vec![world.size() - 1, 1]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_reduce_array<B>(
        &self,
        root: Rank,
        local: &B,
        op: ReduceOp,
    ) -> Result<Pending<Option<B::Owned>>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_reduce_array(self, root, local, op)
    }

    /// Starts [`reduce_scatter_rows`](crate::buffers::ArrayReductions::reduce_scatter_rows)
    /// (`MPI_Ireduce_scatter`): the reduction, split by rows in balanced blocks.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let n = world.size_count();
    ///     let ones = vec![1u32; 3 * n];
    ///     let mine: Vec<u32> = world.immediate_reduce_scatter_rows(&ones, ReduceOp::Sum)?.wait()?;
    ///     assert_eq!(mine, vec![n as u32; 3]); // 3 rows of the sum each
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_reduce_scatter_rows<B>(&self, local: &B, op: ReduceOp) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        let rows = local.buffer_shape().first().copied().unwrap_or(0);
        let counts = RowPartition::new(&[rows], self.size() as usize).element_counts();
        self.immediate_reduce_scatterv_rows(local, &counts, op)
    }

    /// Starts [`reduce_scatterv_rows`](crate::buffers::ArrayReductions::reduce_scatterv_rows)
    /// (`MPI_Ireduce_scatter` with per-rank counts): rank `r` gets `rows[r]` rows of the
    /// reduction. Every rank passes the same `rows`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     // Every row of the sum to rank 0.
    ///     let mut rows = vec![0; world.size_count()];
    ///     rows[0] = 4;
    ///     let mine: Vec<f64> = world.immediate_reduce_scatterv_rows(&[1.0; 4], &rows, ReduceOp::Sum)?.wait()?;
    ///     assert_eq!(mine.len(), rows[world.rank_index()]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_reduce_scatterv_rows<B>(
        &self,
        local: &B,
        rows: &[usize],
        op: ReduceOp,
    ) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_reduce_scatterv_rows(self, local, rows, op)
    }

    /// Starts [`scan_array`](crate::buffers::ArrayReductions::scan_array) (`MPI_Iscan`): rank r gets
    /// `x0 op x1 op ... op xr`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let upto: Vec<u64> = world.immediate_scan_array(&[1u64], ReduceOp::Sum)?.wait()?;
    ///     assert_eq!(upto, vec![world.rank() as u64 + 1]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_scan_array<B>(&self, local: &B, op: ReduceOp) -> Result<Pending<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_scan_array(self, local, op)
    }

    /// Starts [`exscan_array`](crate::buffers::ArrayReductions::exscan_array) (`MPI_Iexscan`): rank
    /// r > 0 gets `Some(x0 op ... op x(r-1))`, rank 0 gets `None`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let before = world.immediate_exscan_array(&[1u64], ReduceOp::Sum)?.wait()?;
    ///     assert_eq!(before, (world.rank() > 0).then(|| vec![world.rank() as u64]));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_exscan_array<B>(
        &self,
        local: &B,
        op: ReduceOp,
    ) -> Result<Pending<Option<B::Owned>>>
    where
        B: Buffer + ?Sized,
    {
        start::immediate_exscan_array(self, local, op)
    }
}

impl<C: Communicator + ?Sized> ImmediateCollectives for C {}
