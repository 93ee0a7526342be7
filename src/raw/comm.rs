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
}
