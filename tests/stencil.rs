//! Stencils over haloed DistArrays on 1, 2, 3, 4 and 8 ranks, with one and three threads per
//! rank: stars of radius 1 and 2 and a box stencil over every 2-D grid of the rank count and a
//! 3-D grid, restricted to interior ranges, blocking and overlapped with the halo exchange,
//! combining (`out += ...`), zipped with a third array (`out = b - A·x`), a closure over the
//! neighbourhood, and a reach past the ghosts or a base of another layout as the same `Err`
//! on every rank. Every value is checked against a serial computation written
//! here on the whole array.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

#[path = "common/arrays.rs"]
mod arrays;
mod common;

use std::ops::Range;

use mpikit::distarray::{Boundary, Halo, Stencil};
use mpikit::ndarray::{ArrayD, Dimension, Ix2, Ix3, IxDyn};
use mpikit::runtime::THREADS_ENV;
use mpikit::{DistArray, Error, Grid, World};

fn main() {
    common::spmd_main(
        "stencil",
        common::RANKS,
        &[&[], &[(THREADS_ENV, "3")]],
        rank_checks,
    );
}

fn rank_checks() {
    mpikit::run(|world| {
        let size = world.size() as usize;
        let shape = [37usize, 29];
        let mut grids: Vec<Grid> = (1..=size)
            .filter(|d| size % d == 0)
            .map(|d| Grid::with_dims(&shape, &[d, size / d]).unwrap())
            .collect();
        grids.push(Grid::with_dims(&[300, 200], &[size, 1])?); // enough rows for the threads
        for grid in grids {
            stars_and_boxes(world, grid)?;
        }
        three_axes(world)?;
        refusals(world)?;
        common::report_ok("stencil", world.comm());
        Ok::<(), Error>(())
    });
}

/// The input: integer-valued, so sums of a few weighted terms are exact in f64.
fn input(i: &[usize]) -> f64 {
    i.iter()
        .enumerate()
        .fold(0.0, |acc, (a, &x)| acc + ((x * (a + 3) * 7) % 23) as f64)
}

/// The stencil at every point of `within` on the whole array (`fill` elsewhere).
fn serial(
    shape: &[usize],
    stencil: &Stencil<f64>,
    within: &[Range<usize>],
    fill: f64,
) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |i| {
        let i = i.slice();
        if !i.iter().zip(within).all(|(x, r)| r.contains(x)) {
            return fill;
        }
        stencil.points().iter().fold(0.0, |acc, (off, w)| {
            let at: Vec<usize> = i
                .iter()
                .zip(off)
                .map(|(&x, &o)| (x as isize + o) as usize)
                .collect();
            acc + w * input(&at)
        })
    })
}

