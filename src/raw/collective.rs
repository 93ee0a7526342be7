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

mpi_fns! {
    /// `MPI_Gather`.
    fn gather = MPI_Gather(sendbuf: *const c_void, sendcount: c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcount: c_int, recvtype: ffi::MPI_Datatype, root: c_int, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Scatter`.
    fn scatter = MPI_Scatter(sendbuf: *const c_void, sendcount: c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcount: c_int, recvtype: ffi::MPI_Datatype, root: c_int, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Allgather`.
    fn allgather = MPI_Allgather(sendbuf: *const c_void, sendcount: c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcount: c_int, recvtype: ffi::MPI_Datatype, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Alltoall`.
    fn alltoall = MPI_Alltoall(sendbuf: *const c_void, sendcount: c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcount: c_int, recvtype: ffi::MPI_Datatype, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Reduce`.
    fn reduce = MPI_Reduce(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, root: c_int, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Allreduce`.
    fn allreduce = MPI_Allreduce(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Reduce_scatter_block`.
    fn reduce_scatter_block = MPI_Reduce_scatter_block(sendbuf: *const c_void, recvbuf: *mut c_void, recvcount: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Scan`.
    fn scan = MPI_Scan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Exscan`.
    fn exscan = MPI_Exscan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm) -> c_int;
    /// `MPI_Ibarrier`.
    fn ibarrier = MPI_Ibarrier(comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Ibcast`.
    fn ibcast = MPI_Ibcast(buffer: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, root: c_int, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Igatherv`.
    fn igatherv = MPI_Igatherv(sendbuf: *const c_void, sendcount: c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcounts: *const c_int, displs: *const c_int, recvtype: ffi::MPI_Datatype, root: c_int, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Iscatterv`.
    fn iscatterv = MPI_Iscatterv(sendbuf: *const c_void, sendcounts: *const c_int, displs: *const c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcount: c_int, recvtype: ffi::MPI_Datatype, root: c_int, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Iallgatherv`.
    fn iallgatherv = MPI_Iallgatherv(sendbuf: *const c_void, sendcount: c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcounts: *const c_int, displs: *const c_int, recvtype: ffi::MPI_Datatype, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Ialltoallv`.
    fn ialltoallv = MPI_Ialltoallv(sendbuf: *const c_void, sendcounts: *const c_int, sdispls: *const c_int, sendtype: ffi::MPI_Datatype, recvbuf: *mut c_void, recvcounts: *const c_int, rdispls: *const c_int, recvtype: ffi::MPI_Datatype, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Ireduce`.
    fn ireduce = MPI_Ireduce(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, root: c_int, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Iallreduce`.
    fn iallreduce = MPI_Iallreduce(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Ireduce_scatter`.
    fn ireduce_scatter = MPI_Ireduce_scatter(sendbuf: *const c_void, recvbuf: *mut c_void, recvcounts: *const c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Iscan`.
    fn iscan = MPI_Iscan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
    /// `MPI_Iexscan`.
    fn iexscan = MPI_Iexscan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, comm: ffi::MPI_Comm, request: *mut ffi::MPI_Request) -> c_int;
}
