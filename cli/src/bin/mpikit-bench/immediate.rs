//! The issue-12 calls next to raw rsmpi, variants interleaved within each repetition:
//! in-place vs out-of-place allreduce, raw and mpikit (`inplace`), non-blocking vs blocking allreduce
//! (`iallreduce`) and allgather (`iallgather`). Sizes are bytes per rank.

use mpikit::mpi::collective::CommunicatorCollectives;
use mpikit::mpi::datatype::Equivalence;
use mpikit::mpi::request::WaitGuard;
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::prelude::*;
use mpikit::ReduceOp;

use crate::rma::Figures;

/// The benchmarks of this module.
pub const BENCHES: [&str; 3] = ["inplace", "iallreduce", "iallgather"];

/// A batch of calls that returns this rank's seconds per call.
type Batch<'a> = Box<dyn FnMut() -> f64 + 'a>;

/// Median seconds per call of each variant, measured in turn within every repetition (each
/// figure: the slowest rank's mean over a batch of calls; see `rma::interleaved`).
pub fn interleaved(
    comm: &SimpleCommunicator,
    bytes: usize,
    reps: usize,
    variants: &mut [(&'static str, &mut dyn FnMut())],
) -> Figures {
    let iters = super::iterations(bytes);
    let mut batches: Vec<(&'static str, Batch<'_>)> = variants
        .iter_mut()
        .map(|(name, f)| {
            let batch = move || {
                let t0 = mpikit::mpi::time();
                for _ in 0..iters {
                    f();
                }
                (mpikit::mpi::time() - t0) / iters as f64
            };
            (*name, Box::new(batch) as Batch<'_>)
        })
        .collect();
    let mut timed: Vec<(&'static str, &mut dyn FnMut() -> f64)> = batches
        .iter_mut()
        .map(|(name, f)| (*name, f.as_mut() as &mut dyn FnMut() -> f64))
        .collect();
    super::rma::interleaved(comm, reps, &mut timed)
}

/// One benchmark at one size: (variant, median seconds per call); the first is the baseline.
pub fn run(comm: &SimpleCommunicator, bench: &str, bytes: usize, reps: usize) -> Figures {
    let n = (bytes / 8).max(1);
    let x = vec![1.0f64; n];
    let op = ReduceOp::Sum;
    match bench {
        "inplace" => {
            let mut out = vec![0.0f64; n];
            let mut out_b = vec![0.0f64; n];
            let mut buf = vec![1.0f64; n];
            let mut raw_buf = vec![1.0f64; n];
            interleaved(
                comm,
                bytes,
                reps,
                &mut [
                    ("raw", &mut || {
                        comm.all_reduce_into(&x[..], &mut out[..], op.system())
                    }),
                    ("raw-in-place", &mut || {
                        // SAFETY: MPI_IN_PLACE and a live buffer, as MPI_Allreduce takes them.
                        unsafe {
                            mpikit::mpi::ffi::MPI_Allreduce(
                                mpikit::buffers::mpi_in_place(),
                                raw_buf.as_mut_ptr().cast(),
                                n as i32,
                                mpikit::mpi::raw::AsRaw::as_raw(&f64::equivalent_datatype()),
                                mpikit::mpi::raw::AsRaw::as_raw(&op.system()),
                                mpikit::mpi::raw::AsRaw::as_raw(comm),
                            );
                        }
                    }),
                    ("into", &mut || {
                        comm.allreduce_array_into(&x, &mut out_b, op).unwrap();
                    }),
                    ("in-place", &mut || {
                        comm.allreduce_array_in_place(&mut buf, op).unwrap();
                    }),
                ],
            )
        }
        "iallreduce" => {
            let mut out = vec![0.0f64; n];
            let mut out_b = vec![0.0f64; n];
            let mut owned = Some((x.clone(), vec![0.0f64; n]));
            interleaved(
                comm,
                bytes,
                reps,
                &mut [
                    ("raw", &mut || {
                        comm.all_reduce_into(&x[..], &mut out[..], op.system())
                    }),
                    ("raw-immediate", &mut || {
                        mpikit::mpi::request::scope(|scope| {
                            let _done = WaitGuard::from(comm.immediate_all_reduce_into(
                                scope,
                                &x[..],
                                &mut out_b[..],
                                op.system(),
                            ));
                        });
                    }),
                    ("immediate", &mut || {
                        let (s, r) = owned.take().expect("handed back");
                        let pending = comm.immediate_allreduce_array_owned(s, r, op).unwrap();
                        owned = Some(pending.wait().unwrap());
                    }),
                ],
            )
        }
        "iallgather" => {
            let size = comm.size() as usize;
            let mut all = vec![0.0f64; n * size];
            let mut all_b = vec![0.0f64; n * size];
            let mut owned = Some((x.clone(), vec![0.0f64; n * size]));
            interleaved(
                comm,
                bytes,
                reps,
                &mut [
                    ("raw", &mut || comm.all_gather_into(&x[..], &mut all[..])),
                    ("raw-immediate", &mut || {
                        mpikit::mpi::request::scope(|scope| {
                            let _done = WaitGuard::from(comm.immediate_all_gather_into(
                                scope,
                                &x[..],
                                &mut all_b[..],
                            ));
                        });
                    }),
                    ("blocking", &mut || {
                        let _: Vec<f64> = comm.allgather_rows(&x).unwrap();
                    }),
                    ("immediate", &mut || {
                        let _: Vec<f64> =
                            comm.immediate_allgather_rows(&x).unwrap().wait().unwrap();
                    }),
                    ("immediate-into", &mut || {
                        let (s, r) = owned.take().expect("handed back");
                        let pending = comm.immediate_allgather_array_owned(s, r).unwrap();
                        owned = Some(pending.wait().unwrap());
                    }),
                ],
            )
        }
        _ => unreachable!("checked names"),
    }
}
