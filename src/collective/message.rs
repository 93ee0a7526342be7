//! The point-to-point object message: an 8-byte length and the first piece of the bincode
//! bytes in one MPI message, then further pieces from the same sender with the same tag when
//! the object is larger than [`max_message_bytes`](crate::max_message_bytes).

use std::sync::atomic::{AtomicUsize, Ordering};

use mpi::datatype::Equivalence;
use mpi::point_to_point::{Destination, Message, Status};
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};
use mpi::Tag;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::large;
use crate::collective::object::{decode, encode, ObjectStatus};
use crate::collective::p2p::{check_peer, PROC_NULL};
use crate::collective::pending::{start_each, Pending};
use crate::collective::scratch;
use crate::error::{Error, Result};

/// Length prefix of a point-to-point object message.
pub(crate) const HEADER: usize = 8;

/// The point-to-point message: 8-byte length, then the bincode bytes.
pub(crate) fn encoded_message<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = encode(value, HEADER).map_err(|message| Error::Encode {
        rank: None,
        message,
    })?;
    let len = (bytes.len() - HEADER) as u64;
    bytes[..HEADER].copy_from_slice(&len.to_le_bytes());
    Ok(bytes)
}

/// Bytes in the first message of an object message of `len` bytes.
pub(crate) fn first_piece(len: usize) -> usize {
    len.min(large::max_message_bytes().max(2 * HEADER))
}

/// How a blocking object send hands its pieces to MPI.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendMode {
    /// `MPI_Send`.
    Standard,
    /// The first piece with `MPI_Ssend`: returns once the receiver has started receiving.
    Synchronous,
    /// Every piece with `MPI_Bsend`, into the buffer attached with
    /// [`World::attach_send_buffer`](crate::World::attach_send_buffer).
    Buffered,
}

/// Bytes of the buffer attached for buffered sends (0: none).
static SEND_BUFFER: AtomicUsize = AtomicUsize::new(0);

/// Records the size of the buffer attached for buffered sends.
pub(crate) fn set_send_buffer(bytes: usize) {
    SEND_BUFFER.store(bytes, Ordering::Relaxed);
}

/// The attached buffer's size, in bytes.
pub(crate) fn send_buffer() -> usize {
    SEND_BUFFER.load(Ordering::Relaxed)
}

/// Sends an encoded message: the first piece, then the rest in pieces, as `mode` says.
pub(crate) fn send_message<C: Communicator + ?Sized>(
    comm: &C,
    dest: Rank,
    tag: Tag,
    bytes: &[u8],
    mode: SendMode,
) -> Result<()> {
    let proc = comm.process_at_rank(dest);
    let first = first_piece(bytes.len());
    match mode {
        SendMode::Standard => proc.send_with_tag(&bytes[..first], tag),
        SendMode::Synchronous => proc.synchronous_send_with_tag(&bytes[..first], tag),
        SendMode::Buffered => {
            let rest: Vec<_> = large::pieces::<u8>(bytes.len() - first).collect();
            let overhead = mpi::ffi::MPI_BSEND_OVERHEAD as usize;
            let needed = first + overhead + rest.iter().map(|r| r.len() + overhead).sum::<usize>();
            if needed > send_buffer() {
                return Err(Error::input(format!(
                    "buffered_send_object: the message needs {needed} bytes of send buffer \
                     (with MPI's overhead), {} are attached (World::attach_send_buffer)",
                    send_buffer()
                )));
            }
            proc.buffered_send_with_tag(&bytes[..first], tag);
            for r in rest {
                proc.buffered_send_with_tag(&bytes[first + r.start..first + r.end], tag);
            }
            return Ok(());
        }
    }
    large::send(comm, dest, tag, &bytes[first..]);
    Ok(())
}

