//! HDF5 datasets: `--input FILE.h5:/group/dataset` and `parsum gen --format h5`.
//!
//! A contiguous, unfiltered dataset's values lie in the file as they are: its layout is an
//! offset, a type and a byte order, and every rank reads its own slice by position with its
//! threads, exactly as for `.npy`. A chunked or compressed dataset is read through the HDF5
//! library (the `hdf5-metno` crate over the system's serial libhdf5): each rank opens the
//! file and reads its own hyperslabs, decoded into the same bytes (native order). HDF5 calls
//! are serialised within a process, so that path uses one thread's worth of HDF5 per rank.

use std::ops::Range;
use std::path::Path;

use hdf5::types::{FloatSize, IntSize, TypeDescriptor as TD};
use hdf5::{Hyperslab, SliceOrIndex};
use mpikit::io::{ByteOrder, Dtype, FileLayout, ReadAt};
use num_complex::Complex;

/// HDF5's file signature (at byte 0, or after a user block of 512, 1024, ... bytes).
const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Whether `path` names an HDF5 file: by its extension, or by the signature of a regular file.
pub fn is_hdf5(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| ["h5", "hdf5", "he5", "hdf"].iter().any(|x| e == *x))
    {
        return true;
    }
    // Only regular files are opened: opening a FIFO would block.
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && std::fs::File::open(path).is_ok_and(|f| signed(&f))
}

/// Whether `file` starts with HDF5's signature.
fn signed(file: &std::fs::File) -> bool {
    let mut head = [0u8; 8];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut head, 0).is_ok() && head == *SIGNATURE
}

/// `FILE.h5:/group/dataset` split into the file and the dataset, when `FILE.h5` is an HDF5
/// file name and the whole text names no file.
pub fn split(input: &Path) -> Option<(&Path, &str)> {
    let text = input.to_str()?;
    let (file, dataset) = text.split_once(':')?;
    (!input.exists() && is_hdf5(Path::new(file))).then_some((Path::new(file), dataset))
}

fn h5err(what: &str) -> impl Fn(hdf5::Error) -> mpikit::Error + '_ {
    move |e| mpikit::Error::input(format!("{what}: {}", tidy(&e)))
}

/// HDF5's message without its call chain (`H5Fopen(): unable to open file: ...`).
fn tidy(e: &hdf5::Error) -> String {
    let text = e.to_string();
    text.split_once("(): ")
        .map_or(text.clone(), |(_, rest)| rest.to_string())
}

/// Every dataset's path in the file, depth first (for messages and the one-dataset default).
fn datasets(group: &hdf5::Group, out: &mut Vec<String>) -> hdf5::Result<()> {
    for d in group.datasets()? {
        out.push(d.name());
    }
    for g in group.groups()? {
        datasets(&g, out)?;
    }
    Ok(())
}

fn list(names: &[String]) -> String {
    match names.len() {
        0 => "no datasets".into(),
        n if n > 12 => format!("{}, ... ({n} datasets)", names[..12].join(", ")),
        _ => names.join(", "),
    }
}

/// The dataset `name` of an open file (its only dataset when `name` is `None`), with a
/// clear line for a missing one, a group, or a file of several datasets.
fn dataset(file: &hdf5::File, what: &str, name: Option<&str>) -> mpikit::Result<hdf5::Dataset> {
    let mut all = Vec::new();
    let listed = |all: &mut Vec<String>| {
        datasets(file, all).map_err(h5err(what))?;
        Ok::<String, mpikit::Error>(list(all))
    };
    let name = match name {
        Some(n) if !n.is_empty() => n,
        _ => {
            let names = listed(&mut all)?;
            return match all.as_slice() {
                [one] => file.dataset(one).map_err(h5err(what)),
                _ => Err(mpikit::Error::input(format!(
                    "{what}: the file holds {names}; name one as {what}:/PATH"
                ))),
            };
        }
    };
    let exists = name
        .trim_start_matches('/')
        .split('/')
        .scan(String::new(), |at, part| {
            at.push('/');
            at.push_str(part);
            Some(file.link_exists(at))
        })
        .all(|e| e);
    if !exists {
        let names = listed(&mut all)?;
        return Err(mpikit::Error::input(format!(
            "{what}: no dataset {name} in the file (it holds {names})"
        )));
    }
    match file.loc_type_by_name(name) {
        Ok(hdf5::LocationType::Dataset) => file.dataset(name).map_err(h5err(what)),
        Ok(hdf5::LocationType::Group) => {
            let names = listed(&mut all)?;
            Err(mpikit::Error::input(format!(
                "{what}: {name} is a group, not a dataset (the file holds {names})"
            )))
        }
        Ok(other) => Err(mpikit::Error::input(format!(
            "{what}: {name} is a {other:?}, not a dataset"
        ))),
        Err(e) => Err(h5err(what)(e)),
    }
}

