//! DistArray one-sided access (Global Arrays' get / put / accumulate of any box from any
//! rank) on 1, 2, 3, 4 and 8 ranks (both MPIs), with MPI's message sizes and with 64-byte
//! pieces: every 2-D grid a rank count allows (uneven and empty blocks), a 3-D array,
//! blocks with halo ghosts, element fetch-and-add, the local block between syncs, and boxes
//! outside the array refused. Every value is checked against the formula the array was built from.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

#[path = "common/arrays.rs"]
mod arrays;
mod common;

use mpikit::distarray::Halo;
use mpikit::ndarray::{Array, Ix2, Ix3};
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, ReduceOp, World};

fn main() {
    common::spmd_main_everywhere("one_sided", rank_checks);
}

fn rank_checks() {
    common::run_checks("one_sided", &[every_grid_2d, three_axes]);
}

/// [`boxes_2d`] on every 2-D grid of the rank count, without and with halo ghosts.
fn every_grid_2d(world: &World) -> Result<(), Error> {
    for grid in arrays::grids_2d(&[13, 7], world.size() as usize) {
        boxes_2d(world, grid.clone(), None)?;
        boxes_2d(world, grid, Some(2))?;
    }
    Ok(())
}

fn value(i: usize, j: usize) -> f64 {
    (100 * i + j) as f64
}

/// A box per rank, different on each, wrapping no edge: `(start, shape)`.
fn box_of(rank: usize, n: [usize; 2]) -> ([usize; 2], [usize; 2]) {
    let start = [(3 * rank) % n[0], (2 * rank) % n[1]];
    let shape = [(n[0] - start[0]).min(4), (n[1] - start[1]).min(5)];
    (start, shape)
}

fn boxes_2d(world: &World, grid: Grid, halo: Option<usize>) -> Result<(), Error> {
    let (me, size) = (world.rank() as usize, world.size() as usize);
    let n = [13usize, 7];
    let mut a = DistArray::<f64, Ix2>::from_fn(world, grid, |g| value(g[0], g[1]))?;
    if let Some(width) = halo {
        if a.set_halo(Halo::new(2, width)).is_err() {
            return Ok(()); // blocks thinner than the halo: refused, as tests/distarray.rs checks
        }
    }
    let mut access = a.one_sided()?;
    // Reads of any box, across owners.
    let (start, shape) = box_of(me, n);
    let got = access.get(&start, &shape)?;
    let want = Array::from_shape_fn(shape, |(i, j)| value(start[0] + i, start[1] + j));
    assert_eq!(got, want, "get of {start:?} + {shape:?}");
    assert_eq!(access.get(&[0, 0], &[0, 7])?.len(), 0);
    // Every rank has read before any writes; then every rank adds (rank + 1) to the whole
    // array: each element grows by size(size+1)/2.
    access.sync()?;
    let ones = Array::from_elem(n, f64::from(me as u32 + 1));
    access.accumulate(&[0, 0], &ones.view(), ReduceOp::Sum)?;
    access.sync()?;
    let added = (size * (size + 1) / 2) as f64;
    let whole = access.get(&[0, 0], &n)?;
    let want = Array::from_shape_fn(n, |(i, j)| value(i, j) + added);
    assert_eq!(whole, want, "after the accumulates");
    // Every rank has read before any writes again; then puts into disjoint rows: rank r
    // writes row r (when there is one).
    access.sync()?;
    if me < n[0] {
        let row = Array::from_shape_fn((1, n[1]), |(_, j)| -((me * 10 + j) as f64));
        access.put(&[me, 0], &row.view())?;
    }
    access.sync()?;
    let whole = access.get(&[0, 0], &n)?;
    for i in 0..n[0] {
        for j in 0..n[1] {
            let want = if i < size {
                -((i * 10 + j) as f64)
            } else {
                value(i, j) + added
            };
            assert_eq!(whole[[i, j]], want, "element ({i}, {j}) after the puts");
        }
    }
    // The local block between syncs, seen by every rank after the next.
    access.sync()?;
    access.local_mut().fill(f64::from(me as u32));
    access.sync()?;
    let whole = access.get(&[0, 0], &n)?;
    drop(access);
    let owners: Vec<f64> = (0..n[0] * n[1])
        .map(|k| a.grid().owner(&[k / n[1], k % n[1]]).expect("inside").0 as f64)
        .collect();
    assert_eq!(whole.iter().copied().collect::<Vec<_>>(), owners);
    // Boxes outside the array: an Err on the calling rank.
    let access = a.one_sided()?;
    assert!(access.get(&[12, 0], &[2, 1]).is_err());
    assert!(access.get(&[0, 0], &[1]).is_err());
    Ok(())
}

fn three_axes(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let n = [5usize, 6, 4];
    let grid = Grid::balanced(&n, size, &[0, 1, 2])?;
    let f = |g: &[usize]| (g[0] * 100 + g[1] * 10 + g[2]) as i64;
    let mut a = DistArray::<i64, Ix3>::from_fn(world, grid, f)?;
    let mut access = a.one_sided()?;
    let got = access.get(&[1, 2, 1], &[3, 4, 2])?;
    assert_eq!(
        got,
        Array::from_shape_fn((3, 4, 2), |(i, j, k)| f(&[1 + i, 2 + j, 1 + k]))
    );
    // Tickets: every rank fetch-adds one to the same element; the old values are 0..size.
    let ticket = access.fetch_and_op(&[4, 5, 3], 1, ReduceOp::Sum)? - f(&[4, 5, 3]);
    let mut tickets = world.allgather_objects(&ticket)?;
    tickets.sort_unstable();
    assert_eq!(tickets, (0..size as i64).collect::<Vec<_>>());
    assert!(access.fetch_and_op(&[5, 0, 0], 1, ReduceOp::Sum).is_err());
    // A batch of scattered updates with one point outside the array: an Err, and none of
    // the batch applied (every point is checked before the first MPI call).
    let before = access.get(&[0, 0, 0], &[1, 1, 1])?;
    let total: usize = n.iter().product();
    let bad = access.accumulate_points(&[0, total], &[5, 5], ReduceOp::Sum);
    assert!(bad.is_err(), "{bad:?}");
    access.sync()?;
    assert_eq!(access.get(&[0, 0, 0], &[1, 1, 1])?, before);
    Ok(())
}
