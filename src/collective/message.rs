//! The point-to-point object message: a 16-byte header (the length of the bincode bytes and a
//! continuation tag) and the first piece of the bytes, at most [`FIRST_BYTES`], in one MPI
//! message; an object larger than that sends the rest as a continuation in pieces of at most
//! [`max_message_bytes`](crate::runtime::max_message_bytes).
//!
//! The first piece is small so that a receive can be posted before the message arrives (a
//! [`Receiving`](crate::requests::Receiving) posts `MPI_Irecv` of [`FIRST_BYTES`], as mpi4py's `irecv`
//! posts a 32 KiB buffer) and still take any object. The continuation travels on a private
//! duplicate of the world communicator made by [`World::init`](crate::World::init), from the
//! sender's world rank with a tag the sender numbers per message (in its header), so no
//! receive of the program, nor another object's receive, can match it: not a wildcard
//! receive, nor a second posted receive from the same sender with the same tag.

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::raw::MPI_Comm;
use mpi::datatype::Equivalence;
use mpi::point_to_point::{Destination, Message, Source, Status};
use mpi::raw::{AsRaw, FromRaw};
use mpi::topology::{Communicator, Rank, SimpleCommunicator};
use mpi::Tag;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::address::send_ptr;
use crate::collective::codec::{decode, encode, ObjectStatus};
use crate::collective::large;
use crate::collective::pending::{start_each, Pending};
use crate::collective::scratch;
use crate::collective::shape::{check_peer, PROC_NULL};
use crate::error::{Error, Result};
use crate::raw;

/// Header of a point-to-point object message: the byte length (u64, little endian), the
/// continuation tag (u32) and a marker (u32).
pub(crate) const HEADER: usize = 16;

/// The largest first piece of an object message, header included: what a posted receive
/// takes in one go.
pub const FIRST_BYTES: usize = 32 << 10;

/// Marks an mpikit object message ("mpik").
const MARK: u32 = u32::from_le_bytes(*b"mpik");

/// The point-to-point message: the header, then the bincode bytes.
pub(crate) fn encoded_message<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = encode(value, HEADER).map_err(|message| Error::Encode {
        rank: None,
        message,
    })?;
    let len = (bytes.len() - HEADER) as u64;
    bytes[..8].copy_from_slice(&len.to_le_bytes());
    bytes[12..HEADER].copy_from_slice(&MARK.to_le_bytes());
    Ok(bytes)
}

/// Bytes in the first message of an object message of `len` bytes.
pub(crate) fn first_piece(len: usize) -> usize {
    len.min(FIRST_BYTES.min(large::max_message_bytes()).max(2 * HEADER))
}

/// The private duplicate of the world that carries continuations, and the world's handle.
struct Continuations {
    comm: MPI_Comm,
    world: MPI_Comm,
}

// SAFETY: MPI handles, used from the thread that calls MPI (FUNNELED or above).
unsafe impl Send for Continuations {}
// SAFETY: as above; the handles are never written after they are set.
unsafe impl Sync for Continuations {}

static CONTINUATIONS: OnceLock<Continuations> = OnceLock::new();

/// Makes the continuation channel: every rank of `world` calls this once, in `World::init`.
pub(crate) fn open_continuations(world: &SimpleCommunicator) {
    let mut dup = raw::comm_null();
    // SAFETY: every rank of the world is here, at the same point of initialisation.
    unsafe { raw::comm_dup(world.as_raw(), &mut dup) };
    let _ = CONTINUATIONS.set(Continuations {
        comm: dup,
        world: world.as_raw(),
    });
}

/// Where the rest of a message between `comm`'s ranks `from` and `to` travels: the private
/// channel and the two ranks' numbers in the world (or, when MPI was not started by
/// [`World::init`](crate::World::init), `comm` itself with the message's own tag).
struct Channel {
    comm: ManuallyDrop<SimpleCommunicator>,
    private: bool,
}

impl Channel {
    fn of<C: Communicator + ?Sized>(comm: &C) -> Channel {
        let (raw, private) = match CONTINUATIONS.get() {
            Some(c) => (c.comm, true),
            None => (comm.as_raw(), false),
        };
        // SAFETY: a live communicator handle, never freed through this value.
        let comm = ManuallyDrop::new(unsafe { SimpleCommunicator::from_raw(raw) });
        Channel { comm, private }
    }

    /// `rank` of `comm` as this channel numbers it.
    fn rank<C: Communicator + ?Sized>(&self, comm: &C, rank: Rank) -> Rank {
        match CONTINUATIONS.get() {
            Some(c) if self.private && comm.as_raw() != c.world => world_rank(comm, rank),
            _ => rank,
        }
    }

    /// The tag of a continuation: the numbered one on the private channel.
    fn tag(&self, numbered: u32, own: Tag) -> Tag {
        if self.private {
            numbered as Tag
        } else {
            own
        }
    }
}

