//! `parsum gen --format h5`: an HDF5 file with one empty dataset (contiguous or chunked and
//! compressed), then each rank's range of values written into it.

use std::ops::Range;
use std::path::Path;

use mpikit::io::{ByteOrder, Dtype};
use num_complex::Complex;

use super::find::tidy;

/// What `parsum gen --format h5` writes.
pub struct Target<'a> {
    /// The dataset's path in the file.
    pub dataset: &'a str,
    /// Elements per chunk (a chunked dataset), if any.
    pub chunk: Option<u64>,
    /// Deflate level (implies chunked).
    pub deflate: Option<u8>,
}

/// The HDF5 type of `dtype` in `order`.
fn datatype(dtype: Dtype, order: ByteOrder) -> hdf5::Result<hdf5::Datatype> {
    let native = match dtype {
        Dtype::F64 => hdf5::Datatype::from_type::<f64>(),
        Dtype::F32 => hdf5::Datatype::from_type::<f32>(),
        Dtype::F16 => hdf5::Datatype::from_type::<half::f16>(),
        Dtype::I64 => hdf5::Datatype::from_type::<i64>(),
        Dtype::I32 => hdf5::Datatype::from_type::<i32>(),
        Dtype::I16 => hdf5::Datatype::from_type::<i16>(),
        Dtype::I8 => hdf5::Datatype::from_type::<i8>(),
        Dtype::U64 => hdf5::Datatype::from_type::<u64>(),
        Dtype::U32 => hdf5::Datatype::from_type::<u32>(),
        Dtype::U16 => hdf5::Datatype::from_type::<u16>(),
        Dtype::U8 => hdf5::Datatype::from_type::<u8>(),
        Dtype::Bool => hdf5::Datatype::from_type::<bool>(),
        Dtype::C64 => hdf5::Datatype::from_type::<Complex<f32>>(),
        Dtype::C128 => hdf5::Datatype::from_type::<Complex<f64>>(),
    }?;
    if order == ByteOrder::native() || dtype.size() == 1 {
        return Ok(native);
    }
    if dtype.is_complex() {
        return Err("big-endian complex HDF5 datasets are not written (only read)".into());
    }
    use hdf5_sys::h5t::{H5T_order_t, H5Tcopy, H5Tset_order};
    hdf5::sync::sync(|| {
        // SAFETY: a copy of a valid type id, owned by the returned Datatype.
        unsafe {
            let id = H5Tcopy(native.id());
            if id < 0 || H5Tset_order(id, H5T_order_t::H5T_ORDER_BE) < 0 {
                return Err("cannot make a big-endian HDF5 type".into());
            }
            hdf5::from_id::<hdf5::Datatype>(id)
        }
    })
}

/// Creates `tmp` holding an empty dataset of `len` elements: contiguous and allocated at
/// once (so its data has an offset, written by position), or chunked (and compressed).
pub fn create(
    tmp: &Path,
    (dtype, order): (Dtype, ByteOrder),
    len: u64,
    target: &Target,
) -> hdf5::Result<()> {
    use hdf5::dataset::{AllocTime, FillTime};
    let file = hdf5::File::create(tmp)?;
    let mut builder = file
        .new_dataset_builder()
        .empty_as(datatype(dtype, order)?)
        .shape(len as usize)
        .create_intermediate_group(true);
    match (target.chunk, target.deflate) {
        (None, None) => {
            builder = builder
                .alloc_time(Some(AllocTime::Early))
                .fill_time(FillTime::Never);
        }
        (chunk, level) => {
            let chunk = chunk.unwrap_or(1 << 16).clamp(1, len.max(1)) as usize;
            builder = builder.chunk(chunk);
            if let Some(level) = level {
                builder = builder.deflate(level);
            }
        }
    }
    builder.create(target.dataset)?;
    file.close()
}

/// Writes elements `range` (values `value(i)` converted as for `.npy`) into the dataset of
/// `tmp` that [`create`] made: by position for a contiguous one, through HDF5 otherwise.
pub fn fill(
    tmp: &Path,
    (dtype, order): (Dtype, ByteOrder),
    range: Range<u64>,
    value: &(dyn Fn(u64) -> f64 + Sync),
    target: &Target,
    pool: &mpikit::rayon::ThreadPool,
) -> std::io::Result<()> {
    let io = |e: hdf5::Error| std::io::Error::other(tidy(&e));
    if target.chunk.is_none() && target.deflate.is_none() {
        let offset = hdf5::File::open(tmp)
            .and_then(|f| f.dataset(target.dataset))
            .map_err(io)?
            .offset()
            .ok_or_else(|| std::io::Error::other("the dataset has no space in the file"))?;
        return mpikit::io::write_values_at(tmp, offset, (dtype, order), range, value, pool);
    }
    let file = hdf5::File::open_rw(tmp).map_err(io)?;
    let ds = file.dataset(target.dataset).map_err(io)?;
    let step = (mpikit::io::IO_BYTES / dtype.size()) as u64;
    let mut a = range.start;
    while a < range.end {
        let b = (a + step).min(range.end);
        write_block(&ds, dtype, a..b, value).map_err(io)?;
        a = b;
    }
    file.close().map_err(io)
}

/// Elements `r` of a 1-D dataset through HDF5, converted as `.npy` writing converts them
/// (integers wrap, bool is `v` odd, complex is `v + 0i`).
fn write_block(
    ds: &hdf5::Dataset,
    dtype: Dtype,
    r: Range<u64>,
    value: &(dyn Fn(u64) -> f64 + Sync),
) -> hdf5::Result<()> {
    fn put<T: hdf5::H5Type>(
        ds: &hdf5::Dataset,
        r: Range<u64>,
        f: impl Fn(u64) -> T,
    ) -> hdf5::Result<()> {
        let v: Vec<T> = r.clone().map(f).collect();
        ds.as_writer()
            .write_slice(&v, r.start as usize..r.end as usize)
    }
    let w = |i| value(i) as i128;
    match dtype {
        Dtype::F64 => put(ds, r, value),
        Dtype::F32 => put(ds, r, |i| value(i) as f32),
        Dtype::F16 => put(ds, r, |i| half::f16::from_f64(value(i))),
        Dtype::I64 => put(ds, r, |i| w(i) as i64),
        Dtype::I32 => put(ds, r, |i| w(i) as i32),
        Dtype::I16 => put(ds, r, |i| w(i) as i16),
        Dtype::I8 => put(ds, r, |i| w(i) as i8),
        Dtype::U64 => put(ds, r, |i| w(i) as u64),
        Dtype::U32 => put(ds, r, |i| w(i) as u32),
        Dtype::U16 => put(ds, r, |i| w(i) as u16),
        Dtype::U8 => put(ds, r, |i| w(i) as u8),
        Dtype::Bool => put(ds, r, |i| w(i) % 2 != 0),
        Dtype::C64 => put(ds, r, |i| Complex::new(value(i) as f32, 0.0)),
        Dtype::C128 => put(ds, r, |i| Complex::new(value(i), 0.0)),
    }
}
