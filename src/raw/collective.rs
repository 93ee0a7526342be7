//! Collective calls, raw: the blocking ones mpikit makes with `MPI_IN_PLACE` or beyond
//! rsmpi's bindings, and every non-blocking one it starts.
//!
//! # Safety
//! Every function here is MPI's C call, unchanged. The caller guarantees what MPI requires:
//! every rank of `comm` makes the same collective calls in the same order; every
//! buffer pointer is valid for the counts and displacements MPI reads through it (the
//! root's for the root-only arguments), or is `MPI_IN_PLACE` where MPI allows it; for a
//! non-blocking call the buffers and the count and displacement arrays stay alive and
//! untouched until the request completes.
//! Each call site states why it holds there.

// MPI's C signatures, argument for argument.
#![allow(clippy::too_many_arguments)]

use std::os::raw::{c_int, c_void};

use mpi::ffi;

/// `MPI_Gather`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn gather(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: ffi::MPI_Datatype,
    root: c_int,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Gather(
            sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm,
        )
    }
}

/// `MPI_Scatter`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn scatter(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: ffi::MPI_Datatype,
    root: c_int,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Scatter(
            sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm,
        )
    }
}

/// `MPI_Allgather`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn allgather(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: ffi::MPI_Datatype,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Allgather(
            sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm,
        )
    }
}

/// `MPI_Alltoall`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn alltoall(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: ffi::MPI_Datatype,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Alltoall(
            sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm,
        )
    }
}

/// `MPI_Reduce`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn reduce(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    root: c_int,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Reduce(sendbuf, recvbuf, count, datatype, op, root, comm) }
}

/// `MPI_Allreduce`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn allreduce(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Allreduce(sendbuf, recvbuf, count, datatype, op, comm) }
}

/// `MPI_Reduce_scatter_block`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn reduce_scatter_block(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    recvcount: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Reduce_scatter_block(sendbuf, recvbuf, recvcount, datatype, op, comm) }
}

/// `MPI_Scan`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn scan(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Scan(sendbuf, recvbuf, count, datatype, op, comm) }
}

/// `MPI_Exscan`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn exscan(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Exscan(sendbuf, recvbuf, count, datatype, op, comm) }
}

/// `MPI_Ibarrier`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn ibarrier(comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Ibarrier(comm, request) }
}

/// `MPI_Ibcast`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn ibcast(
    buffer: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    root: c_int,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Ibcast(buffer, count, datatype, root, comm, request) }
}

/// `MPI_Igatherv`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn igatherv(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    displs: *const c_int,
    recvtype: ffi::MPI_Datatype,
    root: c_int,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Igatherv(
            sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root, comm,
            request,
        )
    }
}

/// `MPI_Iscatterv`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn iscatterv(
    sendbuf: *const c_void,
    sendcounts: *const c_int,
    displs: *const c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: ffi::MPI_Datatype,
    root: c_int,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Iscatterv(
            sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root, comm,
            request,
        )
    }
}

/// `MPI_Iallgatherv`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn iallgatherv(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    displs: *const c_int,
    recvtype: ffi::MPI_Datatype,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Iallgatherv(
            sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm, request,
        )
    }
}

/// `MPI_Ialltoallv`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn ialltoallv(
    sendbuf: *const c_void,
    sendcounts: *const c_int,
    sdispls: *const c_int,
    sendtype: ffi::MPI_Datatype,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    rdispls: *const c_int,
    recvtype: ffi::MPI_Datatype,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe {
        ffi::MPI_Ialltoallv(
            sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls, recvtype, comm,
            request,
        )
    }
}

/// `MPI_Ireduce`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn ireduce(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    root: c_int,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Ireduce(sendbuf, recvbuf, count, datatype, op, root, comm, request) }
}

/// `MPI_Iallreduce`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn iallreduce(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Iallreduce(sendbuf, recvbuf, count, datatype, op, comm, request) }
}

/// `MPI_Ireduce_scatter`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn ireduce_scatter(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Ireduce_scatter(sendbuf, recvbuf, recvcounts, datatype, op, comm, request) }
}

/// `MPI_Iscan`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn iscan(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Iscan(sendbuf, recvbuf, count, datatype, op, comm, request) }
}

/// `MPI_Iexscan`.
///
/// # Safety
/// See the module's contract.
#[inline]
pub(crate) unsafe fn iexscan(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: ffi::MPI_Datatype,
    op: ffi::MPI_Op,
    comm: ffi::MPI_Comm,
    request: *mut ffi::MPI_Request,
) -> c_int {
    // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
    unsafe { ffi::MPI_Iexscan(sendbuf, recvbuf, count, datatype, op, comm, request) }
}
