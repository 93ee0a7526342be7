//! Sorting a 1-D [`DistArray`] across ranks: [`sort`](DistArray::sort),
//! [`argsort`](DistArray::argsort) and [`unique`](DistArray::unique), in numpy's order (NaNs
//! last), stable, the result in balanced blocks.
//!
//! Each rank sorts its block (std's sort, made stable where equal keys hold different bits);
//! exact splitters are found by a 64-way search over the key range (one small allreduce per
//! round, at most 11 rounds), with ties cut in rank order so equal values keep their global
//! order; one `alltoallv` moves every element to its rank once, and
//! each rank merges the sorted runs it received.

use mpi::collective::{CommunicatorCollectives, SystemOperation};
use mpi::topology::Communicator;
use ndarray::{Array1, Ix1};

use crate::collective::element::Element;
use crate::collective::large;
use crate::collective::object::ObjectCollectives;
use crate::distarray::array::DistArray;
use crate::distarray::count_sort;
use crate::distarray::grid::Grid;
use crate::distarray::local_sort::{merge_runs, sort_stably, SortElement};
use crate::error::Result;

impl<T: SortElement> DistArray<T, Ix1> {
    /// numpy's `sort(a, kind="stable")` of the whole array: a new array, balanced blocks
    /// ([`Grid::rows`]) over the same ranks, every element moved once. Equal values keep their
    /// global order (`-0.0` and `0.0` are equal); NaNs go last.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     // 999, 998, ..., 0 in blocks: sorted, rank 0 holds the smallest.
    ///     let a = DistArray::<f64, Ix1>::from_fn(world, Grid::rows(&[1000], n), |i| (999 - i[0]) as f64)?;
    ///     let s = a.sort()?;
    ///     assert_eq!(s.local()[0], s.offset()[0] as f64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn sort(&self) -> Result<DistArray<T, Ix1>> {
        let mine = self.local_elements();
        let range = key_range(&*self.comm, key_bounds(&mine));
        let (n, p) = (self.grid.shape()[0], self.comm.size() as usize);
        if count_sort::counts_suffice::<T>(range.0, range.1, n, p) {
            let out = Grid::rows(&[n], p);
            let block = (
                out.block_offset(self.rank)[0],
                out.block_shape(self.rank)[0],
                n,
            );
            let sorted = count_sort::sorted_block(&*self.comm, &mine, range, block, &self.pool);
            return Ok(self.balanced(sorted));
        }
        let mut mine = mine.into_owned();
        sort_stably(&mut mine);
        let key = |x: &T| x.sort_key();
        let (send, recv) = self.split_sorted(&mine, key, range)?;
        let (got, bounds) = exchange(&*self.comm, &mine, &send, &recv);
        // `mine`'s buffer, already touched, receives the merge.
        let merged = merge_runs(got, bounds, key, &self.pool, mine);
        Ok(self.balanced(merged))
    }

    /// numpy's `argsort(a, kind="stable")`: the global indices that sort the array, as a new
    /// array of `usize` in balanced blocks ([`Grid::rows`]): element `k` of the result is the
    /// index of the `k`-th smallest value, equal values in index order.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<i64, Ix1>::from_fn(world, Grid::rows(&[6], n), |i| [3, 1, 2, 1, 0, 3][i[0]])?;
    ///     assert_eq!(a.argsort()?.allgather()?.to_vec(), vec![4, 1, 3, 2, 0, 5]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn argsort(&self) -> Result<DistArray<usize, Ix1>> {
        let first = self.offset[0];
        let mut pairs: Vec<(u64, usize)> = self
            .local_elements()
            .iter()
            .enumerate()
            .map(|(i, x)| (x.sort_key(), first + i))
            .collect();
        pairs.sort_unstable(); // (key, index): distinct, so this order is the stable one
        let local = (
            pairs.first().map_or(u64::MAX, |p| p.0),
            pairs.last().map_or(0, |p| p.0),
        );
        let range = key_range(&*self.comm, local);
        let (send, recv) = self.split_sorted(&pairs, |p| p.0, range)?;
        let (keys, indices): (Vec<u64>, Vec<usize>) = pairs.into_iter().unzip();
        let (keys, bounds) = exchange(&*self.comm, &keys, &send, &recv);
        let (indices, _) = exchange(&*self.comm, &indices, &send, &recv);
        let pairs: Vec<(u64, usize)> = keys.into_iter().zip(indices).collect();
        let merged = merge_runs(pairs, bounds, |p| p.0, &self.pool, Vec::new());
        Ok(self.balanced(merged.into_iter().map(|p| p.1).collect()))
    }

    /// numpy's `unique(a, return_counts=True)`: the distinct values in order (NaNs as one
    /// value, `-0.0` and `0.0` as one, the first met kept) and how many times each occurs, as
    /// two arrays with the same blocks. The blocks are what each rank's share of the sorted
    /// array held, so they are uneven; [`rebalance`](DistArray::rebalance) evens them out.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{ndarray::Ix1, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let n = world.size() as usize;
    ///     let a = DistArray::<i32, Ix1>::from_fn(world, Grid::rows(&[100], n), |i| (i[0] % 3) as i32)?;
    ///     let (values, counts) = a.unique()?;
    ///     assert_eq!(values.allgather()?.to_vec(), vec![0, 1, 2]);
    ///     assert_eq!(counts.allgather()?.to_vec(), vec![34, 33, 33]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn unique(&self) -> Result<(DistArray<T, Ix1>, DistArray<usize, Ix1>)> {
        let sorted = self.sort()?;
        let s = sorted.local_elements();
        let mut runs: Vec<(T, usize)> = Vec::new();
        for &x in s.iter() {
            match runs.last_mut() {
                Some((v, c)) if v.sort_key() == x.sort_key() => *c += 1,
                _ => runs.push((x, 1)),
            }
        }
        // Every rank's [non-empty, first key, last key, first run's count, its length].
        let summary = match (runs.first(), runs.last()) {
            (Some(f), Some(l)) => [
                1,
                f.0.sort_key(),
                l.0.sort_key(),
                f.1 as u64,
                s.len() as u64,
            ],
            _ => [0; 5],
        };
        let p = self.comm.size() as usize;
        let mut all = vec![0u64; 5 * p];
        self.comm.all_gather_into(&summary[..], &mut all[..]);
        let rank_summary = |r: usize| &all[5 * r..5 * r + 5];
        let me = self.rank;
        if let (Some(first), Some(last)) = (runs.first().copied(), runs.last().copied()) {
            // The first run continues one on the last non-empty rank before: it is counted there.
            let continues = (0..me)
                .rev()
                .map(rank_summary)
                .find(|s| s[0] == 1)
                .is_some_and(|s| s[2] == first.0.sort_key());
            // The last run owns what the next ranks hold of its value.
            let mut extra = 0;
            for s in (me + 1..p).map(rank_summary).filter(|s| s[0] == 1) {
                if s[1] != last.0.sort_key() {
                    break;
                }
                extra += s[3] as usize;
                if s[3] != s[4] {
                    break; // that rank holds other values after the run
                }
            }
            runs.last_mut().expect("non-empty").1 += extra;
            if continues {
                runs.remove(0);
            }
        }
        drop(s);
        let counts = self.comm.allgather_objects(&runs.len())?;
        let grid = Grid::with_counts(&[counts.iter().sum()], vec![counts])?;
        let (values, occurrences): (Vec<T>, Vec<usize>) = runs.into_iter().unzip();
        Ok((
            sorted.sibling(grid.clone(), Array1::from_vec(values)),
            sorted.sibling(grid, Array1::from_vec(occurrences)),
        ))
    }

    /// Where this rank's sorted `data` splits among the ranks so that rank `j` receives
    /// exactly its [`Grid::rows`] block of the sorted array: the counts to send to each rank
    /// and to receive from each. `(lo, hi)` is the key range over every rank.
    fn split_sorted<E>(
        &self,
        data: &[E],
        key: impl Fn(&E) -> u64,
        (lo, hi): (u64, u64),
    ) -> Result<(Vec<usize>, Vec<usize>)> {
        let comm = &*self.comm;
        let p = comm.size() as usize;
        if p == 1 {
            return Ok((vec![data.len()], vec![data.len()]));
        }
        let n = self.grid.shape()[0];
        let out = Grid::rows(&[n], p);
        let targets: Vec<u64> = (1..p).map(|j| out.block_offset(j)[0] as u64).collect();
        let below = |v: u64| data.partition_point(|e| key(e) < v);
        let at_most = |v: u64| match v.checked_add(1) {
            Some(next) => below(next),
            None => data.len(),
        };
        // For each target g: the smallest key v with (elements with key <= v) >= g, by a
        // 64-way search (up to 11 rounds of one small allreduce, not 64 halvings).
        const WAYS: u64 = 64;
        let mut lows = vec![lo.min(hi); p - 1];
        let mut highs = vec![hi; p - 1];
        while lows.iter().zip(&highs).any(|(l, h)| l < h) {
            // Probes l + (h - l) * i / WAYS for i = 1..=WAYS (the last is h).
            let probes: Vec<u64> = lows
                .iter()
                .zip(&highs)
                .flat_map(|(&l, &h)| {
                    (1..=WAYS).map(move |i| l + ((h - l) as u128 * i as u128 / WAYS as u128) as u64)
                })
                .collect();
            let mine: Vec<u64> = probes.iter().map(|&m| at_most(m) as u64).collect();
            let mut total = vec![0u64; probes.len()];
            comm.all_reduce_into(&mine[..], &mut total[..], SystemOperation::sum());
            for j in 0..p - 1 {
                if lows[j] >= highs[j] {
                    continue;
                }
                let at = j * WAYS as usize;
                // The first probe with enough elements at or below it (the last always has).
                let i = (0..WAYS as usize)
                    .find(|&i| total[at + i] >= targets[j])
                    .unwrap_or(WAYS as usize - 1);
                highs[j] = probes[at + i];
                if i > 0 {
                    lows[j] = probes[at + i - 1] + 1;
                }
            }
        }
        // Below v everything goes before the cut; of the values equal to v, the lowest ranks'
        // come first (their global indices are smaller), as many as the target still needs.
        let less: Vec<u64> = lows.iter().map(|&v| below(v) as u64).collect();
        let equal: Vec<u64> = lows
            .iter()
            .zip(&less)
            .map(|(&v, &l)| at_most(v) as u64 - l)
            .collect();
        let mut less_total = vec![0u64; p - 1];
        comm.all_reduce_into(&less[..], &mut less_total[..], SystemOperation::sum());
        let mut equal_before = vec![0u64; p - 1];
        comm.exclusive_scan_into(&equal[..], &mut equal_before[..], SystemOperation::sum());
        if comm.rank() == 0 {
            equal_before.fill(0); // MPI leaves rank 0's result undefined
        }
        let mut cuts = vec![0usize];
        for j in 0..p - 1 {
            let wanted = targets[j].saturating_sub(less_total[j] + equal_before[j]);
            cuts.push((less[j] + wanted.min(equal[j])) as usize);
        }
        cuts.push(data.len());
        let send: Vec<usize> = cuts.windows(2).map(|w| w[1] - w[0]).collect();
        let send64: Vec<u64> = send.iter().map(|&c| c as u64).collect();
        let mut recv64 = vec![0u64; p];
        comm.all_to_all_into(&send64[..], &mut recv64[..]);
        Ok((send, recv64.iter().map(|&c| c as usize).collect()))
    }

    /// A new array over the same ranks holding `local` as this rank's [`Grid::rows`] block.
    fn balanced<U: Element>(&self, local: Vec<U>) -> DistArray<U, Ix1> {
        let grid = Grid::rows(self.grid.shape(), self.comm.size() as usize);
        self.sibling(grid, Array1::from_vec(local))
    }
}