fn stars_and_boxes(world: &World, grid: Grid) -> Result<(), Error> {
    let shape = grid.shape().to_vec();
    let (n, m) = (shape[0], shape[1]);
    let box9 = Stencil::new(
        (-1..=1)
            .flat_map(|i| (-1..=1).map(move |j| (vec![i, j], (3 * i + j + 5) as f64)))
            .collect(),
    );
    let stencils = [
        Stencil::star(2, 1, -4.0, |_, _| 1.0),
        Stencil::star(2, 2, 0.0, |axis, k| (k * (axis as isize + 1)) as f64),
        box9,
    ];
    for stencil in &stencils {
        let r = stencil.reach();
        let mut a = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), input)?;
        let corners = stencil
            .points()
            .iter()
            .any(|(o, _)| o.iter().filter(|&&x| x != 0).count() > 1);
        if a.set_halo(Halo::new(2, r).corners(corners)).is_err() {
            continue; // blocks thinner than the reach on this rank count
        }
        let within = [r..n - r, r..m - r];
        let want = serial(&shape, stencil, &within, 0.0);
        // Blocking: exchange, then compute.
        a.exchange_halos()?;
        let mut out = DistArray::<f64, Ix2>::zeros(world, grid.clone())?;
        a.stencil_into(stencil, &mut out, &within)?;
        arrays::check_block(&out, &want, "stencil_into");
        // Overlapped, accumulating: out = want + want.
        a.begin_halos()?;
        a.stencil_into_with(stencil, &mut out, &within, |o, s| o + s)?;
        arrays::check_block(
            &out,
            &want.mapv(|x| 2.0 * x),
            "stencil_into_with, overlapped",
        );
        // A closure over the neighbourhood: the same weighted sum, into an array with ghosts.
        let points = stencil.points().to_vec();
        let mut into = DistArray::<f64, Ix2>::from_elem(world, grid.clone(), 7.0)?;
        into.set_halo(Halo::new(2, 1).boundary(0, Boundary::Constant(-1.0)))?;
        a.begin_halos()?;
        a.stencil_map_into(r, &mut into, &within, |nb| {
            points.iter().fold(0.0, |acc, (o, w)| acc + w * nb.at(o))
        })?;
        arrays::check_block(
            &into,
            &serial(&shape, stencil, &within, 7.0),
            "stencil_map_into",
        );
        // A narrower range: only those points change.
        let narrow = [n / 3..n / 2 + 1, r..m / 2];
        let mut part = DistArray::<f64, Ix2>::from_elem(world, grid.clone(), 1.5)?;
        a.stencil_into(stencil, &mut part, &narrow)?;
        arrays::check_block(
            &part,
            &serial(&shape, stencil, &narrow, 1.5),
            "a narrower range",
        );
    }
    Ok(())
}

