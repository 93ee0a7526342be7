//! A chunked or compressed dataset read through the HDF5 library: any flat range of its
//! elements as native bytes, hyperslab by hyperslab.

use std::ops::Range;
use std::path::Path;

use h5::{Hyperslab, SliceOrIndex};
use hdf5_metno as h5;

use super::find::{dataset, tidy};
use super::types::with_h5_type;
use crate::data::dtype::Dtype;
use crate::data::npy::FileLayout;
use crate::data::source::ReadAt;

/// A dataset read through the HDF5 library: the bytes of elements in C order, native.
pub struct Reader {
    ds: h5::Dataset,
    dtype: Dtype,
    shape: Vec<u64>,
}

impl Reader {
    /// Opens dataset `name` of `path` for reading through the library.
    pub fn open(path: &Path, name: Option<&str>, layout: &FileLayout) -> std::io::Result<Reader> {
        let what = path.display().to_string();
        let file = h5::File::open(path).map_err(|e| std::io::Error::other(tidy(&e)))?;
        let ds = dataset(&file, &what, name).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Reader {
            ds,
            dtype: layout.dtype,
            shape: layout.shape.clone(),
        })
    }

    /// Elements `range` (C order) of one hyperslab into `out`.
    fn slab(&self, slab: &[Range<u64>], out: &mut [u8]) -> h5::Result<()> {
        fn copy<T: h5::H5Type>(
            ds: &h5::Dataset,
            slab: &[Range<u64>],
            out: &mut [u8],
        ) -> h5::Result<()> {
            let values: Vec<T> = if slab.is_empty() {
                vec![ds.read_scalar::<T>()?]
            } else {
                let sel: Vec<SliceOrIndex> = slab
                    .iter()
                    .map(|r| SliceOrIndex::from(r.start as usize..r.end as usize))
                    .collect();
                ds.as_reader()
                    .read_slice::<T, _, ndarray::IxDyn>(Hyperslab::from(sel))?
                    .into_raw_vec_and_offset()
                    .0
            };
            // SAFETY: the values' own bytes, as many as they hold; every T here is a plain
            // number (or two), laid out as the file decoders read them in native order.
            let bytes = unsafe {
                std::slice::from_raw_parts(
                    values.as_ptr().cast::<u8>(),
                    std::mem::size_of_val(&values[..]),
                )
            };
            out.copy_from_slice(bytes);
            Ok(())
        }
        with_h5_type!(self.dtype, U => copy::<U>(&self.ds, slab, out))
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
