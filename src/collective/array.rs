//! Buffer collectives that move data: broadcast, scatter(v), gather(v), allgather(v) and
//! alltoall(v) of slices, `Vec`s and ndarray arrays split by rows (axis 0), as an extension
//! trait on every rsmpi communicator. Reductions are in
//! [`ArrayReductions`](crate::buffers::ArrayReductions).
//!
//! These are mpi4py's uppercase methods (`Bcast`, `Scatterv`, `Gatherv`, `Allgatherv`,
//! `Alltoallv`). Shapes travel with the data, so receivers do not pre-allocate; balanced
//! counts come from [`RowPartition`](crate::data::RowPartition). Any [`Buffer`] is accepted; the
//! calls that build a buffer return its [`Owned`](Buffer::Owned) kind (`Vec` for slices and
//! `Vec`s, `Array<T, D>` for arrays).
//!
//! **Layout.** Buffers in standard (C, row-major) layout are sent without copying. Any other
//! layout (a transposed view, a strided slice) is first copied once into standard layout.
//!
//! **Size.** Messages of any size work: transfers over 2^31 elements (or over
//! [`max_message_bytes`](crate::runtime::max_message_bytes)) are split into pieces.
//!
//! **Errors.** Every check that can fail (row shapes that disagree between ranks, row counts
//! that do not add up, a root out of range) is decided from data that all ranks share, so
//! all ranks return the same `Err` before any data moves. The `_into` calls, which exchange
//! no shapes, check buffer lengths across ranks in debug builds and under `MPIKIT_CHECK=1`
//! (the same `Err` on every rank); otherwise lengths that differ between ranks are a
//! programming error. Passing no data on the root is a programming error and panics, which
//! aborts the job (see [`crate::run`]).

use mpi::collective::CommunicatorCollectives;
use mpi::topology::{Communicator, Rank};

use crate::collective::address::{nonempty, nonempty_mut};
use crate::collective::buffer::{with_contiguous_mut, Buffer, BufferMut};
use crate::collective::large;
use crate::collective::plans::{alltoall_plan, scatter_plan};
use crate::collective::shape::{
    agree_lengths, agree_root, agree_rows, broadcast_shape, check_root, RootInput,
};
use crate::data::alloc::zeroed_vec;
use crate::data::partition::Partition;
use crate::error::Result;

