//! Ranks and shapes across ranks: [`PROC_NULL`] and rank checks, the root's verdict on its
//! own input, the fixed-size shape message, broadcasting the root's shape, agreeing on row
//! blocks or equal shapes (the same `Err` on every rank), and the cross-rank length checks.

use std::sync::atomic::{AtomicU8, Ordering};

use mpi::collective::{CommunicatorCollectives, Root};
use mpi::topology::{Communicator, Rank};

use crate::error::{Error, Result};
use crate::raw;

/// Largest number of axes an array may have in the array collectives.
pub const MAX_DIMS: usize = 16;

/// What the root holds for a rooted `_into` call, as the root sees it. Every rank learns it
/// through [`agree_root`], so a root that passes `None`, or a buffer of the wrong length,
/// is the same `Err` on every rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RootInput {
    /// The root's buffer is there and fits (and what every other rank passes).
    Ready,
    /// The root passed `None`.
    Missing,
    /// The root's buffer holds `have` elements where the call needs `need`.
    Length {
        /// Elements the root's buffer holds.
        have: usize,
        /// Elements the call needs there.
        need: usize,
    },
    /// The root's buffer of `have` elements is not one equal block per rank (in place).
    NotBlocks {
        /// Elements the root's buffer holds.
        have: usize,
    },
}

impl RootInput {
    /// The root's verdict on an optional buffer of `have` elements that must hold `need`.
    pub(crate) fn of(have: Option<usize>, need: usize) -> RootInput {
        match have {
            None => RootInput::Missing,
            Some(have) if have != need => RootInput::Length { have, need },
            Some(_) => RootInput::Ready,
        }
    }
}

/// The root's [`RootInput`], broadcast from the root (one 24-byte `MPI_Bcast`): the same
/// `Err` on every rank unless it is `Ready`. Other ranks' `input` is ignored.
pub(crate) fn agree_root<C: Communicator + ?Sized>(
    comm: &C,
    root: Rank,
    input: RootInput,
    what: &'static str,
) -> Result<()> {
    let mut msg = match input {
        RootInput::Ready => [0u64; 3],
        RootInput::Missing => [1, 0, 0],
        RootInput::Length { have, need } => [2, have as u64, need as u64],
        RootInput::NotBlocks { have } => [3, have as u64, 0],
    };
    comm.process_at_rank(root).broadcast_into(&mut msg[..]);
    match msg[0] {
        0 => Ok(()),
        1 => Err(Error::MissingRoot { what, root }),
        2 => Err(Error::Shape(format!(
            "{what}: the root's buffer (rank {root}) holds {} elements where {} are needed",
            msg[1], msg[2]
        ))),
        _ => Err(Error::Shape(format!(
            "{what}: the root's buffer (rank {root}) of {} elements is not {} equal blocks",
            msg[1],
            comm.size()
        ))),
    }
}

/// Environment variable that turns on the cross-rank length checks of the `_into` calls in
/// release builds (they are always on in debug builds). `World::init` takes rank 0's value.
pub const CHECK_ENV: &str = "MPIKIT_CHECK";

static CHECKS: AtomicU8 = AtomicU8::new(UNSET);
const UNSET: u8 = 2;