/// A 7-point star in 3-D over a balanced 3-D grid.
fn three_axes(world: &World) -> Result<(), Error> {
    let shape = [12usize, 10, 9];
    let grid = Grid::balanced(&shape, world.size() as usize, &[0, 1, 2])?;
    let stencil = Stencil::star(3, 1, 6.0, |axis, k| -(axis as f64 + 1.0) * k as f64);
    let mut a = DistArray::<f64, Ix3>::from_fn(world, grid.clone(), input)?;
    a.set_halo(Halo::new(3, 1))?;
    let within = [1..11, 1..9, 1..8];
    let mut out = DistArray::<f64, Ix3>::zeros(world, grid.clone())?;
    a.begin_halos()?;
    a.stencil_into(&stencil, &mut out, &within)?;
    arrays::check_block(&out, &serial(&shape, &stencil, &within, 0.0), "3-D star");
    // Stencils in the 3 x 3 x 3 box weighted by distance class (the row-sum fast path):
    // multigrid's operator (no faces), a 7-point star with equal arms, and all 27 points,
    // periodic ghosts, blocking and accumulating over the whole array and over a narrow box.
    let mut p = DistArray::<f64, Ix3>::from_fn(world, grid.clone(), input)?;
    let mut periodic = Halo::new(3, 1).corners(true);
    for axis in 0..3 {
        periodic = periodic.boundary(axis, Boundary::Periodic);
    }
    p.set_halo(periodic.clone())?;
    p.exchange_halos()?;
    let whole: Vec<f64> = (0..shape.iter().product::<usize>())
        .map(|k| input(&[k / 90, (k / 9) % 10, k % 9]))
        .collect();
    for weights in [
        [-2.0, 0.0, 0.5, 0.25],
        [6.0, -1.0, 0.0, 0.0],
        [1.0, 2.0, 3.0, 4.0],
    ] {
        let mut points = Vec::new();
        for d in 0..27 {
            let o = [d / 9, (d / 3) % 3, d % 3].map(|x| x as isize - 1);
            let class = o.iter().filter(|&&x| x != 0).count();
            if weights[class] != 0.0 {
                points.push((o.to_vec(), weights[class]));
            }
        }
        let stencil = Stencil::new(points.clone());
        // The whole array with periodic neighbours, computed here.
        let want = ArrayD::from_shape_fn(IxDyn(&shape), |i| {
            points.iter().fold(0.0, |acc, (o, w)| {
                let at: Vec<usize> = (0..3)
                    .map(|a| (i[a] as isize + o[a]).rem_euclid(shape[a] as isize) as usize)
                    .collect();
                acc + w * whole[at[0] * 90 + at[1] * 9 + at[2]]
            })
        });
        let mut out = DistArray::<f64, Ix3>::from_elem(world, grid.clone(), 1.0)?;
        p.stencil_into_with(&stencil, &mut out, &[0..12, 0..10, 0..9], |o, s| o + s)?;
        arrays::check_block(&out, &want.mapv(|x| x + 1.0), "3-D by distance, periodic");
        let narrow = [2..7, 0..4, 5..9];
        let mut part = DistArray::<f64, Ix3>::zeros(world, grid.clone())?;
        p.stencil_into(&stencil, &mut part, &narrow)?;
        let want_part = ArrayD::from_shape_fn(IxDyn(&shape), |i| {
            let inside = (0..3).all(|a| narrow[a].contains(&i[a]));
            if inside {
                want[&i]
            } else {
                0.0
            }
        });
        arrays::check_block(&part, &want_part, "3-D by distance, a narrow box");
        // r = b - A·p over the narrow box in one pass, b a third array of p's layout.
        let base_at = |i: &[usize]| 0.5 * input(i) - 3.0;
        let mut b = DistArray::<f64, Ix3>::from_fn(world, grid.clone(), base_at)?;
        b.set_halo(periodic.clone())?;
        let mut r = DistArray::<f64, Ix3>::zeros(world, grid.clone())?;
        p.stencil_zip_into_with(&stencil, &b, &mut r, &narrow, |b, ap| b - ap)?;
        let want_r = ArrayD::from_shape_fn(IxDyn(&shape), |i| {
            let inside = (0..3).all(|a| narrow[a].contains(&i[a]));
            if inside {
                base_at(i.slice()) - want[&i]
            } else {
                0.0
            }
        });
        arrays::check_block(&r, &want_r, "3-D by distance, zipped with a base");
    }
    // The general path zipped: the star on `a`, whose base needs a's ghost widths.
    let mut b = DistArray::<f64, Ix3>::from_fn(world, grid.clone(), |i| input(i) * 2.0)?;
    let mut r = DistArray::<f64, Ix3>::zeros(world, grid.clone())?;
    let e = a.stencil_zip_into_with(&stencil, &b, &mut r, &within, |b, s| b + s);
    assert!(
        matches!(e, Err(Error::Shape(_))),
        "a base without ghosts: {e:?}"
    );
    b.set_halo(Halo::new(3, 1))?;
    a.stencil_zip_into_with(&stencil, &b, &mut r, &within, |b, s| b + s)?;
    let star = serial(&shape, &stencil, &within, 0.0);
    let want = ArrayD::from_shape_fn(IxDyn(&shape), |i| {
        let inside = (0..3).all(|k| within[k].contains(&i[k]));
        if inside {
            2.0 * input(i.slice()) + star[&i]
        } else {
            0.0
        }
    });
    arrays::check_block(&r, &want, "3-D star zipped with a base");
    Ok(())
}

/// A reach past the ghost cells, a range off the array, another layout: `Err` everywhere.
fn refusals(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let grid = Grid::with_dims(&[16, 16], &[size, 1])?;
    let mut a = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), input)?;
    let mut out = DistArray::<f64, Ix2>::zeros(world, grid.clone())?;
    let star = Stencil::star(2, 2, 0.0, |_, _| 1.0);
    let e = a
        .stencil_into(&star, &mut out, &[2..14, 1..14])
        .unwrap_err();
    assert!(e.to_string().contains("needs ghost cells"), "{e}");
    let e = a
        .stencil_into(&star, &mut out, &[0..17, 2..14])
        .unwrap_err();
    assert!(e.to_string().contains("range"), "{e}");
    let mut other = DistArray::<f64, Ix2>::zeros(world, Grid::with_dims(&[16, 16], &[1, size])?)?;
    if size > 1 {
        assert!(a.stencil_into(&star, &mut other, &[2..14, 2..14]).is_err());
    }
    Ok(())
}
