//! ndarray buffer collectives: scatter, gather, allgather, broadcast and reductions of arrays
//! split by rows (axis 0), as an extension trait on every rsmpi communicator.
//!
//! These are mpi4py's uppercase methods (`Scatterv`, `Gatherv`, `Allgatherv`, `Bcast`,
//! `Reduce`, `Allreduce`) for `ndarray` arrays. Shapes travel with the data, so receivers do
//! not pre-allocate; counts and displacements come from [`RowPartition`].
//!
//! **Layout.** Arrays in standard (C, row-major) layout are sent without copying. Any other
//! layout (a transposed view, a strided slice) is first copied once into standard layout.
//!
//! **Errors.** Every check that can fail (row shapes that disagree between ranks, messages
//! over MPI's 32-bit count limit, a root out of range) is decided from data that all ranks
//! share, so all ranks return the same `Err` before any data moves. Passing no data on the
//! root is a programming error and panics, which aborts the job (see [`crate::World`]).

use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::datatype::{Equivalence, Partition as MpiPartition, PartitionMut};
use mpi::topology::{Communicator, Rank};
use ndarray::{Array, ArrayBase, CowArray, Data, Dimension};

use crate::buffer::zeroed_vec;
use crate::error::{Error, Result};
use crate::partition::{mpi_count, mpi_counts, RowPartition};

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

/// Largest number of axes an array may have in these collectives.
pub const MAX_DIMS: usize = 16;

/// Buffer collectives on ndarray arrays, for any rsmpi communicator (world or split).
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
    /// Splits the root's array by rows into balanced blocks, one per rank, in rank order
    /// (`MPI_Scatterv`). `data` is `Some` on the root and ignored elsewhere.
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
        check_root(self, root)?;
        let is_root = self.rank() == root;
        let shape = broadcast_shape(self, root, is_root.then(|| root_array(data).shape()));
        let part = RowPartition::new(&shape, self.size() as usize);
        let counts = mpi_counts(&part.element_counts(), "scatter_rows")?;
        let displs = mpi_counts(&part.element_displs(), "scatter_rows")?;
        mpi_count(shape.iter().product(), "scatter_rows")?;
        let mine = part.shape_of(self.rank() as usize);
        let mut recv = zeroed_vec(mine.iter().product());
        let mut spare = [T::default(); 1];
        let proc = self.process_at_rank(root);
        if is_root {
            let data = root_array(data).as_standard_layout();
            let spare_send = [T::default(); 1];
            let send = send_buf(&data, &spare_send);
            proc.scatter_varcount_into_root(
                &MpiPartition::new(send, counts, displs),
                own_empty(&mut recv, &mut spare),
            );
        } else {
            proc.scatter_varcount_into(own_empty(&mut recv, &mut spare));
        }
        Ok(into_array(&mine, recv))
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
        let (total, counts, displs) = agree_rows(self, local.shape(), "gather_rows")?;
        let local = local.as_standard_layout();
        let spare_send = [T::default(); 1];
        let send = send_buf(&local, &spare_send);
        let proc = self.process_at_rank(root);
        if self.rank() == root {
            let mut recv = zeroed_vec(total.iter().product());
            let mut spare = [T::default(); 1];
            let mut part = PartitionMut::new(own_empty(&mut recv, &mut spare), counts, displs);
            proc.gather_varcount_into_root(send, &mut part);
            Ok(Some(into_array(&total, recv)))
        } else {
            proc.gather_varcount_into(send);
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
        let (total, counts, displs) = agree_rows(self, local.shape(), "allgather_rows")?;
        let local = local.as_standard_layout();
        let spare_send = [T::default(); 1];
        let send = send_buf(&local, &spare_send);
        let mut recv = zeroed_vec(total.iter().product());
        let mut spare = [T::default(); 1];
        let mut part = PartitionMut::new(own_empty(&mut recv, &mut spare), counts, displs);
        self.all_gather_varcount_into(send, &mut part);
        Ok(into_array(&total, recv))
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
        let shape = broadcast_shape(self, root, is_root.then(|| root_array(data).shape()));
        let len = shape.iter().product();
        mpi_count(len, "broadcast_array")?;
        let mut buf = if is_root {
            root_array(data)
                .as_standard_layout()
                .iter()
                .copied()
                .collect()
        } else {
            zeroed_vec(len)
        };
        let mut spare = [T::default(); 1];
        self.process_at_rank(root)
            .broadcast_into(own_empty(&mut buf, &mut spare));
        Ok(into_array(&shape, buf))
    }

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
        check_root(self, root)?;
        agree_same_shape(self, local.shape(), "reduce_array")?;
        let local = local.as_standard_layout();
        let spare_send = [T::default(); 1];
        let send = send_buf(&local, &spare_send);
        let proc = self.process_at_rank(root);
        if self.rank() == root {
            let mut recv = zeroed_vec(send.len());
            let mut spare = [T::default(); 1];
            proc.reduce_into_root(send, own_empty(&mut recv, &mut spare), op.system());
            Ok(Some(into_array(local.shape(), recv)))
        } else {
            proc.reduce_into(send, op.system());
            Ok(None)
        }
    }

    /// Element-wise reduction of same-shaped arrays; every rank gets the result.
    fn allreduce_array<T, S, D>(&self, local: &ArrayBase<S, D>, op: ReduceOp) -> Result<Array<T, D>>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        agree_same_shape(self, local.shape(), "allreduce_array")?;
        let local = local.as_standard_layout();
        let spare_send = [T::default(); 1];
        let send = send_buf(&local, &spare_send);
        let mut recv = zeroed_vec(send.len());
        let mut spare = [T::default(); 1];
        self.all_reduce_into(send, own_empty(&mut recv, &mut spare), op.system());
        Ok(into_array(local.shape(), recv))
    }
}

