//! A redistribution worked out once and run many times: which box of this rank's block goes
//! to which rank and which box of the destination block comes from which rank (optionally
//! with the axes permuted, for transposes), where each must be packed and where MPI can take
//! the memory as it lies, and the staging buffers, kept between calls so an iterative code
//! touches no fresh pages.
//!
//! A run posts every receive first (straight into the destination where the box lies in one
//! run there), packs and starts every send in pairwise order (rank + k gets the k-th), copies
//! this rank's own part while the messages travel, and unpacks each staged receive as soon as
//! it completes. Pieces are at most [`max_message_bytes`](crate::runtime::max_message_bytes) each.

use crate::raw::MPI_Request;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::element::Element;
use crate::collective::large::{pieces, INTERNAL_TAG};
use crate::data::alloc::zeroed_vec;
use crate::distarray::copy::{Assign, BoxCopy, Combine, Side};
use crate::distarray::grid::Grid;
use crate::raw;

/// What a plan was made for: both layouts (grids and ghost widths) and the axis order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Key {
    pub(crate) from: Grid,
    pub(crate) from_ghosts: Vec<[usize; 2]>,
    pub(crate) to: Grid,
    pub(crate) to_ghosts: Vec<[usize; 2]>,
    /// Destination axis `k` is source axis `axes[k]`.
    pub(crate) axes: Vec<usize>,
}

/// One rank's share: a box walked in the destination's axis order.
struct Part {
    peer: usize,
    shape: Vec<usize>,
    len: usize,
    /// Where the box lies in this rank's padded block (the source's for a send, the
    /// destination's for a receive).
    side: Side,
    /// The box between the block and a packed buffer (packing a send, unpacking a receive).
    copy: BoxCopy,
}

impl Part {
    /// A send's part: packed from the block.
    fn send(peer: usize, shape: Vec<usize>, side: Side) -> Part {
        let copy = BoxCopy::new(&side, &Side::packed(&shape, 0), &shape);
        Part {
            peer,
            len: shape.iter().product(),
            shape,
            side,
            copy,
        }
    }

    /// A receive's part: unpacked into the block.
    fn receive(peer: usize, shape: Vec<usize>, side: Side) -> Part {
        let copy = BoxCopy::new(&Side::packed(&shape, 0), &side, &shape);
        Part {
            peer,
            len: shape.iter().product(),
            shape,
            side,
            copy,
        }
    }
}

/// A redistribution plan for one rank (see the module doc).
pub(crate) struct Plan<T> {
    pub(crate) key: Key,
    sends: Vec<Part>,
    recvs: Vec<Part>,
    /// This rank's own part: straight from the source box into the destination box.
    local: Option<BoxCopy>,
    send_staging: Vec<T>,
    recv_staging: Vec<T>,
}

/// The padded shape of `rank`'s block.
fn padded(grid: &Grid, ghosts: &[[usize; 2]], rank: usize) -> Vec<usize> {
    grid.block_shape(rank)
        .iter()
        .zip(ghosts)
        .map(|(n, g)| n + g[0] + g[1])
        .collect()
}

