//! DistArray on 1, 2, 3, 4 and 8 ranks, with MPI's message sizes and with 64-byte pieces:
//! 1-D, 2-D and 3-D shapes over grids of every factorisation, uneven and empty blocks;
//! constructors, element-wise work, reductions (all elements and along each axis), gathers,
//! redistribution between every pair of 2-D grids, halos (widths 1 and 2, corners on and off,
//! every boundary, blocking and split), `.npy` round trips in C and Fortran order, filters,
//! and bad input as the same `Err` on every rank. Every value is checked against the global
//! array computed here from its formula.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

#[path = "common/arrays.rs"]
mod arrays;
mod common;

use mpikit::distarray::{Boundary, Halo};
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Array, ArrayD, Dimension, Ix1, Ix2, Ix3, IxDyn};
use mpikit::prelude::*;
use mpikit::stats::{NanPolicy, QuantileMethod};
use mpikit::{DistArray, Error, Grid, World};

fn main() {
    common::spmd_main_everywhere("distarray", rank_checks);
}

fn rank_checks() {
    mpikit::run(|world| {
        let size = world.size() as usize;
        for shape in [vec![0usize, 3], vec![5, 3], vec![13, 7]] {
            for grid in arrays::grids_2d(&shape, size) {
                basics_2d(world, grid)?;
            }
        }
        one_and_three_axes(world)?;
        redistribution(world)?;
        halos(world)?;
        files(world)?;
        refusals(world)?;
        common::report_ok("distarray", world.comm());
        Ok::<(), Error>(())
    });
}

/// The value at a global index: distinct, exact in f64.
fn f(i: &[usize]) -> f64 {
    i.iter().fold(0.0, |acc, &x| acc * 100.0 + x as f64 + 1.0)
}

/// The global array, computed serially.
fn serial(shape: &[usize]) -> ArrayD<f64> {
    Array::from_shape_fn(IxDyn(shape), |i| f(i.slice()))
}

/// The block of every rank against the serial array.
fn check_blocks<D: mpikit::ndarray::Dimension>(a: &DistArray<f64, D>, what: &str) {
    arrays::check_block(a, &serial(a.shape()), what);
}

/// `arange`'s block against numpy's `arange(n).reshape(shape)`, counted serially.
fn check_arange<D: mpikit::ndarray::Dimension>(a: &DistArray<f64, D>) {
    let n: usize = a.shape().iter().product();
    let whole =
        Array::from_shape_vec(IxDyn(a.shape()), (0..n).map(|i| i as f64).collect()).unwrap();
    let mut want = whole.view();
    for (axis, (&o, &len)) in a.offset().iter().zip(a.local().shape()).enumerate() {
        want.slice_axis_inplace(mpikit::ndarray::Axis(axis), (o..o + len).into());
    }
    assert_eq!(
        a.local().into_dyn(),
        want,
        "arange: block at {:?}",
        a.offset()
    );
}

