//! The ghost pattern of a row-distributed matrix: which entries of `x` each rank's rows read
//! from other ranks, worked out once when the matrix is built (one alltoall of counts and one
//! alltoallv of column numbers), then used by every product: `fetch` brings the ghost
//! entries in point to point, `return_sums` sends ghost contributions (of `Aᵀ·x`) back.

use mpi::collective::CommunicatorCollectives;
use mpi::topology::{Communicator, SimpleCommunicator};

use crate::collective::element::Element;
use crate::collective::large;
use crate::distarray::Grid;
use crate::error::Result;

/// Which entries of `x` move between ranks in a product.
pub(crate) struct Pattern {
    /// The length of this rank's own block of `x`.
    pub(crate) own: usize,
    /// The global columns of the ghost entries, ascending (so grouped by owner).
    pub(crate) ghosts: Vec<usize>,
    /// How many ghost entries come from each rank.
    pub(crate) recv_counts: Vec<usize>,
    /// How many of this rank's entries each rank needs.
    pub(crate) send_counts: Vec<usize>,
    /// Which of this rank's entries (local indices), grouped by the rank that needs them.
    pub(crate) send_index: Vec<usize>,
}

/// The first global index of every rank's block of a 1-D grid, then its length.
pub(crate) fn block_starts(grid: &Grid) -> Vec<usize> {
    let mut starts = vec![0];
    for &c in grid.counts(0) {
        starts.push(starts.last().expect("non-empty") + c);
    }
    starts
}

/// The rank whose block of a 1-D grid holds `i` (`starts` from [`block_starts`]).
pub(crate) fn owner(starts: &[usize], i: usize) -> usize {
    starts.partition_point(|&s| s <= i) - 1
}

impl Pattern {
    /// The pattern of a rank whose rows read the global columns `ghosts` (ascending,
    /// distinct, none in its own block of `cols`). Collective.
    pub(crate) fn new(
        comm: &SimpleCommunicator,
        cols: &Grid,
        ghosts: Vec<usize>,
    ) -> Result<Pattern> {
        let (rank, p) = (comm.rank() as usize, comm.size() as usize);
        let starts = block_starts(cols);
        let mut recv_counts = vec![0usize; p];
        for &g in &ghosts {
            recv_counts[owner(&starts, g)] += 1;
        }
        let wanted: Vec<u64> = recv_counts.iter().map(|&c| c as u64).collect();
        let mut asked = vec![0u64; p];
        comm.all_to_all_into(&wanted[..], &mut asked[..]);
        let send_counts: Vec<usize> = asked.iter().map(|&c| c as usize).collect();
        let mut requested = vec![0usize; send_counts.iter().sum()];
        large::alltoallv(comm, &ghosts, &recv_counts, &mut requested, &send_counts);
        let first = starts[rank];
        let send_index = requested.iter().map(|&g| g - first).collect();
        Ok(Pattern {
            own: cols.counts(0)[rank],
            ghosts,
            recv_counts,
            send_counts,
            send_index,
        })
    }

    /// Fills `buf[own..]` with the ghost entries of `x`, whose own block is `buf[..own]`.
    pub(crate) fn fetch<T: Element>(&self, comm: &SimpleCommunicator, buf: &mut [T]) {
        let send: Vec<T> = self.send_index.iter().map(|&i| buf[i]).collect();
        let ghosts = &mut buf[self.own..];
        large::exchange_blocks(comm, &send, &self.send_counts, ghosts, &self.recv_counts);
    }

    /// Sends the contributions `ghosts` (one per ghost entry) to the ranks owning those
    /// entries and adds what comes back for this rank's entries into `own`.
    pub(crate) fn return_sums<T: Element + std::ops::AddAssign>(
        &self,
        comm: &SimpleCommunicator,
        ghosts: &[T],
        own: &mut [T],
    ) {
        let mut back = vec![T::default(); self.send_index.len()];
        large::exchange_blocks(
            comm,
            ghosts,
            &self.recv_counts,
            &mut back,
            &self.send_counts,
        );
        for (&i, v) in self.send_index.iter().zip(back) {
            own[i] += v;
        }
    }
}
