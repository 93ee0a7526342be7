//! The distributed FFT (issue 25): a 3-D complex transform of an n³ `Complex<f64>` field in
//! slabs (axis 0 split over the ranks), forward and inverse through one `FftPlan`, out of
//! place, the result in the input's layout — what FFTW's MPI transforms do without
//! `FFTW_MPI_TRANSPOSED_OUT` (the C peer scripts/bench/fftw_mpi.c times the same). The size
//! given is the side n. One call per timing, variants interleaved within each repetition.

use mpikit::fft::{FftPlan, Norm};
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::ndarray::Ix3;
use mpikit::num_complex::Complex;
use mpikit::{DistArray, Grid};

use crate::rma::{timed, Figures};

/// The benchmarks of this module.
pub const BENCHES: [&str; 1] = ["fft"];

/// (variant, median seconds per call) for a side of `n`.
pub fn run(comm: &SimpleCommunicator, n: usize, reps: usize) -> Figures {
    let p = comm.size() as usize;
    let grid = Grid::rows(&[n, n, n], p);
    let input = DistArray::<Complex<f64>, Ix3>::from_fn(comm, grid.clone(), |i| {
        let x = (i[0] * n * n + i[1] * n + i[2]) as f64;
        Complex::new((0.37 * x).sin(), (0.11 * x).cos())
    })
    .expect("the field");
    let zeros = || DistArray::<Complex<f64>, Ix3>::zeros(comm, grid.clone()).expect("a field");
    let (mut out, mut spectrum, mut back) = (zeros(), zeros(), zeros());
    let mut plan = FftPlan::new(&input, &[0, 1, 2], Norm::Backward).expect("the plan");
    let mut inverse = FftPlan::new(&input, &[0, 1, 2], Norm::Backward).expect("the plan");
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