/// `rank` of `comm` in the world communicator.
fn world_rank<C: Communicator + ?Sized>(comm: &C, rank: Rank) -> Rank {
    let mut out = rank;
    // SAFETY: group handles made here and freed here; one rank translated into `out`.
    unsafe {
        let (mut group, mut world) = (raw::group_null(), raw::group_null());
        raw::comm_group(comm.as_raw(), &mut group);
        raw::comm_group(raw::comm_world(), &mut world);
        raw::group_translate_ranks(group, 1, &rank, world, &mut out);
        raw::group_free(&mut group);
        raw::group_free(&mut world);
    }
    out
}

/// The next continuation tag of this process (within the 0..=32767 every MPI allows).
fn next_continuation() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed) % 32768
}

/// Numbers the continuation of `bytes` (if it has one) in its header; returns the range of
/// the first piece's end and the continuation tag.
fn number(bytes: &mut [u8]) -> (usize, u32) {
    let first = first_piece(bytes.len());
    let tag = if first < bytes.len() {
        next_continuation()
    } else {
        0
    };
    bytes[8..12].copy_from_slice(&tag.to_le_bytes());
    (first, tag)
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

/// Sends an encoded message: the first piece as `mode` says; the continuation, if any,
/// buffered (`MPI_Bsend`) or started (`MPI_Isend`) and left to complete while the program
/// goes on, so a blocking send returns once its first piece is matched, whatever the
/// receiver does next (a posted receive takes the rest only when it is tested or waited for).
pub(crate) fn send_message<C: Communicator + ?Sized>(
    comm: &C,
    dest: Rank,
    tag: Tag,
    mut bytes: Vec<u8>,
    mode: SendMode,
) -> Result<()> {
    let (first, numbered) = number(&mut bytes);
    let rest = || large::pieces::<u8>(bytes.len() - first).map(|r| r.start + first..r.end + first);
    if mode == SendMode::Buffered {
        let overhead = raw::BSEND_OVERHEAD as usize;
        let needed = first + overhead + rest().map(|r| r.len() + overhead).sum::<usize>();
        if needed > send_buffer() {
            scratch::give(bytes);
            return Err(Error::input(format!(
                "buffered_send_object: the message needs {needed} bytes of send buffer \
                 (with MPI's overhead), {} are attached (World::attach_send_buffer)",
                send_buffer()
            )));
        }
    }
    let proc = comm.process_at_rank(dest);
    match mode {
        SendMode::Standard => proc.send_with_tag(&bytes[..first], tag),
        SendMode::Synchronous => proc.synchronous_send_with_tag(&bytes[..first], tag),
        SendMode::Buffered => proc.buffered_send_with_tag(&bytes[..first], tag),
    }
    if first == bytes.len() {
        scratch::give(bytes);
        return Ok(());
    }
    let channel = Channel::of(comm);
    if mode == SendMode::Buffered {
        let to = channel.comm.process_at_rank(channel.rank(comm, dest));
        for r in rest() {
            to.buffered_send_with_tag(&bytes[r], channel.tag(numbered, tag));
        }
        scratch::give(bytes);
        return Ok(());
    }
    let requests = start_each(rest(), |r, req| {
        start_piece(&channel, comm, dest, tag, numbered, &bytes[r], req)
    });
    detach(Pending::new(requests, (), Some(Box::new(bytes))));
    Ok(())
}

/// Starts sending an encoded message (the first piece with `MPI_Issend` when
/// `synchronous`, so the handle completes only once the receiver has matched it) and
/// returns the handle that owns the bytes.
pub(crate) fn immediate_send_message<C: Communicator + ?Sized>(
    comm: &C,
    dest: Rank,
    tag: Tag,
    mut bytes: Vec<u8>,
    synchronous: bool,
) -> Pending<()> {
    let (first, numbered) = number(&mut bytes);
    let start = if synchronous { raw::issend } else { raw::isend };
    let mut requests = start_each(std::iter::once(0..first), |r, req| {
        // SAFETY: a send of a heap buffer that the returned Pending owns until the request
        // completes.
        unsafe {
            start(
                send_ptr(&bytes[r.clone()]),
                r.len() as i32,
                u8::equivalent_datatype().as_raw(),
                dest,
                tag,
                comm.as_raw(),
                req,
            );
        }
    });
    if first < bytes.len() {
        let channel = Channel::of(comm);
        let rest = large::pieces::<u8>(bytes.len() - first).map(|r| r.start + first..r.end + first);
        requests.extend(start_each(rest, |r, req| {
            start_piece(&channel, comm, dest, tag, numbered, &bytes[r], req)
        }));
    }
    Pending::new(requests, (), Some(Box::new(bytes)))
}

/// Starts sending one piece of a continuation to `dest` of `comm` on `channel`.
fn start_piece<C: Communicator + ?Sized>(
    channel: &Channel,
    comm: &C,
    dest: Rank,
    tag: Tag,
    numbered: u32,
    piece: &[u8],
    req: &mut raw::MPI_Request,
) {
    // SAFETY: `piece` lies in a heap buffer that a Pending owns until the request completes.
    unsafe {
        raw::isend(
            send_ptr(piece),
            piece.len() as i32,
            u8::equivalent_datatype().as_raw(),
            channel.rank(comm, dest),
            channel.tag(numbered, tag),
            channel.comm.as_raw(),
            req,
        );
    }
}

thread_local! {
    /// Continuations of blocking sends still in flight, with their bytes (only the thread
    /// that calls MPI sends).
    static DETACHED: RefCell<Vec<Pending<()>>> = const { RefCell::new(Vec::new()) };
}

/// Keeps a started continuation until MPI is done with it; drops those already done.
fn detach(sending: Pending<()>) {
    DETACHED.with(|d| {
        let mut d = d.borrow_mut();
        d.retain_mut(|p| !p.is_complete());
        d.push(sending);
    });
}

/// Waits for every continuation still in flight (before MPI is finalised).
pub(crate) fn complete_detached() {
    // Taken out first: a Pending's drop waits, and must not hold the list.
    let all = DETACHED.with(|d| std::mem::take(&mut *d.borrow_mut()));
    drop(all);
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
        send_message(comm, dest, tag, encoded_message(value)?, mode)?;
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

/// Receives the message that a matched probe found, and its continuation, and decodes the
/// object.
pub(crate) fn receive_matched<C, T>(
    comm: &C,
    msg: Message,
    status: Status,
) -> Result<(T, ObjectStatus)>
where
    C: Communicator + ?Sized,
    T: DeserializeOwned,
{
    let count = status.count(u8::equivalent_datatype()) as usize;
    let mut first = scratch::filled(count);
    msg.matched_receive_into(&mut first[..]);
    finish_message(comm, first, count, status.source_rank(), status.tag())
}

/// Completes an object message whose first piece (the first `count` bytes of `first`) came
/// from `from` with `tag`: receives the continuation, if any, and decodes the object.
pub(crate) fn finish_message<C, T>(
    comm: &C,
    first: Vec<u8>,
    count: usize,
    from: Rank,
    tag: Tag,
) -> Result<(T, ObjectStatus)>
where
    C: Communicator + ?Sized,
    T: DeserializeOwned,
{
    let bytes = whole_message(comm, first, count, from, tag)?;
    let value = decode(&bytes[HEADER..], Some(from));
    let total = bytes.len() - HEADER;
    scratch::give(bytes);
    Ok((
        value?,
        ObjectStatus {
            source: from,
            tag,
            bytes: total,
        },
    ))
}

/// The whole message whose first piece is the first `count` bytes of `first`: header and
/// bincode bytes, the continuation received from the private channel when there is one.
pub(crate) fn whole_message<C: Communicator + ?Sized>(
    comm: &C,
    mut first: Vec<u8>,
    count: usize,
    from: Rank,
    tag: Tag,
) -> Result<Vec<u8>> {
    let bad = |m: &str| Error::Decode {
        from: Some(from),
        message: m.to_string(),
    };
    let (total, numbered) = match first.get(..HEADER) {
        Some(h) if count >= HEADER && h[12..] == MARK.to_le_bytes() => (
            u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) as usize,
            u32::from_le_bytes(h[8..12].try_into().expect("4 bytes")),
        ),
        _ => {
            scratch::give(first);
            return Err(bad(
                "the message has no mpikit header: not an mpikit object",
            ));
        }
    };
    if count != first_piece(HEADER + total) {
        scratch::give(first);
        return Err(bad(
            "message length does not match its header: not an mpikit object",
        ));
    }
    first.truncate(count);
    if count < HEADER + total {
        first.resize(HEADER + total, 0);
        let channel = Channel::of(comm);
        let source = channel.rank(comm, from);
        large::receive_into(
            &*channel.comm,
            source,
            channel.tag(numbered, tag),
            &mut first[count..],
        );
    }
    Ok(first)
}

/// The object size a probe can tell from the first message: exact when the object came in
/// one message, else the bytes of the first piece (the rest follow it).
pub(crate) fn probed_bytes(count: usize) -> usize {
    count.saturating_sub(HEADER)
}

/// Receives one object from `source` with `tag` (`None`: any), probing first: the body of
/// [`receive_object`](crate::objects::ObjectCollectives::receive_object), here so that the layers
/// above (trees, queues) call the message layer rather than the public trait.
pub(crate) fn receive_object_from<C, T>(
    comm: &C,
    source: Option<Rank>,
    tag: Option<Tag>,
) -> Result<(T, ObjectStatus)>
where
    C: Communicator + ?Sized,
    T: DeserializeOwned,
{
    if source == Some(PROC_NULL) {
        return Err(Error::input(
            "receive_object from PROC_NULL: nothing is sent from there \
                 (send_receive_object gives None for it)",
        ));
    }
    if let Some(s) = source {
        check_peer(comm, s)?;
    }
    let (msg, status): (_, Status) = match (source, tag) {
        (Some(s), Some(t)) => comm.process_at_rank(s).matched_probe_with_tag(t),
        (Some(s), None) => comm.process_at_rank(s).matched_probe(),
        (None, Some(t)) => comm.any_process().matched_probe_with_tag(t),
        (None, None) => comm.any_process().matched_probe(),
    };
    receive_matched(comm, msg, status)
}
