//! Moving blocks between ranks: a new decomposition (only the overlaps move, in pieces of at
//! most `max_message_bytes`), rebalancing, filtering, and the whole array on one or every
//! rank.

use std::ops::Range;

use mpi::point_to_point::{Destination, Source};
use mpi::topology::Communicator;
use ndarray::{Array, Array1, Dimension, Ix1, IxDyn};

use crate::collective::element::Element;
use crate::collective::large::{self, max_elems, INTERNAL_TAG};
use crate::collective::object::ObjectCollectives;
use crate::distarray::array::{boxed, shaped, DistArray};
use crate::distarray::grid::Grid;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;

/// The overlap of two boxes (offset, shape), as ranges, if any element is in both.
fn overlap(a: (&[usize], &[usize]), b: (&[usize], &[usize])) -> Option<Vec<Range<usize>>> {
    let ranges: Vec<Range<usize>> = (0..a.0.len())
        .map(|k| a.0[k].max(b.0[k])..(a.0[k] + a.1[k]).min(b.0[k] + b.1[k]))
        .collect();
    ranges.iter().all(|r| r.start < r.end).then_some(ranges)
}

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// The same global array laid out by `grid` (same shape): each rank sends the overlap of
    /// its block with every other rank's new block, pairwise in pieces of at most
    /// [`max_message_bytes`](crate::max_message_bytes), so a rank holds its old and new
    /// blocks and one piece each way, nothing more. The same `Err` on every rank if `grid`
    /// has another shape or does not fit the communicator.
    pub fn redistribute(&self, grid: Grid) -> Result<DistArray<T, D>> {
        let same = if grid.shape() == self.grid.shape() {
            Ok(())
        } else {
            Err(Error::Shape(format!(
                "redistribute: the new grid has shape {:?}, the array {:?}",
                grid.shape(),
                self.grid.shape()
            )))
        };
        agree_on(&*self.comm, same)?;
        let mut out = DistArray::<T, D>::zeros(&*self.comm, grid)?;
        let (me, size) = (self.rank, self.grid.ranks());
        let old = self.local().into_dyn();
        let (old_off, old_shape) = (self.offset.clone(), old.shape().to_vec());
        let new_off = out.offset.clone();
        let new_shape = out.local().shape().to_vec();
        let new_grid = out.grid.clone();
        let mut new = out.local_mut().into_dyn();
        let to_local = |r: &[Range<usize>], off: &[usize]| -> (Vec<usize>, Vec<usize>) {
            (
                r.iter().zip(off).map(|(r, o)| r.start - o).collect(),
                r.iter().map(|r| r.len()).collect(),
            )
        };
        for k in 0..size {
            let (to, from) = ((me + k) % size, (me + size - k) % size);
            let theirs_new = (new_grid.block_offset(to), new_grid.block_shape(to));
            let theirs_old = (self.grid.block_offset(from), self.grid.block_shape(from));
            let send = overlap((&old_off, &old_shape), (&theirs_new.0, &theirs_new.1));
            let recv = overlap((&theirs_old.0, &theirs_old.1), (&new_off, &new_shape));
            let src = send.map(|r| {
                let (o, s) = to_local(&r, &old_off);
                boxed(old.view(), &s, &o)
            });
            let dst = recv.map(|r| to_local(&r, &new_off));
            if k == 0 {
                if let (Some(src), Some((o, s))) = (src, dst) {
                    boxed(new.view_mut(), &s, &o).assign(&src);
                }
                continue;
            }
            let mut dst = dst.map(|(o, s)| boxed(new.view_mut(), &s, &o));
            let mut outgoing = src.as_ref().map(|v| v.iter());
            let mut incoming = dst.as_mut().map(|v| v.iter_mut());
            let (dest, source) = (
                self.comm.process_at_rank(to as i32),
                self.comm.process_at_rank(from as i32),
            );
            let step = max_elems::<T>();
            let (mut piece, mut got) = (Vec::with_capacity(step), vec![T::default(); step]);
            loop {
                piece.clear();
                if let Some(it) = outgoing.as_mut() {
                    piece.extend(it.by_ref().take(step).copied());
                }
                let want = incoming.as_ref().map_or(0, |it| it.len().min(step));
                match (piece.is_empty(), want) {
                    (true, 0) => break,
                    (false, 0) => dest.send_with_tag(&piece[..], INTERNAL_TAG),
                    (true, n) => {
                        source.receive_into_with_tag(&mut got[..n], INTERNAL_TAG);
                    }
                    (false, n) => {
                        mpi::point_to_point::send_receive_into_with_tags(
                            &piece[..],
                            &dest,
                            INTERNAL_TAG,
                            &mut got[..n],
                            &source,
                            INTERNAL_TAG,
                        );
                    }
                }
                if let Some(it) = incoming.as_mut() {
                    for (&v, x) in got[..want].iter().zip(it.by_ref()) {
                        *x = v;
                    }
                }
            }
        }
        Ok(out)
    }

    /// [`redistribute`](Self::redistribute) onto balanced blocks over the same grid of
    /// ranks: after a program left blocks uneven (irregular counts, a filter).
    pub fn rebalance(&self) -> Result<DistArray<T, D>> {
        let grid = Grid::with_dims(self.grid.shape(), self.grid.dims())?;
        self.redistribute(grid)
    }

    /// The whole array on the root (`Some` there, `None` elsewhere): the root receives one
    /// block at a time.
    pub fn gather(&self, root: usize) -> Result<Option<Array<T, D>>> {
        let ok = if root < self.grid.ranks() {
            Ok(())
        } else {
            Err(Error::input(format!(
                "gather: root {root} of a {}-rank array",
                self.grid.ranks()
            )))
        };
        agree_on(&*self.comm, ok)?;
        if self.rank != root {
            let mine = self.local_elements();
            large::send(&*self.comm, root as i32, INTERNAL_TAG, &mine);
            return Ok(None);
        }
        let shape = self.grid.shape().to_vec();
        let mut whole = Array::from_elem(IxDyn(&shape), T::default());
        for r in 0..self.grid.ranks() {
            let (off, bs) = (self.grid.block_offset(r), self.grid.block_shape(r));
            let mut place = boxed(whole.view_mut(), &bs, &off);
            if r == root {
                place.assign(&self.local().into_dyn());
            } else {
                let mut block = vec![T::default(); bs.iter().product()];
                large::receive_into(&*self.comm, r as i32, INTERNAL_TAG, &mut block);
                for (x, v) in place.iter_mut().zip(block) {
                    *x = v;
                }
            }
        }
        Ok(Some(shaped(&shape, whole.into_raw_vec_and_offset().0)?))
    }

    /// The whole array on every rank (a gather to rank 0 and a broadcast).
    pub fn allgather(&self) -> Result<Array<T, D>> {
        let gathered = self.gather(0)?;
        let shape = self.grid.shape().to_vec();
        let mut flat = match gathered {
            Some(a) => a.into_raw_vec_and_offset().0,
            None => vec![T::default(); shape.iter().product()],
        };
        large::broadcast(&*self.comm, 0, &mut flat);
        shaped(&shape, flat)
    }
}

impl<T: Element> DistArray<T, Ix1> {
    /// The elements for which `keep` is true, in global order, as a new 1-D array whose
    /// blocks are what each rank kept (uneven: [`rebalance`](DistArray::rebalance) evens
    /// them out). One small allgather of the counts.
    pub fn filter(&self, keep: impl Fn(T) -> bool + Sync) -> Result<DistArray<T, Ix1>> {
        let kept: Vec<T> = self.local().iter().copied().filter(|&x| keep(x)).collect();
        let counts = self.comm.allgather_objects(&kept.len())?;
        let grid = Grid::with_counts(&[counts.iter().sum()], vec![counts])?;
        DistArray::from_local(&*self.comm, grid, Array1::from_vec(kept))
    }
}
