//! One-sided communication and shared-memory windows, raw: the `mpi::ffi` calls behind
//! [`rma`](crate::rma) (rsmpi 0.8 binds none of them), and the handles mpi.h defines as
//! macros (`MPI_REPLACE`, `MPI_NO_OP`), read through `csrc/constants.c`.
//!
//! # Safety
//! Every function here is MPI's C call, unchanged. The caller guarantees what MPI requires:
//! - `win` is a live window (not yet freed) and `comm` a live communicator; window creation
//!   and `MPI_Win_free` are collective over the window's communicator, called by every rank
//!   in the same order, and no epoch of this rank is open on a window it frees;
//! - every origin or result pointer is valid for `count` elements of `datatype` and stays
//!   alive and unwritten by Rust (a result buffer: unread) until the operation completes at
//!   the next flush, unlock or fence of the epoch it was started in;
//! - every access (`MPI_Put`, `MPI_Get`, the accumulates, `MPI_Fetch_and_op`,
//!   `MPI_Compare_and_swap`) happens inside an epoch this rank opened on `win` (a fence
//!   epoch, or a lock of the target, or a lock of all), and the target range
//!   `[disp, disp + count)` lies inside the target's window (mpikit checks both before the
//!   call, because MPI's answer to either is to abort the job);
//! - epochs nest as MPI allows: a fence is collective; a rank locks a target at most once at
//!   a time and never inside its lock-all; unlocks match locks;
//! - the pointer a shared-memory query returns is used only within the window's lifetime.
//!
//! Each call site states why these hold there. `MPI_Win_flush_all` and
//! `MPI_Win_flush_local_all` are left out on purpose: MPICH 4.0.2 returns from them before
//! every get has arrived (see `Window::flush_targets`, which flushes target by target).

// MPI's C signatures, argument for argument.
#![allow(clippy::too_many_arguments)]

use std::os::raw::{c_int, c_void};

use mpi::ffi;

pub(crate) use mpi::ffi::{MPI_Aint, MPI_Win};