/// The element type parsum reads for an HDF5 type.
fn dtype_of(td: &TD) -> Option<Dtype> {
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

/// An HDF5 dataset, open for reading.
pub struct Opened {
    /// How parsum reads it: for [`Access::Direct`] its bytes in the file, else the bytes a
    /// [`Reader`] hands back (native order, from offset 0).
    pub layout: FileLayout,
    /// Whether the values lie in the file as they are.
    pub access: Access,
}

/// How a dataset's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Access {
    /// Contiguous and unfiltered: positioned reads of the file, like `.npy`.
    Direct,
    /// Chunked, compressed or not yet written: through the HDF5 library.
    Library,
}

/// Opens dataset `name` of the HDF5 file at `path` and says how to read it. Every failure
/// (not HDF5, truncated, no such dataset, a group, a type that is not a number) is one line.
pub fn open(path: &Path, name: Option<&str>) -> mpikit::Result<Opened> {
    let what = path.display().to_string();
    let (plain, file_size) = mpikit::cli_support::open_data_file(path)?;
    let file = hdf5::File::open(path).map_err(|e| {
        mpikit::Error::input(if signed(&plain) {
            format!(
                "{what}: cannot read this HDF5 file (truncated or damaged?): {}",
                tidy(&e)
            )
        } else {
            format!("{what}: not an HDF5 file (no HDF5 signature)")
        })
    })?;
    let ds = dataset(&file, &what, name)?;
    let at = format!("{what}:{}", ds.name());
    let datatype = ds.dtype().map_err(h5err(&at))?;
    let td = datatype.to_descriptor().map_err(h5err(&at))?;
    let dtype = dtype_of(&td).ok_or_else(|| {
        mpikit::Error::input(format!(
            "{at}: holds {td} values; parsum reads numbers (integers, floats, bool, complex)"
        ))
    })?;
    let shape: Vec<u64> = ds.shape().iter().map(|&n| n as u64).collect();
    let len: u64 = shape.iter().product();
    let bytes = len * dtype.size() as u64;
    let order = match datatype.byte_order() {
        hdf5::datatype::ByteOrder::LittleEndian => Some(ByteOrder::Little),
        hdf5::datatype::ByteOrder::BigEndian => Some(ByteOrder::Big),
        _ if dtype.size() == 1 => Some(ByteOrder::native()),
        _ => None,
    };
    let direct = match (ds.offset(), order) {
        (Some(offset), Some(order))
            if !ds.is_chunked() && ds.filters().is_empty() && !dtype.is_complex() =>
        {
            Some((offset, order))
        }
        _ => None,
    };
    if let Some((offset, _)) = direct {
        if offset + bytes > file_size {
            return Err(mpikit::Error::input(format!(
                "{at}: the file is truncated: the dataset's {bytes} bytes at byte {offset} end \
                 past the file's {file_size} bytes"
            )));
        }
    }
    let (offset, order, access, file_size) = match direct {
        Some((offset, order)) => (offset, order, Access::Direct, file_size),
        None => (0, ByteOrder::native(), Access::Library, bytes),
    };
    Ok(Opened {
        layout: FileLayout {
            dtype,
            order,
            shape,
            fortran: false,
            offset,
            len,
            file_size,
        },
        access,
    })
}

/// A dataset read through the HDF5 library: the bytes of elements in C order, native.
pub struct Reader {
    ds: hdf5::Dataset,
    dtype: Dtype,
    shape: Vec<u64>,
}

