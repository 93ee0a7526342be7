//! How a dataset is read: its element type, shape and byte order, and whether its values lie
//! in the file as they are (read by position) or go through the HDF5 library.

use std::path::Path;

use hdf5_metno as h5;

use super::find::{dataset, h5err, signed, tidy};
use super::types::dtype_of;
use crate::data::dtype::ByteOrder;
use crate::data::npy::FileLayout;

/// An HDF5 dataset, open for reading.
pub struct Opened {
    /// How parsum reads it: for [`Access::Direct`] its bytes in the file, else the bytes a
    /// [`Reader`](super::Reader) hands back (native order, from offset 0).
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
pub fn open(path: &Path, name: Option<&str>) -> crate::Result<Opened> {
    let what = path.display().to_string();
    let (plain, file_size) = crate::io::open_file(path)?;
    let file = h5::File::open(path).map_err(|e| {
        crate::Error::input(if signed(&plain) {
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
        crate::Error::input(format!(
            "{at}: holds {td} values; mpikit reads numbers (integers, floats, bool, complex)"
        ))
    })?;
    let shape: Vec<u64> = ds.shape().iter().map(|&n| n as u64).collect();
    let len: u64 = shape.iter().product();
    let bytes = len * dtype.size() as u64;
    let order = match datatype.byte_order() {
        h5::datatype::ByteOrder::LittleEndian => Some(ByteOrder::Little),
        h5::datatype::ByteOrder::BigEndian => Some(ByteOrder::Big),
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
            return Err(crate::Error::input(format!(
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
