//! Parallel HDF5, raw: the two calls of the MPI build of libhdf5 that put a file on MPI-IO
//! and make a transfer collective (`src/hdf5/parallel.rs`). `hdf5-metno-sys` declares them
//! only behind its `mpio` feature, which needs `mpi-sys` at its own version; mpikit declares
//! them here instead, compiled only when the libhdf5 found at build time is the MPI build
//! (`build.rs` sets `mpikit_hdf5_parallel` from `hdf5-metno-sys`'s `have_parallel`).
//!
//! # Safety
//! Both are libhdf5's C calls, unchanged. The caller guarantees what HDF5 requires:
//! - `plist` is a live property list of the right class (file access for
//!   [`set_fapl_mpio`], dataset transfer for [`set_dxpl_mpio`]), and no other thread calls
//!   HDF5 meanwhile (the callers run inside `hdf5_metno::sync::sync`, the crate's lock);
//! - `comm` is a live communicator and `info` a live info object or `MPI_INFO_NULL`
//!   (HDF5 duplicates both: the caller may free them afterwards);
//! - the libhdf5 linked is built against the same MPI as rsmpi (the MPI build that
//!   `HDF5_DIR` or pkg-config named, for the MPI that `MPICC` named).
//!
//! Errors: both return a negative `herr_t` on failure and push the reason on HDF5's error
//! stack, which `hdf5_metno::h5check` turns into its `Error`.

use hdf5_metno_sys::h5::herr_t;
use hdf5_metno_sys::h5i::hid_t;
use std::os::raw::c_int;

use mpi::ffi::MPI_Info;

use super::MPI_Comm;

/// `H5FD_MPIO_COLLECTIVE` of `H5FD_mpio_xfer_t` (`H5FD_MPIO_INDEPENDENT` is 0).
pub(crate) const MPIO_COLLECTIVE: c_int = 1;

extern "C" {
    fn H5Pset_fapl_mpio(fapl_id: hid_t, comm: MPI_Comm, info: MPI_Info) -> herr_t;
    fn H5Pset_dxpl_mpio(dxpl_id: hid_t, xfer_mode: c_int) -> herr_t;
}

/// `H5Pset_fapl_mpio`: files opened with `plist` go through MPI-IO on `comm`.
///
/// # Safety
/// See the module's contract.
pub(crate) unsafe fn set_fapl_mpio(plist: hid_t, comm: MPI_Comm, info: MPI_Info) -> herr_t {
    // SAFETY: the caller upholds the module's contract, which is HDF5's for this call.
    unsafe { H5Pset_fapl_mpio(plist, comm, info) }
}

/// `H5Pset_dxpl_mpio`: transfers made with `plist` are collective (`MPIO_COLLECTIVE`) or
/// independent.
///
/// # Safety
/// See the module's contract.
pub(crate) unsafe fn set_dxpl_mpio(plist: hid_t, mode: c_int) -> herr_t {
    // SAFETY: the caller upholds the module's contract, which is HDF5's for this call.
    unsafe { H5Pset_dxpl_mpio(plist, mode) }
}
