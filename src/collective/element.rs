//! The element types that buffer collectives move: Rust numbers that travel as MPI's
//! built-in datatypes.

use mpi::datatype::Equivalence;

mod sealed {
    pub trait Sealed {}
}

/// Element types that travel as MPI built-in datatypes: `f64`, `f32`, `i64`, `i32`, `i16`,
/// `i8`, `u64`, `u32`, `u16`, `u8`, and `usize` / `isize` (as 64-bit integers on 64-bit
/// machines, so indices and counts need no casts).
pub trait Element:
    Equivalence + Copy + Default + PartialOrd + Send + Sync + 'static + sealed::Sealed
{
}

macro_rules! elements {
    ($($t:ty),*) => { $(impl sealed::Sealed for $t {} impl Element for $t {})* };
}
elements!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8, usize, isize);
