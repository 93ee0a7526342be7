//! Communicators, groups, attributes and the end of a job, raw.
//!
//! # Safety
//! Every function here is MPI's C call, unchanged. The caller guarantees what MPI requires:
//! the handles are live (a communicator or group not yet freed, a keyval created by
//! `comm_create_keyval`), every out-pointer is valid for one value of its type, and a
//! collective one (`comm_dup`, `comm_free`) is made by every rank of `comm` at the same point.
//! Each call site states why it holds there.

// MPI's C signatures, argument for argument.
#![allow(clippy::too_many_arguments)]

use std::os::raw::{c_int, c_void};

use mpi::ffi;

mpi_fns! {
    /// `MPI_Abort`.
    fn abort = MPI_Abort(comm: ffi::MPI_Comm, errorcode: c_int) -> c_int;
    /// `MPI_Finalize`.
    fn finalize = MPI_Finalize() -> c_int;
    /// `MPI_Comm_dup`.
    fn comm_dup = MPI_Comm_dup(comm: ffi::MPI_Comm, newcomm: *mut ffi::MPI_Comm) -> c_int;
    /// `MPI_Comm_free`.
    fn comm_free = MPI_Comm_free(comm: *mut ffi::MPI_Comm) -> c_int;
    /// `MPI_Comm_group`.
    fn comm_group = MPI_Comm_group(comm: ffi::MPI_Comm, group: *mut ffi::MPI_Group) -> c_int;
    /// `MPI_Group_translate_ranks`.
    fn group_translate_ranks = MPI_Group_translate_ranks(group1: ffi::MPI_Group, n: c_int, ranks1: *const c_int, group2: ffi::MPI_Group, ranks2: *mut c_int) -> c_int;
    /// `MPI_Group_free`.
    fn group_free = MPI_Group_free(group: *mut ffi::MPI_Group) -> c_int;
    /// `MPI_Comm_create_keyval`.
    fn comm_create_keyval = MPI_Comm_create_keyval(comm_copy_attr_fn: ffi::MPI_Comm_copy_attr_function, comm_delete_attr_fn: ffi::MPI_Comm_delete_attr_function, comm_keyval: *mut c_int, extra_state: *mut c_void) -> c_int;
    /// `MPI_Comm_get_attr`.
    fn comm_get_attr = MPI_Comm_get_attr(comm: ffi::MPI_Comm, comm_keyval: c_int, attribute_val: *mut c_void, flag: *mut c_int) -> c_int;
    /// `MPI_Comm_set_attr`.
    fn comm_set_attr = MPI_Comm_set_attr(comm: ffi::MPI_Comm, comm_keyval: c_int, attribute_val: *mut c_void) -> c_int;
    /// `MPI_Comm_get_errhandler`.
    fn comm_get_errhandler = MPI_Comm_get_errhandler(comm: ffi::MPI_Comm, errhandler: *mut ffi::MPI_Errhandler) -> c_int;
    /// `MPI_Comm_set_errhandler`.
    fn comm_set_errhandler = MPI_Comm_set_errhandler(comm: ffi::MPI_Comm, errhandler: ffi::MPI_Errhandler) -> c_int;
    /// `MPI_Errhandler_free`: drops this reference (the handler lives while a communicator uses it).
    fn errhandler_free = MPI_Errhandler_free(errhandler: *mut ffi::MPI_Errhandler) -> c_int;
    /// `MPI_Error_string`: `string` must hold `MPI_MAX_ERROR_STRING` bytes.
    fn error_string = MPI_Error_string(errorcode: c_int, string: *mut std::os::raw::c_char, resultlen: *mut c_int) -> c_int;
}

/// Makes one MPI call on `comm` (`call` returns its error code) with `MPI_ERRORS_RETURN` as
/// `comm`'s error handler, then puts the handler back: a failure comes back as MPI's text
/// instead of aborting the job. For calls whose errors MPI raises on `comm` (the creation of
/// a window, MPI 3.1 section 11.2.1: "errors ... are raised on the communicator").
///
/// # Safety
/// `comm` is a live communicator, and `call` is what the module contract of its own call
/// requires.
pub(crate) unsafe fn errors_returned(
    comm: ffi::MPI_Comm,
    call: impl FnOnce() -> c_int,
) -> Result<(), String> {
    // SAFETY: an MPI_Errhandler is a handle (a pointer in Open MPI, an int in MPICH), valid
    // as zero bytes until MPI writes it.
    let mut before: ffi::MPI_Errhandler = unsafe { std::mem::zeroed() };
    // SAFETY: `comm` is live (the caller's contract); `before` is a valid out-pointer, and
    // receives a new reference to the handler, freed below after it is put back.
    unsafe {
        comm_get_errhandler(comm, &mut before);
        comm_set_errhandler(comm, ffi::RSMPI_ERRORS_RETURN);
    }
    let code = call();
    // SAFETY: as above; `before` is the live handler read above, `comm` still uses it after
    // the set, so freeing our reference does not free the handler.
    unsafe {
        comm_set_errhandler(comm, before);
        errhandler_free(&mut before);
    }
    if code == ffi::MPI_SUCCESS as c_int {
        return Ok(());
    }
    let mut text = vec![0u8; ffi::MPI_MAX_ERROR_STRING as usize + 1];
    let mut len: c_int = 0;
    // SAFETY: `text` holds MPI_MAX_ERROR_STRING bytes and more; `len` is a valid out-pointer.
    unsafe { error_string(code, text.as_mut_ptr().cast(), &mut len) };
    text.truncate(len.clamp(0, ffi::MPI_MAX_ERROR_STRING as c_int) as usize);
    Err(String::from_utf8_lossy(&text).into_owned())
}