/// Starts sending an encoded message (the first piece with `MPI_Issend` when
/// `synchronous`, so the handle completes only once the receiver has matched it) and
/// returns the handle that owns the bytes.
pub(crate) fn immediate_send_message<C: Communicator + ?Sized>(
    comm: &C,
    dest: Rank,
    tag: Tag,
    bytes: Vec<u8>,
    synchronous: bool,
) -> Pending<()> {
    let first = first_piece(bytes.len());
    let rest = large::pieces::<u8>(bytes.len() - first).map(|r| r.start + first..r.end + first);
    let mut which = 0;
    let requests = start_each(std::iter::once(0..first).chain(rest), |r, req| {
        let start = if synchronous && which == 0 {
            mpi::ffi::MPI_Issend
        } else {
            mpi::ffi::MPI_Isend
        };
        which += 1;
        // SAFETY: a send of a heap buffer that the returned Pending owns until the request
        // completes.
        unsafe {
            start(
                bytes[r.clone()].as_ptr().cast(),
                r.len() as i32,
                u8::equivalent_datatype().as_raw(),
                dest,
                tag,
                comm.as_raw(),
                req,
            );
        }
    });
    Pending::new(requests, (), Some(Box::new(bytes)))
}

/// Sends `value` to `dest` (nothing for [`PROC_NULL`]) as `mode` says: the body of
/// `send_object`, `synchronous_send_object` and `buffered_send_object`.
pub(crate) fn send_object_to<C, T>(
    comm: &C,
    dest: Rank,
    tag: Tag,
    value: &T,
    mode: SendMode,
) -> Result<()>
where
    C: Communicator + ?Sized,
    T: Serialize + ?Sized,
{
    check_peer(comm, dest)?;
    if dest != PROC_NULL {
        let bytes = encoded_message(value)?;
        let sent = send_message(comm, dest, tag, &bytes, mode);
        scratch::give(bytes);
        sent?;
    }
    Ok(())
}

/// Starts sending `value` to `dest` (a completed handle for [`PROC_NULL`]): the body of
/// `immediate_send_object` and `immediate_synchronous_send_object`.
pub(crate) fn immediate_send_object_to<C, T>(
    comm: &C,
    dest: Rank,
    tag: Tag,
    value: &T,
    synchronous: bool,
) -> Result<Pending<()>>
where
    C: Communicator + ?Sized,
    T: Serialize + ?Sized,
{
    check_peer(comm, dest)?;
    if dest == PROC_NULL {
        return Ok(Pending::new(Vec::new(), (), None));
    }
    Ok(immediate_send_message(
        comm,
        dest,
        tag,
        encoded_message(value)?,
        synchronous,
    ))
}

/// Receives the message that a matched probe found, and the pieces that follow it, and
/// decodes the object.
pub(crate) fn receive_matched<C, T>(
    comm: &C,
    msg: Message,
    status: Status,
) -> Result<(T, ObjectStatus)>
where
    C: Communicator + ?Sized,
    T: DeserializeOwned,
{
    let from = status.source_rank();
    let count = status.count(u8::equivalent_datatype()) as usize;
    let mut first = scratch::filled(count);
    msg.matched_receive_into(&mut first[..]);
    let bad = |m: &str| Error::Decode {
        from: Some(from),
        message: m.to_string(),
    };
    let header: [u8; HEADER] = first
        .get(..HEADER)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| bad("message shorter than its 8-byte header: not an mpikit object"))?;
    let total = u64::from_le_bytes(header) as usize;
    if count > HEADER + total || (count < HEADER + total && count != first_piece(HEADER + total)) {
        return Err(bad(
            "message length does not match its header: not an mpikit object",
        ));
    }
    let bytes = if count == HEADER + total {
        first
    } else {
        let mut all = scratch::filled(HEADER + total);
        all[..count].copy_from_slice(&first);
        scratch::give(first);
        large::receive_into(comm, from, status.tag(), &mut all[count..]);
        all
    };
    let value = decode(&bytes[HEADER..], Some(from));
    scratch::give(bytes);
    Ok((
        value?,
        ObjectStatus {
            source: from,
            tag: status.tag(),
            bytes: total,
        },
    ))
}

/// The object size a probe can tell from the first message: exact when the object came in
/// one message, else the bytes of the first piece (the rest follow it).
pub(crate) fn probed_bytes(count: usize) -> usize {
    count.saturating_sub(HEADER)
}
