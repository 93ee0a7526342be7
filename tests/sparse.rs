//! Distributed sparse matrices on 1, 2, 3, 4 and 8 ranks, with MPI's message sizes, with
//! 64-byte pieces and with 3 threads per rank: matrices built from triplets that every rank
//! gives (duplicates across ranks included), square and not, with rows and columns split
//! evenly, unevenly and with empty blocks (and differently from each other); `A·x`, `Aᵀ·x`,
//! repeated products into the same vector, `nnz`, row sums, the diagonal and each rank's
//! triplets, for every element type the module claims, checked exactly against the dense
//! matrix summed here (the values are small integers, so every sum is exact in any order);
//! Matrix Market files written and read back, a symmetric file written here, and bad input
//! (an entry outside the shape, vectors split unlike the matrix, the diagonal of a
//! non-square matrix, malformed files) as the same `Err` on every rank.
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use std::fmt::Debug;
use std::path::PathBuf;

use mpikit::mpi::traits::*;
use mpikit::ndarray::Ix1;
use mpikit::num_complex::Complex;
use mpikit::prelude::*;
use mpikit::runtime::{MAX_MESSAGE_ENV, THREADS_ENV};
use mpikit::sparse::{SparseElement, SparseMatrix};
use mpikit::{DistArray, Error, Grid, World};

fn main() {
    common::spmd_main(
        "sparse",
        common::RANKS,
        &[&[], &[(MAX_MESSAGE_ENV, "64")], &[(THREADS_ENV, "3")]],
        rank_checks,
    );
}

fn rank_checks() {
    common::run_checks(
        "sparse",
        &[every_type, layouts_and_shapes, refusals, matrix_market],
    );
}

