//! A communicator's private duplicate: made by every rank the first time a collective
//! needs one, cached on the communicator (an MPI attribute) and freed with it, so the
//! point-to-point messages of mpikit's collectives (tree reductions, all-to-all streams)
//! never match a program's own receives, wildcards included.

use std::mem::ManuallyDrop;
use std::sync::OnceLock;

use crate::raw;
use crate::raw::MPI_Comm;
use mpi::raw::FromRaw;
use mpi::topology::{Communicator, SimpleCommunicator};

/// The attribute key under which a communicator keeps its private duplicate.
fn keyval() -> i32 {
    static KEY: OnceLock<i32> = OnceLock::new();
    *KEY.get_or_init(|| {
        let mut key = 0;
        // SAFETY: callbacks of MPI's signatures; no extra state.
        unsafe {
            raw::comm_create_keyval(
                Some(no_copy),
                Some(free_private),
                &mut key,
                std::ptr::null_mut(),
            );
        }
        key
    })
}

/// Duplicates of a communicator do not inherit its private duplicate.
unsafe extern "C" fn no_copy(
    _old: MPI_Comm,
    _key: i32,
    _extra: *mut std::ffi::c_void,
    _in: *mut std::ffi::c_void,
    _out: *mut std::ffi::c_void,
    flag: *mut i32,
) -> i32 {
    // SAFETY: MPI passes a valid flag pointer.
    unsafe { *flag = 0 };
    0
}

/// Frees the private duplicate when its communicator is freed.
unsafe extern "C" fn free_private(
    _comm: MPI_Comm,
    _key: i32,
    value: *mut std::ffi::c_void,
    _extra: *mut std::ffi::c_void,
) -> i32 {
    // SAFETY: the value is the Box that `private` leaked for this communicator.
    let mut dup = unsafe { Box::from_raw(value.cast::<MPI_Comm>()) };
    // SAFETY: a duplicate this module made, freed once.
    unsafe { raw::comm_free(&mut *dup) };
    0
}

/// The private duplicate of `comm`. Collective the first time on a communicator (every rank
/// of `comm` must be in the same collective call); a lookup afterwards.
pub(crate) fn private<C: Communicator + ?Sized>(comm: &C) -> ManuallyDrop<SimpleCommunicator> {
    let key = keyval();
    let mut value: *mut std::ffi::c_void = std::ptr::null_mut();
    let mut found = 0;
    // SAFETY: reads an attribute of a live communicator into a pointer-sized slot.
    unsafe {
        raw::comm_get_attr(
            comm.as_raw(),
            key,
            (&mut value as *mut *mut std::ffi::c_void).cast(),
            &mut found,
        );
    }
    let raw = if found != 0 {
        // SAFETY: set below, as a leaked Box<MPI_Comm>.
        unsafe { *value.cast::<MPI_Comm>() }
    } else {
        // SAFETY: every rank of `comm` is here, in the same collective call.
        let mut dup = raw::comm_null();
        unsafe { raw::comm_dup(comm.as_raw(), &mut dup) };
        let slot = Box::into_raw(Box::new(dup));
        // SAFETY: the communicator keeps the pointer until `free_private` takes it back.
        unsafe { raw::comm_set_attr(comm.as_raw(), key, slot.cast()) };
        dup
    };
    // SAFETY: a live communicator handle; ManuallyDrop, as the attribute owns it.
    ManuallyDrop::new(unsafe { SimpleCommunicator::from_raw(raw) })
}
