//! Ghost cells around each block: widths per axis and side, what lies past the global edge
//! (nothing, periodic, a constant, a reflection), corners for 9-point stencils, and the
//! exchange — blocking, or split so interior points compute while halos travel — through
//! buffers allocated once.

use std::ops::Range;

use mpi::raw::AsRaw;
use ndarray::{Array, Dimension, Slice};

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::element::Element;
use crate::collective::large::pieces;
use crate::collective::pending::wait_all;
use crate::data::alloc::zeroed_vec;
use crate::distarray::array::{shaped, within, DistArray};
use crate::distarray::state::{Boundary, FaceCopy, Halo, HaloState, OwnCopy, Region};
use crate::error::{Error, Result};
use crate::raw;
use crate::runtime::agree::agree_on;

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Gives the array ghost cells as `halo` says (the block moves into a padded buffer once;
    /// ghosts start as `T::default()`), or removes them with widths of 0. The same `Err` on
    /// every rank if the halo does not fit the array: one entry per axis, and blocks along
    /// each split axis at least as long as the widths (a neighbour's ghosts come from one
    /// block), one element longer for `Reflect`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?; // one ghost cell each side of both axes
    ///     assert_eq!((a.ghosts(), a.padded().ncols()), (&[[1, 1], [1, 1]][..], 12));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn set_halo(&mut self, halo: Halo<T>) -> Result<()> {
        self.finish_halos()?;
        let ndim = self.grid.shape().len();
        let block = self.local().shape().to_vec();
        let mut problem = None;
        if halo.widths.len() != ndim || halo.boundaries.len() != ndim {
            problem = Some(format!(
                "a halo for {} axes on a {ndim}-axis array",
                halo.widths.len()
            ));
        }
        for (a, (w, b)) in halo
            .widths
            .iter()
            .zip(&halo.boundaries)
            .enumerate()
            .take(ndim)
        {
            let w = w[0].max(w[1]);
            let reflect = matches!(b, Boundary::Reflect);
            let need = w + usize::from(reflect && w > 0);
            let split = self.grid.dims()[a] > 1 || matches!(b, Boundary::Periodic);
            if (split || reflect) && w > 0 && block[a] < need {
                problem = Some(format!(
                    "halo width {w} along axis {a} needs blocks of at least {need} there; rank {} has {}",
                    self.rank, block[a]
                ));
            }
        }
        agree_on(
            &*self.comm,
            problem.map_or(Ok(()), |p| Err(Error::Shape(p))),
        )?;
        // The padded block.
        let padded: Vec<usize> = block
            .iter()
            .zip(&halo.widths)
            .map(|(n, w)| n + w[0] + w[1])
            .collect();
        let mut data: Array<T, D> = shaped(&padded, zeroed_vec(padded.iter().product()))?;
        {
            let mut inner = data.view_mut().into_dyn();
            for (a, (&n, w)) in block.iter().zip(&halo.widths).enumerate() {
                inner.slice_axis_inplace(ndarray::Axis(a), Slice::from(w[0]..w[0] + n));
            }
            inner.assign(&self.local().into_dyn());
        }
        self.data = data;
        self.ghosts = halo.widths.clone();
        self.stencil_boxes = None;
        let coords = self.grid.coords(self.rank);
        let neighbours = (0..ndim)
            .map(|a| {
                let dims = self.grid.dims()[a];
                let periodic = matches!(halo.boundaries[a], Boundary::Periodic);
                let at = |c: isize| -> Option<i32> {
                    let c = if periodic {
                        c.rem_euclid(dims as isize)
                    } else {
                        c
                    };
                    (0..dims as isize).contains(&c).then(|| {
                        let mut k = coords.clone();
                        k[a] = c as usize;
                        self.grid.rank_of(&k) as i32
                    })
                };
                [at(coords[a] as isize - 1), at(coords[a] as isize + 1)]
            })
            .collect();
        let mut state = HaloState {
            halo,
            neighbours,
            send: Vec::new(),
            recv: Vec::new(),
            faces: Vec::new(),
            ghost_faces: Vec::new(),
            face_copies: Vec::new(),
            ghost_copies: Vec::new(),
            own_copies: Vec::new(),
            requests: Vec::new(),
            in_flight: None,
        };
        for a in 0..ndim {
            let faces = [0, 1].map(|side| self.face(&state, a, side, false));
            let ghost_faces = [0, 1].map(|side| self.face(&state, a, side, true));
            // Packed buffers only for sides with another rank there.
            let remote = |side: usize| {
                state.neighbours[a][side].is_some_and(|peer| peer != self.rank as i32)
            };
            let sizes = |r: &Region, side: usize| {
                let n = if remote(side) {
                    r.iter().map(|r| r.len()).product()
                } else {
                    0
                };
                vec![T::default(); n]
            };
            state.send.push([sizes(&faces[0], 0), sizes(&faces[1], 1)]);
            state
                .recv
                .push([sizes(&ghost_faces[0], 0), sizes(&ghost_faces[1], 1)]);
            let padded = self.data.shape().to_vec();
            state
                .face_copies
                .push([0, 1].map(|k| FaceCopy::of(&padded, &faces[k])));
            state
                .ghost_copies
                .push([0, 1].map(|k| FaceCopy::of(&padded, &ghost_faces[k])));
            let own = |side: usize| {
                (state.neighbours[a][side] == Some(self.rank as i32))
                    .then(|| OwnCopy::of(&padded, &faces[1 - side], &ghost_faces[side]))
            };
            state.own_copies.push([own(0), own(1)]);
            state.faces.push(faces);
            state.ghost_faces.push(ghost_faces);
        }
        self.halo = (ndim > 0 && state.halo.widths.iter().any(|w| w != &[0, 0])).then_some(state);
        Ok(())
    }

    /// The region of the padded block that axis `a`'s exchange sends (`ghost == false`: the
    /// block's first or last cells, `side` 0 or 1) or fills (`ghost == true`). Axes before `a`
    /// span their ghosts too when corners are on, so corner values travel along.
    fn face(&self, state: &HaloState<T>, a: usize, side: usize, ghost: bool) -> Region {
        let shape = self.data.shape();
        let w = &state.halo.widths;
        (0..shape.len())
            .map(|b| {
                let (lo, n) = (w[b][0], shape[b] - w[b][0] - w[b][1]);
                if b == a {
                    // Sending down fills the lower neighbour's upper ghosts (width w[a][1]).
                    match (side, ghost) {
                        (0, false) => lo..lo + w[a][1],
                        (1, false) => lo + n - w[a][0]..lo + n,
                        (0, true) => 0..lo,
                        _ => lo + n..shape[b],
                    }
                } else if state.halo.corners && b < a {
                    0..shape[b]
                } else {
                    lo..lo + n
                }
            })
            .collect()
    }

    /// Exchanges the ghost cells (blocking): [`begin_halos`](Self::begin_halos) then
    /// [`finish_halos`](Self::finish_halos). Nothing for an array without a halo.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::{Boundary, Halo}, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1).boundary(0, Boundary::Periodic))?;
    ///     a.exchange_halos()?;
    ///     // The ghost row before the block holds the row before it (row 99 before row 0).
    ///     assert_eq!(a.padded()[[0, 1]], ((a.offset()[0] + 99) % 100) as f64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn exchange_halos(&mut self) -> Result<()> {
        self.begin_halos()?;
        self.finish_halos()
    }

    /// Starts the exchange: packs the faces into the halo's buffers and posts the messages,
    /// then returns, so the program can compute points that need no ghost cells (see
    /// [`interior`](Self::interior)) while they travel. The block may be read and written
    /// meanwhile (MPI only touches the halo's own buffers). With corners on, only the first
    /// axis starts here; the others follow in `finish_halos`.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::{s, Ix2}, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     a.begin_halos()?;
    ///     let inner = a.interior(1); // while the ghost rows travel, work on the points that need none
    ///     println!("{}", a.local().slice(s![inner[0].clone(), inner[1].clone()]).sum());
    ///     a.finish_halos()?;
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn begin_halos(&mut self) -> Result<()> {
        self.finish_halos()?;
        let Some(mut state) = self.halo.take() else {
            return Ok(());
        };
        let last = if state.halo.corners {
            1
        } else {
            self.data.ndim()
        };
        for a in 0..last {
            self.start_axis(&mut state, a);
            if !state.halo.corners {
                // Past the global edges the ghosts depend on this block alone: filled now,
                // so `interior` may span axes that exchange nothing.
                self.fill_edges(&state, a);
            }
        }
        state.in_flight = Some(last);
        self.halo = Some(state);
        Ok(())
    }

    /// Completes the exchange begun by [`begin_halos`](Self::begin_halos): waits for the
    /// messages, fills the ghosts (and the global edges by their boundary rule), then runs
    /// the remaining axes when corners are on. Nothing if no exchange is in flight.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     a.begin_halos()?;
    ///     a.finish_halos()?; // now the ghost row before a block holds the row before it
    ///     assert!(a.offset()[0] == 0 || a.padded()[[0, 1]] == (a.offset()[0] - 1) as f64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn finish_halos(&mut self) -> Result<()> {
        let Some(mut state) = self.halo.take() else {
            return Ok(());
        };
        if let Some(started) = state.in_flight.take() {
            self.complete(&mut state, 0..started);
            for a in started..self.data.ndim() {
                self.start_axis(&mut state, a);
                self.complete(&mut state, a..a + 1);
            }
        }
        self.halo = Some(state);
        Ok(())
    }

    /// Packs axis `a`'s faces and posts its receives and sends.
    fn start_axis(&mut self, state: &mut HaloState<T>, a: usize) {
        let dt = T::equivalent_datatype();
        for side in 0..2 {
            let Some(peer) = state.neighbours[a][side] else {
                continue;
            };
            if let Some(own) = &state.own_copies[a][side] {
                // My own neighbour (periodic, one rank along the axis): the other side's face
                // straight into these ghosts, now (as a peer would receive it as it is now).
                own.run(
                    self.data
                        .as_slice_mut()
                        .expect("a padded block is contiguous"),
                    &self.pool,
                );
                continue;
            }
            state.face_copies[a][side].pack(
                self.data.as_slice().expect("a padded block is contiguous"),
                &mut state.send[a][side],
                &self.pool,
            );
            // Receive into my ghosts on `side` what the peer sent towards me: tag 2a + 1 for
            // "up" (from below), 2a for "down" (from above).
            let (in_tag, out_tag) = if side == 0 {
                (2 * a + 1, 2 * a)
            } else {
                (2 * a, 2 * a + 1)
            };
            let comm = self.comm.as_raw();
            let recv = &mut state.recv[a][side];
            for p in pieces::<T>(recv.len()) {
                let mut req = raw::request_null();
                // SAFETY: the halo's buffers live in the array, whose Drop waits for these.
                unsafe {
                    raw::irecv(
                        recv_ptr(&mut recv[p.clone()]),
                        p.len() as i32,
                        dt.as_raw(),
                        peer,
                        in_tag as i32,
                        comm,
                        &mut req,
                    );
                }
                state.requests.push(req);
            }
            let send = &state.send[a][side];
            for p in pieces::<T>(send.len()) {
                let mut req = raw::request_null();
                // SAFETY: as above.
                unsafe {
                    raw::isend(
                        send_ptr(&send[p.clone()]),
                        p.len() as i32,
                        dt.as_raw(),
                        peer,
                        out_tag as i32,
                        comm,
                        &mut req,
                    );
                }
                state.requests.push(req);
            }
        }
    }

    /// Waits for what is in flight and fills the ghosts of `axes`.
    fn complete(&mut self, state: &mut HaloState<T>, axes: Range<usize>) {
        wait_all(&mut state.requests);
        for a in axes {
            for side in 0..2 {
                // From myself (periodic, one rank along the axis): copied by `start_axis`.
                if state.neighbours[a][side].is_some() && state.own_copies[a][side].is_none() {
                    state.ghost_copies[a][side].unpack(
                        &state.recv[a][side],
                        self.data
                            .as_slice_mut()
                            .expect("a padded block is contiguous"),
                        &self.pool,
                    );
                }
            }
            if state.halo.corners {
                // Corners: the edge ghosts span the ghosts of earlier axes, complete by now.
                self.fill_edges(state, a);
            }
        }
    }

    /// Fills axis `a`'s ghosts past the global edges by the boundary rule.
    fn fill_edges(&mut self, state: &HaloState<T>, a: usize) {
        for side in 0..2 {
            if state.neighbours[a][side].is_some() {
                continue;
            }
            let region = &state.ghost_faces[a][side];
            match state.halo.boundaries[a] {
                Boundary::Constant(c) => within(self.data.view_mut().into_dyn(), region).fill(c),
                Boundary::Reflect => self.reflect(state, a, side, region),
                Boundary::None | Boundary::Periodic => {}
            }
        }
    }

    /// Mirrors the block about its edge element into the ghosts of `region` (axis `a`), slab
    /// by slab, through views (nothing allocated).
    fn reflect(&mut self, state: &HaloState<T>, a: usize, side: usize, region: &Region) {
        let lo = state.halo.widths[a][0];
        let n = self.data.shape()[a] - lo - state.halo.widths[a][1];
        let axis = ndarray::Axis(a);
        let mut view = self.data.view_mut().into_dyn();
        for (b, r) in region.iter().enumerate() {
            if b != a {
                view.slice_axis_inplace(ndarray::Axis(b), Slice::from(r.clone()));
            }
        }
        for g in region[a].clone() {
            // Distance from the edge element: ghost lo-1-k mirrors lo+1+k; ghost lo+n+k
            // mirrors lo+n-2-k.
            let src = if side == 0 {
                2 * lo - g
            } else {
                2 * (lo + n - 1) - g
            };
            let v = view.view_mut();
            if src < g {
                let (from, mut to) = v.split_at(axis, g);
                to.index_axis_mut(axis, 0)
                    .assign(&from.index_axis(axis, src));
            } else {
                let (mut to, from) = v.split_at(axis, src);
                to.index_axis_mut(axis, g).assign(&from.index_axis(axis, 0));
            }
        }
    }

    /// Whether an exchange begun by [`begin_halos`](Self::begin_halos) is still to finish.
    pub(crate) fn halo_in_flight(&self) -> bool {
        self.halo.as_ref().is_some_and(|h| h.in_flight.is_some())
    }

    /// Local index ranges (of the block, without ghosts) of the points whose stencil of
    /// `reach` cells along every axis needs no message: they can be computed while halos
    /// travel. Along an axis that exchanges nothing (a single block, not periodic, with
    /// corners off) that is the whole axis, as the edge ghosts are filled by
    /// [`begin_halos`](Self::begin_halos); elsewhere it stops `reach` cells short of each end.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     assert_eq!(a.interior(1)[1], 0..10); // axis 1 exchanges nothing: every column
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn interior(&self, reach: usize) -> Vec<Range<usize>> {
        let alone = |a: usize| {
            self.halo
                .as_ref()
                .is_some_and(|h| !h.halo.corners && h.neighbours[a] == [None, None])
        };
        self.local()
            .shape()
            .iter()
            .enumerate()
            .map(|(a, &n)| {
                if alone(a) {
                    0..n
                } else {
                    reach.min(n)..n.saturating_sub(reach).max(reach.min(n))
                }
            })
            .collect()
    }

    /// Disjoint boxes (local index ranges) that, with [`interior`](Self::interior), cover
    /// the block: the points that need ghost cells.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{distarray::Halo, ndarray::Ix2, DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<f64, Ix2>::from_fn(world, Grid::rows(&[100, 10], world.size() as usize), |i| i[0] as f64)?;
    ///     a.set_halo(Halo::new(2, 1))?;
    ///     let points = |b: &[std::ops::Range<usize>]| b.iter().map(|r| r.len()).product::<usize>();
    ///     let rim: usize = a.rim(1).iter().map(|b| points(b)).sum(); // with the interior: the block
    ///     assert_eq!(points(&a.interior(1)) + rim, a.local().len());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn rim(&self, reach: usize) -> Vec<Vec<Range<usize>>> {
        let shape = self.local().shape().to_vec();
        let inner = self.interior(reach);
        let mut boxes = Vec::new();
        // Slab by slab: along axis a, the parts below and above the interior, spanning the
        // interior on axes before a and everything on axes after it.
        for a in 0..shape.len() {
            for part in [0..inner[a].start, inner[a].end..shape[a]] {
                if part.is_empty() {
                    continue;
                }
                let b: Vec<Range<usize>> = (0..shape.len())
                    .map(|k| match k.cmp(&a) {
                        std::cmp::Ordering::Less => inner[k].clone(),
                        std::cmp::Ordering::Equal => part.clone(),
                        std::cmp::Ordering::Greater => 0..shape[k],
                    })
                    .collect();
                if b.iter().all(|r| !r.is_empty()) {
                    boxes.push(b);
                }
            }
        }
        boxes
    }
}