fn basics_2d(world: &World, grid: Grid) -> Result<(), Error> {
    let shape = grid.shape().to_vec();
    let whole = serial(&shape);
    let a = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), f)?;
    check_blocks(&a, "from_fn");
    check_arange(&DistArray::<f64, Ix2>::arange(world, grid.clone())?);
    // Index maps.
    if let Some(first) = a.local().indexed_iter().next().map(|(i, _)| [i.0, i.1]) {
        let g = a.global_index(&first);
        assert_eq!(a.local_index(&g), Some(first.to_vec()));
    }
    // Gathers from every root, and allgather.
    for root in 0..world.size() {
        match a.gather(root)? {
            Some(g) => {
                assert_eq!(world.rank(), root);
                assert_eq!(g.into_dyn(), whole);
            }
            None => assert_ne!(world.rank(), root),
        }
    }
    assert_eq!(a.allgather()?.into_dyn(), whole);
    // Element-wise work.
    let b = a.map(|x| 2.0 * x + 1.0);
    let c = a.zip_with(&b, |x, y| y - x)?;
    assert_eq!(c.allgather()?.into_dyn(), whole.mapv(|x| x + 1.0));
    let mut d = a.map(|x| x);
    d.map_inplace(|x| -x);
    assert_eq!(d.allgather()?.into_dyn(), whole.mapv(|x| -x));
    // Order statistics against a sorted copy of the serial array.
    let mut sorted: Vec<f64> = whole.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    if !sorted.is_empty() {
        let m = sorted.len();
        let mid = if m % 2 == 1 {
            sorted[m / 2]
        } else {
            (sorted[m / 2 - 1] + sorted[m / 2]) / 2.0
        };
        assert_eq!(a.median(NanPolicy::Propagate)?, mid);
        let q = a.quantiles(
            &[0.0, 1.0, 0.5],
            QuantileMethod::Lower,
            NanPolicy::Propagate,
        )?;
        let lower_half = sorted[((m - 1) as f64 * 0.5).floor() as usize];
        assert_eq!(q, vec![sorted[0], sorted[m - 1], lower_half]);
    }
    // Reductions against the serial array (integer values: exact sums).
    let n = whole.len() as f64;
    assert_eq!(a.sum()?, whole.sum());
    assert_eq!(a.sum_exact()?, whole.sum());
    assert_eq!(a.sumsq()?, whole.mapv(|x| x * x).sum());
    assert_eq!(a.dot(&b)?, (&whole * &whole.mapv(|x| 2.0 * x + 1.0)).sum());
    let (lo, hi) = whole
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    assert_eq!((a.min()?, a.max()?), (lo, hi));
    assert_eq!(a.norm_l2()?, whole.mapv(|x| x * x).sum().sqrt());
    let biggest = whole.iter().fold(0.0f64, |m, &x| m.max(x.abs()));
    assert_eq!(a.norm_inf()?, biggest);
    assert_eq!(d.norm_inf()?, biggest, "negated");
    let l1 = whole.iter().map(|x| x.abs()).sum::<f64>();
    assert_eq!(
        (a.norm_l1()?, d.norm_l1()?),
        (l1, l1),
        "norm_l1 (integers: exact)"
    );
    if whole.is_empty() {
        assert!(a.mean()?.is_nan());
        assert_eq!(a.argmax()?, None);
    } else {
        let mean = whole.sum() / n;
        assert_eq!(a.mean()?, mean);
        let var = whole.mapv(|x| (x - mean) * (x - mean)).sum() / n;
        assert!((a.var()? - var).abs() <= 1e-9 * var.max(1.0), "var");
        assert!(
            (a.std()? - var.sqrt()).abs() <= 1e-9 * var.sqrt().max(1.0),
            "std"
        );
        let last: Vec<usize> = shape.iter().map(|&n| n - 1).collect();
        assert_eq!(a.argmax()?, Some((f(&last), last)));
        assert_eq!(a.argmin()?, Some((f(&[0, 0]), vec![0, 0])));
    }
    for axis in 0..2 {
        let ax = mpikit::ndarray::Axis(axis);
        assert_eq!(
            a.sum_axis(axis)?.into_dyn(),
            whole.sum_axis(ax),
            "sum along {axis}"
        );
        let mx = whole.fold_axis(ax, f64::NEG_INFINITY, |&m, &x| m.max(x));
        assert_eq!(a.max_axis(axis)?.into_dyn(), mx, "max along {axis}");
    }
    let h = a.histogram(4, Some((0.0, 2000.0)), NanPolicy::Propagate)?;
    let mut counts = [0u64; 4];
    for &x in whole.iter().filter(|&&x| x <= 2000.0) {
        counts[((x / 500.0) as usize).min(3)] += 1;
    }
    assert_eq!(h.counts(), &counts);
    // Scatter from the last rank, and blocks given by each rank.
    let root = world.size() - 1;
    let given = whole.clone().into_dimensionality::<Ix2>().unwrap();
    let s = DistArray::scatter(
        world,
        grid.clone(),
        root,
        (world.rank() == root).then_some(&given),
    )?;
    check_blocks(&s, "scatter");
    let mine = a.local().to_owned();
    check_blocks(&DistArray::from_local(world, grid, mine)?, "from_local");
    Ok(())
}

