//! HDF5 datasets: `--input FILE.h5:/group/dataset` and `parsum gen --format h5`.
//!
//! A contiguous, unfiltered dataset's values lie in the file as they are: its layout is an
//! offset, a type and a byte order, and every rank reads its own slice by position with its
//! threads, exactly as for `.npy`. A chunked or compressed dataset is read through the HDF5
//! library (the `hdf5-metno` crate over the system's serial libhdf5): each rank opens the
//! file and reads its own hyperslabs, decoded into the same bytes (native order). HDF5 calls
//! are serialised within a process, so that path uses one thread's worth of HDF5 per rank.
//!
//! `find` names files and datasets, `layout` says how a dataset is read, `read` reads it
//! through the library, and `write` makes the files of `parsum gen`.

mod find;
mod layout;
mod read;
mod write;

pub use find::{is_hdf5, split};
pub use layout::{open, Access};
pub use read::Reader;
pub use write::{create, fill, Target};
