//! Redistribution, transposes and permuted axes of DistArrays on 1, 2, 3, 4 and 8 ranks, with
//! MPI's message sizes, with 64-byte pieces, and with 3 threads per rank: every pair of 2-D
//! grids (every factorisation, irregular and empty blocks), 3-D grids with every axis order,
//! ghost cells on either side, `redistribute_into` repeated into the same array (the plan
//! kept) and combining (`_with`), row-to-row transposes (PRK's layout) at sizes that use the
//! threads, and derived arrays keeping their thread pool. Every element is checked bit for
//! bit against the global array computed here from its formula.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

#[path = "common/arrays.rs"]
mod arrays;
mod common;

use mpikit::distarray::{Boundary, Halo};
use mpikit::ndarray::{Array, ArrayD, Dimension, Ix2, Ix3, IxDyn};
use mpikit::runtime::{MAX_MESSAGE_ENV, THREADS_ENV};
use mpikit::{DistArray, Error, Grid, World};

fn main() {
    common::spmd_main(
        "redistribution",
        common::RANKS,
        &[&[], &[(MAX_MESSAGE_ENV, "64")], &[(THREADS_ENV, "3")]],
        rank_checks,
    );
}

fn rank_checks() {
    mpikit::run(|world| {
        // Another thread count than the default (which a second pool would take): the
        // derived-array check below tells them apart.
        if std::env::var(THREADS_ENV).is_err() {
            world.set_threads(if world.threads() == 1 { 2 } else { 1 })?;
        }
        every_pair_2d(world)?;
        into_the_same_array(world)?;
        three_axes(world)?;
        transposes(world)?;
        derived_arrays_keep_their_pool(world)?;
        refusals(world)?;
        common::report_ok("redistribution", world.comm());
        Ok::<(), Error>(())
    });
}

/// The value at a global index: distinct and exact in f64.
fn f(i: &[usize]) -> f64 {
    i.iter().fold(0.0, |acc, &x| acc * 1000.0 + x as f64 + 1.0)
}

/// The global array, computed serially.
fn serial(shape: &[usize]) -> ArrayD<f64> {
    Array::from_shape_fn(IxDyn(shape), |i| f(i.slice()))
}

use arrays::{check_block as check, grids_2d};

/// Every pair of 2-D grids, with and without ghost cells on the destination.
fn every_pair_2d(world: &World) -> Result<(), Error> {
    for shape in [[11usize, 6], [0, 4], [3, 37]] {
        let grids = grids_2d(&shape, world.size() as usize);
        let whole = serial(&shape);
        for from in &grids {
            let a = DistArray::<f64, Ix2>::from_fn(world, from.clone(), f)?;
            for to in &grids {
                let b = a.redistribute(to.clone())?;
                assert_eq!(b.grid(), to);
                check(&b, &whole, "redistribute");
                // Into an array with ghosts (widths 1 and 2, periodic): the block alone moves.
                let mut c = DistArray::<f64, Ix2>::from_elem(world, to.clone(), -1.0)?;
                if c.set_halo(
                    Halo::new(2, 1)
                        .width(1, 2, 0)
                        .boundary(0, Boundary::Periodic),
                )
                .is_ok()
                {
                    a.redistribute_into(&mut c)?;
                    check(&c, &whole, "redistribute_into a haloed array");
                }
            }
        }
    }
    Ok(())
}

/// The same destination again and again (the plan is reused), combining, and back.
fn into_the_same_array(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let shape = [300usize, 230];
    let whole = serial(&shape);
    let rows = Grid::with_dims(&shape, &[size, 1])?;
    let cols = Grid::with_dims(&shape, &[1, size])?;
    let a = DistArray::<f64, Ix2>::from_fn(world, rows.clone(), f)?;
    let mut b = DistArray::<f64, Ix2>::zeros(world, cols)?;
    for round in 0..3 {
        a.redistribute_into(&mut b)?;
        check(&b, &whole, &format!("rows to columns, round {round}"));
    }
    // b += a, three times: 1 + 3 = 4 times the array.
    for _ in 0..3 {
        a.redistribute_into_with(&mut b, |o, x| o + x)?;
    }
    check(&b, &whole.mapv(|x| 4.0 * x), "redistribute_into_with");
    // And back to rows, into an array with ghosts.
    let mut back = DistArray::<f64, Ix2>::zeros(world, rows)?;
    back.set_halo(Halo::new(2, 2))?;
    b.redistribute_into(&mut back)?;
    check(&back, &whole.mapv(|x| 4.0 * x), "columns to rows");
    // The same grid: a copy on each rank, and into_redistributed hands the array back.
    let grid = a.grid().clone();
    let same = a.into_redistributed(grid.clone())?;
    assert_eq!(same.grid(), &grid);
    check(&same, &whole, "into_redistributed");
    Ok(())
}

