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

mpi_fns! {
    /// `MPI_Send`.
    fn send = MPI_Send(buf: *const c_void, count: c_int, datatype: ffi::MPI_Datatype, dest: c_int, tag: c_int, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Ssend`.
    fn ssend = MPI_Ssend(buf: *const c_void, count: c_int, datatype: ffi::MPI_Datatype, dest: c_int, tag: c_int, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Recv`.
    fn recv = MPI_Recv(buf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, source: c_int, tag: c_int, comm: ffi::MPI_Comm, status: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_Isend`.
    fn isend = MPI_Isend(buf: *const c_void, count: c_int, datatype: ffi::MPI_Datatype, dest: c_int, tag: c_int, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Issend`.
    fn issend = MPI_Issend(buf: *const c_void, count: c_int, datatype: ffi::MPI_Datatype, dest: c_int, tag: c_int, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Irecv`.
    fn irecv = MPI_Irecv(buf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, source: c_int, tag: c_int, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Sendrecv_replace`.
    fn sendrecv_replace = MPI_Sendrecv_replace(buf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, dest: c_int, sendtag: c_int, source: c_int, recvtag: c_int, comm: ffi::MPI_Comm, status: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_Get_count`.
    fn get_count = MPI_Get_count(status: *const ffi::MPI_Status, datatype: ffi::MPI_Datatype, count: *mut c_int) -> c_int;
    /// `MPI_Cancel`.
    fn cancel = MPI_Cancel(request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Test_cancelled`.
    fn test_cancelled = MPI_Test_cancelled(status: *const ffi::MPI_Status, flag: *mut c_int) -> c_int;
    /// `MPI_Wait`.
    fn wait = MPI_Wait(request: *mut ffi::MPI_Request, status: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_Waitall`.
    fn waitall = MPI_Waitall(count: c_int, array_of_requests: *mut ffi::MPI_Request, array_of_statuses: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_Waitsome`.
    fn waitsome = MPI_Waitsome(incount: c_int, array_of_requests: *mut ffi::MPI_Request, outcount: *mut c_int, array_of_indices: *mut c_int, array_of_statuses: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_Test`.
    fn test = MPI_Test(request: *mut ffi::MPI_Request, flag: *mut c_int, status: *mut ffi::MPI_Status) -> c_int;
    /// `MPI_Testall`.
    fn testall = MPI_Testall(count: c_int, array_of_requests: *mut ffi::MPI_Request, flag: *mut c_int, array_of_statuses: *mut ffi::MPI_Status) -> c_int;
}
