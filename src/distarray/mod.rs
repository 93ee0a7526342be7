//! The distributed array: a global N-D array in blocks over a grid of ranks, threads inside
//! each block, halos, redistribution and `.npy` files.

pub(crate) mod array;
pub(crate) mod copy;
pub(crate) mod grid;
pub(crate) mod halo;
pub(crate) mod io;
pub(crate) mod ops;
pub(crate) mod plan;
pub(crate) mod redistribute;
pub(crate) mod state;
pub(crate) mod stencil;
