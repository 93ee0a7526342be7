//! Redistribution at memory speed (issue 22): a matrix of `bytes` per rank moved between the
//! row and column layouts by `redistribute_into` (the plan kept in the destination), and
//! transposed row to row by `transpose_into`, next to an `MPI_Alltoallv` of the same bytes
//! from and into contiguous buffers (the floor no layout change can beat), and the least any
//! layout change costs over it: the strided pack into a contiguous buffer, then that
//! `MPI_Alltoallv` (the receive side of rows to columns is contiguous). Variants interleaved
//! within each repetition.

use mpikit::mpi::collective::CommunicatorCollectives;
use mpikit::mpi::datatype::{Partition, PartitionMut};
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::ndarray::Ix2;
use mpikit::{DistArray, Grid};

use crate::rma::Figures;

/// The benchmarks of this module.
pub const BENCHES: [&str; 1] = ["redistribute"];

/// (variant, median seconds per call); the first is the baseline (`alltoallv`).
pub fn run(comm: &SimpleCommunicator, bytes: usize, reps: usize) -> Figures {
    let p = comm.size() as usize;
    // An n x n matrix of f64 with n a multiple of the ranks: about `bytes` per rank.
    let n = ((((bytes * p) / 8) as f64).sqrt() as usize / p).max(1) * p;
    let block = n / p;
    let rows = Grid::with_dims(&[n, n], &[p, 1]).expect("a row grid");
    let cols = Grid::with_dims(&[n, n], &[1, p]).expect("a column grid");
    let a = DistArray::<f64, Ix2>::from_fn(comm, rows.clone(), |i| (i[0] * n + i[1]) as f64)
        .expect("the source");
    let mut by_cols = DistArray::<f64, Ix2>::zeros(comm, cols).expect("columns");
    let mut back = DistArray::<f64, Ix2>::zeros(comm, rows.clone()).expect("rows");
    let mut transposed = DistArray::<f64, Ix2>::zeros(comm, rows).expect("rows");
    let local = a.local().as_slice().expect("contiguous").to_vec();
    let mut recv = vec![0.0f64; local.len()];
    let mut recv_b = vec![0.0f64; local.len()];
    let mut packed = vec![0.0f64; local.len()];
    let by_cols_src = DistArray::<f64, Ix2>::from_fn(
        comm,
        Grid::with_dims(&[n, n], &[1, p]).expect("columns"),
        |i| (i[0] * n + i[1]) as f64,
    )
    .expect("columns");
    let counts = vec![(block * block) as i32; p];
    let displs: Vec<i32> = (0..p).map(|r| (r * block * block) as i32).collect();
    super::immediate::interleaved(
        comm,
        bytes,
        reps,
        &mut [
            ("alltoallv", &mut || {
                let send = Partition::new(&local[..], &counts[..], &displs[..]);
                let mut got = PartitionMut::new(&mut recv[..], &counts[..], &displs[..]);
                comm.all_to_all_varcount_into(&send, &mut got);
            }),
            ("pack+alltoallv", &mut || {
                // Block r: my rows, rank r's columns, packed row by row.
                for r in 0..p {
                    for i in 0..block {
                        let to = r * block * block + i * block;
                        let from = i * n + r * block;
                        packed[to..to + block].copy_from_slice(&local[from..from + block]);
                    }
                }
                let send = Partition::new(&packed[..], &counts[..], &displs[..]);
                let mut got = PartitionMut::new(&mut recv_b[..], &counts[..], &displs[..]);
                comm.all_to_all_varcount_into(&send, &mut got);
            }),
            ("rows-to-cols", &mut || {
                a.redistribute_into(&mut by_cols).expect("redistribute")
            }),
            ("cols-to-rows", &mut || {
                by_cols_src
                    .redistribute_into(&mut back)
                    .expect("redistribute")
            }),
            ("transpose", &mut || {
                a.transpose_into(&mut transposed).expect("transpose")
            }),
        ],
    )
}