impl<C: Communicator + ?Sized> ArrayCollectives for C {}

fn root_array<S: Data, D: Dimension>(data: Option<&ArrayBase<S, D>>) -> &ArrayBase<S, D> {
    data.expect("mpikit: the root rank must pass Some(array) to this collective")
}

fn check_root<C: Communicator + ?Sized>(comm: &C, root: Rank) -> Result<()> {
    if (0..comm.size()).contains(&root) {
        Ok(())
    } else {
        Err(Error::Rank {
            rank: root,
            size: comm.size(),
        })
    }
}

/// A shape as a fixed-size message: `[ndim, d0, d1, ...]`.
fn encode_shape(shape: &[usize]) -> [u64; MAX_DIMS + 1] {
    assert!(
        shape.len() <= MAX_DIMS,
        "mpikit: arrays of more than {MAX_DIMS} axes are not supported"
    );
    let mut code = [0u64; MAX_DIMS + 1];
    code[0] = shape.len() as u64;
    for (c, &d) in code[1..].iter_mut().zip(shape) {
        *c = d as u64;
    }
    code
}

fn decode_shape(code: &[u64]) -> Vec<usize> {
    code[1..=code[0] as usize]
        .iter()
        .map(|&d| d as usize)
        .collect()
}

fn broadcast_shape<C: Communicator + ?Sized>(
    comm: &C,
    root: Rank,
    shape: Option<&[usize]>,
) -> Vec<usize> {
    let mut code = shape.map_or([0u64; MAX_DIMS + 1], encode_shape);
    comm.process_at_rank(root).broadcast_into(&mut code[..]);
    decode_shape(&code)
}

/// Every rank's shape, in rank order.
fn all_shapes<C: Communicator + ?Sized>(comm: &C, shape: &[usize]) -> Vec<Vec<usize>> {
    let code = encode_shape(shape);
    let mut all = vec![0u64; (MAX_DIMS + 1) * comm.size() as usize];
    comm.all_gather_into(&code[..], &mut all[..]);
    all.chunks(MAX_DIMS + 1).map(decode_shape).collect()
}

/// Checks that row blocks can be stacked; returns the stacked shape and MPI counts/displs.
fn agree_rows<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    what: &'static str,
) -> Result<(Vec<usize>, Vec<i32>, Vec<i32>)> {
    let shapes = all_shapes(comm, shape);
    let first = &shapes[0];
    for (rank, s) in shapes.iter().enumerate() {
        if s.len() != first.len() || s.get(1..) != first.get(1..) {
            return Err(Error::Shape(format!(
                "{what}: rank {rank} has a block of shape {s:?}, rank 0 has {first:?}; \
                 all axes but the first must agree"
            )));
        }
    }
    let row_len: usize = first.iter().skip(1).product();
    let mut total = if first.is_empty() {
        vec![0]
    } else {
        first.clone()
    };
    total[0] = shapes.iter().map(|s| s.first().copied().unwrap_or(1)).sum();
    let counts: Vec<usize> = shapes.iter().map(|s| s.iter().product()).collect();
    let displs: Vec<usize> = counts
        .iter()
        .scan(0, |acc, &c| Some(std::mem::replace(acc, *acc + c)))
        .collect();
    mpi_count(total[0] * row_len, what)?;
    Ok((
        total,
        mpi_counts(&counts, what)?,
        mpi_counts(&displs, what)?,
    ))
}

fn agree_same_shape<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    what: &'static str,
) -> Result<()> {
    let shapes = all_shapes(comm, shape);
    if let Some((rank, s)) = shapes.iter().enumerate().find(|(_, s)| *s != &shapes[0]) {
        return Err(Error::Shape(format!(
            "{what}: rank {rank} has shape {s:?}, rank 0 has {:?}; reductions need equal shapes",
            shapes[0]
        )));
    }
    mpi_count(shape.iter().product(), what)?;
    Ok(())
}

/// `buf`, or when it is empty an empty slice on the stack. An empty `Vec<u8>` points at
/// address 1, which is OpenMPI's `MPI_IN_PLACE`: passed as a buffer it changes the call's
/// meaning (`MPI_ERR_ARG` in `MPI_Scatterv`). Empty buffers of other types share one
/// dangling address, which a send-equals-receive check could also trip on.
fn own_empty<'a, T>(buf: &'a mut [T], spare: &'a mut [T; 1]) -> &'a mut [T] {
    if buf.is_empty() {
        &mut spare[..0]
    } else {
        buf
    }
}

/// A standard-layout array's elements as a send buffer, never aliasing `MPI_IN_PLACE`
/// (see [`own_empty`]).
fn send_buf<'a, T, D: Dimension>(array: &'a CowArray<'_, T, D>, spare: &'a [T; 1]) -> &'a [T] {
    let buf = array.as_slice().expect("standard layout is contiguous");
    if buf.is_empty() {
        &spare[..0]
    } else {
        buf
    }
}

fn into_array<T, D: Dimension>(shape: &[usize], data: Vec<T>) -> Array<T, D> {
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
