//! NPB FT on mpikit: a 3-D diffusion equation solved spectrally. NPB's random complex field
//! is transformed forward once; each iteration multiplies the spectrum by the decay factors
//! exp(-4απ²|k|²t) (cumulatively, as NPB does), transforms back and takes NPB's checksum of
//! 1024 scattered points. The transforms are mpikit's distributed FFT (`FftPlan`: rustfft
//! per rank, slabs, the split axis made whole by a planned redistribution), the field a
//! `DistArray` of shape [nz, ny, nx] (x fastest, as NPB's Fortran arrays).
//!
//! `mpirun -n 4 target/release/npb-ft A` (NPB: `ft.A.x`; a power-of-two rank count).

use std::process::ExitCode;

use mpikit::fft::{FftPlan, Norm};
use mpikit::mpi::traits::*;
use mpikit::ndarray::{s, Ix3};
use mpikit::num_complex::Complex;
use mpikit::prelude::*;
use mpikit::{DistArray, Error, Grid, ReduceOp, World};
use mpikit_kernels::npb::{
    banner, finish, fortran_d, skip, vranlc, Args, Class, Progress, Report, Size, MULTIPLIER,
};
use mpikit_kernels::{kernel_main, Outcome};

type C64 = Complex<f64>;

const SEED: f64 = 314_159_265.0;
const ALPHA: f64 = 1.0e-6;

/// (nx, ny, nz, iterations).
fn size(class: Class) -> (usize, usize, usize, usize) {
    match class {
        Class::S => (64, 64, 64, 6),
        Class::W => (128, 128, 32, 6),
        Class::A => (256, 256, 128, 6),
        Class::B => (512, 256, 256, 20),
        Class::C => (512, 512, 512, 20),
    }
}

/// NPB's published checksums, one per iteration.
fn published(class: Class) -> Vec<(f64, f64)> {
    match class {
        Class::S => vec![
            (5.546087004964e2, 4.845363331978e2),
            (5.546385409189e2, 4.865304269511e2),
            (5.546148406171e2, 4.883910722336e2),
            (5.545423607415e2, 4.901273169046e2),
            (5.544255039624e2, 4.917475857993e2),
            (5.542683411902e2, 4.932597244941e2),
        ],
        Class::W => vec![
            (5.673612178944e2, 5.293246849175e2),
            (5.631436885271e2, 5.282149986629e2),
            (5.594024089970e2, 5.270996558037e2),
            (5.560698047020e2, 5.260027904925e2),
            (5.530898991250e2, 5.249400845633e2),
            (5.504159734538e2, 5.239212247086e2),
        ],
        Class::A => vec![
            (5.046735008193e2, 5.114047905510e2),
            (5.059412319734e2, 5.098809666433e2),
            (5.069376896287e2, 5.098144042213e2),
            (5.077892868474e2, 5.101336130759e2),
            (5.085233095391e2, 5.104914655194e2),
            (5.091487099959e2, 5.107917842803e2),
        ],
        Class::B => vec![
            (5.177643571579e2, 5.077803458597e2),
            (5.154521291263e2, 5.088249431599e2),
            (5.146409228649e2, 5.096208912659e2),
            (5.142378756213e2, 5.101023387619e2),
            (5.139626667737e2, 5.103976610617e2),
            (5.137423460082e2, 5.105948019802e2),
            (5.135547056878e2, 5.107404165783e2),
            (5.133910925466e2, 5.108576573661e2),
            (5.132470705390e2, 5.109577278523e2),
            (5.131197729984e2, 5.110460304483e2),
            (5.130070319283e2, 5.111252433800e2),
            (5.129070537032e2, 5.111968077718e2),
            (5.128182883502e2, 5.112616233064e2),
            (5.127393733383e2, 5.113203605551e2),
            (5.126691062020e2, 5.113735928093e2),
            (5.126064276004e2, 5.114218460548e2),
            (5.125504076570e2, 5.114656139760e2),
            (5.125002331720e2, 5.115053595966e2),
            (5.124551951846e2, 5.115415130407e2),
            (5.124146770029e2, 5.115744692211e2),
        ],
        Class::C => vec![
            (5.195078707457e2, 5.149019699238e2),
            (5.155422171134e2, 5.127578201997e2),
            (5.144678022222e2, 5.122251847514e2),
            (5.140150594328e2, 5.121090289018e2),
            (5.137550426810e2, 5.121143685824e2),
            (5.135811056728e2, 5.121496764568e2),
            (5.134569343165e2, 5.121870921893e2),
            (5.133651975661e2, 5.122193250322e2),
            (5.132955192805e2, 5.122454735794e2),
            (5.132410471738e2, 5.122663649603e2),
            (5.131971141679e2, 5.122830879827e2),
            (5.131605205716e2, 5.122965869718e2),
            (5.131290734194e2, 5.123075927445e2),
            (5.131012720314e2, 5.123166486553e2),
            (5.130760908195e2, 5.123241541685e2),
            (5.130528295923e2, 5.123304037599e2),
            (5.130310107773e2, 5.123356167976e2),
            (5.130103090133e2, 5.123399592211e2),
            (5.129905029333e2, 5.123435588985e2),
            (5.129714421109e2, 5.123465164008e2),
        ],
    }
}

