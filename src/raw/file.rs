//! MPI-IO, raw: the `mpi::ffi` calls behind collective file reads and writes of DistArrays
//! (`src/distarray/mpiio.rs`; rsmpi 0.8 binds no MPI-IO), and the datatype calls that make
//! each rank's file view.
//!
//! # Safety
//! Every function here is MPI's C call, unchanged. The caller guarantees what MPI requires:
//! - `comm` is a live communicator; `MPI_File_open`, `MPI_File_set_view`, the `_all` reads
//!   and writes, `MPI_File_sync` and `MPI_File_close` are collective over the file's
//!   communicator and made by every rank in the same order;
//! - `filename` is a NUL-terminated string, the same on every rank; `fh` is a file this rank
//!   opened and has not closed (`close` takes it by pointer and sets it to `MPI_FILE_NULL`);
//! - a buffer passed to a read or write is valid for `count` items of `datatype` (written by
//!   MPI for a read) for the duration of the call (the blocking calls only);
//! - a datatype is committed before it is used in a view or a transfer, and freed once no
//!   view or transfer uses it (freeing a type in use by a view is allowed: MPI keeps it);
//! - the `int` arrays of `MPI_Type_create_subarray` hold `ndims` values each, sizes at least
//!   one, `0 <= start` and `start + subsize <= size` on every axis.
//!
//! Errors: MPI's default handler for files is `MPI_ERRORS_RETURN`, so these calls return
//! their error codes instead of aborting; the callers turn them into `Err`s.

// MPI's C signatures, argument for argument.
#![allow(clippy::too_many_arguments)]

use std::os::raw::{c_char, c_int, c_void};

use mpi::ffi;

pub(crate) use mpi::ffi::{MPI_File, MPI_Offset};

mpi_fns! {
    /// `MPI_File_open`: collective over `comm`.
    fn file_open = MPI_File_open(comm: ffi::MPI_Comm, filename: *const c_char, amode: c_int, info: ffi::MPI_Info, fh: *mut MPI_File) -> c_int;
    /// `MPI_File_close`: collective.
    fn file_close = MPI_File_close(fh: *mut MPI_File) -> c_int;
    /// `MPI_File_set_view`: collective; this rank sees the bytes from `disp` through `filetype`.
    fn file_set_view = MPI_File_set_view(fh: MPI_File, disp: MPI_Offset, etype: ffi::MPI_Datatype, filetype: ffi::MPI_Datatype, datarep: *const c_char, info: ffi::MPI_Info) -> c_int;
    /// `MPI_File_write_at_all`: collective.
    fn file_write_at_all = MPI_File_write_at_all(fh: MPI_File, offset: MPI_Offset, buf: *const c_void, count: c_int, datatype: ffi::MPI_Datatype, status: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_File_read_at_all`: collective.
    fn file_read_at_all = MPI_File_read_at_all(fh: MPI_File, offset: MPI_Offset, buf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, status: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_File_sync`: collective; this rank's writes reach the storage device.
    fn file_sync = MPI_File_sync(fh: MPI_File) -> c_int;
    /// `MPI_Get_count`: how many items of `datatype` a finished transfer moved.
    fn get_count = MPI_Get_count(status: *const ffi::MPI_Status, datatype: ffi::MPI_Datatype, count: *mut c_int) -> c_int;
    /// `MPI_Type_contiguous`.
    fn type_contiguous = MPI_Type_contiguous(count: c_int, oldtype: ffi::MPI_Datatype, newtype: *mut ffi::MPI_Datatype) -> c_int;
    /// `MPI_Type_create_subarray`.
    fn type_create_subarray = MPI_Type_create_subarray(ndims: c_int, sizes: *const c_int, subsizes: *const c_int, starts: *const c_int, order: c_int, oldtype: ffi::MPI_Datatype, newtype: *mut ffi::MPI_Datatype) -> c_int;
    /// `MPI_Type_commit`.
    fn type_commit = MPI_Type_commit(datatype: *mut ffi::MPI_Datatype) -> c_int;
    /// `MPI_Type_free`.
    fn type_free = MPI_Type_free(datatype: *mut ffi::MPI_Datatype) -> c_int;
}

handles! {
    /// `MPI_FILE_NULL`.
    file_null: MPI_File = RSMPI_FILE_NULL;
    /// `MPI_INFO_NULL`.
    info_null: ffi::MPI_Info = RSMPI_INFO_NULL;
    /// `MPI_UINT8_T`: a byte.
    datatype_byte: ffi::MPI_Datatype = RSMPI_UINT8_T;
}

/// `MPI_MODE_WRONLY`, `MPI_MODE_RDONLY`: compile-time constants of the MPI library.
pub(crate) const MODE_WRONLY: c_int = ffi::MPI_MODE_WRONLY as c_int;
/// See [`MODE_WRONLY`].
pub(crate) const MODE_RDONLY: c_int = ffi::MPI_MODE_RDONLY as c_int;
/// `MPI_ORDER_C`.
pub(crate) const ORDER_C: c_int = ffi::MPI_ORDER_C as c_int;
/// `MPI_SUCCESS`.
pub(crate) const SUCCESS: c_int = ffi::MPI_SUCCESS as c_int;

/// MPI's text for error code `code`.
pub(crate) fn error_text(code: c_int) -> String {
    let mut text = vec![0u8; ffi::MPI_MAX_ERROR_STRING as usize + 1];
    let mut len: c_int = 0;
    // SAFETY: `text` holds MPI_MAX_ERROR_STRING bytes and more; `len` is a valid out-pointer;
    // MPI_Error_string may be called at any time between MPI_Init and MPI_Finalize.
    unsafe { super::comm::error_string(code, text.as_mut_ptr().cast(), &mut len) };
    text.truncate(len.clamp(0, ffi::MPI_MAX_ERROR_STRING as c_int) as usize);
    String::from_utf8_lossy(&text).into_owned()
}
