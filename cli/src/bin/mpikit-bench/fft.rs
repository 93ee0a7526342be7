//! The distributed FFT (issue 25): a 3-D complex transform of an n³ `Complex<f64>` field in
//! slabs (axis 0 split over the ranks), forward and inverse through one `FftPlan`, out of
//! place, the result in the input's layout — what FFTW's MPI transforms do without
//! `FFTW_MPI_TRANSPOSED_OUT` (the C peer scripts/bench/fftw_mpi.c times the same). The size
//! given is the side n. `fft-line`: the 1-D transform of n points split over the ranks (the
//! four-step transform; FFTW's `fftw_mpi_plan_dft_1d`, in order). One call per timing,
//! variants interleaved within each repetition.

use mpikit::fft::{FftPlan, Norm};
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::ndarray::{Dimension, Ix1, Ix3};
use mpikit::num_complex::Complex;
use mpikit::{DistArray, Grid};

use crate::rma::{timed, Figures};

/// The benchmarks of this module.
pub const BENCHES: [&str; 2] = ["fft", "fft-line"];

/// (variant, median seconds per call) for a side of `n` (`fft`) or a length of `n`
/// (`fft-line`).
pub fn run(comm: &SimpleCommunicator, bench: &str, n: usize, reps: usize) -> Figures {
    if bench == "fft-line" {
        time_plans::<Ix1>(comm, &[n], reps)
    } else {
        time_plans::<Ix3>(comm, &[n, n, n], reps)
    }
}

/// Forward and inverse transforms over every axis of a field of `shape` in row blocks.
fn time_plans<D: Dimension>(comm: &SimpleCommunicator, shape: &[usize], reps: usize) -> Figures {
    let p = comm.size() as usize;
    let grid = Grid::rows(shape, p);
    let input = DistArray::<Complex<f64>, D>::from_fn(comm, grid.clone(), |i| {
        let x = i.iter().zip(shape).fold(0, |acc, (&k, &n)| acc * n + k);
        Complex::new((0.37 * x as f64).sin(), (0.11 * x as f64).cos())
    })
    .expect("the field");
    let zeros = || DistArray::<Complex<f64>, D>::zeros(comm, grid.clone()).expect("a field");
    let (mut out, mut spectrum, mut back) = (zeros(), zeros(), zeros());
    let axes: Vec<usize> = (0..shape.len()).collect();
    let mut plan = FftPlan::new(&input, &axes, Norm::Backward).expect("the plan");
    let mut inverse = FftPlan::new(&input, &axes, Norm::Backward).expect("the plan");
    plan.forward_into(&input, &mut spectrum).expect("forward");
    super::rma::interleaved(
        comm,
        reps,
        &mut [
            ("forward", &mut || {
                timed(&mut || plan.forward_into(&input, &mut out).expect("forward"))
            }),
            ("inverse", &mut || {
                timed(&mut || inverse.inverse_into(&spectrum, &mut back).expect("inverse"))
            }),
        ],
    )
}
