//! [`write_values`]: a 1-D dataset of values computed from their global index (what
//! `parsum gen --format h5` writes), in any numpy type and byte order: an HDF5 file with
//! one empty dataset (contiguous or chunked and compressed), then each rank's range of
//! values written into it.

use std::ops::Range;
use std::path::Path;

use hdf5_metno as h5;
use num_complex::Complex;

use super::find::tidy;
use super::types::datatype;
use super::writer::Storage;
use crate::data::dtype::{ByteOrder, Dtype};
use crate::error::Result;
use crate::runtime::world::Comm;

/// Writes the HDF5 file `path` holding one 1-D dataset, `dataset`, of `len` values of
/// `dtype` in `order`: value `i` is `value(i)` converted as [`io::write_npy`] converts it
/// (integers wrap, bool is "odd", complex is `v + 0i`). Each rank writes its balanced range
/// of the values: by position on its threads for contiguous storage, through the HDF5
/// library one rank at a time for chunked storage. Atomic as [`io::write_file_with`]: the
/// path holds a complete file or what it held before, and every rank gets the same `Err`.
/// Collective.
///
/// [`io::write_npy`]: crate::io::write_npy
/// [`io::write_file_with`]: crate::io::write_file_with
///
/// # Examples
/// ```no_run
/// use mpikit::hdf5::{write_values, Storage};
/// use mpikit::io::{ByteOrder, Dtype};
/// mpikit::run(|world| {
///     // 1e6 big-endian 32-bit integers 0, 1, 2, ... in x.h5:/data, deflated.
///     let dtype = (Dtype::I32, ByteOrder::Big);
///     write_values(world, "x.h5".as_ref(), "/data", dtype, 1_000_000, &|i| i as f64, &Storage::deflate(4), world.pool())?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
#[allow(clippy::too_many_arguments)]
pub fn write_values(
    comm: &(impl Comm + ?Sized),
    path: &Path,
    dataset: &str,
    dtype: (Dtype, ByteOrder),
    len: u64,
    value: &(dyn Fn(u64) -> f64 + Sync),
    storage: &Storage,
    pool: &rayon::ThreadPool,
) -> Result<()> {
    let target = match storage {
        Storage::Contiguous => Target {
            dataset,
            chunk: None,
            deflate: None,
        },
        Storage::Chunked { chunk, deflate } => Target {
            dataset,
            chunk: Some(
                chunk
                    .as_ref()
                    .and_then(|c| c.first().copied())
                    .unwrap_or(1 << 16) as u64,
            ),
            deflate: *deflate,
        },
    };
    let create =
        |tmp: &Path| create(tmp, dtype, len, &target).map_err(|e| std::io::Error::other(tidy(&e)));
    let fill = |tmp: &Path, mine| fill(tmp, dtype, mine, value, &target, pool);
    let through_library = storage != &Storage::Contiguous;
    crate::data::write::write_file_with(comm, path, &create, &fill, len, through_library)
}

/// What [`write_values`] writes.
struct Target<'a> {
    /// The dataset's path in the file.
    pub dataset: &'a str,
    /// Elements per chunk (a chunked dataset), if any.
    pub chunk: Option<u64>,
    /// Deflate level (implies chunked).
    pub deflate: Option<u8>,
}

/// Creates `tmp` holding an empty dataset of `len` elements: contiguous and allocated at
/// once (so its data has an offset, written by position), or chunked (and compressed).
fn create(
    tmp: &Path,
    (dtype, order): (Dtype, ByteOrder),
    len: u64,
    target: &Target,
) -> h5::Result<()> {
    use h5::dataset::{AllocTime, FillTime};
    let file = h5::File::create(tmp)?;
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
fn fill(
    tmp: &Path,
    (dtype, order): (Dtype, ByteOrder),
    range: Range<u64>,
    value: &(dyn Fn(u64) -> f64 + Sync),
    target: &Target,
    pool: &rayon::ThreadPool,
) -> std::io::Result<()> {
    let io = |e: h5::Error| std::io::Error::other(tidy(&e));
    if target.chunk.is_none() && target.deflate.is_none() {
        let offset = h5::File::open(tmp)
            .and_then(|f| f.dataset(target.dataset))
            .map_err(io)?
            .offset()
            .ok_or_else(|| std::io::Error::other("the dataset has no space in the file"))?;
        return crate::io::write_values_at(tmp, offset, (dtype, order), range, value, pool);
    }
    let file = h5::File::open_rw(tmp).map_err(io)?;
    let ds = file.dataset(target.dataset).map_err(io)?;
    let step = (crate::io::IO_BYTES / dtype.size()) as u64;
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
    ds: &h5::Dataset,
    dtype: Dtype,
    r: Range<u64>,
    value: &(dyn Fn(u64) -> f64 + Sync),
) -> h5::Result<()> {
    fn put<T: h5::H5Type>(ds: &h5::Dataset, r: Range<u64>, f: impl Fn(u64) -> T) -> h5::Result<()> {
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
