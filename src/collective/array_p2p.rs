//! Point-to-point messages of buffers (mpi4py's `Send`, `Ssend`, `Recv`, `Isend`, `Issend`,
//! `Irecv`): slices, `Vec`s and ndarray arrays of any [`Element`](crate::buffers::Element), with tags and statuses,
//! straight to `MPI_Send` / `MPI_Recv` (one call for a message under
//! [`max_message_bytes`](crate::runtime::max_message_bytes), so the latency is MPI's own).
//!
//! A message of `n` elements of at least one piece (`max_message_bytes` / element size)
//! travels as full pieces followed by one shorter piece (possibly empty), so a receive into a
//! larger buffer knows where it ends: it receives pieces until one is short. A non-blocking
//! receive posts its pieces at once, so a message longer than one piece must fill its buffer
//! exactly; shorter ones may be shorter than the buffer, as in MPI. A message longer than the
//! buffer is MPI's truncation error, which ends the job.

use crate::raw::MPI_Status;
use mpi::datatype::Equivalence;
use mpi::point_to_point::Status;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};
use mpi::Tag;

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::buffer::{with_contiguous_mut, Buffer, BufferMut};
use crate::collective::immediate_start::send_view;
use crate::collective::large::max_elems;
use crate::collective::object_messages::BufferStatus;
use crate::collective::pending::{start_each, Pending};
use crate::collective::shape::check_peer;
use crate::error::Result;
use crate::raw;

/// The pieces of a message of `n` elements of `T`: one piece under the piece size, else full
/// pieces and a shorter (possibly empty) last one.
fn message_pieces<T>(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let step = max_elems::<T>();
    let count = if n < step { 1 } else { n / step + 1 };
    (0..count).map(move |k| k * step..((k + 1) * step).min(n))
}

/// `source` as MPI takes it (`None`: any source).
fn source_of(source: Option<Rank>) -> Rank {
    source.unwrap_or(raw::any_source())
}

/// `tag` as MPI takes it (`None`: any tag).
fn tag_of(tag: Option<Tag>) -> Tag {
    tag.unwrap_or(raw::any_tag())
}

/// Which MPI call starts a send.
#[derive(Clone, Copy)]
enum Mode {
    Standard,
    Synchronous,
}