/// NPB's initial field: element (z, y, x) takes the random numbers 2g and 2g + 1 of the
/// sequence from SEED, g = x + nx·(y + ny·z); each row of this rank's block starts from its
/// own jump ahead.
fn initial(world: &World, grid: Grid, shape: [usize; 3]) -> Result<DistArray<C64, Ix3>, Error> {
    let mut u = DistArray::<C64, Ix3>::zeros(world, grid)?;
    let [_, ny, nx] = shape;
    let off = u.offset().to_vec();
    let mut local = u.local_mut();
    let [bz, by, bx] = [local.shape()[0], local.shape()[1], local.shape()[2]];
    let mut numbers = vec![0.0; 2 * bx];
    for z in 0..bz {
        for y in 0..by {
            let g = off[2] + nx * (off[1] + y + ny * (off[0] + z));
            let mut seed = skip(SEED, MULTIPLIER, 2 * g as u64);
            vranlc(&mut seed, MULTIPLIER, &mut numbers);
            for (x, v) in local.slice_mut(s![z, y, ..]).iter_mut().enumerate() {
                *v = C64::new(numbers[2 * x], numbers[2 * x + 1]);
            }
        }
    }
    Ok(u)
}

/// The decay factors exp(-4απ²(kx² + ky² + kz²)), k the signed frequency of each index.
fn decay(world: &World, grid: Grid, shape: [usize; 3]) -> Result<DistArray<f64, Ix3>, Error> {
    let ap = -4.0 * ALPHA * std::f64::consts::PI * std::f64::consts::PI;
    let signed = |i: usize, n: usize| ((i + n / 2) % n) as i64 - (n / 2) as i64;
    DistArray::from_fn(world, grid, |i| {
        let k2: i64 = (0..3).map(|a| signed(i[a], shape[a]).pow(2)).sum();
        (ap * k2 as f64).exp()
    })
}

/// NPB's checksum: the sum of 1024 scattered elements (the inverse transform here already
/// divides by the number of points, as NPB's checksum does).
fn checksum(u: &DistArray<C64, Ix3>, shape: [usize; 3]) -> Result<C64, Error> {
    let [nz, ny, nx] = shape;
    let mut local = C64::new(0.0, 0.0);
    for j in 1..=1024usize {
        if let Some(at) = u.local_index(&[(5 * j) % nz, (3 * j) % ny, j % nx]) {
            local += u.local()[[at[0], at[1], at[2]]];
        }
    }
    let sums = u
        .comm()
        .allreduce_array(&vec![local.re, local.im], ReduceOp::Sum)?;
    Ok(C64::new(sums[0], sums[1]))
}

fn ft(world: &World, args: Args) -> Result<Outcome, Error> {
    let (nx, ny, nz, niter) = size(args.class);
    let shape = [nz, ny, nx];
    let p = world.size_count();
    banner(world, "FT");
    if world.is_root() {
        println!(" Size                : {nx:>4}x{ny:>4}x{nz:>4}");
        println!(" Iterations          :     {niter:>7}");
        println!(" Number of processes :     {p:>7}");
    }
    if !p.is_power_of_two() {
        return Ok(Outcome::Invalid(format!(
            "Number of processes ({p}) is not a power of two"
        )));
    }
    // Slabs while there are planes enough, else pencils.
    let grid = if p <= nz {
        Grid::rows(&shape, p)
    } else {
        Grid::balanced(&shape, p, &[0, 1])?
    };
    world.barrier();
    let mut progress = Progress::new();
    let start = mpikit::mpi::time();
    let twiddle = decay(world, grid.clone(), shape)?;
    let u1 = initial(world, grid.clone(), shape)?;
    let mut plan = FftPlan::new(&u1, &[0, 1, 2], Norm::Backward)?;
    let mut u0 = DistArray::<C64, Ix3>::zeros(world, grid.clone())?;
    let mut u2 = DistArray::<C64, Ix3>::zeros(world, grid)?;
    plan.forward_into(&u1, &mut u0)?;
    drop(u1);
    let reference = published(args.class);
    let mut verified = true;
    for (iter, &(re, im)) in reference.iter().enumerate().take(niter) {
        for (u, &t) in u0.local_mut().iter_mut().zip(twiddle.local().iter()) {
            *u *= t;
        }
        plan.inverse_into(&u0, &mut u2)?;
        let sum = checksum(&u2, shape)?;
        if world.is_root() {
            progress.line(format_args!(
                " T ={:>5}     Checksum ={:>22}{:>22}",
                iter + 1,
                fortran_d(sum.re, 12),
                fortran_d(sum.im, 12)
            ));
        }
        let want = C64::new(re, im);
        let err = ((sum - want) / want).norm();
        verified &= err <= 1e-12;
    }
    let seconds = world.allreduce_scalar(mpikit::mpi::time() - start, ReduceOp::Max)?;
    progress.flush();
    if world.is_root() {
        let verdict = if verified { "successful" } else { "failed" };
        println!(" Result verification {verdict}");
    }
    let n = (nx * ny * nz) as f64;
    let mops =
        1e-6 * n * (14.8157 + 7.19641 * n.ln() + (5.23518 + 7.21113 * n.ln()) * niter as f64)
            / seconds;
    finish(
        world,
        &Report {
            name: "FT",
            class: args.class,
            size: Size::Grid([nx, ny, nz]),
            iterations: niter,
            seconds,
            mops,
            operation: "floating point",
            verified,
        },
    )
}

fn main() -> ExitCode {
    kernel_main("npb-ft", ft)
}
