//! Point-to-point calls and request completion, raw: the `mpi::ffi` calls behind
//! mpikit's buffer and object messages and every request it waits for or tests.
//!
//! # Safety
//! Every function here is MPI's C call, unchanged. The caller guarantees what MPI requires:
//! every pointer is valid for what MPI reads or writes through it (`count` elements of
//! `datatype` for a buffer, one status or request, `count` requests or indices), `comm` and
//! `datatype` are live handles, and for a non-blocking call the buffer stays alive and
//! untouched (a send's unread, a receive's unwritten by Rust) until the request completes.
//! Each call site states why it holds there.

// MPI's C signatures, argument for argument.
#![allow(clippy::too_many_arguments)]

use std::os::raw::{c_int, c_void};

use mpi::ffi;

/// `MPI_Send`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn send(
    buf: *const c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Send(buf, count, datatype, dest, tag, comm) }
}

/// `MPI_Ssend`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn ssend(
    buf: *const c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Ssend(buf, count, datatype, dest, tag, comm) }
}

/// `MPI_Recv`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn recv(
    buf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: ffi::MPI_Comm,
    status: *mut ffi::MPI_Status,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Recv(buf, count, datatype, source, tag, comm, status) }
}

/// `MPI_Isend`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn isend(
    buf: *const c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Isend(buf, count, datatype, dest, tag, comm, request) }
}

/// `MPI_Issend`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn issend(
    buf: *const c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Issend(buf, count, datatype, dest, tag, comm, request) }
}

/// `MPI_Irecv`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn irecv(
    buf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Irecv(buf, count, datatype, source, tag, comm, request) }
}

/// `MPI_Sendrecv_replace`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn sendrecv_replace(
    buf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    dest: c_int,
    sendtag: c_int,
    source: c_int,
    recvtag: c_int,
    comm: ffi::MPI_Comm,
    status: *mut ffi::MPI_Status,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Sendrecv_replace(
            buf, count, datatype, dest, sendtag, source, recvtag, comm, status,
        )
    }
}

/// `MPI_Get_count`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn get_count(
    status: *const ffi::MPI_Status,
    datatype: ffi::MPI_Datatype,
    count: *mut c_int,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Get_count(status, datatype, count) }
}

/// `MPI_Cancel`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn cancel(request: *mut ffi::MPI_Request) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Cancel(request) }
}

/// `MPI_Test_cancelled`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn test_cancelled(status: *const ffi::MPI_Status, flag: *mut c_int) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Test_cancelled(status, flag) }
}

/// `MPI_Wait`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn wait(request: *mut ffi::MPI_Request, status: *mut ffi::MPI_Status) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Wait(request, status) }
}

/// `MPI_Waitall`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn waitall(
    count: c_int,
    array_of_requests: *mut ffi::MPI_Request,
    array_of_statuses: *mut ffi::MPI_Status,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Waitall(count, array_of_requests, array_of_statuses) }
}

/// `MPI_Waitsome`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn waitsome(
    incount: c_int,
    array_of_requests: *mut ffi::MPI_Request,
    outcount: *mut c_int,
    array_of_indices: *mut c_int,
    array_of_statuses: *mut ffi::MPI_Status,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Waitsome(
            incount,
            array_of_requests,
            outcount,
            array_of_indices,
            array_of_statuses,
        )
    }
}

/// `MPI_Test`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn test(
    request: *mut ffi::MPI_Request,
    flag: *mut c_int,
    status: *mut ffi::MPI_Status,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Test(request, flag, status) }
}

/// `MPI_Testall`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn testall(
    count: c_int,
    array_of_requests: *mut ffi::MPI_Request,
    flag: *mut c_int,
    array_of_statuses: *mut ffi::MPI_Status,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Testall(count, array_of_requests, flag, array_of_statuses) }
}
