//! NPB CG on mpikit: the smallest eigenvalue of NPB's random sparse symmetric matrix by
//! inverse power iteration, each step solving A·z = x by 25 conjugate-gradient iterations.
//! The matrix is mpikit's `SparseMatrix`, rows in balanced blocks: each rank generates NPB's
//! whole random stream (as every NPB process does) and keeps the entries of its own rows, and
//! `from_triplets` sums the duplicates in NPB's order. Each product `A·p` fetches only the
//! ghost entries of `p` its rows read, point to point; dot products are one allreduce each.
//!
//! `mpirun -n 4 target/release/npb-cg A` (NPB: `cg.A.x`; a power-of-two rank count).

use std::process::ExitCode;

use mpikit::mpi::traits::*;
use mpikit::ndarray::Ix1;
use mpikit::prelude::*;
use mpikit::sparse::SparseMatrix;
use mpikit::{DistArray, Error, Grid, ReduceOp, World};
use mpikit_kernels::npb::{
    banner, finish, fortran_e, randlc, Args, Class, Progress, Report, Size, MULTIPLIER,
};
use mpikit_kernels::{kernel_main, Outcome};

/// NPB's parameters: order, nonzeros per generated vector, outer iterations, shift, and the
/// published zeta.
struct Params {
    na: usize,
    nonzer: usize,
    niter: usize,
    shift: f64,
    zeta: f64,
}

#[allow(clippy::excessive_precision)]
fn params(class: Class) -> Params {
    let (na, nonzer, niter, shift, zeta) = match class {
        Class::S => (1400, 7, 15, 10.0, 8.5971775078648),
        Class::W => (7000, 8, 15, 12.0, 10.362595087124),
        Class::A => (14000, 11, 15, 20.0, 17.130235054029),
        Class::B => (75000, 13, 75, 60.0, 22.712745482631),
        Class::C => (150000, 15, 75, 110.0, 28.973605592845),
    };
    Params {
        na,
        nonzer,
        niter,
        shift,
        zeta,
    }
}

const RCOND: f64 = 0.1;
const CG_ITERATIONS: usize = 25;

/// NPB's `sprnvc`: `nz` distinct random positions in 1..=n with random values.
fn sprnvc(n: usize, nz: usize, tran: &mut f64, mark: &mut [bool]) -> (Vec<f64>, Vec<usize>) {
    let mut nn1 = 1usize;
    loop {
        nn1 *= 2;
        if nn1 >= n {
            break;
        }
    }
    let (mut v, mut iv) = (Vec::with_capacity(nz + 1), Vec::with_capacity(nz + 1));
    while v.len() < nz {
        let vecelt = randlc(tran, MULTIPLIER);
        let vecloc = randlc(tran, MULTIPLIER);
        let i = (nn1 as f64 * vecloc) as usize + 1;
        if i > n || mark[i] {
            continue;
        }
        mark[i] = true;
        v.push(vecelt);
        iv.push(i);
    }
    for &i in &iv {
        mark[i] = false;
    }
    (v, iv)
}

/// NPB's `makea`, keeping the entries of `rows` (0-based global rows): the sum of `na` scaled
/// outer products of sparse random vectors, plus `rcond - shift` on the diagonal.
fn makea(p: &Params, rows: std::ops::Range<usize>) -> Vec<(usize, usize, f64)> {
    let n = p.na;
    let mut tran = 314_159_265.0;
    randlc(&mut tran, MULTIPLIER); // NPB draws zeta's first value from the stream
    let ratio = RCOND.powf(1.0 / n as f64);
    let mut size = 1.0;
    let mut mark = vec![false; n + 1];
    let mut out = Vec::new();
    for iouter in 1..=n {
        let (mut v, mut iv) = sprnvc(n, p.nonzer, &mut tran, &mut mark);
        // NPB's `vecset`: the element at iouter set to 0.5, or appended.
        match iv.iter().position(|&i| i == iouter) {
            Some(k) => v[k] = 0.5,
            None => {
                v.push(0.5);
                iv.push(iouter);
            }
        }
        for (&jcol, &vj) in iv.iter().zip(&v) {
            let scale = size * vj;
            for (&irow, &vi) in iv.iter().zip(&v) {
                if rows.contains(&(irow - 1)) {
                    out.push((irow - 1, jcol - 1, vi * scale));
                }
            }
        }
        size *= ratio;
    }
    for i in rows {
        out.push((i, i, RCOND - p.shift));
    }
    out
}

/// `y += a * x` on this rank's blocks.
fn axpy(y: &mut DistArray<f64, Ix1>, a: f64, x: &DistArray<f64, Ix1>) {
    for (y, &x) in y.local_mut().iter_mut().zip(x.local().iter()) {
        *y += a * x;
    }
}

/// The work vectors of the conjugate gradient.
struct Vectors {
    z: DistArray<f64, Ix1>,
    r: DistArray<f64, Ix1>,
    p: DistArray<f64, Ix1>,
    q: DistArray<f64, Ix1>,
}