/// Point-to-point messages of buffers for any rsmpi communicator and for
/// [`World`](crate::World). `None` as a source or tag matches any; a send to or a receive
/// from [`PROC_NULL`](crate::p2p::PROC_NULL) does nothing (the receive's status says `PROC_NULL`
/// and 0 elements).
///
/// # Examples
/// A pipeline: each rank receives a line from the left, works on it, passes it right.
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::p2p::PROC_NULL;
/// mpikit::run(|world| {
///     let (me, n) = (world.rank(), world.size());
///     let left = if me > 0 { me - 1 } else { PROC_NULL };
///     let right = if me + 1 < n { me + 1 } else { PROC_NULL };
///     let mut line = vec![0.0f64; 1000];
///     for step in 0..10 {
///         world.receive_array_into(Some(left), Some(step), &mut line)?;
///         line.iter_mut().for_each(|x| *x += 1.0);
///         world.send_array(right, step, &line)?;
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait ArrayMessages: Communicator {
    /// Sends `buf` to `dest` with `tag` (`MPI_Send`); returns once the buffer may be reused.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_array(1, 7, &[1.0f64, 2.0, 3.0])?,
    ///         1 => {
    ///             let mut buf = [0.0f64; 3];
    ///             let status = world.receive_array_into(Some(0), Some(7), &mut buf)?;
    ///             assert_eq!((buf, status.count), ([1.0, 2.0, 3.0], 3));
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn send_array<B: Buffer + ?Sized>(&self, dest: Rank, tag: Tag, buf: &B) -> Result<()> {
        send(self, dest, tag, buf, Mode::Standard)
    }

    /// Sends `buf` and returns only once the receiver has started receiving it
    /// (`MPI_Ssend`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         // Returns once rank 1 has started receiving.
    ///         0 if world.size() > 1 => world.synchronous_send_array(1, 0, &vec![5u16; 4])?,
    ///         1 => {
    ///             let mut buf = vec![0u16; 4];
    ///             world.receive_array_into(Some(0), Some(0), &mut buf)?;
    ///             assert_eq!(buf, vec![5; 4]);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn synchronous_send_array<B: Buffer + ?Sized>(
        &self,
        dest: Rank,
        tag: Tag,
        buf: &B,
    ) -> Result<()> {
        send(self, dest, tag, buf, Mode::Synchronous)
    }

    /// Receives a message into `buf` (`MPI_Recv`): its source, tag and element count. The
    /// message may be shorter than `buf` (the rest is left as it was).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 => {
    ///             // Rank r sends r elements; the buffer has room for up to 100.
    ///             let mut buf = vec![0i64; 100];
    ///             for _ in 1..world.size() {
    ///                 let status = world.receive_array_into(None, Some(3), &mut buf)?;
    ///                 assert_eq!(status.count, status.source as usize);
    ///             }
    ///         }
    ///         r => world.send_array(0, 3, &vec![r as i64; r as usize])?,
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn receive_array_into<R: BufferMut + ?Sized>(
        &self,
        source: Option<Rank>,
        tag: Option<Tag>,
        buf: &mut R,
    ) -> Result<BufferStatus> {
        if let Some(s) = source {
            check_peer(self, s)?;
        }
        if source == Some(crate::collective::shape::PROC_NULL) {
            // What MPI would say, without the call.
            return Ok(BufferStatus {
                source: crate::collective::shape::PROC_NULL,
                tag: tag_of(None),
                count: 0,
            });
        }
        let datatype = R::Elem::equivalent_datatype().as_raw();
        let step = max_elems::<R::Elem>();
        let status = with_contiguous_mut(buf, |data| {
            let (mut from, mut with) = (source_of(source), tag_of(tag));
            let mut got = 0usize;
            loop {
                let room = (data.len() - got).min(step);
                let mut status = std::mem::MaybeUninit::<MPI_Status>::uninit();
                let mut count = 0;
                // SAFETY: a receive into `room` elements of the caller's buffer; MPI fills the
                // status, whose count is read with the same datatype.
                let status = unsafe {
                    raw::recv(
                        recv_ptr(&mut data[got..got + room]),
                        room as i32,
                        datatype,
                        from,
                        with,
                        self.as_raw(),
                        status.as_mut_ptr(),
                    );
                    let status = status.assume_init();
                    raw::get_count(&status, datatype, &mut count);
                    status
                };
                let count = count.max(0) as usize;
                got += count;
                // The pieces after the first come from the same sender with the same tag.
                (from, with) = (status.MPI_SOURCE, status.MPI_TAG);
                if count < step || from == crate::collective::shape::PROC_NULL {
                    return BufferStatus {
                        source: from,
                        tag: with,
                        count: got,
                    };
                }
            }
        });
        Ok(status)
    }

    /// Starts sending `buf`, an owned `Vec` or `Array` (`MPI_Isend`); [`Pending::wait`] hands
    /// it back once it may be reused.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => {
    ///             let sending = world.immediate_send_array_owned(1, 0, vec![1u8, 2, 3])?;
    ///             // ... work while the message travels ...
    ///             let buf = sending.wait()?; // the Vec, back for reuse
    ///             assert_eq!(buf, vec![1, 2, 3]);
    ///         }
    ///         1 => {
    ///             let mut buf = [0u8; 3];
    ///             world.receive_array_into(Some(0), Some(0), &mut buf)?;
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_send_array_owned<B>(&self, dest: Rank, tag: Tag, buf: B) -> Result<Pending<B>>
    where
        B: Buffer<Owned = B> + 'static,
    {
        immediate_send(self, dest, tag, buf, Mode::Standard)
    }

    /// Starts a synchronous send (`MPI_Issend`): it completes once the receiver has started
    /// receiving.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => {
    ///             let sending = world.immediate_synchronous_send_array_owned(1, 0, vec![0.5f32; 8])?;
    ///             // ... work until rank 1 has started receiving ...
    ///             let _buf = sending.wait()?;
    ///         }
    ///         1 => {
    ///             let mut buf = vec![0.0f32; 8];
    ///             world.receive_array_into(Some(0), Some(0), &mut buf)?;
    ///             assert_eq!(buf, vec![0.5; 8]);
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_synchronous_send_array_owned<B>(
        &self,
        dest: Rank,
        tag: Tag,
        buf: B,
    ) -> Result<Pending<B>>
    where
        B: Buffer<Owned = B> + 'static,
    {
        immediate_send(self, dest, tag, buf, Mode::Synchronous)
    }

    /// Posts a receive into `buf`, an owned `Vec` or `Array` (`MPI_Irecv`), and returns at
    /// once; [`Pending::wait`] hands back the buffer and the message's status. A message longer
    /// than one piece must fill `buf` exactly (its pieces are posted at once).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     match world.rank() {
    ///         0 if world.size() > 1 => world.send_array(1, 4, &[5u32; 8])?,
    ///         1 => {
    ///             let receiving = world.immediate_receive_array_owned(Some(0), Some(4), vec![0u32; 8])?;
    ///             // ... work while the message arrives ...
    ///             let (buf, status) = receiving.wait()?;
    ///             assert_eq!((buf, status.count), (vec![5; 8], 8));
    ///         }
    ///         _ => {}
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn immediate_receive_array_owned<R>(
        &self,
        source: Option<Rank>,
        tag: Option<Tag>,
        mut buf: R,
    ) -> Result<Pending<(R, BufferStatus)>>
    where
        R: BufferMut<Owned = R> + 'static,
    {
        if let Some(s) = source {
            check_peer(self, s)?;
        }
        if buf.contiguous_mut().is_none() {
            buf = R::from_parts(&buf.buffer_shape(), buf.contiguous().into_owned());
        }
        let data = buf.contiguous_mut().expect("standard layout is contiguous");
        let datatype = R::Elem::equivalent_datatype().as_raw();
        let (from, with) = (source_of(source), tag_of(tag));
        let requests = start_each(message_pieces::<R::Elem>(data.len()), |r, req| {
            // SAFETY: the buffer's heap storage is owned by the returned Pending, which waits
            // for the requests before it gives it up.
            unsafe {
                raw::irecv(
                    recv_ptr(&mut data[r.clone()]),
                    r.len() as i32,
                    datatype,
                    from,
                    with,
                    self.as_raw(),
                    req,
                );
            }
        });
        let status = BufferStatus {
            source: from,
            tag: with,
            count: 0,
        };
        Ok(Pending::new(requests, (buf, status), None).on_completion(received::<R>))
    }
}

