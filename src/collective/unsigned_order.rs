//! `MPI_MIN` and `MPI_MAX` of unsigned integers where the MPI library gets them wrong.
//!
//! MPICH 4.0.2 (Debian 12's) compares unsigned integers of every width as signed in its
//! built-in MIN and MAX: `min(0u8, 200u8)` comes back as 200, `min(0u64, 2^63 + 5)` as
//! 2^63 + 5 (as `MPI_Reduce_local` of one `MPI_UINT8_T` shows). Open MPI 4.1 gets
//! them right. mpikit asks the library once per process, with `MPI_Reduce_local` (no
//! communication, so any rank may ask at any time, and every rank gets the same answer from
//! the same library), and where the answer is wrong reduces unsigned integers with MPI user
//! operations that compare them as unsigned. Elsewhere MPI's own operations are used.
//!
//! One-sided accumulates cannot take user operations (MPI allows only the built-in ones
//! there), so on such a library they refuse unsigned MIN and MAX with an `Err`.

use std::cell::OnceCell;

use mpi::collective::{Operation, SystemOperation, UserOperation};
use mpi::datatype::{DynBuffer, DynBufferMut};
use mpi::raw::AsRaw;

use crate::collective::element::{is_unsigned, Element};
use crate::raw::MPI_Op;

/// An operation of mpikit's reductions: MPI's built-in one, or a replacement from this module.
#[derive(Clone, Copy)]
pub(crate) struct MpiOp(MPI_Op);

// SAFETY: the handle is a valid MPI operation from MPI_Init to MPI_Finalize: a built-in one,
// or one of this module's user operations, created once and never freed.
unsafe impl AsRaw for MpiOp {
    type Raw = MPI_Op;
    fn as_raw(&self) -> MPI_Op {
        self.0
    }
}

impl Operation for MpiOp {}

impl From<SystemOperation> for MpiOp {
    fn from(op: SystemOperation) -> MpiOp {
        MpiOp(op.as_raw())
    }
}

thread_local! {
    /// The replacements (MIN, MAX) when this library needs them; `None` when it does not.
    static REPLACEMENTS: OnceCell<Option<[MPI_Op; 2]>> = const { OnceCell::new() };
}

/// Whether the library's MIN compares unsigned integers as signed: `min(200u8, 0u8)`.
fn signed_compare() -> bool {
    let mut acc = 0u8;
    mpi::collective::reduce_local_into(&200u8, &mut acc, SystemOperation::min());
    acc != 0
}

/// `acc[i] = pick(x[i], acc[i])` for the unsigned type the buffers hold.
fn unsigned_pick(x: DynBuffer, acc: DynBufferMut, max: bool) {
    macro_rules! each {
        ($($t:ty),*) => {$(
            if x.is::<$t>() {
                let x = x.downcast::<$t>().expect("checked");
                let acc = acc.downcast::<$t>().expect("MPI reduces one type at a time");
                for (a, &v) in acc.iter_mut().zip(x) {
                    *a = if max { (*a).max(v) } else { (*a).min(v) };
                }
                return;
            }
        )*};
    }
    each!(u8, u16, u32, u64);
    panic!("mpikit: the unsigned MIN / MAX applied to another type");
}

/// The user operation that takes the unsigned MIN (or MAX), leaked: it lives until the
/// process ends, past MPI_Finalize, and is never freed.
fn leaked(max: bool) -> MPI_Op {
    let op = UserOperation::commutative(move |x, acc| unsigned_pick(x, acc, max));
    let raw = op.as_raw();
    std::mem::forget(op);
    raw
}

/// The replacement operations (MIN, MAX) if this MPI library needs them.
fn replacements() -> Option<[MPI_Op; 2]> {
    REPLACEMENTS
        .with(|r| *r.get_or_init(|| signed_compare().then(|| [leaked(false), leaked(true)])))
}

/// `op` for elements of `T`: MPI's own, unless `T` is unsigned, `op` is MIN or MAX and the
/// library compares unsigned integers as signed.
pub(crate) fn operation<T: Element>(op: SystemOperation, min: bool, max: bool) -> MpiOp {
    if (min || max) && is_unsigned::<T>() {
        if let Some([lo, hi]) = replacements() {
            return MpiOp(if min { lo } else { hi });
        }
    }
    MpiOp::from(op)
}

/// Whether MIN or MAX of unsigned `T` needs this module's replacement (which one-sided
/// accumulates cannot use).
pub(crate) fn needs_replacement<T: Element>() -> bool {
    is_unsigned::<T>() && replacements().is_some()
}