impl<T: Element> Plan<T> {
    /// The plan of `rank` for `key`.
    pub(crate) fn new(key: Key, rank: usize) -> Plan<T> {
        let (from, to, axes) = (&key.from, &key.to, &key.axes);
        let nd = axes.len();
        let ranks = from.ranks();
        let (my_from_off, my_from_shape) = (from.block_offset(rank), from.block_shape(rank));
        let (my_to_off, my_to_shape) = (to.block_offset(rank), to.block_shape(rank));
        let from_padded = padded(from, &key.from_ghosts, rank);
        let to_padded = padded(to, &key.to_ghosts, rank);
        let identity: Vec<usize> = (0..nd).collect();
        // The overlap, per destination axis, of a source block and a destination block.
        let overlap = |s_off: &[usize], s_shape: &[usize], d_off: &[usize], d_shape: &[usize]| {
            let ranges: Vec<std::ops::Range<usize>> = (0..nd)
                .map(|k| {
                    let a = axes[k];
                    d_off[k].max(s_off[a])..(d_off[k] + d_shape[k]).min(s_off[a] + s_shape[a])
                })
                .collect();
            ranges.iter().all(|r| r.start < r.end).then_some(ranges)
        };
        let mut sends = Vec::new();
        let mut recvs = Vec::new();
        let mut local = None;
        for k in 0..ranks {
            // Pairwise order: the k-th send goes to rank + k, the k-th receive from rank - k.
            let (to_rank, from_rank) = ((rank + k) % ranks, (rank + ranks - k) % ranks);
            if let Some(r) = overlap(
                &my_from_off,
                &my_from_shape,
                &to.block_offset(to_rank),
                &to.block_shape(to_rank),
            ) {
                let shape: Vec<usize> = r.iter().map(|r| r.len()).collect();
                let mut start = vec![0; nd];
                for (k, r) in r.iter().enumerate() {
                    let a = axes[k];
                    start[a] = r.start - my_from_off[a] + key.from_ghosts[a][0];
                }
                let side = Side::of_box(&from_padded, &start, axes);
                if k == 0 {
                    let mut dst_start = vec![0; nd];
                    for (k, r) in r.iter().enumerate() {
                        dst_start[k] = r.start - my_to_off[k] + key.to_ghosts[k][0];
                    }
                    let dst = Side::of_box(&to_padded, &dst_start, &identity);
                    local = Some(BoxCopy::new(&side, &dst, &shape));
                } else {
                    sends.push(Part::send(to_rank, shape, side));
                }
            }
            if k == 0 {
                continue;
            }
            if let Some(r) = overlap(
                &from.block_offset(from_rank),
                &from.block_shape(from_rank),
                &my_to_off,
                &my_to_shape,
            ) {
                let shape: Vec<usize> = r.iter().map(|r| r.len()).collect();
                let start: Vec<usize> = (0..nd)
                    .map(|k| r[k].start - my_to_off[k] + key.to_ghosts[k][0])
                    .collect();
                recvs.push(Part::receive(
                    from_rank,
                    shape,
                    Side::of_box(&to_padded, &start, &identity),
                ));
            }
        }
        Plan {
            key,
            sends,
            recvs,
            local,
            send_staging: Vec::new(),
            recv_staging: Vec::new(),
        }
    }

