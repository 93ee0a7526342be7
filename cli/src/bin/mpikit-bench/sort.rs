//! The distributed sort (issue 25): `DistArray::sort` of `bytes` of uniform random f64 per
//! rank, next to one `MPI_Alltoallv` of the same bytes from and into contiguous buffers (each
//! rank sending an equal share to every rank: the floor of a sort that moves every element
//! once), and `argsort`. One call per timing (the arrays are large), variants interleaved
//! within each repetition.

use mpikit::mpi::collective::CommunicatorCollectives;
use mpikit::mpi::datatype::{Partition, PartitionMut};
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::ndarray::Ix1;
use mpikit::{DistArray, Grid};

use crate::rma::{timed, Figures};

/// The benchmarks of this module.
pub const BENCHES: [&str; 1] = ["sort"];

/// A uniform number in [0, 1) from an index (splitmix64).
fn uniform(i: usize) -> f64 {
    let mut x = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((x ^ (x >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// (variant, median seconds per call); the first is the baseline (`alltoallv`).
pub fn run(comm: &SimpleCommunicator, bytes: usize, reps: usize) -> Figures {
    let p = comm.size() as usize;
    let per_rank = (bytes / 8).max(p);
    let n = per_rank * p;
    let a = DistArray::<f64, Ix1>::from_fn(comm, Grid::rows(&[n], p), |i| uniform(i[0]))
        .expect("the array");
    let local = a.local().to_vec();
    let mut recv = vec![0.0f64; local.len()];
    let share = per_rank / p;
    let counts: Vec<i32> = (0..p)
        .map(|r| (share + usize::from(r < per_rank % p)) as i32)
        .collect();
    let displs: Vec<i32> = counts
        .iter()
        .scan(0, |at, &c| {
            let d = *at;
            *at += c;
            Some(d)
        })
        .collect();
    super::rma::interleaved(
        comm,
        reps,
        &mut [
            ("alltoallv", &mut || {
                timed(&mut || {
                    let send = Partition::new(&local[..], &counts[..], &displs[..]);
                    let mut got = PartitionMut::new(&mut recv[..], &counts[..], &displs[..]);
                    comm.all_to_all_varcount_into(&send, &mut got);
                })
            }),
            ("sort", &mut || {
                timed(&mut || {
                    let s = a.sort().expect("sort");
                    assert_eq!(s.len(), n);
                })
            }),
            ("argsort", &mut || {
                timed(&mut || {
                    let s = a.argsort().expect("argsort");
                    assert_eq!(s.len(), n);
                })
            }),
        ],
    )
}