impl Reader {
    /// Opens dataset `name` of `path` for reading through the library.
    pub fn open(path: &Path, name: Option<&str>, layout: &FileLayout) -> std::io::Result<Reader> {
        let what = path.display().to_string();
        let file = hdf5::File::open(path).map_err(|e| std::io::Error::other(tidy(&e)))?;
        let ds = dataset(&file, &what, name).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Reader {
            ds,
            dtype: layout.dtype,
            shape: layout.shape.clone(),
        })
    }

    /// Elements `range` (C order) of one hyperslab into `out`.
    fn slab(&self, slab: &[Range<u64>], out: &mut [u8]) -> hdf5::Result<()> {
        fn copy<T: hdf5::H5Type>(
            ds: &hdf5::Dataset,
            slab: &[Range<u64>],
            out: &mut [u8],
        ) -> hdf5::Result<()> {
            let values: Vec<T> = if slab.is_empty() {
                vec![ds.read_scalar::<T>()?]
            } else {
                let sel: Vec<SliceOrIndex> = slab
                    .iter()
                    .map(|r| SliceOrIndex::from(r.start as usize..r.end as usize))
                    .collect();
                ds.as_reader()
                    .read_slice::<T, _, mpikit::ndarray::IxDyn>(Hyperslab::from(sel))?
                    .into_raw_vec_and_offset()
                    .0
            };
            // SAFETY: the values' own bytes, as many as they hold; every T here is a plain
            // number (or two), laid out as parsum's decoders read them in native order.
            let bytes = unsafe {
                std::slice::from_raw_parts(
                    values.as_ptr().cast::<u8>(),
                    std::mem::size_of_val(&values[..]),
                )
            };
            out.copy_from_slice(bytes);
            Ok(())
        }
        let ds = &self.ds;
        match self.dtype {
            Dtype::F64 => copy::<f64>(ds, slab, out),
            Dtype::F32 => copy::<f32>(ds, slab, out),
            Dtype::F16 => copy::<half::f16>(ds, slab, out),
            Dtype::I64 => copy::<i64>(ds, slab, out),
            Dtype::I32 => copy::<i32>(ds, slab, out),
            Dtype::I16 => copy::<i16>(ds, slab, out),
            Dtype::I8 => copy::<i8>(ds, slab, out),
            Dtype::U64 => copy::<u64>(ds, slab, out),
            Dtype::U32 => copy::<u32>(ds, slab, out),
            Dtype::U16 => copy::<u16>(ds, slab, out),
            Dtype::U8 => copy::<u8>(ds, slab, out),
            Dtype::Bool => copy::<bool>(ds, slab, out),
            Dtype::C64 => copy::<Complex<f32>>(ds, slab, out),
            Dtype::C128 => copy::<Complex<f64>>(ds, slab, out),
        }
    }
}

impl ReadAt for Reader {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let size = self.dtype.size() as u64;
        let first = offset / size;
        let n = buf.len() as u64 / size;
        let mut at = 0;
        for slab in slabs(&self.shape, first..first + n) {
            let count: u64 = slab.iter().map(|r| r.end - r.start).product();
            let bytes = (count * size) as usize;
            self.slab(&slab, &mut buf[at..at + bytes])
                .map_err(|e| std::io::Error::other(tidy(&e)))?;
            at += bytes;
        }
        Ok(())
    }
}

/// The flat C-order element range `range` of an array of `shape` as hyperslabs (a range
/// per axis), in order: at most two partial pieces per axis around one block of whole rows.
/// A 0-d array is one empty slab.
pub fn slabs(shape: &[u64], range: Range<u64>) -> Vec<Vec<Range<u64>>> {
    fn walk(
        shape: &[u64],
        a: u64,
        b: u64,
        prefix: &mut Vec<Range<u64>>,
        out: &mut Vec<Vec<Range<u64>>>,
    ) {
        if a >= b {
            return;
        }
        let Some((&_, rest)) = shape.split_first() else {
            out.push(prefix.clone());
            return;
        };
        let inner: u64 = rest.iter().product();
        let full =
            |prefix: &mut Vec<Range<u64>>, rows: Range<u64>, out: &mut Vec<Vec<Range<u64>>>| {
                let mut slab = prefix.clone();
                slab.push(rows);
                slab.extend(rest.iter().map(|&n| 0..n));
                out.push(slab);
            };
        let part = |prefix: &mut Vec<Range<u64>>,
                    row: u64,
                    r: Range<u64>,
                    out: &mut Vec<Vec<Range<u64>>>| {
            prefix.push(row..row + 1);
            walk(rest, r.start, r.end, prefix, out);
            prefix.pop();
        };
        let (mut a, b) = (a, b);
        if a % inner != 0 {
            let row = a / inner;
            let end = b.min((row + 1) * inner);
            part(prefix, row, a % inner..end - row * inner, out);
            a = end;
        }
        if b / inner > a / inner {
            full(prefix, a / inner..b / inner, out);
            a = b / inner * inner;
        }
        if a < b {
            let row = a / inner;
            part(prefix, row, 0..b - row * inner, out);
        }
    }
    let mut out = Vec::new();
    walk(shape, range.start, range.end, &mut Vec::new(), &mut out);
    out
}

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
        return mpikit::cli_support::write_values_at(
            tmp,
            offset,
            (dtype, order),
            range,
            value,
            pool,
        );
    }
    let file = hdf5::File::open_rw(tmp).map_err(io)?;
    let ds = file.dataset(target.dataset).map_err(io)?;
    let step = (mpikit::cli_support::IO_BYTES / dtype.size()) as u64;
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