/// A mixing hash: the test's source of disorder.
fn mix(i: usize) -> u64 {
    let mut x = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A small integer from `k` (exact in every type).
fn small(k: usize) -> i32 {
    (mix(k) % 17) as i32 - 8
}

/// The test's element types, made from small integers.
trait Make: SparseElement + Debug {
    fn make(a: i32, b: i32) -> Self;
}
impl Make for f64 {
    fn make(a: i32, _: i32) -> f64 {
        a as f64
    }
}
impl Make for f32 {
    fn make(a: i32, _: i32) -> f32 {
        a as f32
    }
}
impl Make for i64 {
    fn make(a: i32, _: i32) -> i64 {
        a as i64
    }
}
impl Make for i32 {
    fn make(a: i32, _: i32) -> i32 {
        a
    }
}
impl Make for Complex<f64> {
    fn make(a: i32, b: i32) -> Complex<f64> {
        Complex::new(a as f64, b as f64)
    }
}
impl Make for Complex<f32> {
    fn make(a: i32, b: i32) -> Complex<f32> {
        Complex::new(a as f32, b as f32)
    }
}

/// The global list of `count` entries of an m x n matrix: every fifth entry repeats the
/// position of the one before (a duplicate to sum).
fn entries<T: Make>(m: usize, n: usize, count: usize) -> Vec<(usize, usize, T)> {
    let mut out: Vec<(usize, usize, T)> = Vec::with_capacity(count);
    for k in 0..count {
        let (i, j) = match out.last() {
            Some(&(i, j, _)) if k % 5 == 0 => (i, j),
            _ => (
                (mix(3 * k) % m as u64) as usize,
                (mix(3 * k + 1) % n as u64) as usize,
            ),
        };
        out.push((i, j, T::make(small(3 * k + 2), small(k))));
    }
    out
}

/// Grids of `n` over `p` ranks: even, uneven (rank r gets r + 1 parts), everything on the
/// last rank, and empty odd ranks.
fn layouts(n: usize, p: usize) -> Vec<Grid> {
    let weights: [Vec<usize>; 3] = [
        (0..p).map(|r| r + 1).collect(),
        (0..p).map(|r| usize::from(r == p - 1)).collect(),
        (0..p).map(|r| usize::from(r % 2 == 0)).collect(),
    ];
    let mut grids = vec![Grid::rows(&[n], p)];
    for w in weights {
        let total: usize = w.iter().sum();
        let mut counts: Vec<usize> = w.iter().map(|x| n * x / total).collect();
        counts[0] += n - counts.iter().sum::<usize>();
        grids.push(Grid::with_counts(&[n], vec![counts]).expect("counts sum to n"));
    }
    grids
}

/// Builds the matrix of `entries` (rank r giving the entries k with k % p == r) and checks
/// every product and summary against the dense matrix summed here.
fn check<T: Make>(
    world: &World,
    (m, n): (usize, usize),
    rows: Grid,
    cols: Grid,
    all: &[(usize, usize, T)],
    what: &str,
) -> Result<(), Error> {
    let (p, r) = (world.size() as usize, world.rank() as usize);
    let mine: Vec<(usize, usize, T)> = all.iter().copied().skip(r).step_by(p).collect();
    let a = SparseMatrix::from_triplets(world, rows.clone(), cols.clone(), &mine)?;
    let mut dense = vec![T::default(); m * n];
    let mut stored = vec![false; m * n];
    for &(i, j, v) in all {
        dense[i * n + j] += v;
        stored[i * n + j] = true;
    }
    assert_eq!(a.shape(), [m, n], "{what}");
    assert_eq!(
        a.nnz()?,
        stored.iter().filter(|&&s| s).count(),
        "{what}: nnz"
    );
    // This rank's triplets: its own rows, each stored position once, the summed value.
    let first = rows.block_offset(r)[0];
    let count = rows.block_shape(r)[0];
    let local = a.local_triplets();
    assert_eq!(local.len(), a.local_nnz(), "{what}");
    for &(i, j, v) in &local {
        assert!(
            (first..first + count).contains(&i),
            "{what}: row {i} on rank {r}"
        );
        assert!(
            stored[i * n + j] && v == dense[i * n + j],
            "{what}: ({i}, {j})"
        );
    }
    let stored_here = (first..first + count)
        .map(|i| (0..n).filter(|&j| stored[i * n + j]).count())
        .sum::<usize>();
    assert_eq!(local.len(), stored_here, "{what}: entries of rank {r}");
    // y = A·x and Aᵀ·x against the dense products.
    let xv = |j: usize| T::make((j % 13) as i32 - 6, (j % 5) as i32 - 2);
    let x = DistArray::<T, Ix1>::from_fn(world, cols.clone(), |i| xv(i[0]))?;
    let want: Vec<T> = (0..m)
        .map(|i| (0..n).fold(T::default(), |s, j| s + dense[i * n + j] * xv(j)))
        .collect();
    let y = a.matvec(&x)?;
    assert_eq!(y.grid(), &rows, "{what}: A·x's blocks");
    assert_eq!(
        y.local().to_vec(),
        want[first..first + count].to_vec(),
        "{what}: A·x"
    );
    let mut again = DistArray::<T, Ix1>::from_elem(world, rows.clone(), T::make(99, 1))?;
    a.matvec_into(&x, &mut again)?;
    a.matvec_into(&x, &mut again)?;
    assert_eq!(
        again.local().to_vec(),
        y.local().to_vec(),
        "{what}: matvec_into"
    );
    let u = DistArray::<T, Ix1>::from_fn(world, rows.clone(), |i| xv(i[0] + 3))?;
    let t = a.transpose_matvec(&u)?;
    assert_eq!(t.grid(), &cols, "{what}: Aᵀ·x's blocks");
    let (cf, cn) = (cols.block_offset(r)[0], cols.block_shape(r)[0]);
    let want_t: Vec<T> = (cf..cf + cn)
        .map(|j| (0..m).fold(T::default(), |s, i| s + dense[i * n + j] * xv(i + 3)))
        .collect();
    assert_eq!(t.local().to_vec(), want_t, "{what}: Aᵀ·x");
    let sums = a.row_sums()?;
    let want_sums: Vec<T> = (first..first + count)
        .map(|i| (0..n).fold(T::default(), |s, j| s + dense[i * n + j]))
        .collect();
    assert_eq!(sums.local().to_vec(), want_sums, "{what}: row sums");
    if m == n {
        let diag = a.diagonal()?;
        let want_diag: Vec<T> = (first..first + count).map(|i| dense[i * n + i]).collect();
        assert_eq!(diag.local().to_vec(), want_diag, "{what}: diagonal");
    }
    Ok(())
}

fn every_type(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    let (m, n) = (31, 31);
    let (rows, cols) = (Grid::rows(&[m], p), layouts(n, p).remove(1));
    check(
        world,
        (m, n),
        rows.clone(),
        cols.clone(),
        &entries::<f64>(m, n, 200),
        "f64",
    )?;
    check(
        world,
        (m, n),
        rows.clone(),
        cols.clone(),
        &entries::<f32>(m, n, 200),
        "f32",
    )?;
    check(
        world,
        (m, n),
        rows.clone(),
        cols.clone(),
        &entries::<i64>(m, n, 200),
        "i64",
    )?;
    check(
        world,
        (m, n),
        rows.clone(),
        cols.clone(),
        &entries::<i32>(m, n, 200),
        "i32",
    )?;
    let c64 = entries::<Complex<f64>>(m, n, 200);
    check(
        world,
        (m, n),
        rows.clone(),
        cols.clone(),
        &c64,
        "Complex<f64>",
    )?;
    let c32 = entries::<Complex<f32>>(m, n, 200);
    check(world, (m, n), rows, cols, &c32, "Complex<f32>")
}

fn layouts_and_shapes(world: &World) -> Result<(), Error> {
    let p = world.size() as usize;
    for (m, n, count) in [
        (40, 40, 300),
        (37, 23, 150),
        (5, 60, 40),
        (60, 3, 90),
        (1, 1, 3),
    ] {
        let all = entries::<f64>(m, n, count);
        for (k, rows) in layouts(m, p).into_iter().enumerate() {
            // Columns split unlike the rows: the next layout along.
            let cols = layouts(n, p).remove((k + 1) % 4);
            let what = format!(
                "{m} x {n}, rows {:?}, cols {:?}",
                rows.counts(0),
                cols.counts(0)
            );
            check(world, (m, n), rows, cols, &all, &what)?;
        }
    }
    // A matrix without entries, and one with rows but no columns read across ranks.
    let empty: Vec<(usize, usize, f64)> = Vec::new();
    check(
        world,
        (10, 10),
        Grid::rows(&[10], p),
        Grid::rows(&[10], p),
        &empty,
        "empty",
    )?;
    let diagonal: Vec<(usize, usize, f64)> = (0..50).map(|i| (i, i, 1.0 + i as f64)).collect();
    let g = Grid::rows(&[50], p);
    check(world, (50, 50), g.clone(), g, &diagonal, "diagonal only")
}

/// `result` is `Err(Error::Shape)` or `Err(Error::Input)` saying `says`, on this rank.
fn refused<T>(result: Result<T, Error>, says: &str) {
    match result {
        Err(Error::Shape(m)) | Err(Error::Input(m)) if m.contains(says) => {}
        Err(e) => panic!("expected an error saying {says:?}, got {e}"),
        Ok(_) => panic!("expected an error saying {says:?}, got Ok"),
    }
}

fn refusals(world: &World) -> Result<(), Error> {
    let (p, r) = (world.size() as usize, world.rank() as usize);
    let g = Grid::rows(&[8], p);
    // Only the last rank gives the bad entry; every rank must fail.
    let bad = if r == p - 1 {
        vec![(2, 8, 1.0)]
    } else {
        vec![(0, 0, 1.0)]
    };
    refused(
        SparseMatrix::from_triplets(world, g.clone(), g.clone(), &bad),
        "outside the 8 x 8",
    );
    let t = vec![(r % 8, (r + 1) % 8, 1.0)];
    let a = SparseMatrix::from_triplets(world, g.clone(), Grid::rows(&[9], p), &t)?;
    let x8 = DistArray::<f64, Ix1>::zeros(world, g.clone())?;
    refused(a.matvec(&x8), "x has length 8");
    let x9 = DistArray::<f64, Ix1>::zeros(world, Grid::rows(&[9], p))?;
    let mut y9 = DistArray::<f64, Ix1>::zeros(world, Grid::rows(&[9], p))?;
    refused(a.matvec_into(&x9, &mut y9), "y has length 9");
    refused(a.transpose_matvec(&x9), "x has length 9");
    refused(a.diagonal(), "needs a square matrix");
    refused(
        SparseMatrix::from_triplets(world, Grid::rows(&[8], p + 1), g, &t),
        "ranks",
    );
    Ok(())
}

/// A folder every rank sees, made by rank 0.
fn folder(world: &World) -> Result<PathBuf, Error> {
    let pid = world.broadcast_object(0, (world.rank() == 0).then_some(&std::process::id()))?;
    let dir = std::env::temp_dir().join(format!("mpikit-sparse-{pid}"));
    if world.rank() == 0 {
        std::fs::create_dir_all(&dir).expect("a scratch folder");
    }
    world.barrier();
    Ok(dir)
}

/// Writes `text` to `path` from rank 0 before any rank reads it.
fn file(world: &World, path: &PathBuf, text: &str) {
    if world.rank() == 0 {
        std::fs::write(path, text).expect("a scratch file");
    }
    world.barrier();
}

fn matrix_market(world: &World) -> Result<(), Error> {
    let (p, r) = (world.size() as usize, world.rank() as usize);
    let dir = folder(world)?;
    // Round trip of a matrix with uneven rows, in real and complex fields.
    let all = entries::<f64>(23, 17, 120);
    let mine: Vec<_> = all.iter().copied().skip(r).step_by(p).collect();
    let a =
        SparseMatrix::from_triplets(world, layouts(23, p).remove(1), Grid::rows(&[17], p), &mine)?;
    let path = dir.join("a.mtx");
    a.write_matrix_market(&path)?;
    let b = SparseMatrix::<f64>::read_matrix_market(world, &path)?;
    check_same(world, &a, &b)?;
    let c = entries::<Complex<f64>>(9, 9, 40);
    let mine: Vec<_> = c.iter().copied().skip(r).step_by(p).collect();
    let g = Grid::rows(&[9], p);
    let a = SparseMatrix::from_triplets(world, g.clone(), g, &mine)?;
    a.write_matrix_market(&path)?;
    let b = SparseMatrix::<Complex<f64>>::read_matrix_market(world, &path)?;
    check_same(world, &a, &b)?;
    refused(
        SparseMatrix::<f64>::read_matrix_market(world, &path),
        "cannot hold",
    );

    // A symmetric file written here: the lower triangle given, the upper one mirrored.
    let sym = dir.join("s.mtx");
    let text = "%%MatrixMarket matrix coordinate real symmetric\n% a comment\n\n4 4 5\n1 1 2.5\n2 1 -1\n3 2 4\n4 4 1e3\n4 1 0.5\n";
    file(world, &sym, text);
    let s = SparseMatrix::<f64>::read_matrix_market(world, &sym)?;
    let mut dense = [[0.0; 4]; 4];
    for (i, j, v) in [
        (0, 0, 2.5),
        (1, 0, -1.0),
        (2, 1, 4.0),
        (3, 3, 1e3),
        (3, 0, 0.5),
    ] {
        dense[i][j] = v;
        dense[j][i] = v;
    }
    let x = DistArray::<f64, Ix1>::from_fn(world, Grid::rows(&[4], p), |i| 1.0 + i[0] as f64)?;
    let want: Vec<f64> = (0..4)
        .map(|i| (0..4).map(|j| dense[i][j] * (1.0 + j as f64)).sum())
        .collect();
    assert_eq!(
        s.matvec(&x)?.allgather()?.to_vec(),
        want,
        "the symmetric file"
    );
    assert_eq!(s.nnz()?, 8);
    // Malformed files: the same Err on every rank.
    for (body, says) in [
        (
            "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n4 1 1\n",
            "outside 1..=3",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1\n2 2 2\n",
            "header says 3 entries",
        ),
        (
            "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
            "only coordinate",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 x 1\n",
            "outside 1..=2",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n",
            "3 numbers expected",
        ),
        ("hello\n", "not a Matrix Market file"),
    ] {
        let bad = dir.join("bad.mtx");
        file(world, &bad, body);
        refused(SparseMatrix::<f64>::read_matrix_market(world, &bad), says);
        world.barrier(); // every rank done with the file before rank 0 rewrites it
    }
    refused(
        SparseMatrix::<f64>::read_matrix_market(world, &dir.join("none.mtx")),
        "none.mtx",
    );
    world.barrier();
    if r == 0 {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Two matrices with the same entries (the whole of each gathered here).
fn check_same<T: SparseElement + Debug>(
    world: &World,
    a: &SparseMatrix<T>,
    b: &SparseMatrix<T>,
) -> Result<(), Error> {
    assert_eq!(a.shape(), b.shape());
    let mut ta = world
        .allgather_objects(&bincode_free(a.local_triplets()))?
        .concat();
    let mut tb = world
        .allgather_objects(&bincode_free(b.local_triplets()))?
        .concat();
    ta.sort_by_key(|x| (x.0, x.1));
    tb.sort_by_key(|x| (x.0, x.1));
    assert_eq!(ta, tb, "the matrix read back");
    Ok(())
}

/// Triplets as plain numbers (a value as its text, every digit kept) for an object gather.
fn bincode_free<T: SparseElement>(t: Vec<(usize, usize, T)>) -> Vec<(usize, usize, String)> {
    t.into_iter()
        .map(|(i, j, v)| (i, j, v.to_market()))
        .collect()
}