/// Data-moving collectives on slices, `Vec`s and ndarray arrays, for any rsmpi communicator
/// (world or split) and for [`World`](crate::World).
///
/// Every rank of the communicator must make the same call with the same `root`.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::ndarray::Array2;
/// use mpikit::ReduceOp;
/// mpikit::run(|world| {
///     // Rank 0 owns a 10x3 matrix; every rank gets a block of rows.
///     let full = world.is_root().then(|| Array2::<f64>::ones((10, 3)));
///     let mine = world.scatter_rows(0, full.as_ref())?;
///     let doubled = mine.mapv(|x| 2.0 * x);
///     // Back on rank 0, in rank order.
///     if let Some(all) = world.gather_rows(0, &doubled)? {
///         assert_eq!(all.sum(), 60.0);
///     }
///     let total = world.allreduce_scalar(doubled.sum(), ReduceOp::Sum)?;
///     assert_eq!(total, 60.0);
///     // Plain Vecs and slices work the same way.
///     let ids: Vec<usize> = world.allgather_rows(&[world.rank_index()])?;
///     assert_eq!(ids, (0..world.size_count()).collect::<Vec<_>>());
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait ArrayCollectives: Communicator {
    /// Broadcasts the root's `buf` into `buf` on every other rank, in place (`MPI_Bcast`,
    /// mpi4py's `Bcast`): no shapes travel and nothing is allocated, the fastest way to send
    /// the same data again and again. Every rank must pass a buffer of the root's length
    /// (checked in debug builds and under `MPIKIT_CHECK=1`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let mut params = if world.is_root() { vec![0.5f64, 2.0, 8.0] } else { vec![0.0; 3] };
    ///     world.broadcast_array_into(0, &mut params)?;
    ///     assert_eq!(params, vec![0.5, 2.0, 8.0]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn broadcast_array_into<B>(&self, root: Rank, buf: &mut B) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        check_root(self, root)?;
        agree_lengths(self, buf.buffer_len(), true, "broadcast_array_into")?;
        with_contiguous_mut(buf, |slice| large::broadcast(self, root, slice));
        Ok(())
    }

    /// Sends the root's buffer, shape and all, to every rank (`MPI_Bcast`). `data` is `Some`
    /// on the root and ignored elsewhere; every rank gets an owned copy.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ndarray::{array, Array2};
    /// mpikit::run(|world| {
    ///     let grid = world.is_root().then(|| array![[1.0, 2.0], [3.0, 4.0]]);
    ///     let grid: Array2<f64> = world.broadcast_array(0, grid.as_ref())?;
    ///     assert_eq!(grid, array![[1.0, 2.0], [3.0, 4.0]]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn broadcast_array<B>(&self, root: Rank, data: Option<&B>) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        check_root(self, root)?;
        let is_root = self.rank() == root;
        let root_shape = data.filter(|_| is_root).map(|d| d.buffer_shape());
        let what = "broadcast_array";
        let shape = broadcast_shape(self, root, root_shape.as_deref(), true, &mut [], what)?;
        let mut buf = match data {
            // The root has data: broadcast_shape failed everywhere otherwise.
            Some(d) if is_root => d.contiguous().into_owned(),
            _ => zeroed_vec(shape.iter().product()),
        };
        large::broadcast(self, root, &mut buf);
        Ok(B::from_parts(&shape, buf))
    }

    /// Splits the root's buffer by rows into balanced blocks, one per rank, in rank order
    /// (`MPI_Scatterv`; the first `rows % size` ranks get one row more). `data` is `Some` on
    /// the root and ignored elsewhere.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let all: Option<Vec<u32>> = world.is_root().then(|| (0..100).collect());
    ///     let mine: Vec<u32> = world.scatter_rows(0, all.as_ref())?;
    ///     // This rank's balanced block of 0..100.
    ///     assert_eq!(mine, world.block(100).map(|i| i as u32).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scatter_rows<B>(&self, root: Rank, data: Option<&B>) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        scatter_rows_named(self, root, (data, None), "scatter_rows")
    }

    /// Splits the root's buffer by rows into blocks of `rows[r]` rows for rank `r`
    /// (`MPI_Scatterv`). `rows` is read on the root only; `None` means balanced blocks. On
    /// every rank the call fails if the root's counts do not have one entry per rank or do not
    /// add up to the buffer's rows.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count();
    ///     let rows: Vec<usize> = (1..=n).collect(); // rank r gets r + 1 rows
    ///     let data = world.is_root().then(|| vec![7i64; n * (n + 1) / 2]);
    ///     let mine: Vec<i64> = world.scatterv_rows(0, data.as_ref(), Some(&rows[..]))?;
    ///     assert_eq!(mine, vec![7; world.rank_index() + 1]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scatterv_rows<B>(
        &self,
        root: Rank,
        data: Option<&B>,
        rows: Option<&[usize]>,
    ) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        scatter_rows_named(self, root, (data, rows), "scatterv_rows")
    }

    /// Equal blocks into buffers the caller gives (`MPI_Scatter`, mpi4py's `Scatter`): rank
    /// r gets block r of the root's `send`, whose length must be `size` times every rank's
    /// `recv` length. No shapes travel and nothing is allocated. The root's `send` is checked
    /// on every rank (one 24-byte broadcast): `None` or a wrong length there is the same
    /// `Err` everywhere. `recv` lengths are compared across ranks in debug builds and under
    /// `MPIKIT_CHECK=1`; otherwise lengths that differ between ranks are a programming error.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count() as u64;
    ///     let send = world.is_root().then(|| (0..3 * n).collect::<Vec<u64>>());
    ///     let mut mine = [0u64; 3];
    ///     world.scatter_array_into(0, send.as_ref(), &mut mine)?;
    ///     let r = world.rank() as u64;
    ///     assert_eq!(mine, [3 * r, 3 * r + 1, 3 * r + 2]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn scatter_array_into<B, R>(&self, root: Rank, send: Option<&B>, recv: &mut R) -> Result<()>
    where
        B: Buffer + ?Sized,
        R: BufferMut<Elem = B::Elem> + ?Sized,
    {
        check_root(self, root)?;
        let size = self.size() as usize;
        let counts = vec![recv.buffer_len(); size];
        let send = send.filter(|_| self.rank() == root).map(|s| s.contiguous());
        let need = recv.buffer_len() * size;
        let input = RootInput::of(send.as_ref().map(|s| s.len()), need);
        agree_root(self, root, input, "scatter_array_into")?;
        agree_lengths(self, recv.buffer_len(), true, "scatter_array_into")?;
        with_contiguous_mut(recv, |out| {
            large::scatterv(self, root, send.as_deref(), &counts, out)
        });
        Ok(())
    }

    /// Equal blocks gathered into a buffer the root gives (`MPI_Gather`, mpi4py's `Gather`):
    /// block r of the root's `recv` comes from rank r. The root's `recv` must hold `size`
    /// times `local`'s length: `None` or a wrong length there is the same `Err` on every rank
    /// (one 24-byte broadcast). `local` lengths are compared across ranks in debug builds and
    /// under `MPIKIT_CHECK=1`; otherwise lengths that differ between ranks are a programming
    /// error.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count();
    ///     let mut all = world.is_root().then(|| vec![0i32; 2 * n]);
    ///     world.gather_array_into(0, &[world.rank(); 2], all.as_mut())?;
    ///     if let Some(all) = all {
    ///         assert_eq!(all[2 * n - 1], world.size() - 1); // block r came from rank r
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn gather_array_into<B, R>(&self, root: Rank, local: &B, recv: Option<&mut R>) -> Result<()>
    where
        B: Buffer + ?Sized,
        R: BufferMut<Elem = B::Elem> + ?Sized,
    {
        check_root(self, root)?;
        let size = self.size() as usize;
        let counts = vec![local.buffer_len(); size];
        let local = local.contiguous();
        let recv = recv.filter(|_| self.rank() == root);
        let need = local.len() * size;
        let input = RootInput::of(recv.as_ref().map(|r| r.buffer_len()), need);
        agree_root(self, root, input, "gather_array_into")?;
        agree_lengths(self, local.len(), true, "gather_array_into")?;
        match recv {
            Some(recv) => with_contiguous_mut(recv, |out| {
                large::gatherv(self, root, &local, &counts, Some(out))
            }),
            None => large::gatherv(self, root, &local, &counts, None),
        }
        Ok(())
    }

    /// Concatenates every rank's rows on the root, in rank order (`MPI_Gatherv`). Returns
    /// `Some(buffer)` on the root, `None` elsewhere. Blocks may have any number of rows
    /// (zero too); the other axes must agree on all ranks.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::ndarray::Array2;
    /// mpikit::run(|world| {
    ///     let mine = Array2::<f64>::from_elem((2, 3), world.rank() as f64);
    ///     if let Some(all) = world.gather_rows(0, &mine)? {
    ///         assert_eq!(all.shape(), &[2 * world.size_count(), 3]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn gather_rows<B>(&self, root: Rank, local: &B) -> Result<Option<B::Owned>>
    where
        B: Buffer + ?Sized,
    {
        check_root(self, root)?;
        let (total, counts) = agree_rows(self, &local.buffer_shape(), "gather_rows")?;
        let local = local.contiguous();
        if self.rank() == root {
            let mut recv = zeroed_vec(total.iter().product());
            large::gatherv(self, root, &local, &counts, Some(&mut recv));
            Ok(Some(B::from_parts(&total, recv)))
        } else {
            large::gatherv(self, root, &local, &counts, None);
            Ok(None)
        }
    }

    /// Like [`gather_rows`](Self::gather_rows), but every rank gets the whole buffer
    /// (`MPI_Allgatherv`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let all: Vec<i32> = world.allgather_rows(&[world.rank(); 2])?;
    ///     assert_eq!(all.len(), 2 * world.size_count());
    ///     assert_eq!(all[2 * world.rank_index()], world.rank());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn allgather_rows<B>(&self, local: &B) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        let (total, counts) = agree_rows(self, &local.buffer_shape(), "allgather_rows")?;
        let local = local.contiguous();
        let mut recv = zeroed_vec(total.iter().product());
        large::allgatherv(self, &local, &counts, &mut recv);
        Ok(B::from_parts(&total, recv))
    }

    /// Personalised all-to-all by rows (`MPI_Alltoallv`): this rank sends its next
    /// `send_rows[r]` rows to rank `r`, in rank order, and gets back the blocks every rank sent
    /// it, stacked in rank order. Fails on every rank if any rank's `send_rows` does not have
    /// one entry per rank or does not add up to its rows, or if the other axes disagree.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count();
    ///     // r + 1 rows to rank r, each holding this rank's number.
    ///     let send_rows: Vec<usize> = (1..=n).collect();
    ///     let mine = vec![world.rank(); n * (n + 1) / 2];
    ///     let got: Vec<i32> = world.alltoallv_rows(&mine, &send_rows)?;
    ///     // Every rank sent this one rank_index() + 1 rows.
    ///     assert_eq!(got.len(), n * (world.rank_index() + 1));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn alltoallv_rows<B>(&self, local: &B, send_rows: &[usize]) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        let (shape, send_counts, recv_counts) =
            alltoall_plan(self, &local.buffer_shape(), send_rows, "alltoallv_rows")?;
        let local = local.contiguous();
        let mut recv = zeroed_vec(recv_counts.iter().sum());
        large::alltoallv(self, &local, &send_counts, &mut recv, &recv_counts);
        Ok(B::from_parts(&shape, recv))
    }

    /// [`alltoallv_rows`](Self::alltoallv_rows) with this rank's rows split into balanced
    /// blocks, one per rank (mpi4py's `Alltoall` when the rows divide evenly).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let (n, me) = (world.size_count(), world.rank_index());
    ///     let mine: Vec<usize> = (0..n).map(|r| 100 * me + r).collect();
    ///     let got: Vec<usize> = world.alltoall_rows(&mine)?;
    ///     // Row r came from rank r, which sent "100 r + my rank".
    ///     assert_eq!(got, (0..n).map(|r| 100 * r + me).collect::<Vec<_>>());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn alltoall_rows<B>(&self, local: &B) -> Result<B::Owned>
    where
        B: Buffer + ?Sized,
    {
        let rows = local.buffer_shape().first().copied().unwrap_or(0);
        let counts = Partition::new(rows, self.size() as usize).counts();
        self.alltoallv_rows(local, &counts)
    }

    /// Personalised all-to-all of equal blocks into the caller's buffer (`MPI_Alltoall`,
    /// mpi4py's `Alltoall(sendbuf, recvbuf)`): `local` and `recv` hold `size` blocks of the
    /// same length on every rank; block `r` of `local` goes to rank `r`, block `r` of `recv`
    /// comes from rank `r`. Nothing is allocated. Lengths are checked across ranks in debug
    /// builds and under `MPIKIT_CHECK=1`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let n = world.size_count();
    ///     let out: Vec<u32> = (0..n).map(|r| (100 * world.rank_index() + r) as u32).collect();
    ///     let mut back = vec![0u32; n];
    ///     world.alltoall_array_into(&out, &mut back)?;
    ///     assert_eq!(back[0], world.rank() as u32); // rank 0 sent "100 * 0 + my rank"
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn alltoall_array_into<B, R>(&self, local: &B, recv: &mut R) -> Result<()>
    where
        B: Buffer + ?Sized,
        R: BufferMut<Elem = B::Elem> + ?Sized,
    {
        let what = "alltoall_array_into";
        let size = self.size() as usize;
        let (n, m) = (local.buffer_len(), recv.buffer_len());
        let ok = n == m && n % size == 0;
        agree_lengths(self, n, ok, what)?;
        if !ok {
            return Err(crate::Error::Shape(format!(
                "{what}: {n} elements to send and room for {m}: both must be {size} equal blocks"
            )));
        }
        let local = local.contiguous();
        let block = n / size;
        with_contiguous_mut(recv, |recv| {
            if n <= large::max_elems::<B::Elem>() {
                self.all_to_all_into(nonempty(&local), nonempty_mut(recv));
            } else {
                let counts = vec![block; size];
                large::alltoallv(self, &local, &counts, recv, &counts);
            }
        });
        Ok(())
    }

    /// Personalised all-to-all of blocks of any lengths into the caller's buffer
    /// (`MPI_Alltoallv` with counts the caller knows, as after an all-to-all of the counts):
    /// `send_counts[r]` elements of `local`, in rank order, go to rank `r`; `recv_counts[r]`
    /// elements come from rank `r` into `recv`, in rank order. Every rank's `send_counts[r]`
    /// must be rank `r`'s `recv_counts` entry for it. The blocks travel as point-to-point
    /// messages on the communicator's private duplicate, all in flight at once, so any size
    /// works with no agreement first; nothing is allocated.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // Rank r gets r + 1 elements from every rank: both sides know the counts.
    ///     let (n, me) = (world.size_count(), world.rank_index());
    ///     let send_counts: Vec<usize> = (1..=n).collect();
    ///     let recv_counts = vec![me + 1; n];
    ///     let local = vec![me as u32; n * (n + 1) / 2];
    ///     let mut recv = vec![0u32; n * (me + 1)];
    ///     world.alltoallv_array_into(&local, &send_counts, &mut recv, &recv_counts)?;
    ///     assert_eq!(recv[recv.len() - 1], n as u32 - 1);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn alltoallv_array_into<B, R>(
        &self,
        local: &B,
        send_counts: &[usize],
        recv: &mut R,
        recv_counts: &[usize],
    ) -> Result<()>
    where
        B: Buffer + ?Sized,
        R: BufferMut<Elem = B::Elem> + ?Sized,
    {
        let what = "alltoallv_array_into";
        let size = self.size() as usize;
        let (n, m) = (local.buffer_len(), recv.buffer_len());
        let (sent, got) = (
            send_counts.iter().sum::<usize>(),
            recv_counts.iter().sum::<usize>(),
        );
        if send_counts.len() != size || recv_counts.len() != size || sent > n || got > m {
            return Err(crate::Error::Shape(format!(
                "{what}: counts for {} and {} ranks adding up to {sent} and {got}, for buffers \
                 of {n} and {m} elements on {size} ranks",
                send_counts.len(),
                recv_counts.len()
            )));
        }
        let local = local.contiguous();
        with_contiguous_mut(recv, |recv| {
            large::exchange_blocks(self, &local, send_counts, recv, recv_counts)
        });
        Ok(())
    }
}

impl<C: Communicator + ?Sized> ArrayCollectives for C {}

/// The body of [`ArrayCollectives::scatterv_rows`] and of `scatter_rows`, each named `what`
/// in its errors.
fn scatter_rows_named<C, B>(
    comm: &C,
    root: Rank,
    (data, rows): (Option<&B>, Option<&[usize]>),
    what: &'static str,
) -> Result<B::Owned>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
{
    let (mine, elems) = scatter_plan(comm, root, data, rows, what)?;
    let is_root = comm.rank() == root;
    let mut recv = zeroed_vec(mine.iter().product());
    // The root has data: scatter_plan failed everywhere otherwise.
    let send = data.filter(|_| is_root).map(|d| d.contiguous());
    large::scatterv(comm, root, send.as_deref(), &elems, &mut recv);
    Ok(B::from_parts(&mine, recv))
}
