//! HDF5 element types next to mpikit's: the [`Dtype`] of an HDF5 type (every numpy number
//! type, h5py's complex compounds and bools), the HDF5 type of a `Dtype` in either byte
//! order, and a DistArray element's `Dtype`; values of a checked type handed between the
//! element type and HDF5's own, without copies.

use std::any::TypeId;

use h5::types::{FloatSize, IntSize, TypeDescriptor as TD};
use hdf5_metno as h5;
use num_complex::Complex;

use crate::collective::element::Element;
use crate::data::dtype::{ByteOrder, Dtype};

/// The numpy type of an HDF5 type, if it is a number type.
pub(crate) fn dtype_of(td: &TD) -> Option<Dtype> {
    let int = |s: &IntSize, signed: bool| match (s, signed) {
        (IntSize::U1, true) => Dtype::I8,
        (IntSize::U2, true) => Dtype::I16,
        (IntSize::U4, true) => Dtype::I32,
        (IntSize::U8, true) => Dtype::I64,
        (IntSize::U1, false) => Dtype::U8,
        (IntSize::U2, false) => Dtype::U16,
        (IntSize::U4, false) => Dtype::U32,
        (IntSize::U8, false) => Dtype::U64,
    };
    Some(match td {
        TD::Integer(s) => int(s, true),
        TD::Unsigned(s) => int(s, false),
        TD::Float(FloatSize::U2) => Dtype::F16,
        TD::Float(FloatSize::U4) => Dtype::F32,
        TD::Float(FloatSize::U8) => Dtype::F64,
        TD::Boolean => Dtype::Bool,
        // h5py's (and hdf5-metno's) complex numbers: a compound of two floats, r and i.
        TD::Compound(c)
            if c.fields.len() == 2
                && c.fields[0].name == "r"
                && c.fields[1].name == "i"
                && c.fields[0].ty == c.fields[1].ty
                && c.fields[1].offset == c.fields[0].ty.size() =>
        {
            match c.fields[0].ty {
                TD::Float(FloatSize::U4) => Dtype::C64,
                TD::Float(FloatSize::U8) => Dtype::C128,
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// The HDF5 type of `dtype` in `order` (big-endian complex is read, never written).
pub(crate) fn datatype(dtype: Dtype, order: ByteOrder) -> h5::Result<h5::Datatype> {
    let native = match dtype {
        Dtype::F64 => h5::Datatype::from_type::<f64>(),
        Dtype::F32 => h5::Datatype::from_type::<f32>(),
        Dtype::F16 => h5::Datatype::from_type::<half::f16>(),
        Dtype::I64 => h5::Datatype::from_type::<i64>(),
        Dtype::I32 => h5::Datatype::from_type::<i32>(),
        Dtype::I16 => h5::Datatype::from_type::<i16>(),
        Dtype::I8 => h5::Datatype::from_type::<i8>(),
        Dtype::U64 => h5::Datatype::from_type::<u64>(),
        Dtype::U32 => h5::Datatype::from_type::<u32>(),
        Dtype::U16 => h5::Datatype::from_type::<u16>(),
        Dtype::U8 => h5::Datatype::from_type::<u8>(),
        Dtype::Bool => h5::Datatype::from_type::<bool>(),
        Dtype::C64 => h5::Datatype::from_type::<Complex<f32>>(),
        Dtype::C128 => h5::Datatype::from_type::<Complex<f64>>(),
    }?;
    if order == ByteOrder::native() || dtype.size() == 1 {
        return Ok(native);
    }
    if dtype.is_complex() {
        return Err("big-endian complex HDF5 datasets are not written (only read)".into());
    }
    use hdf5_metno_sys::h5t::{H5T_order_t, H5Tcopy, H5Tset_order};
    h5::sync::sync(|| {
        // SAFETY: a copy of a valid type id, owned by the returned Datatype.
        unsafe {
            let id = H5Tcopy(native.id());
            if id < 0 || H5Tset_order(id, H5T_order_t::H5T_ORDER_BE) < 0 {
                return Err("cannot make a big-endian HDF5 type".into());
            }
            h5::from_id::<h5::Datatype>(id)
        }
    })
}

/// The numpy type a DistArray of `T` is stored as (`usize` and `isize` as 64-bit integers).
pub(crate) fn element_dtype<T: Element>() -> Dtype {
    let t = TypeId::of::<T>();
    let table = [
        (TypeId::of::<f64>(), Dtype::F64),
        (TypeId::of::<f32>(), Dtype::F32),
        (TypeId::of::<i64>(), Dtype::I64),
        (TypeId::of::<isize>(), Dtype::I64),
        (TypeId::of::<i32>(), Dtype::I32),
        (TypeId::of::<i16>(), Dtype::I16),
        (TypeId::of::<i8>(), Dtype::I8),
        (TypeId::of::<u64>(), Dtype::U64),
        (TypeId::of::<usize>(), Dtype::U64),
        (TypeId::of::<u32>(), Dtype::U32),
        (TypeId::of::<u16>(), Dtype::U16),
        (TypeId::of::<u8>(), Dtype::U8),
        (TypeId::of::<bool>(), Dtype::Bool),
        (TypeId::of::<Complex<f32>>(), Dtype::C64),
        (TypeId::of::<Complex<f64>>(), Dtype::C128),
    ];
    // Every Element type is in the table (Element is sealed).
    table
        .iter()
        .find(|(id, _)| *id == t)
        .map_or(Dtype::U8, |&(_, d)| d)
}

/// Calls `f` with the HDF5 type that holds the values of `dtype` (never `F16`: no DistArray
/// element is a half float).
macro_rules! with_h5_type {
    ($dtype:expr, $u:ident => $body:expr) => {
        match $dtype {
            $crate::data::dtype::Dtype::F64 => {
                type $u = f64;
                $body
            }
            $crate::data::dtype::Dtype::F32 => {
                type $u = f32;
                $body
            }
            $crate::data::dtype::Dtype::F16 => {
                type $u = half::f16;
                $body
            }
            $crate::data::dtype::Dtype::I64 => {
                type $u = i64;
                $body
            }
            $crate::data::dtype::Dtype::I32 => {
                type $u = i32;
                $body
            }
            $crate::data::dtype::Dtype::I16 => {
                type $u = i16;
                $body
            }
            $crate::data::dtype::Dtype::I8 => {
                type $u = i8;
                $body
            }
            $crate::data::dtype::Dtype::U64 => {
                type $u = u64;
                $body
            }
            $crate::data::dtype::Dtype::U32 => {
                type $u = u32;
                $body
            }
            $crate::data::dtype::Dtype::U16 => {
                type $u = u16;
                $body
            }
            $crate::data::dtype::Dtype::U8 => {
                type $u = u8;
                $body
            }
            $crate::data::dtype::Dtype::Bool => {
                type $u = bool;
                $body
            }
            $crate::data::dtype::Dtype::C64 => {
                type $u = num_complex::Complex<f32>;
                $body
            }
            $crate::data::dtype::Dtype::C128 => {
                type $u = num_complex::Complex<f64>;
                $body
            }
        }
    };
}
pub(crate) use with_h5_type;

/// `values` of HDF5's type `U` as the element type `T` that [`element_dtype`] maps to the
/// same numpy type: the same vector, not a copy.
pub(crate) fn recast_vec<U: Copy + 'static, T: Element>(values: Vec<U>) -> Vec<T> {
    assert!(
        same_values::<U, T>(),
        "recast_vec: {} is not {}",
        std::any::type_name::<U>(),
        std::any::type_name::<T>()
    );
    let mut values = std::mem::ManuallyDrop::new(values);
    let (ptr, len, cap) = (values.as_mut_ptr(), values.len(), values.capacity());
    // SAFETY: U and T are the same type, or u64/usize, i64/isize (checked above): the same
    // size, alignment and meaning of every bit pattern, so the allocation is a valid Vec<T>
    // of the same capacity, freed with the same layout.
    unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, cap) }
}

/// `values` of the element type `T` seen as HDF5's type `U` for the same numpy type.
// The serial build's chunked writes use it; the MPI build writes from the elements directly.
#[cfg_attr(mpikit_hdf5_parallel, allow(dead_code))]
pub(crate) fn recast_slice<T: Element, U: Copy + 'static>(values: &[T]) -> &[U] {
    assert!(same_values::<U, T>(), "recast_slice: mismatched types");
    // SAFETY: as in `recast_vec`: the same layout and meaning, so the same slice.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<U>(), values.len()) }
}

/// Whether `U` and `T` hold the same values in the same bytes.
fn same_values<U: 'static, T: 'static>() -> bool {
    let (u, t) = (TypeId::of::<U>(), TypeId::of::<T>());
    u == t
        || (u == TypeId::of::<u64>() && t == TypeId::of::<usize>())
        || (u == TypeId::of::<i64>() && t == TypeId::of::<isize>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_types_map_to_their_numpy_types() {
        assert_eq!(element_dtype::<f64>(), Dtype::F64);
        assert_eq!(element_dtype::<usize>(), Dtype::U64);
        assert_eq!(element_dtype::<isize>(), Dtype::I64);
        assert_eq!(element_dtype::<Complex<f32>>(), Dtype::C64);
        assert_eq!(element_dtype::<bool>(), Dtype::Bool);
        let v: Vec<usize> = recast_vec(vec![1u64, 2, 3]);
        assert_eq!(v, [1, 2, 3]);
        let s: &[i64] = recast_slice(&[-1isize, 5][..]);
        assert_eq!(s, [-1, 5]);
    }

    #[test]
    fn datatypes_round_trip_to_dtypes() {
        for d in Dtype::ALL {
            let t = datatype(d, ByteOrder::native()).unwrap();
            assert_eq!(dtype_of(&t.to_descriptor().unwrap()), Some(d), "{d:?}");
        }
        let be = datatype(Dtype::I32, ByteOrder::Big).unwrap();
        assert_eq!(be.byte_order(), h5::datatype::ByteOrder::BigEndian);
    }
}
