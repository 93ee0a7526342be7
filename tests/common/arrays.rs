//! Helpers of the DistArray suites (tests/distarray.rs, redistribution.rs, stencil.rs): the
//! grids a rank count allows, and a rank's block checked against the whole array computed
//! serially in the test.
#![allow(dead_code)] // each suite uses some of them

use mpikit::ndarray::{ArrayD, Axis, Dimension};
use mpikit::{DistArray, Grid};

/// Every factorisation of `size` over two axes (balanced blocks), and the layout with every
/// row on the last rank (empty blocks elsewhere).
pub fn grids_2d(shape: &[usize], size: usize) -> Vec<Grid> {
    let mut grids: Vec<Grid> = (1..=size)
        .filter(|d| size % d == 0)
        .map(|d| Grid::with_dims(shape, &[d, size / d]).unwrap())
        .collect();
    let mut rows = vec![0; size];
    rows[size - 1] = shape[0];
    grids.push(Grid::with_counts(shape, vec![rows, vec![shape[1]]]).unwrap());
    grids
}

/// This rank's block of `a` equals its part of `whole`, bit for bit.
pub fn check_block<D: Dimension>(a: &DistArray<f64, D>, whole: &ArrayD<f64>, what: &str) {
    let local = a.local().into_dyn();
    let mut want = whole.view();
    for (axis, (&o, &n)) in a.offset().iter().zip(local.shape()).enumerate() {
        want.slice_axis_inplace(Axis(axis), (o..o + n).into());
    }
    let same = local.shape() == want.shape()
        && local
            .iter()
            .zip(want.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits());
    assert!(same, "{what}: block at {:?} differs", a.offset());
}