fn one_and_three_axes(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    for n in [0usize, 5, 1000] {
        let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[n], size))?;
        check_arange(&a);
        assert_eq!(a.sum()?, (n * n.saturating_sub(1) / 2) as f64);
        // A filter leaves uneven blocks; rebalance evens them out, content unchanged.
        let odd = a.filter(|x| x as usize % 3 == 1)?;
        let want: Vec<f64> = (0..n).filter(|i| i % 3 == 1).map(|i| i as f64).collect();
        assert_eq!(odd.allgather()?.to_vec(), want);
        let even = odd.rebalance()?;
        assert_eq!(even.grid(), &Grid::rows(&[want.len()], size));
        assert_eq!(even.allgather()?.to_vec(), want);
        // Random values by index: the same for any rank count.
        let r = DistArray::<f64, Ix1>::random(world, Grid::rows(&[n], size), 7)?;
        let rng = mpikit::data::Random::new(7);
        let local = r.local();
        for (i, &x) in local.iter().enumerate() {
            assert_eq!(x, rng.uniform((r.offset()[0] + i) as u64));
        }
    }
    let shape = [6usize, 5, 4];
    let grid = Grid::balanced(&shape, size, &[0, 1, 2])?;
    assert_eq!(grid.ranks(), size);
    check_arange(&DistArray::<f64, Ix3>::arange(world, grid.clone())?);
    let a = DistArray::<f64, Ix3>::from_fn(world, grid, f)?;
    check_blocks(&a, "3-D");
    let whole = serial(&shape);
    for axis in 0..3 {
        assert_eq!(
            a.sum_axis(axis)?.into_dyn(),
            whole.sum_axis(mpikit::ndarray::Axis(axis))
        );
    }
    assert_eq!(a.allgather()?.into_dyn(), whole);
    Ok(())
}

/// Every pair of grids of a 2-D shape (balanced factorisations and the all-on-one-rank
/// layout): content checked element by element.
fn redistribution(world: &World) -> Result<(), Error> {
    let shape = [11usize, 6];
    let grids = arrays::grids_2d(&shape, world.size() as usize);
    for from in &grids {
        let a = DistArray::<f64, Ix2>::from_fn(world, from.clone(), f)?;
        for to in &grids {
            let b = a.redistribute(to.clone())?;
            assert_eq!(b.grid(), to);
            check_blocks(&b, "redistribute");
        }
    }
    Ok(())
}

/// What a padded cell at global index `g` (which may lie outside the array) must hold after
/// an exchange: the axis that is out of range last decides (axes are filled in order).
fn expected(g: &[isize], shape: &[usize], bounds: &[Boundary<f64>]) -> f64 {
    let last = (0..g.len())
        .rev()
        .find(|&a| g[a] < 0 || g[a] >= shape[a] as isize);
    let Some(a) = last else {
        let i: Vec<usize> = g.iter().map(|&x| x as usize).collect();
        return f(&i);
    };
    let n = shape[a] as isize;
    let mut h = g.to_vec();
    match bounds[a] {
        Boundary::None => return 0.0,
        Boundary::Constant(c) => return c,
        Boundary::Periodic => h[a] = g[a].rem_euclid(n),
        Boundary::Reflect => h[a] = if g[a] < 0 { -g[a] } else { 2 * (n - 1) - g[a] },
    }
    expected(&h, shape, bounds)
}