/// Whether `MPIKIT_CHECK` asks for the checks (`1`, `true`, `yes`, `on`).
pub(crate) fn env_checks() -> bool {
    std::env::var(CHECK_ENV).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// Fixes whether the checks run in this process (all ranks must agree; `World::init`
/// broadcasts rank 0's setting).
pub(crate) fn set_checks(on: bool) {
    CHECKS.store(u8::from(on), Ordering::Relaxed);
}

/// Whether the `_into` calls check lengths across ranks: debug builds, or `MPIKIT_CHECK`.
pub(crate) fn checks_enabled() -> bool {
    cfg!(debug_assertions)
        || match CHECKS.load(Ordering::Relaxed) {
            UNSET => env_checks(),
            on => on == 1,
        }
}

/// When checks are on: fails on every rank unless every rank passes the same `len` and
/// `ok` is true everywhere (the root's own buffer check). One small allgather; nothing at
/// all when checks are off.
pub(crate) fn agree_lengths<C: Communicator + ?Sized>(
    comm: &C,
    len: usize,
    ok: bool,
    what: &'static str,
) -> Result<()> {
    if !checks_enabled() {
        return Ok(());
    }
    let mine = [len as u64, u64::from(ok)];
    let mut all = vec![0u64; 2 * comm.size() as usize];
    comm.all_gather_into(&mine[..], &mut all[..]);
    let lens: Vec<u64> = all.chunks(2).map(|c| c[0]).collect();
    if let Some(rank) = all.chunks(2).position(|c| c[1] == 0) {
        return Err(Error::Shape(format!(
            "{what}: the root's buffer (rank {rank}) does not hold size x {} elements (lengths by rank: {lens:?})",
            lens[rank]
        )));
    }
    if let Some(rank) = lens.iter().position(|&l| l != lens[0]) {
        return Err(Error::Shape(format!(
            "{what}: buffers must have the same length on every rank, but rank {rank} has {} and rank 0 has {} (lengths by rank: {lens:?})",
            lens[rank], lens[0]
        )));
    }
    Ok(())
}

/// "No rank" (`MPI_PROC_NULL`, mpi4py's `MPI.PROC_NULL`): a send to it or a receive from it
/// does nothing, so the ends of a chain of ranks need no special case. Accepted as the
/// destination or source of [`send_object`](crate::objects::ObjectCollectives::send_object),
/// [`immediate_send_object`](crate::objects::ObjectCollectives::immediate_send_object) and every call
/// of [`SendReceive`](crate::p2p::SendReceive).
pub const PROC_NULL: Rank = raw::PROC_NULL;

/// Whether `rank` is a rank of `comm` or [`PROC_NULL`].
pub(crate) fn check_peer<C: Communicator + ?Sized>(comm: &C, rank: Rank) -> Result<()> {
    if rank == PROC_NULL || (0..comm.size()).contains(&rank) {
        Ok(())
    } else {
        Err(Error::Rank {
            rank,
            size: comm.size(),
        })
    }
}

pub(crate) fn check_root<C: Communicator + ?Sized>(comm: &C, root: Rank) -> Result<()> {
    if (0..comm.size()).contains(&root) {
        Ok(())
    } else {
        Err(Error::Rank {
            rank: root,
            size: comm.size(),
        })
    }
}

/// Words in a shape message: `[ok, ndim, d0, d1, ...]`.
const CODE: usize = MAX_DIMS + 2;

/// A shape (and whether the sender's input was valid) as a fixed-size message.
pub(crate) fn encode_shape(shape: &[usize], ok: bool) -> [u64; CODE] {
    assert!(
        shape.len() <= MAX_DIMS,
        "mpikit: arrays of more than {MAX_DIMS} axes are not supported"
    );
    let mut code = [0u64; CODE];
    code[0] = u64::from(ok);
    code[1] = shape.len() as u64;
    for (c, &d) in code[2..].iter_mut().zip(shape) {
        *c = d as u64;
    }
    code
}

pub(crate) fn decode_shape(code: &[u64]) -> Vec<usize> {
    code[2..2 + code[1] as usize]
        .iter()
        .map(|&d| d as usize)
        .collect()
}

/// Broadcasts the root's shape; fails on every rank if the root passed no data (`shape` is
/// `None` on the root) or flags its row counts as bad (`ok` false).
///
/// `extra` (the same length everywhere) travels in the same message: the root's values
/// arrive in every rank's `extra`.
pub(crate) fn broadcast_shape<C: Communicator + ?Sized>(
    comm: &C,
    root: Rank,
    shape: Option<&[usize]>,
    ok: bool,
    extra: &mut [u64],
    what: &'static str,
) -> Result<Vec<usize>> {
    let mut msg = match shape {
        Some(s) => encode_shape(s, ok),
        // Off the root: overwritten by the broadcast. On the root: no data.
        None => {
            let mut code = [0u64; CODE];
            code[0] = MISSING;
            code
        }
    }
    .to_vec();
    msg.extend_from_slice(extra);
    comm.process_at_rank(root).broadcast_into(&mut msg[..]);
    extra.copy_from_slice(&msg[CODE..]);
    let code = &msg[..CODE];
    match code[0] {
        1 => Ok(decode_shape(code)),
        MISSING => Err(Error::MissingRoot { what, root }),
        _ => Err(Error::Shape(format!(
            "{what}: rank {root} (the root) passed an array of shape {:?} with row counts that \
             do not fit it: they need one entry per rank ({}) adding up to the rows",
            decode_shape(code),
            comm.size()
        ))),
    }
}

/// The first word of a shape message from a root that passed no data.
const MISSING: u64 = 2;

/// Every rank's shape and validity flag, in rank order.
pub(crate) fn all_shapes<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    ok: bool,
) -> Vec<(Vec<usize>, bool)> {
    let code = encode_shape(shape, ok);
    let mut all = vec![0u64; CODE * comm.size() as usize];
    comm.all_gather_into(&code[..], &mut all[..]);
    all.chunks(CODE)
        .map(|c| (decode_shape(c), c[0] == 1))
        .collect()
}

/// Checks that row blocks can be stacked; returns the stacked shape and element counts.
pub(crate) fn agree_rows<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    what: &'static str,
) -> Result<(Vec<usize>, Vec<usize>)> {
    agree_rows_if(comm, shape, true, what)
}

/// [`agree_rows`], also failing on every rank if any rank passes `ok = false`.
pub(crate) fn agree_rows_if<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    ok: bool,
    what: &'static str,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let shapes = all_shapes(comm, shape, ok);
    if let Some(rank) = shapes.iter().position(|(_, ok)| !ok) {
        return Err(Error::Shape(format!(
            "{what}: rank {rank}'s row counts need one entry per rank adding up to its rows"
        )));
    }
    let first = &shapes[0].0;
    if first.is_empty() {
        return Err(Error::Shape(format!(
            "{what}: arrays need at least one axis"
        )));
    }
    for (rank, (s, _)) in shapes.iter().enumerate() {
        if s.len() != first.len() || s.get(1..) != first.get(1..) {
            return Err(Error::Shape(format!(
                "{what}: rank {rank} has a block of shape {s:?}, rank 0 has {first:?}; \
                 all axes but the first must agree"
            )));
        }
    }
    let mut total = first.clone();
    total[0] = shapes.iter().map(|(s, _)| s[0]).sum();
    let counts = shapes.iter().map(|(s, _)| s.iter().product()).collect();
    Ok((total, counts))
}

/// Fails on every rank unless all ranks pass the same shape.
pub(crate) fn agree_same_shape<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    what: &'static str,
) -> Result<()> {
    let shapes = all_shapes(comm, shape, true);
    if let Some((rank, (s, _))) = shapes.iter().enumerate().find(|(_, s)| s.0 != shapes[0].0) {
        return Err(Error::Shape(format!(
            "{what}: rank {rank} has shape {s:?}, rank 0 has {:?}; reductions need equal shapes",
            shapes[0].0
        )));
    }
    Ok(())
}
