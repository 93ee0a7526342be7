//! Every call into MPI's C interface that rsmpi does not wrap, in one place: the types and
//! constants mpikit needs, and MPI's functions by family ([`p2p`], [`collective`], [`comm`],
//! [`rma`], [`file`] for MPI-IO; and `h5mpio`, parallel HDF5's two MPI calls, where
//! the system's libhdf5 is the MPI build),
//! each an `unsafe fn` with MPI's own contract written at the top of its file. No other
//! file of mpikit names `mpi::ffi`.
//!
//! Reading one of the MPI library's global handles (`MPI_REQUEST_NULL`, `MPI_COMM_WORLD`,
//! ...) is safe once MPI is initialised and before it is finalised, which `World` guarantees
//! for every caller in mpikit; the functions below that read them are therefore safe.

/// Declares thin `unsafe fn` wrappers, one per MPI function: `fn name = MPI_Name(args) -> ret;`
/// Each is MPI's C call, unchanged; its contract is its family's, written at the top of the
/// file that declares it.
macro_rules! mpi_fns {
    ($($(#[$doc:meta])* fn $name:ident = $c:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        $(
            $(#[$doc])*
            ///
            /// # Safety
            /// See the module's contract.
            #[inline]
            pub(crate) unsafe fn $name($($arg: $ty),*) -> $ret {
                // SAFETY: the caller upholds the module's contract, which is MPI's for this call.
                unsafe { mpi::ffi::$c($($arg),*) }
            }
        )*
    };
}

pub(crate) mod collective;
pub(crate) mod comm;
pub(crate) mod p2p;

pub(crate) use collective::*;
pub(crate) use comm::*;
pub(crate) use p2p::*;

pub(crate) use std::ffi::c_void;
use std::sync::OnceLock;

pub(crate) use mpi::ffi::{MPI_Comm, MPI_Datatype, MPI_Group, MPI_Op, MPI_Request, MPI_Status};

/// `MPI_PROC_NULL`, a compile-time constant of the MPI library.
pub(crate) const PROC_NULL: i32 = mpi::ffi::MPI_PROC_NULL;

/// `MPI_BSEND_OVERHEAD`, a compile-time constant of the MPI library.
pub(crate) const BSEND_OVERHEAD: i32 = mpi::ffi::MPI_BSEND_OVERHEAD as i32;

macro_rules! handles {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $global:ident;)*) => {
        $(
            $(#[$doc])*
            #[inline]
            pub(crate) fn $name() -> $ty {
                // SAFETY: a global handle the MPI library sets at load time and never changes;
                // reading it copies a value (see the module doc).
                unsafe { mpi::ffi::$global }
            }
        )*
    };
}

// After `handles!`, which they use.
pub(crate) mod file;
pub(crate) mod rma;
// libhdf5's MPI-IO calls, when the libhdf5 found at build time is the MPI build.
#[cfg(all(feature = "hdf5", mpikit_hdf5_parallel))]
pub(crate) mod h5mpio;

handles! {
    /// `MPI_REQUEST_NULL`: a request that is complete.
    request_null: MPI_Request = RSMPI_REQUEST_NULL;
    /// `MPI_COMM_NULL`.
    comm_null: MPI_Comm = RSMPI_COMM_NULL;
    /// `MPI_COMM_WORLD`.
    comm_world: MPI_Comm = RSMPI_COMM_WORLD;
    /// `MPI_GROUP_NULL`.
    group_null: MPI_Group = RSMPI_GROUP_NULL;
    /// `MPI_SUM`.
    op_sum: MPI_Op = RSMPI_SUM;
    /// `MPI_INT32_T`.
    datatype_int32: MPI_Datatype = RSMPI_INT32_T;
    /// `MPI_ANY_SOURCE`.
    any_source: i32 = RSMPI_ANY_SOURCE;
    /// `MPI_ANY_TAG`.
    any_tag: i32 = RSMPI_ANY_TAG;
    /// `MPI_STATUS_IGNORE`: a status pointer MPI does not write.
    status_ignore: *mut MPI_Status = RSMPI_STATUS_IGNORE;
    /// `MPI_STATUSES_IGNORE`: a status array pointer MPI does not write.
    statuses_ignore: *mut MPI_Status = RSMPI_STATUSES_IGNORE;
}

/// `MPI_IN_PLACE`, which mpi.h defines as a macro that bindgen cannot see: `(void *) 1` in
/// Open MPI, `(void *) -1` in MPICH and the MPIs derived from it. mpikit's in-place calls
/// ([`InPlaceCollectives`](crate::buffers::InPlaceCollectives)) use it; a program making its own raw MPI calls through `mpikit::mpi` can too.
///
/// # Examples
/// ```no_run
/// let in_place = mpikit::buffers::mpi_in_place();
/// assert!(!in_place.is_null());
/// ```
pub fn in_place() -> *mut c_void {
    if is_open_mpi() {
        1 as *mut c_void
    } else {
        usize::MAX as *mut c_void
    }
}

/// Whether the MPI library is Open MPI (else MPICH or one derived from it).
pub(crate) fn is_open_mpi() -> bool {
    static OPEN_MPI: OnceLock<bool> = OnceLock::new();
    *OPEN_MPI.get_or_init(|| {
        mpi::environment::library_version()
            .unwrap_or_default()
            .contains("Open MPI")
    })
}