fn halos(world: &World) -> Result<(), Error> {
    let shape = [24usize, 24];
    let kinds = [
        Boundary::None,
        Boundary::Periodic,
        Boundary::Constant(-5.0),
        Boundary::Reflect,
    ];
    for grid in arrays::grids_2d(&shape, world.size() as usize) {
        let irregular = grid.counts(0).contains(&0);
        for width in [1usize, 2] {
            for corners in [false, true] {
                for (k, (&b0, &b1)) in kinds
                    .iter()
                    .zip(kinds.iter().cycle().skip(1 + width))
                    .enumerate()
                {
                    let mut a = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), f)?;
                    let halo = Halo::new(2, width)
                        .boundary(0, b0)
                        .boundary(1, b1)
                        .corners(corners);
                    let set = a.set_halo(halo);
                    if irregular {
                        // Empty blocks cannot pass ghosts on: the same Err everywhere.
                        assert!(set.is_err());
                        continue;
                    }
                    set?;
                    if k % 2 == 0 {
                        a.exchange_halos()?;
                    } else {
                        a.begin_halos()?;
                        // While halos travel, an interior point's whole stencil (the cross
                        // of `width` cells) already holds its final values.
                        let inner = a.interior(width);
                        let (padded, off) = (a.padded(), a.offset().to_vec());
                        for i in inner[0].clone() {
                            for j in inner[1].clone() {
                                for axis in 0..2 {
                                    for d in -(width as isize)..=width as isize {
                                        let mut p = [(i + width) as isize, (j + width) as isize];
                                        p[axis] += d;
                                        let g = [
                                            off[0] as isize + p[0] - width as isize,
                                            off[1] as isize + p[1] - width as isize,
                                        ];
                                        let x = padded[[p[0] as usize, p[1] as usize]];
                                        assert_eq!(
                                            x,
                                            expected(&g, &shape, &[b0, b1]),
                                            "in flight: cell {g:?} width {width} {b0:?} {b1:?}"
                                        );
                                    }
                                }
                            }
                        }
                        // Interior work while halos travel: the block may change.
                        let mut local = a.local_mut();
                        for i in inner[0].clone() {
                            for j in inner[1].clone() {
                                local[[i, j]] += 0.0;
                            }
                        }
                        a.finish_halos()?;
                    }
                    let padded = a.padded();
                    let off = a.offset().to_vec();
                    for ((i, j), &x) in padded.indexed_iter() {
                        let g = [
                            (off[0] + i) as isize - width as isize,
                            (off[1] + j) as isize - width as isize,
                        ];
                        let local = a.local().shape().to_vec();
                        let outside = [i, j]
                            .iter()
                            .zip(&local)
                            .filter(|&(&p, &n)| p < width || p >= width + n)
                            .count();
                        if outside > 1 && !corners {
                            continue; // corners are not exchanged
                        }
                        let want = expected(&g, &shape, &[b0, b1]);
                        assert_eq!(
                            x, want,
                            "cell {g:?} width {width} corners {corners} {b0:?} {b1:?}"
                        );
                    }
                    // Interior and rim cover the block exactly once.
                    let mut seen = Array::<u8, Ix2>::zeros(a.local().dim());
                    let inner = a.interior(width);
                    let mut boxes = a.rim(width);
                    boxes.push(inner);
                    for b in boxes {
                        for i in b[0].clone() {
                            for j in b[1].clone() {
                                seen[[i, j]] += 1;
                            }
                        }
                    }
                    assert!(seen.iter().all(|&s| s == 1));
                }
            }
        }
    }
    Ok(())
}