/// The smallest and largest key of `data` (`(u64::MAX, 0)` when empty), in eight lanes so
/// the loop vectorises (one fold's dependent chain took longer than the counting pass).
fn key_bounds<T: SortElement>(data: &[T]) -> (u64, u64) {
    let (mut lo, mut hi) = ([u64::MAX; 8], [0u64; 8]);
    let chunks = data.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..8 {
            let k = c[j].sort_key();
            lo[j] = lo[j].min(k);
            hi[j] = hi[j].max(k);
        }
    }
    for (j, x) in rest.iter().enumerate() {
        let k = x.sort_key();
        lo[j] = lo[j].min(k);
        hi[j] = hi[j].max(k);
    }
    (
        lo.into_iter().min().unwrap_or(u64::MAX),
        hi.into_iter().max().unwrap_or(0),
    )
}

/// The key range `(smallest, largest)` over every rank, from each rank's `(lo, hi)` (`lo >
/// hi` on a rank without elements, everywhere when the array is empty). Gathered, not
/// reduced: MPICH 4.0's MPI_MIN / MPI_MAX compare 64-bit unsigned integers as signed (a key of
/// 2^63 came back as the minimum, 0 as the maximum).
fn key_range<C: Communicator + ?Sized>(comm: &C, (lo, hi): (u64, u64)) -> (u64, u64) {
    let mut ends = vec![0u64; 2 * comm.size() as usize];
    comm.all_gather_into(&[lo, hi][..], &mut ends[..]);
    let lo = ends.iter().step_by(2).copied().min().unwrap_or(u64::MAX);
    let hi = ends.iter().skip(1).step_by(2).copied().max().unwrap_or(0);
    (lo, hi)
}

/// Sends block `r` of `send` (by `send_counts`) to rank `r` and receives every rank's block;
/// returns the received elements and the bounds of the blocks in them.
fn exchange<C: Communicator + ?Sized, E: Element>(
    comm: &C,
    send: &[E],
    send_counts: &[usize],
    recv_counts: &[usize],
) -> (Vec<E>, Vec<usize>) {
    let total = recv_counts.iter().sum();
    let mut got = vec![E::default(); total];
    large::alltoallv(comm, send, send_counts, &mut got, recv_counts);
    let mut bounds = vec![0];
    for c in recv_counts {
        bounds.push(bounds.last().expect("non-empty") + c);
    }
    (got, bounds)
}
