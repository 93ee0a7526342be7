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

use mpi::collective::{CommunicatorCollectives, Root};
use mpi::datatype::Equivalence;
use mpi::topology::{Communicator, Rank};
use ndarray::{Array, ArrayBase, CowArray, Data, DataMut, Dimension};

use crate::buffer::zeroed_vec;
use crate::error::{Error, Result};
use crate::large;
use crate::partition::Partition;

mod sealed {
    pub trait Sealed {}
}

/// Element types that travel as MPI built-in datatypes: `f64`, `f32`, `i64`, `i32`, `u64`,
/// `u32`, `u8`.
pub trait Element:
    Equivalence + Copy + Default + PartialOrd + Send + Sync + 'static + sealed::Sealed
{
}

macro_rules! elements {
    ($($t:ty),*) => { $(impl sealed::Sealed for $t {} impl Element for $t {})* };
}
elements!(f64, f32, i64, i32, u64, u32, u8);

/// Largest number of axes an array may have in these collectives.
pub const MAX_DIMS: usize = 16;

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

pub(crate) fn root_array<S: Data, D: Dimension>(
    data: Option<&ArrayBase<S, D>>,
) -> &ArrayBase<S, D> {
    data.expect("mpikit: the root rank must pass Some(array) to this collective")
}

pub(crate) fn check_root<C: Communicator + ?Sized>(comm: &C, root: Rank) -> Result<()> {
    if (0..comm.size()).contains(&root) {
        Ok(())
    } else {
        Err(Error::Rank {
            rank: root,
            size: comm.size(),
        })
    }
}

/// Words in a shape message: `[ok, ndim, d0, d1, ...]`.
const CODE: usize = MAX_DIMS + 2;

/// A shape (and whether the sender's input was valid) as a fixed-size message.
fn encode_shape(shape: &[usize], ok: bool) -> [u64; CODE] {
    assert!(
        shape.len() <= MAX_DIMS,
        "mpikit: arrays of more than {MAX_DIMS} axes are not supported"
    );
    let mut code = [0u64; CODE];
    code[0] = u64::from(ok);
    code[1] = shape.len() as u64;
    for (c, &d) in code[2..].iter_mut().zip(shape) {
        *c = d as u64;
    }
    code
}

fn decode_shape(code: &[u64]) -> Vec<usize> {
    code[2..2 + code[1] as usize]
        .iter()
        .map(|&d| d as usize)
        .collect()
}

/// Broadcasts the root's shape; fails on every rank if the root flags its input as bad.
///
/// `extra` (the same length everywhere) travels in the same message: the root's values
/// arrive in every rank's `extra`.
fn broadcast_shape<C: Communicator + ?Sized>(
    comm: &C,
    root: Rank,
    shape: Option<&[usize]>,
    ok: bool,
    extra: &mut [u64],
) -> Result<Vec<usize>> {
    let mut msg = shape.map_or([0u64; CODE], |s| encode_shape(s, ok)).to_vec();
    msg.extend_from_slice(extra);
    comm.process_at_rank(root).broadcast_into(&mut msg[..]);
    extra.copy_from_slice(&msg[CODE..]);
    let code = &msg[..CODE];
    if code[0] == 0 {
        return Err(Error::Shape(format!(
            "rank {root} (the root) passed an array of shape {:?} with row counts that do not \
             fit it: they need one entry per rank ({}) adding up to the rows",
            decode_shape(code),
            comm.size()
        )));
    }
    Ok(decode_shape(code))
}

/// Every rank's shape and validity flag, in rank order.
fn all_shapes<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    ok: bool,
) -> Vec<(Vec<usize>, bool)> {
    let code = encode_shape(shape, ok);
    let mut all = vec![0u64; CODE * comm.size() as usize];
    comm.all_gather_into(&code[..], &mut all[..]);
    all.chunks(CODE)
        .map(|c| (decode_shape(c), c[0] == 1))
        .collect()
}

/// Checks that row blocks can be stacked; returns the stacked shape and element counts.
fn agree_rows<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    what: &'static str,
) -> Result<(Vec<usize>, Vec<usize>)> {
    agree_rows_if(comm, shape, true, what)
}

/// [`agree_rows`], also failing on every rank if any rank passes `ok = false`.
fn agree_rows_if<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    ok: bool,
    what: &'static str,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let shapes = all_shapes(comm, shape, ok);
    if let Some(rank) = shapes.iter().position(|(_, ok)| !ok) {
        return Err(Error::Shape(format!(
            "{what}: rank {rank}'s row counts need one entry per rank adding up to its rows"
        )));
    }
    let first = &shapes[0].0;
    if first.is_empty() {
        return Err(Error::Shape(format!(
            "{what}: arrays need at least one axis"
        )));
    }
    for (rank, (s, _)) in shapes.iter().enumerate() {
        if s.len() != first.len() || s.get(1..) != first.get(1..) {
            return Err(Error::Shape(format!(
                "{what}: rank {rank} has a block of shape {s:?}, rank 0 has {first:?}; \
                 all axes but the first must agree"
            )));
        }
    }
    let mut total = first.clone();
    total[0] = shapes.iter().map(|(s, _)| s[0]).sum();
    let counts = shapes.iter().map(|(s, _)| s.iter().product()).collect();
    Ok((total, counts))
}

/// Fails on every rank unless all ranks pass the same shape.
pub(crate) fn agree_same_shape<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    what: &'static str,
) -> Result<()> {
    let shapes = all_shapes(comm, shape, true);
    if let Some((rank, (s, _))) = shapes.iter().enumerate().find(|(_, s)| s.0 != shapes[0].0) {
        return Err(Error::Shape(format!(
            "{what}: rank {rank} has shape {s:?}, rank 0 has {:?}; reductions need equal shapes",
            shapes[0].0
        )));
    }
    Ok(())
}

/// Runs `f` on `array`'s elements as one contiguous slice, through a copy if the layout is
/// not standard.
pub(crate) fn with_contiguous<T: Copy, S: DataMut<Elem = T>, D: Dimension>(
    array: &mut ArrayBase<S, D>,
    f: impl FnOnce(&mut [T]),
) {
    match array.as_slice_mut() {
        Some(slice) => f(slice),
        None => {
            let mut copy = array.as_standard_layout().into_owned();
            f(copy.as_slice_mut().expect("standard layout is contiguous"));
            array.assign(&copy);
        }
    }
}

/// A standard-layout array's elements.
pub(crate) fn contiguous<'a, T, D: Dimension>(array: &'a CowArray<'_, T, D>) -> &'a [T] {
    array.as_slice().expect("standard layout is contiguous")
}

/// An array of `shape` holding `data`.
pub(crate) fn into_array<T, D: Dimension>(shape: &[usize], data: Vec<T>) -> Array<T, D> {
    if let Some(n) = D::NDIM {
        assert_eq!(
            n,
            shape.len(),
            "mpikit: ranks disagree on the number of axes"
        );
    }
    let mut dim = D::zeros(shape.len());
    dim.slice_mut().copy_from_slice(shape);
    Array::from_shape_vec(dim, data).expect("length matches shape")
}