fn files(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let pid = world.broadcast_object(0, (world.rank() == 0).then_some(&std::process::id()))?;
    let dir = std::env::temp_dir().join(format!("mpikit-distarray-{pid}"));
    if world.rank() == 0 {
        std::fs::create_dir_all(&dir).unwrap();
    }
    world.barrier();
    let shape = [9usize, 7];
    let path = dir.join("a.npy");
    for grid in arrays::grids_2d(&shape, size) {
        let a = DistArray::<f64, Ix2>::from_fn(world, grid.clone(), f)?;
        a.write_npy(&path)?;
        for back in arrays::grids_2d(&shape, size) {
            let b = DistArray::<f64, Ix2>::read_npy(world, &path, |_| Ok(back.clone()))?;
            check_blocks(&b, "npy round trip");
        }
    }
    // A Fortran-ordered file, written here.
    let fpath = dir.join("f.npy");
    if world.rank() == 0 {
        let dict = format!(
            "{{'descr': '<f8', 'fortran_order': True, 'shape': ({}, {}), }}",
            shape[0], shape[1]
        );
        let mut header = dict.into_bytes();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&header);
        for j in 0..shape[1] {
            for i in 0..shape[0] {
                bytes.extend_from_slice(&f(&[i, j]).to_le_bytes());
            }
        }
        std::fs::write(&fpath, bytes).unwrap();
    }
    world.barrier();
    for grid in arrays::grids_2d(&shape, size) {
        let b = DistArray::<f64, Ix2>::read_npy(world, &fpath, |_| Ok(grid.clone()))?;
        check_blocks(&b, "Fortran order");
    }
    // Other element types round-trip too.
    let ints =
        DistArray::<i32, Ix1>::from_fn(world, Grid::rows(&[50], size), |i| i[0] as i32 - 20)?;
    let ipath = dir.join("i.npy");
    ints.write_npy(&ipath)?;
    let back = DistArray::<i32, Ix1>::read_npy(world, &ipath, |s| Ok(Grid::rows(s, size)))?;
    assert_eq!(
        back.allgather()?.to_vec(),
        (0..50).map(|i| i - 20).collect::<Vec<i32>>()
    );
    // Bad files: the same Err on every rank.
    let wrong_type = DistArray::<f32, Ix1>::read_npy(world, &ipath, |s| Ok(Grid::rows(s, size)));
    assert!(
        matches!(&wrong_type, Err(e) if e.to_string().contains("dtype")),
        "{:?}",
        wrong_type.err()
    );
    if world.rank() == 0 {
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(dir.join("short.npy"), &bytes[..bytes.len() - 8]).unwrap();
    }
    world.barrier();
    let short =
        DistArray::<f64, Ix2>::read_npy(world, &dir.join("short.npy"), |s| Ok(Grid::rows(s, size)));
    assert!(matches!(&short, Err(e) if e.to_string().contains("truncated")));
    let missing =
        DistArray::<f64, Ix2>::read_npy(world, &dir.join("none.npy"), |s| Ok(Grid::rows(s, size)));
    assert!(missing.is_err());
    let bad_dir = DistArray::<f64, Ix1>::zeros(world, Grid::rows(&[4], size))?
        .write_npy(&dir.join("no/such/dir.npy"));
    assert!(bad_dir.is_err());
    world.barrier();
    if world.rank() == 0 {
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            left.iter().all(|n| !n.to_string_lossy().contains(".tmp-")),
            "{left:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
    Ok(())
}

/// Bad input: the same Err on every rank, and the next collective still works.
fn refusals(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    // A grid for another number of ranks.
    let too_many = DistArray::<f64, Ix1>::zeros(world, Grid::rows(&[10], size + 1));
    assert!(too_many.is_err());
    // Ranks that disagree on the shape.
    let n = if world.rank() == 0 { 10 } else { 11 };
    let disagree = DistArray::<f64, Ix1>::zeros(world, Grid::rows(&[n], size));
    assert_eq!(disagree.is_err(), size > 1);
    // A block of the wrong shape on one rank.
    let grid = Grid::rows(&[8, 2], size);
    let mine = grid.block_shape(world.rank() as usize);
    let mut block = Array::<f64, Ix2>::zeros((mine[0], mine[1]));
    if world.rank() as usize == size - 1 {
        block = Array::zeros((1, 3));
    }
    assert!(DistArray::from_local(world, grid.clone(), block).is_err());
    // Arrays laid out differently.
    let a = DistArray::<f64, Ix2>::zeros(world, grid)?;
    let b = DistArray::<f64, Ix2>::zeros(
        world,
        Grid::with_dims(&[8, 2], &[1, size]).unwrap_or(Grid::rows(&[8, 2], size)),
    )?;
    assert_eq!(a.zip_with(&b, |x, y| x + y).is_err(), size > 1);
    // A halo wider than the blocks.
    let mut thin = DistArray::<f64, Ix1>::zeros(world, Grid::rows(&[size], size))?;
    assert_eq!(thin.set_halo(Halo::new(1, 2)).is_err(), size > 1);
    assert!(Grid::balanced(&[4, 4], size, &[2]).is_err());
    // An array larger than the machine (2^42 f64 = 35 TB): refused on every rank before any
    // block is allocated, saying so.
    let huge = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[1 << 21, 1 << 21], size));
    assert!(
        matches!(&huge, Err(e) if e.to_string().contains("cannot fit")),
        "{:?}",
        huge.err()
    );
    let all: Vec<usize> = world.allgather_objects(&world.rank_index())?;
    assert_eq!(all, (0..size).collect::<Vec<_>>());
    Ok(())
}
