//! Data across ranks: balanced partitions, large buffers, random values by global index, `.npy` and raw files read and
//! written in parallel.

pub(crate) mod alloc;
pub(crate) mod input;
pub(crate) mod npy;
pub(crate) mod npz;
pub(crate) mod partition;
pub(crate) mod random;
pub(crate) mod source;