impl<C: Communicator + ?Sized> ArrayMessages for C {}

/// Fills a receive's status from its pieces' statuses.
fn received<R: BufferMut>(value: &mut (R, BufferStatus), statuses: &[MPI_Status]) {
    let Some(&first) = statuses.first() else {
        return;
    };
    let first = Status::from_raw(first);
    value.1 = BufferStatus {
        source: first.source_rank(),
        tag: first.tag(),
        count: statuses
            .iter()
            .map(|&s| {
                Status::from_raw(s)
                    .count(R::Elem::equivalent_datatype())
                    .max(0) as usize
            })
            .sum(),
    };
}

fn send<C, B>(comm: &C, dest: Rank, tag: Tag, buf: &B, mode: Mode) -> Result<()>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
{
    check_peer(comm, dest)?;
    if dest == crate::collective::shape::PROC_NULL {
        return Ok(());
    }
    let data = buf.contiguous();
    let datatype = B::Elem::equivalent_datatype().as_raw();
    let call = match mode {
        Mode::Standard => raw::send,
        Mode::Synchronous => raw::ssend,
    };
    for r in message_pieces::<B::Elem>(data.len()) {
        // SAFETY: a send of `r.len()` elements of the caller's buffer.
        unsafe {
            call(
                send_ptr(&data[r.clone()]),
                r.len() as i32,
                datatype,
                dest,
                tag,
                comm.as_raw(),
            );
        }
    }
    Ok(())
}

fn immediate_send<C, B>(comm: &C, dest: Rank, tag: Tag, buf: B, mode: Mode) -> Result<Pending<B>>
where
    C: Communicator + ?Sized,
    B: Buffer<Owned = B> + 'static,
{
    check_peer(comm, dest)?;
    let (copy, data) = send_view(&buf);
    let datatype = B::Elem::equivalent_datatype().as_raw();
    let requests = start_each(message_pieces::<B::Elem>(data.len()), |r, req| {
        let call = match mode {
            Mode::Standard => raw::isend,
            Mode::Synchronous => raw::issend,
        };
        // SAFETY: the elements live on the heap of `buf` or of `copy`, both moved into the
        // returned Pending, which waits for the requests before it gives them up.
        unsafe {
            call(
                send_ptr(&data[r.clone()]),
                r.len() as i32,
                datatype,
                dest,
                tag,
                comm.as_raw(),
                req,
            );
        }
    });
    Ok(Pending::new(requests, buf, Some(Box::new(copy))))
}