mpi_fns! {
    /// `MPI_Win_allocate`: collective; each rank's `size` bytes, its base written to `baseptr`.
    fn win_allocate = MPI_Win_allocate(size: MPI_Aint, disp_unit: c_int, info: ffi::MPI_Info, comm: ffi::MPI_Comm, baseptr: *mut c_void, win: *mut MPI_Win) -> c_int;
    /// `MPI_Win_allocate_shared`: collective over ranks that share memory (a node).
    fn win_allocate_shared = MPI_Win_allocate_shared(size: MPI_Aint, disp_unit: c_int, info: ffi::MPI_Info, comm: ffi::MPI_Comm, baseptr: *mut c_void, win: *mut MPI_Win) -> c_int;
    /// `MPI_Win_shared_query`: the base, size and unit of `rank`'s part of a shared window.
    fn win_shared_query = MPI_Win_shared_query(win: MPI_Win, rank: c_int, size: *mut MPI_Aint, disp_unit: *mut c_int, baseptr: *mut c_void) -> c_int;
    /// `MPI_Win_free`: collective.
    fn win_free = MPI_Win_free(win: *mut MPI_Win) -> c_int;
    /// `MPI_Win_fence`: collective; ends the fence epoch before and starts the next.
    fn win_fence = MPI_Win_fence(assert: c_int, win: MPI_Win) -> c_int;
    /// `MPI_Win_lock`.
    fn win_lock = MPI_Win_lock(lock_type: c_int, rank: c_int, assert: c_int, win: MPI_Win) -> c_int;
    /// `MPI_Win_unlock`: completes every access to `rank` of the epoch.
    fn win_unlock = MPI_Win_unlock(rank: c_int, win: MPI_Win) -> c_int;
    /// `MPI_Win_lock_all`: a shared lock of every rank.
    fn win_lock_all = MPI_Win_lock_all(assert: c_int, win: MPI_Win) -> c_int;
    /// `MPI_Win_unlock_all`.
    fn win_unlock_all = MPI_Win_unlock_all(win: MPI_Win) -> c_int;
    /// `MPI_Win_flush`: completes this rank's accesses to `rank`, at both ends.
    fn win_flush = MPI_Win_flush(rank: c_int, win: MPI_Win) -> c_int;
    /// `MPI_Win_flush_local`: completes this rank's accesses to `rank` at the origin (its
    /// buffers are free again).
    fn win_flush_local = MPI_Win_flush_local(rank: c_int, win: MPI_Win) -> c_int;
    /// `MPI_Win_sync`: makes the public and private copies of this rank's memory agree.
    fn win_sync = MPI_Win_sync(win: MPI_Win) -> c_int;
    /// `MPI_Put`.
    fn put = MPI_Put(origin_addr: *const c_void, origin_count: c_int, origin_datatype: ffi::MPI_Datatype, target_rank: c_int, target_disp: MPI_Aint, target_count: c_int, target_datatype: ffi::MPI_Datatype, win: MPI_Win) -> c_int;
    /// `MPI_Get`.
    fn get = MPI_Get(origin_addr: *mut c_void, origin_count: c_int, origin_datatype: ffi::MPI_Datatype, target_rank: c_int, target_disp: MPI_Aint, target_count: c_int, target_datatype: ffi::MPI_Datatype, win: MPI_Win) -> c_int;
    /// `MPI_Accumulate`.
    fn accumulate = MPI_Accumulate(origin_addr: *const c_void, origin_count: c_int, origin_datatype: ffi::MPI_Datatype, target_rank: c_int, target_disp: MPI_Aint, target_count: c_int, target_datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, win: MPI_Win) -> c_int;
    /// `MPI_Get_accumulate`.
    fn get_accumulate = MPI_Get_accumulate(origin_addr: *const c_void, origin_count: c_int, origin_datatype: ffi::MPI_Datatype, result_addr: *mut c_void, result_count: c_int, result_datatype: ffi::MPI_Datatype, target_rank: c_int, target_disp: MPI_Aint, target_count: c_int, target_datatype: ffi::MPI_Datatype, op: ffi::MPI_Op, win: MPI_Win) -> c_int;
    /// `MPI_Fetch_and_op`: one element.
    fn fetch_and_op = MPI_Fetch_and_op(origin_addr: *const c_void, result_addr: *mut c_void, datatype: ffi::MPI_Datatype, target_rank: c_int, target_disp: MPI_Aint, op: ffi::MPI_Op, win: MPI_Win) -> c_int;
    /// `MPI_Compare_and_swap`: one element.
    fn compare_and_swap = MPI_Compare_and_swap(origin_addr: *const c_void, compare_addr: *const c_void, result_addr: *mut c_void, datatype: ffi::MPI_Datatype, target_rank: c_int, target_disp: MPI_Aint, win: MPI_Win) -> c_int;
}

handles! {
    /// `MPI_INFO_NULL`.
    info_null: ffi::MPI_Info = RSMPI_INFO_NULL;
    /// `MPI_WIN_NULL`.
    win_null: MPI_Win = RSMPI_WIN_NULL;
}

/// `MPI_LOCK_EXCLUSIVE`.
pub(crate) const LOCK_EXCLUSIVE: c_int = ffi::MPI_LOCK_EXCLUSIVE as c_int;
/// `MPI_LOCK_SHARED`.
pub(crate) const LOCK_SHARED: c_int = ffi::MPI_LOCK_SHARED as c_int;
/// `MPI_MODE_NOCHECK`: a lock that no other rank's conflicting lock can meet.
pub(crate) const MODE_NOCHECK: c_int = ffi::MPI_MODE_NOCHECK as c_int;
/// `MPI_MODE_NOPRECEDE`: a fence that ends no epoch with accesses.
pub(crate) const MODE_NOPRECEDE: c_int = ffi::MPI_MODE_NOPRECEDE as c_int;
/// `MPI_MODE_NOSUCCEED`: a fence that starts no epoch with accesses.
pub(crate) const MODE_NOSUCCEED: c_int = ffi::MPI_MODE_NOSUCCEED as c_int;

extern "C" {
    fn mpikit_op_replace() -> ffi::MPI_Op;
    fn mpikit_op_no_op() -> ffi::MPI_Op;
}

/// `MPI_REPLACE`: an accumulate that writes the origin's value (an atomic put).
pub(crate) fn op_replace() -> ffi::MPI_Op {
    // SAFETY: returns a compile-time handle of the linked MPI; reads no state.
    unsafe { mpikit_op_replace() }
}

/// `MPI_NO_OP`: an accumulate that leaves the target as it is (an atomic get).
pub(crate) fn op_no_op() -> ffi::MPI_Op {
    // SAFETY: as `op_replace`.
    unsafe { mpikit_op_no_op() }
}
