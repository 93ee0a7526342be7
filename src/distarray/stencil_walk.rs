//! How a stencil walks its rows: the checks and the local boxes of a global index range
//! (worked out once per layout), the interior first while a halo exchange is in flight, and
//! the rows handed to the threads, each written by one of them.

use std::ops::Range;

use ndarray::Dimension;

use crate::collective::element::Element;
use crate::distarray::array::DistArray;
use crate::distarray::copy::standard_strides;
use crate::distarray::state::{rim_of, StencilBoxes};
use crate::error::{Error, Result};
use crate::runtime::threads::for_each_part;

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Checks, then runs `row(padded source, flat position of the row's first point, strides,
    /// the output row, scratch)` over the rows of the local part of `within`, the interior
    /// first while a halo exchange is in flight.
    pub(crate) fn over_points<R>(
        &mut self,
        out: &mut DistArray<T, D>,
        reach: usize,
        within: &[Range<usize>],
        what: &str,
        row: R,
    ) -> Result<()>
    where
        R: Fn(&[T], usize, &[usize], &mut [T], &mut Vec<(usize, T)>) + Sync,
    {
        let nd = self.grid.shape().len();
        if out.grid != self.grid || within.len() != nd || nd == 0 {
            return Err(Error::Shape(format!(
                "{what}: the output must have the input's layout and `within` one range per \
                 axis ({nd})"
            )));
        }
        let boxes = match self.stencil_boxes.take() {
            Some(b) if b.reach == reach && b.within.as_slice() == within => b,
            _ => {
                self.reach_fits(reach, within, what)?;
                Box::new(self.boxes(reach, within))
            }
        };
        let parts = if self.halo_in_flight() {
            &boxes.overlapped
        } else {
            &boxes.blocking
        };
        let mut ran = Ok(());
        for (b, after_halos) in parts {
            if *after_halos {
                ran = self.finish_halos();
                if ran.is_err() {
                    break;
                }
            }
            self.rows_of(out, b, &row);
        }
        self.stencil_boxes = Some(boxes);
        ran?;
        self.finish_halos()
    }

    /// The local boxes a stencil of `reach` over `within` computes, worked out once per
    /// layout: the whole local part, or, while a halo exchange is in flight, the interior
    /// first and the rim (after the exchange) next.
    fn boxes(&self, reach: usize, within: &[Range<usize>]) -> StencilBoxes {
        let nd = within.len();
        let block = self.local().shape().to_vec();
        let local: Vec<Range<usize>> = (0..nd)
            .map(|a| {
                let o = self.offset[a];
                let (lo, hi) = (within[a].start.max(o), within[a].end.min(o + block[a]));
                if lo < hi {
                    lo - o..hi - o
                } else {
                    0..0
                }
            })
            .collect();
        let mut boxes = StencilBoxes {
            reach,
            within: within.to_vec(),
            blocking: Vec::new(),
            overlapped: Vec::new(),
        };
        if local.iter().any(|r| r.is_empty()) {
            return boxes;
        }
        boxes.blocking.push((local.clone(), false));
        let inner = self.interior(reach);
        let cut: Vec<Range<usize>> = (0..nd)
            .map(|a| local[a].start.max(inner[a].start)..local[a].end.min(inner[a].end))
            .collect();
        if cut.iter().all(|r| !r.is_empty()) {
            boxes.overlapped.push((cut.clone(), false));
            for b in rim_of(&local, &cut) {
                boxes.overlapped.push((b, true));
            }
        } else {
            boxes.overlapped.push((local, true));
        }
        boxes
    }

    /// Whether every rank's points of `within` have their neighbours within `reach` inside
    /// the padded block (checked for every rank's block: the same answer on every rank).
    fn reach_fits(&self, reach: usize, within: &[Range<usize>], what: &str) -> Result<()> {
        let shape = self.grid.shape();
        for (a, r) in within.iter().enumerate() {
            if r.end > shape[a] {
                return Err(Error::Shape(format!(
                    "{what}: range {r:?} along axis {a} of an array of shape {shape:?}"
                )));
            }
        }
        for rank in 0..self.grid.ranks() {
            let (off, block) = (self.grid.block_offset(rank), self.grid.block_shape(rank));
            for (a, r) in within.iter().enumerate() {
                let (lo, hi) = (r.start.max(off[a]), r.end.min(off[a] + block[a]));
                if lo >= hi {
                    break;
                }
                let g = self.ghosts[a];
                if lo + g[0] < off[a] + reach || hi + reach > off[a] + block[a] + g[1] {
                    return Err(Error::Shape(format!(
                        "{what}: a reach of {reach} along axis {a} needs ghost cells there \
                         (rank {rank}'s points {lo}..{hi} of its block {}..{}, ghosts {g:?}): \
                         set_halo with a width of at least {reach}, or narrow `within`",
                        off[a],
                        off[a] + block[a]
                    )));
                }
            }
        }
        Ok(())
    }

    /// Runs `row` over the rows (along the last axis) of the local box `b`.
    fn rows_of<R>(&self, out: &mut DistArray<T, D>, b: &[Range<usize>], row: &R)
    where
        R: Fn(&[T], usize, &[usize], &mut [T], &mut Vec<(usize, T)>) + Sync,
    {
        let nd = b.len();
        let src = self.data.as_slice().expect("blocks are in standard layout");
        let strides = standard_strides(self.data.shape());
        let out_strides = standard_strides(out.data.shape());
        let (g, og) = (&self.ghosts, &out.ghosts);
        let rows: usize = b[..nd - 1].iter().map(|r| r.len()).product();
        let len = b[nd - 1].len();
        let dst_len = out.data.len();
        let dst = out
            .data
            .as_slice_mut()
            .expect("blocks are in standard layout");
        let dst = Dst(dst.as_mut_ptr());
        // Row k of the box: its first point in both padded blocks.
        let place = |mut k: usize| -> (usize, usize) {
            let (mut at, mut to) = (0, 0);
            for a in (0..nd).rev() {
                let i = if a == nd - 1 {
                    b[a].start
                } else {
                    let n = b[a].len();
                    let i = b[a].start + k % n;
                    k /= n;
                    i
                };
                at += (i + g[a][0]) * strides[a];
                to += (i + og[a][0]) * out_strides[a];
            }
            (at, to)
        };
        // Rows k, k + 1, ... of one line along axis nd - 2 follow each other by that axis's
        // stride: `place` (its divisions) once per line.
        let (line, step, out_step) = if nd >= 2 {
            (b[nd - 2].len().max(1), strides[nd - 2], out_strides[nd - 2])
        } else {
            (1, 0, 0)
        };
        let work = |range: Range<usize>| {
            let mut tmp = Vec::new();
            let mut k = range.start;
            while k < range.end {
                let (mut at, mut to) = place(k);
                let end = range.end.min((k / line + 1) * line);
                for _ in k..end {
                    assert!(to + len <= dst_len, "a stencil row past its block");
                    // SAFETY: rows of the output box are disjoint; each is written by one
                    // caller.
                    let out_row = unsafe { std::slice::from_raw_parts_mut(dst.get().add(to), len) };
                    row(src, at, &strides, out_row, &mut tmp);
                    (at, to) = (at + step, to + out_step);
                }
                k = end;
            }
        };
        for_each_part(&self.pool, rows, rows * len, work);
    }
}

/// A pointer to the output block that the rows' threads share (each writes its own rows).
#[derive(Clone, Copy)]
struct Dst<T>(*mut T);
// SAFETY: see the type's doc.
unsafe impl<T> Send for Dst<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Dst<T> {}

impl<T> Dst<T> {
    fn get(self) -> *mut T {
        self.0
    }
}
