//! MPI's predefined reduction operations, which element types each accepts, and local
//! reductions (`MPI_Reduce_local`).

use mpi::collective::SystemOperation;

use crate::collective::buffer::{with_contiguous_mut, Buffer, BufferMut};
use crate::collective::element::{kind, Element, Kind};
use crate::collective::large;
use crate::collective::unsigned_order::{self, MpiOp};
use crate::error::{Error, Result};

/// MPI's predefined reduction operations (mpi4py's `MPI.SUM`, `MPI.LAND`, `MPI.BXOR`, ...).
///
/// Each element type accepts what MPI allows it: integers every operation; floats `Sum`,
/// `Product`, `Min`, `Max`; `bool` the logical ones; complex numbers `Sum` and `Product`.
/// Another combination is an [`Error::Input`] from the collective on every rank (MPI itself
/// would abort the job). For the location of a minimum or maximum (`MPI_MINLOC`,
/// `MPI_MAXLOC`) see [`allreduce_maxloc`](crate::buffers::ArrayReductions::allreduce_maxloc).
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
    /// `MPI_LAND`: logical and (integers: non-zero is true; `bool`)
    LogicalAnd,
    /// `MPI_LOR`: logical or
    LogicalOr,
    /// `MPI_LXOR`: logical exclusive or
    LogicalXor,
    /// `MPI_BAND`: bitwise and (integers)
    BitAnd,
    /// `MPI_BOR`: bitwise or (integers)
    BitOr,
    /// `MPI_BXOR`: bitwise exclusive or (integers)
    BitXor,
}

impl ReduceOp {
    /// The rsmpi operation, for rsmpi's own calls. (mpikit's collectives use a replacement
    /// for `Min` and `Max` of unsigned integers where the MPI library compares them as signed,
    /// as MPICH 4.0.2 does; rsmpi's calls get the library's own.)
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::mpi::traits::*; // rsmpi's collectives
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     // rsmpi's own calls take the rsmpi operation.
    ///     let mut total = 0u64;
    ///     world.comm().all_reduce_into(&1u64, &mut total, ReduceOp::Sum.system());
    ///     assert_eq!(total, world.size() as u64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn system(self) -> SystemOperation {
        match self {
            ReduceOp::Sum => SystemOperation::sum(),
            ReduceOp::Product => SystemOperation::product(),
            ReduceOp::Min => SystemOperation::min(),
            ReduceOp::Max => SystemOperation::max(),
            ReduceOp::LogicalAnd => SystemOperation::logical_and(),
            ReduceOp::LogicalOr => SystemOperation::logical_or(),
            ReduceOp::LogicalXor => SystemOperation::logical_xor(),
            ReduceOp::BitAnd => SystemOperation::bitwise_and(),
            ReduceOp::BitOr => SystemOperation::bitwise_or(),
            ReduceOp::BitXor => SystemOperation::bitwise_xor(),
        }
    }

    /// Whether MPI defines this operation on elements of type `T`.
    ///
    /// ```
    /// use mpikit::ReduceOp;
    /// assert!(ReduceOp::BitXor.supports::<u32>());
    /// assert!(!ReduceOp::BitXor.supports::<f64>());
    /// assert!(ReduceOp::LogicalOr.supports::<bool>() && !ReduceOp::Sum.supports::<bool>());
    /// ```
    pub fn supports<T: Element>(self) -> bool {
        use ReduceOp::*;
        match kind::<T>() {
            Kind::Integer => true,
            Kind::Float => matches!(self, Sum | Product | Min | Max),
            Kind::Logical => matches!(self, LogicalAnd | LogicalOr | LogicalXor),
            Kind::Complex => matches!(self, Sum | Product),
        }
    }

    /// The MPI operation for elements of `T` (MPI's own, or for MIN / MAX of unsigned
    /// integers a correct replacement where the library compares them as signed: see
    /// collective/unsigned_order.rs), or the error `what` reports on every rank.
    pub(crate) fn for_type<T: Element>(self, what: &str) -> Result<MpiOp> {
        if self.supports::<T>() {
            let (min, max) = (self == ReduceOp::Min, self == ReduceOp::Max);
            Ok(unsigned_order::operation::<T>(self.system(), min, max))
        } else {
            Err(Error::input(format!(
                "{what}: MPI defines no {self:?} of {} elements",
                std::any::type_name::<T>()
            )))
        }
    }
}

/// Combines two local buffers element-wise with `op`, `inout[i] = input[i] op inout[i]`
/// (`MPI_Reduce_local`, mpi4py's `Op.Reduce_local`): no communication.
///
/// # Examples
/// ```no_run
/// use mpikit::ReduceOp;
/// use mpikit::buffers::reduce_local_into;
/// mpikit::run(|_world| {
///     let mut acc = vec![1u8, 2, 4];
///     reduce_local_into(&[3u8, 3, 3], &mut acc, ReduceOp::BitOr)?;
///     assert_eq!(acc, vec![3, 3, 7]);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn reduce_local_into<B, R>(input: &B, inout: &mut R, op: ReduceOp) -> Result<()>
where
    B: Buffer + ?Sized,
    R: BufferMut<Elem = B::Elem> + ?Sized,
{
    let system = op.for_type::<B::Elem>("reduce_local_into")?;
    if input.buffer_len() != inout.buffer_len() {
        return Err(Error::Shape(format!(
            "reduce_local_into: an input of {} elements and an output of {}",
            input.buffer_len(),
            inout.buffer_len()
        )));
    }
    let input = input.contiguous();
    with_contiguous_mut(inout, |out| {
        for r in large::pieces::<B::Elem>(out.len()) {
            mpi::collective::reduce_local_into(&input[r.clone()], &mut out[r], system);
        }
    });
    Ok(())
}
