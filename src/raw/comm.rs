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

/// `MPI_Abort`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn abort(comm: ffi::MPI_Comm, errorcode: c_int) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Abort(comm, errorcode) }
}

/// `MPI_Finalize`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn finalize() -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Finalize() }
}

/// `MPI_Comm_dup`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn comm_dup(comm: ffi::MPI_Comm, newcomm: *mut ffi::MPI_Comm) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Comm_dup(comm, newcomm) }
}

/// `MPI_Comm_free`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn comm_free(comm: *mut ffi::MPI_Comm) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Comm_free(comm) }
}

/// `MPI_Comm_group`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn comm_group(comm: ffi::MPI_Comm, group: *mut ffi::MPI_Group) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Comm_group(comm, group) }
}

/// `MPI_Group_translate_ranks`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn group_translate_ranks(
    group1: ffi::MPI_Group,
    n: c_int,
    ranks1: *const c_int,
    group2: ffi::MPI_Group,
    ranks2: *mut c_int,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Group_translate_ranks(group1, n, ranks1, group2, ranks2) }
}

/// `MPI_Group_free`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn group_free(group: *mut ffi::MPI_Group) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Group_free(group) }
}

/// `MPI_Comm_create_keyval`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn comm_create_keyval(
    comm_copy_attr_fn: ffi::MPI_Comm_copy_attr_function,
    comm_delete_attr_fn: ffi::MPI_Comm_delete_attr_function,
    comm_keyval: *mut c_int,
    extra_state: *mut c_void,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Comm_create_keyval(
            comm_copy_attr_fn,
            comm_delete_attr_fn,
            comm_keyval,
            extra_state,
        )
    }
}

/// `MPI_Comm_get_attr`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn comm_get_attr(
    comm: ffi::MPI_Comm,
    comm_keyval: c_int,
    attribute_val: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Comm_get_attr(comm, comm_keyval, attribute_val, flag) }
}

/// `MPI_Comm_set_attr`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn comm_set_attr(
    comm: ffi::MPI_Comm,
    comm_keyval: c_int,
    attribute_val: *mut c_void,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Comm_set_attr(comm, comm_keyval, attribute_val) }
}