/// 3-D: every grid of the rank count over the three axes, and every axis order.
fn three_axes(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let shape = [7usize, 5, 9];
    let whole = serial(&shape);
    let grids = [
        Grid::balanced(&shape, size, &[0, 1, 2])?,
        Grid::balanced(&shape, size, &[1])?,
        Grid::balanced(&shape, size, &[2])?,
    ];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for from in &grids {
        let mut a = DistArray::<f64, Ix3>::from_fn(world, from.clone(), f)?;
        if a.set_halo(Halo::new(3, 1)).is_err() {
            continue;
        }
        for to in &grids {
            check(&a.redistribute(to.clone())?, &whole, "3-D redistribute");
        }
        for axes in orders {
            let want = whole.view().permuted_axes(axes.to_vec()).to_owned();
            let p = a.permuted_axes(&axes)?;
            check(&p, &want, &format!("permuted_axes {axes:?}"));
            let pshape: Vec<usize> = axes.iter().map(|&k| shape[k]).collect();
            let mut into =
                DistArray::<f64, Ix3>::zeros(world, Grid::balanced(&pshape, size, &[0])?)?;
            a.permute_axes_into(&axes, &mut into)?;
            check(&into, &want, &format!("permute_axes_into {axes:?}"));
        }
    }
    Ok(())
}

/// PRK's pattern: a row-distributed matrix transposed into a row-distributed matrix, added
/// (`b += aᵀ`), at sizes that go to the threads, and the message-free transpose.
fn transposes(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    for (n, m) in [(5usize, 8usize), (257, 190), (600, 600)] {
        let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[n, m], size), f)?;
        let want = serial(&[n, m]).reversed_axes();
        let t = a.transpose()?;
        assert_eq!(t.grid().dims(), &[1, size][..]);
        check(&t, &want, "transpose");
        let mut b = DistArray::<f64, Ix2>::from_elem(world, Grid::rows(&[m, n], size), 0.5)?;
        a.transpose_into_with(&mut b, |b, a| b + a)?;
        a.transpose_into_with(&mut b, |b, a| b + a)?;
        check(&b, &want.mapv(|x| 0.5 + 2.0 * x), "b += aᵀ twice");
        let mut c = DistArray::<f64, Ix2>::zeros(world, Grid::balanced(&[m, n], size, &[0, 1])?)?;
        a.transpose_into(&mut c)?;
        check(&c, &want, "transpose_into a 2-D grid");
    }
    Ok(())
}

/// Arrays made from an array keep its thread pool (they used to start a second pool of the
/// default size), whatever `set_threads` chose.
fn derived_arrays_keep_their_pool(world: &World) -> Result<(), Error> {
    let threads = world.threads();
    let size = world.size() as usize;
    let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[40, 4], size), f)?;
    assert_eq!(a.pool().current_num_threads(), threads);
    let derived = [
        a.redistribute(Grid::with_dims(&[40, 4], &[1, size])?)?,
        a.rebalance()?,
        a.transpose()?,
        a.map(|x| x + 1.0),
    ];
    for d in &derived {
        assert_eq!(
            d.pool().current_num_threads(),
            threads,
            "a derived array's pool"
        );
    }
    let flat = DistArray::<f64, mpikit::ndarray::Ix1>::arange(world, Grid::rows(&[50], size))?;
    let kept = flat.filter(|x| x > 10.0)?;
    assert_eq!(kept.pool().current_num_threads(), threads);
    Ok(())
}

/// Mismatched shapes and axes: the same `Err` on every rank, found without messages.
fn refusals(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[6, 4], size), f)?;
    let mut wrong = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[6, 5], size))?;
    let e = a.redistribute_into(&mut wrong).unwrap_err();
    assert!(e.to_string().contains("cannot receive shape"), "{e}");
    let e = a.transpose_into(&mut wrong).unwrap_err();
    assert!(e.to_string().contains("[4, 6]"), "{e}");
    let e = a.permuted_axes(&[0, 0]).err().expect("a repeated axis");
    assert!(e.to_string().contains("not an order"), "{e}");
    let e = a
        .redistribute(Grid::rows(&[7, 4], size))
        .err()
        .expect("another shape");
    assert!(e.to_string().contains("shape"), "{e}");
    Ok(())
}
