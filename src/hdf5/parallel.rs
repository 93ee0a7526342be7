//! Chunked datasets written by every rank at once through parallel HDF5: compiled when the
//! libhdf5 found at build time is the MPI build (Debian: `libhdf5-openmpi-dev`, or
//! `HDF5_DIR` naming one), so that [`Writer`](super::Writer) never takes turns there.
//!
//! Every rank opens the file on MPI-IO, selects its own hyperslab (or nothing, for an empty
//! block) and makes one collective `H5Dwrite`: HDF5 gathers the pieces of each chunk, runs
//! the filters (deflate) and allocates the chunks collectively (HDF5 >= 1.10.2).

use std::path::Path;

use hdf5_metno as h5;
use mpi::topology::SimpleCommunicator;
use mpi::traits::AsRaw;
use ndarray::{Array2, Dimension};

use super::find::hyperslab;
use super::types::datatype;
use crate::collective::element::Element;
use crate::data::dtype::{ByteOrder, Dtype};
use crate::distarray::DistArray;
use crate::raw;

/// Turns a negative `herr_t` into HDF5's error (the reason is on HDF5's error stack).
fn check(code: hdf5_metno_sys::h5::herr_t) -> h5::Result<()> {
    h5::h5check(code).map(|_| ())
}

/// Writes this rank's block of `array` into chunked dataset `name` of the file at `tmp`,
/// collectively over `comm` (every rank calls, empty blocks too).
pub(super) fn write_slabs<T: Element, D: Dimension>(
    tmp: &Path,
    comm: &SimpleCommunicator,
    name: &str,
    array: &DistArray<T, D>,
    dtype: Dtype,
) -> h5::Result<()> {
    let fapl = h5::plist::FileAccess::try_new()?;
    h5::sync::sync(|| {
        // SAFETY: `fapl` is a live file-access list, `comm` a live communicator (HDF5
        // duplicates it), MPI_INFO_NULL a valid info; the lock keeps other threads out.
        check(unsafe {
            raw::h5mpio::set_fapl_mpio(fapl.id(), comm.as_raw(), raw::file::info_null())
        })
    })?;
    // Opening, the dataset and closing are collective in parallel HDF5: every rank does each.
    // Opened by HDF5's own call: hdf5-metno's builder reads the list's driver back and
    // knows MPI-IO's only when built with its `mpio` feature.
    let c_path = std::ffi::CString::new(tmp.as_os_str().as_encoded_bytes())
        .map_err(|_| h5::Error::from("a path with a NUL byte"))?;
    let file: h5::File = h5::sync::sync(|| {
        use hdf5_metno_sys::h5f::{H5Fopen, H5F_ACC_RDWR};
        // SAFETY: `c_path` is NUL-terminated, `fapl` a live file-access list; `from_id`
        // takes the new file's one reference (closed by `close` below).
        unsafe {
            h5::from_id(h5::h5check(H5Fopen(
                c_path.as_ptr(),
                H5F_ACC_RDWR,
                fapl.id(),
            ))?)
        }
    })?;
    let ds = file.dataset(name)?;
    let block = array.grid.block_shape(array.rank);
    let space = ds.space()?;
    let (file_sel, memory) = if block.contains(&0) {
        let nothing = |n: usize| h5::Selection::Points(Array2::zeros((0, n)));
        (
            space.select(nothing(block.len()))?,
            h5::Dataspace::try_new(vec![1usize])?.select(nothing(1))?,
        )
    } else {
        (
            space.select(hyperslab(&array.offset, &block))?,
            h5::Dataspace::try_new(block.clone())?,
        )
    };
    let mem_type = datatype(dtype, ByteOrder::native())?;
    let local = array.local_elements();
    let written = h5::sync::sync(|| -> h5::Result<()> {
        use hdf5_metno_sys::{h5d::H5Dwrite, h5p::H5Pcreate};
        // SAFETY: H5Pcreate makes a new list of the transfer class; `from_id` takes its one
        // reference (closed when `xfer` drops).
        let xfer: h5::PropertyList =
            unsafe { h5::from_id(h5::h5check(H5Pcreate(*h5::globals::H5P_DATASET_XFER))?)? };
        // SAFETY: `xfer` is a live dataset-transfer list; the lock is held.
        check(unsafe { raw::h5mpio::set_dxpl_mpio(xfer.id(), raw::h5mpio::MPIO_COLLECTIVE) })?;
        // A valid address for ranks that write nothing (their selections are empty).
        let none = 0u8;
        let buf = if local.is_empty() {
            std::ptr::addr_of!(none).cast()
        } else {
            local.as_ptr().cast()
        };
        // SAFETY: the identifiers are live (held above); `buf` holds the memory space's
        // selected elements (the block, C-ordered, of `mem_type`, which has `T`'s layout)
        // and outlives the call; every rank of the file's communicator makes this call.
        check(unsafe {
            H5Dwrite(
                ds.id(),
                mem_type.id(),
                memory.id(),
                file_sel.id(),
                xfer.id(),
                buf,
            )
        })
    });
    // Closing is collective too, so every rank closes before the result is looked at.
    drop((ds, space, file_sel, memory));
    let closed = file.close();
    written.and(closed)
}