/// NPB's `conj_grad`: z ≈ A⁻¹·x by 25 CG iterations from 0; returns ||x - A·z||.
fn conj_grad(
    a: &SparseMatrix<f64>,
    x: &DistArray<f64, Ix1>,
    v: &mut Vectors,
) -> Result<f64, Error> {
    v.z.local_mut().fill(0.0);
    v.r.local_mut().assign(&x.local());
    v.p.local_mut().assign(&x.local());
    let mut rho = v.r.dot(&v.r)?;
    for _ in 0..CG_ITERATIONS {
        a.matvec_into(&v.p, &mut v.q)?;
        let alpha = rho / v.p.dot(&v.q)?;
        axpy(&mut v.z, alpha, &v.p);
        axpy(&mut v.r, -alpha, &v.q);
        let rho0 = rho;
        rho = v.r.dot(&v.r)?;
        let beta = rho / rho0;
        for (p, &r) in v.p.local_mut().iter_mut().zip(v.r.local().iter()) {
            *p = r + beta * *p;
        }
    }
    a.matvec_into(&v.z, &mut v.r)?;
    let local: f64 = x
        .local()
        .iter()
        .zip(v.r.local().iter())
        .map(|(&x, &r)| (x - r) * (x - r))
        .sum();
    Ok(x.comm().allreduce_scalar(local, ReduceOp::Sum)?.sqrt())
}

/// One step of the inverse power method: solve, then zeta and x = z / ||z||.
fn power_step(
    a: &SparseMatrix<f64>,
    x: &mut DistArray<f64, Ix1>,
    v: &mut Vectors,
    shift: f64,
) -> Result<(f64, f64), Error> {
    let rnorm = conj_grad(a, x, v)?;
    let xz = x.dot(&v.z)?;
    let zz = v.z.dot(&v.z)?;
    let scale = 1.0 / zz.sqrt();
    for (x, &z) in x.local_mut().iter_mut().zip(v.z.local().iter()) {
        *x = scale * z;
    }
    Ok((rnorm, shift + 1.0 / xz))
}

fn cg(world: &World, args: Args) -> Result<Outcome, Error> {
    let prm = params(args.class);
    let p = world.size_count();
    banner(world, "CG");
    if world.is_root() {
        println!(" Size: {:>10}  (class {})", prm.na, args.class.letter());
        println!(" Iterations: {:>5}", prm.niter);
        println!(" Number of processes: {p:>5}");
        println!(" Number of nonzeroes per row: {:>8}", prm.nonzer);
        println!(" Eigenvalue shift: {:>9.3}", prm.shift);
    }
    if !p.is_power_of_two() {
        return Ok(Outcome::Invalid(format!(
            "Number of processes ({p}) is not a power of two"
        )));
    }
    let grid = Grid::rows(&[prm.na], p);
    let first = grid.block_offset(world.rank_index())[0];
    let rows = first..first + grid.block_shape(world.rank_index())[0];
    let a = SparseMatrix::from_triplets(world, grid.clone(), grid.clone(), &makea(&prm, rows))?;
    let zeros = || DistArray::<f64, Ix1>::zeros(world, grid.clone());
    let mut v = Vectors {
        z: zeros()?,
        r: zeros()?,
        p: zeros()?,
        q: zeros()?,
    };
    // One untimed step, as NPB does, then x = 1 again.
    let mut x = DistArray::<f64, Ix1>::from_elem(world, grid.clone(), 1.0)?;
    power_step(&a, &mut x, &mut v, prm.shift)?;
    x.local_mut().fill(1.0);
    let mut progress = Progress::new();
    world.barrier();
    let start = mpikit::mpi::time();
    let mut zeta = 0.0;
    for it in 1..=prm.niter {
        let (rnorm, z) = power_step(&a, &mut x, &mut v, prm.shift)?;
        zeta = z;
        if world.is_root() {
            if it == 1 {
                progress.line(format_args!(
                    "\n   iteration           ||r||                 zeta"
                ));
            }
            progress.line(format_args!(
                "    {it:>5}      {:>21}{zeta:>20.13}",
                fortran_e(rnorm, 14)
            ));
        }
    }
    let seconds = world.allreduce_scalar(mpikit::mpi::time() - start, ReduceOp::Max)?;
    progress.flush();
    let err = ((zeta - prm.zeta) / prm.zeta).abs();
    let verified = err <= 1e-10;
    if world.is_root() {
        println!(" Benchmark completed ");
        if verified {
            println!(" VERIFICATION SUCCESSFUL ");
            println!(" Zeta is    {}", fortran_e(zeta, 14));
            println!(" Error is   {}", fortran_e(err, 14));
        } else {
            println!(" VERIFICATION FAILED");
            println!(" Zeta                {}", fortran_e(zeta, 14));
            println!(" The correct zeta is {}", fortran_e(prm.zeta, 14));
        }
    }
    let nz = prm.nonzer as f64;
    let mops = 1e-6
        * 2.0
        * prm.niter as f64
        * prm.na as f64
        * (3.0 + nz * (nz + 1.0) + 25.0 * (5.0 + nz * (nz + 1.0)) + 3.0)
        / seconds;
    finish(
        world,
        &Report {
            name: "CG",
            class: args.class,
            size: Size::Count(prm.na as u64),
            iterations: prm.niter,
            seconds,
            mops,
            operation: "floating point",
            verified,
        },
    )
}

fn main() -> ExitCode {
    kernel_main("npb-cg", cg)
}