    /// Moves `src` (the source's padded block) into `dst` (the destination's) on `comm`,
    /// combining as `combine` says. Every rank of `comm` runs its plan for the same key.
    pub(crate) fn run<F: Fn(T, T) -> T + Sync>(
        &mut self,
        comm: &SimpleCommunicator,
        src: &[T],
        dst: &mut [T],
        combine: &Combine<'_, F>,
        pool: &rayon::ThreadPool,
    ) {
        let assign = matches!(combine, Combine::Assign);
        let staged_send = |p: &Part| !p.side.is_contiguous(&p.shape);
        let staged_recv = |p: &Part| !assign || !p.side.is_contiguous(&p.shape);
        let need = |parts: &[Part], staged: &dyn Fn(&Part) -> bool| -> usize {
            parts.iter().filter(|p| staged(p)).map(|p| p.len).sum()
        };
        grow(&mut self.send_staging, need(&self.sends, &staged_send));
        grow(&mut self.recv_staging, need(&self.recvs, &staged_recv));
        let datatype = T::equivalent_datatype();
        let comm_raw = comm.as_raw();
        let dst_ptr = dst.as_mut_ptr();
        let stage_ptr = self.recv_staging.as_mut_ptr();
        // Receives first: into the destination or into staging.
        let mut recv_requests: Vec<MPI_Request> = Vec::new();
        let mut recv_of: Vec<usize> = Vec::new();
        let mut left: Vec<usize> = Vec::with_capacity(self.recvs.len());
        let mut staged_at = Vec::with_capacity(self.recvs.len());
        let mut at = 0;
        for (i, part) in self.recvs.iter().enumerate() {
            let target: &mut [T] = if staged_recv(part) {
                staged_at.push(Some(at));
                at += part.len;
                // SAFETY: a range of the staging buffer, grown to hold every staged part.
                unsafe { std::slice::from_raw_parts_mut(stage_ptr.add(at - part.len), part.len) }
            } else {
                staged_at.push(None);
                assert!(
                    part.side.offset + part.len <= dst.len(),
                    "box outside its block"
                );
                // SAFETY: the box lies in `dst` (checked); nothing else writes it until the
                // receive completes (the parts of a plan are disjoint).
                unsafe { std::slice::from_raw_parts_mut(dst_ptr.add(part.side.offset), part.len) }
            };
            let mut n = 0;
            for r in pieces::<T>(part.len) {
                let mut req = raw::request_null();
                // SAFETY: the target outlives the request, which is waited for below.
                unsafe {
                    raw::irecv(
                        recv_ptr(&mut target[r.clone()]),
                        r.len() as i32,
                        datatype.as_raw(),
                        part.peer as i32,
                        INTERNAL_TAG,
                        comm_raw,
                        &mut req,
                    );
                }
                recv_requests.push(req);
                recv_of.push(i);
                n += 1;
            }
            left.push(n);
        }
        // Sends, in pairwise order, each packed first if it must be.
        let mut send_requests: Vec<MPI_Request> = Vec::new();
        let mut at = 0;
        for part in &self.sends {
            let from: &[T] = if staged_send(part) {
                let out = &mut self.send_staging[at..at + part.len];
                at += part.len;
                part.copy.run(src, out, &Combine::<Assign<T>>::Assign, pool);
                out
            } else {
                &src[part.side.offset..part.side.offset + part.len]
            };
            for r in pieces::<T>(part.len) {
                let mut req = raw::request_null();
                // SAFETY: the buffer outlives the request, which is waited for below.
                unsafe {
                    raw::isend(
                        send_ptr(&from[r.clone()]),
                        r.len() as i32,
                        datatype.as_raw(),
                        part.peer as i32,
                        INTERNAL_TAG,
                        comm_raw,
                        &mut req,
                    );
                }
                send_requests.push(req);
            }
        }
        // This rank's own part, while the messages travel.
        if let Some(local) = &self.local {
            // SAFETY: `dst` is only written here and by the receives, in disjoint boxes.
            let whole = unsafe { std::slice::from_raw_parts_mut(dst_ptr, dst.len()) };
            local.run(src, whole, combine, pool);
        }
        // Staged receives are unpacked as they complete.
        let mut done = vec![0i32; recv_requests.len()];
        let mut open = recv_requests.len();
        while open > 0 {
            let mut count = 0;
            // SAFETY: live requests (completed ones are set to null by MPI).
            unsafe {
                raw::waitsome(
                    recv_requests.len() as i32,
                    recv_requests.as_mut_ptr(),
                    &mut count,
                    done.as_mut_ptr(),
                    raw::statuses_ignore(),
                );
            }
            if count <= 0 {
                break;
            }
            open -= count as usize;
            for &r in &done[..count as usize] {
                let i = recv_of[r as usize];
                left[i] -= 1;
                if let (0, Some(at)) = (left[i], staged_at[i]) {
                    let part = &self.recvs[i];
                    // SAFETY: as for the local part.
                    let whole = unsafe { std::slice::from_raw_parts_mut(dst_ptr, dst.len()) };
                    // SAFETY: this part's staging range, complete now.
                    let staged = unsafe { std::slice::from_raw_parts(stage_ptr.add(at), part.len) };
                    part.copy.run(staged, whole, combine, pool);
                }
            }
        }
        crate::collective::pending::wait_all(&mut send_requests);
    }
}

/// Makes `buf` at least `len` long (kept between runs: no fresh pages once grown).
fn grow<T: Element>(buf: &mut Vec<T>, len: usize) {
    if buf.len() < len {
        *buf = zeroed_vec(len);
    }
}
