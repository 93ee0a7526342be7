//! The element types that buffer collectives move: Rust numbers (and `bool`) that travel as
//! MPI's built-in datatypes, with what each MPI reduction accepts.

use mpi::datatype::Equivalence;
use num_complex::Complex;

/// What MPI's predefined reductions accept an element type for (MPI 3.1, 5.9.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Integers: every operation.
    Integer,
    /// Floating point: sum, product, min, max.
    Float,
    /// `bool` (`MPI_C_BOOL`): the logical operations only.
    Logical,
    /// Complex numbers: sum and product only.
    Complex,
}

mod sealed {
    pub trait Sealed {
        const KIND: super::Kind;
        /// Unsigned integers (their MIN / MAX need [`crate::collective::unsigned_order`]).
        const UNSIGNED: bool = false;
    }
}

/// Element types that travel as MPI built-in datatypes: `f64`, `f32`, `i64`, `i32`, `i16`,
/// `i8`, `u64`, `u32`, `u16`, `u8`, `usize` / `isize` (as 64-bit integers on 64-bit
/// machines, so indices and counts need no casts), `bool` (as `MPI_C_BOOL`) and
/// `num_complex::Complex<f32>` / `Complex<f64>` (as `MPI_C_FLOAT_COMPLEX` /
/// `MPI_C_DOUBLE_COMPLEX`).
///
/// Reductions follow MPI's rules for each type: sums and products of complex numbers, logical
/// operations of `bool`s, no bitwise operation of floats. A [`ReduceOp`](crate::ReduceOp)
/// that the type does not support is an `Err` (on every rank alike), not an MPI abort.
///
/// # Examples
/// ```
/// use mpikit::buffers::Element;
/// use mpikit::num_complex::Complex;
/// use mpikit::ReduceOp;
/// // A helper generic over every element type a buffer collective moves.
/// fn summable<T: Element>() -> bool {
///     ReduceOp::Sum.supports::<T>()
/// }
/// assert!(summable::<f64>() && summable::<usize>() && summable::<Complex<f32>>());
/// assert!(!summable::<bool>()); // bools take the logical operations only
/// ```
pub trait Element:
    Equivalence + Copy + Default + PartialEq + Send + Sync + 'static + sealed::Sealed
{
}

macro_rules! elements {
    ($kind:ident: $($t:ty),*) => {
        $(impl sealed::Sealed for $t { const KIND: Kind = Kind::$kind; } impl Element for $t {})*
    };
}
elements!(Integer: i64, i32, i16, i8, isize);
macro_rules! unsigned_elements {
    ($($t:ty),*) => {
        $(impl sealed::Sealed for $t {
            const KIND: Kind = Kind::Integer;
            const UNSIGNED: bool = true;
        }
        impl Element for $t {})*
    };
}
unsigned_elements!(u64, u32, u16, u8, usize);
elements!(Float: f64, f32);
elements!(Logical: bool);
elements!(Complex: Complex<f32>, Complex<f64>);

/// Whether `T` is an unsigned integer type.
pub(crate) fn is_unsigned<T: Element>() -> bool {
    <T as sealed::Sealed>::UNSIGNED
}

/// The reduction rules of `T`.
pub(crate) fn kind<T: Element>() -> Kind {
    <T as sealed::Sealed>::KIND
}
