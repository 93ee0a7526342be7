//! Building a [`SparseMatrix`] from (row, column, value) triplets given on any rank: each
//! triplet travels once to the rank owning its row (one alltoallv), duplicates are summed in
//! the order they were given (rank by rank), the columns are renumbered locally and the ghost
//! pattern is worked out.

use std::cell::RefCell;

use mpi::collective::CommunicatorCollectives;
use mpi::topology::Communicator;
use ndarray::Ix1;

use crate::collective::large;
use crate::distarray::{DistArray, Grid};
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;
use crate::sparse::matrix::{SparseElement, SparseMatrix};
use crate::sparse::pattern::{block_starts, owner, Pattern};

impl<T: SparseElement> SparseMatrix<T> {
    /// The matrix whose entries are the `triplets` (global row, global column, value) that
    /// every rank gives (any rank may give any entry, or none; entries given more than once
    /// are summed, as scipy's `coo_matrix((v, (i, j))).tocsr()` does), with its rows split
    /// over the ranks as `rows` says and its columns (the entries of the `x` it multiplies) as
    /// `cols` says: two 1-D grids whose lengths are the matrix's shape. An entry outside the
    /// shape, or grids that are not 1-D or differ between ranks, are the same `Err` on every
    /// rank. Collective.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::sparse::SparseMatrix;
    /// use mpikit::Grid;
    /// mpikit::run(|world| {
    ///     let (p, r) = (world.size() as usize, world.rank() as usize);
    ///     // Every rank gives the entry (r, r) = 1 and adds 1 to (0, 0): entries summed.
    ///     let t = vec![(r, r, 1.0), (0, 0, 1.0)];
    ///     let a = SparseMatrix::from_triplets(world, Grid::rows(&[p], p), Grid::rows(&[p], p), &t)?;
    ///     assert_eq!(a.nnz()?, p);
    ///     assert_eq!(a.diagonal()?.allgather()?[0], p as f64 + 1.0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn from_triplets(
        comm: &(impl Comm + ?Sized),
        rows: Grid,
        cols: Grid,
        triplets: &[(usize, usize, T)],
    ) -> Result<SparseMatrix<T>> {
        let (comm, pool) = DistArray::<T, Ix1>::setup(comm)?;
        DistArray::<T, Ix1>::check_grid(&comm, &rows)?;
        DistArray::<T, Ix1>::check_grid(&comm, &cols)?;
        let (m, n) = (rows.shape()[0], cols.shape()[0]);
        let outside = triplets.iter().find(|t| t.0 >= m || t.1 >= n);
        agree_on(
            &*comm,
            match outside {
                Some(t) => Err(Error::Shape(format!(
                    "SparseMatrix::from_triplets: entry ({}, {}) is outside the {m} x {n} matrix",
                    t.0, t.1
                ))),
                None => Ok(()),
            },
        )?;
        let (rank, p) = (comm.rank() as usize, comm.size() as usize);

        // Every triplet to the rank owning its row, in the order given.
        let row_starts = block_starts(&rows);
        let owners: Vec<usize> = triplets.iter().map(|t| owner(&row_starts, t.0)).collect();
        let mut send_counts = vec![0usize; p];
        for &o in &owners {
            send_counts[o] += 1;
        }
        let mut at = large::displs_of(&send_counts);
        let mut order = vec![0usize; triplets.len()];
        for (k, &o) in owners.iter().enumerate() {
            order[at[o]] = k;
            at[o] += 1;
        }
        let counts64: Vec<u64> = send_counts.iter().map(|&c| c as u64).collect();
        let mut recv64 = vec![0u64; p];
        comm.all_to_all_into(&counts64[..], &mut recv64[..]);
        let recv_counts: Vec<usize> = recv64.iter().map(|&c| c as usize).collect();
        let total: usize = recv_counts.iter().sum();
        let route = |part: &dyn Fn(usize) -> usize| {
            let send: Vec<usize> = order.iter().map(|&k| part(k)).collect();
            let mut got = vec![0usize; total];
            large::alltoallv(&*comm, &send, &send_counts, &mut got, &recv_counts);
            got
        };
        let got_rows = route(&|k| triplets[k].0);
        let got_cols = route(&|k| triplets[k].1);
        let send_values: Vec<T> = order.iter().map(|&k| triplets[k].2).collect();
        let mut got_values = vec![T::default(); total];
        large::alltoallv(
            &*comm,
            &send_values,
            &send_counts,
            &mut got_values,
            &recv_counts,
        );
        drop(send_values);

        // Sorted by (row, column), stably: duplicates summed in the order given.
        let mut by_entry: Vec<usize> = (0..total).collect();
        by_entry.sort_by_key(|&k| (got_rows[k], got_cols[k]));
        let first_row = row_starts[rank];
        let local_rows = rows.counts(0)[rank];
        let mut row_start = vec![0usize; local_rows + 1];
        let mut entries: Vec<(usize, T)> = Vec::with_capacity(total);
        let mut last: Option<(usize, usize)> = None;
        for &k in &by_entry {
            let (r, c, v) = (got_rows[k], got_cols[k], got_values[k]);
            if last == Some((r, c)) {
                entries.last_mut().expect("a previous entry").1 += v;
            } else {
                entries.push((c, v));
                row_start[r - first_row + 1] += 1;
                last = Some((r, c));
            }
        }
        for i in 0..local_rows {
            row_start[i + 1] += row_start[i];
        }

        // Columns outside this rank's block of x are ghosts, numbered after the block.
        let col_starts = block_starts(&cols);
        let (own_first, own_end) = (col_starts[rank], col_starts[rank + 1]);
        let mut ghosts: Vec<usize> = entries
            .iter()
            .map(|e| e.0)
            .filter(|&c| c < own_first || c >= own_end)
            .collect();
        ghosts.sort_unstable();
        ghosts.dedup();
        let own = own_end - own_first;
        let fits = own + ghosts.len() <= u32::MAX as usize;
        agree_on(
            &*comm,
            if fits {
                Ok(())
            } else {
                Err(Error::Shape(format!(
                    "SparseMatrix: rank {rank}'s rows read {} entries of x, more than 2^32",
                    own + ghosts.len()
                )))
            },
        )?;
        let col: Vec<u32> = entries
            .iter()
            .map(|&(c, _)| {
                if (own_first..own_end).contains(&c) {
                    (c - own_first) as u32
                } else {
                    (own + ghosts.binary_search(&c).expect("a ghost")) as u32
                }
            })
            .collect();
        let values: Vec<T> = entries.into_iter().map(|e| e.1).collect();
        let pattern = Pattern::new(&comm, &cols, ghosts)?;
        Ok(SparseMatrix {
            scratch: RefCell::new(Vec::new()),
            comm,
            pool,
            rank,
            rows,
            cols,
            row_start,
            col,
            values,
            pattern,
        })
    }
}
