//! Exchanges with neighbours: send and receive in one call (`MPI_Sendrecv`, mpi4py's
//! `sendrecv` / `Sendrecv` / `Sendrecv_replace`), objects and buffers, with [`PROC_NULL`]
//! for "no rank" at the ends of a chain.

use mpi::datatype::Equivalence;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};
use mpi::Tag;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::buffer::{with_contiguous_mut, Buffer, BufferMut};
use crate::collective::codec::ObjectStatus;
use crate::collective::large;
use crate::collective::object::ObjectCollectives;
use crate::collective::pending::{start_each, Pending};
use crate::collective::shape::{check_peer, PROC_NULL};
use crate::error::Result;
use crate::raw;

/// Send to one rank and receive from another in one deadlock-free step, for any rsmpi
/// communicator and for [`World`](crate::World). Either side may be [`PROC_NULL`].
///
/// # Examples
/// A shift along a chain: every rank passes its value to the right and gets its left
/// neighbour's; the first rank gets nothing, the last rank's value goes nowhere.
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::p2p::PROC_NULL;
/// mpikit::run(|world| {
///     let (rank, size) = (world.rank(), world.size());
///     let right = if rank + 1 < size { rank + 1 } else { PROC_NULL };
///     let left = if rank > 0 { rank - 1 } else { PROC_NULL };
///     let got: Option<String> = world.send_receive_object(&format!("from {rank}"), right, left)?;
///     assert_eq!(got.is_none(), rank == 0);
///     // The same with buffers: the halo cell arrives in place, the ends stay untouched.
///     let mut halo = [-1.0f64];
///     world.send_receive_into(&[rank as f64], right, &mut halo, left)?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait SendReceive: Communicator {
    /// Sends `value` to `dest` and receives an object from `source` (tag 0 both ways);
    /// `None` when `source` is [`PROC_NULL`]. Objects of any size, in pieces past
    /// [`max_message_bytes`](crate::runtime::max_message_bytes).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // A ring: pass a greeting right, get the left neighbour's.
    ///     let (me, n) = (world.rank(), world.size());
    ///     let (right, left) = ((me + 1) % n, (me + n - 1) % n);
    ///     let got: Option<String> = world.send_receive_object(&format!("from {me}"), right, left)?;
    ///     assert_eq!(got, Some(format!("from {left}")));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn send_receive_object<T, R>(&self, value: &T, dest: Rank, source: Rank) -> Result<Option<R>>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        Ok(self
            .send_receive_object_tagged(value, dest, 0, source, 0)?
            .map(|(v, _)| v))
    }

    /// [`send_receive_object`](Self::send_receive_object) with the tags given, and the
    /// status of what arrived.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let (me, n) = (world.rank(), world.size());
    ///     let (right, left) = ((me + 1) % n, (me + n - 1) % n);
    ///     let got = world.send_receive_object_tagged::<_, Vec<u8>>(&vec![me as u8; 3], right, 5, left, 5)?;
    ///     let (bytes, status) = got.expect("left is a rank, not PROC_NULL");
    ///     assert_eq!((bytes, status.source, status.tag), (vec![left as u8; 3], left, 5));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn send_receive_object_tagged<T, R>(
        &self,
        value: &T,
        dest: Rank,
        send_tag: Tag,
        source: Rank,
        receive_tag: Tag,
    ) -> Result<Option<(R, ObjectStatus)>>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        check_peer(self, dest)?;
        check_peer(self, source)?;
        // The send goes out without blocking, so two ranks exchanging large objects with
        // each other cannot both wait in a send.
        let sending = self.immediate_send_object(dest, send_tag, value)?;
        let got = if source == PROC_NULL {
            None
        } else {
            Some(self.receive_object(Some(source), Some(receive_tag))?)
        };
        sending.complete();
        Ok(got)
    }

    /// Sends `send` to `dest` and receives into `recv` from `source` (`MPI_Sendrecv`, tag
    /// 0): `recv` must be as long as what `source` sends. With `source` [`PROC_NULL`], `recv`
    /// is left as it was. Buffers of any size, in pieces.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::p2p::PROC_NULL;
    /// mpikit::run(|world| {
    ///     // Halo exchange along a chain: my last cell goes right, the left's last cell into `halo`.
    ///     let (me, n) = (world.rank(), world.size());
    ///     let right = if me + 1 < n { me + 1 } else { PROC_NULL };
    ///     let left = if me > 0 { me - 1 } else { PROC_NULL };
    ///     let cells = [me as f64; 4];
    ///     let mut halo = [f64::NAN]; // stays NaN on rank 0
    ///     world.send_receive_into(&cells[3..], right, &mut halo, left)?;
    ///     assert_eq!(halo[0].is_nan(), me == 0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn send_receive_into<B, R>(
        &self,
        send: &B,
        dest: Rank,
        recv: &mut R,
        source: Rank,
    ) -> Result<()>
    where
        B: Buffer + ?Sized,
        R: BufferMut<Elem = B::Elem> + ?Sized,
    {
        check_peer(self, dest)?;
        check_peer(self, source)?;
        let send = send.contiguous();
        let datatype = B::Elem::equivalent_datatype().as_raw();
        with_contiguous_mut(recv, |recv| {
            let mut requests = start_each(large::pieces::<B::Elem>(recv.len()), |r, req| {
                // SAFETY: `recv` outlives the requests, which are waited for below.
                unsafe {
                    raw::irecv(
                        recv_ptr(&mut recv[r.clone()]),
                        r.len() as i32,
                        datatype,
                        source,
                        0,
                        self.as_raw(),
                        req,
                    );
                }
            });
            requests.extend(start_each(
                large::pieces::<B::Elem>(send.len()),
                |r, req| {
                    // SAFETY: `send` outlives the requests, which are waited for below.
                    unsafe {
                        raw::isend(
                            send_ptr(&send[r.clone()]),
                            r.len() as i32,
                            datatype,
                            dest,
                            0,
                            self.as_raw(),
                            req,
                        );
                    }
                },
            ));
            Pending::new(requests, (), None).complete();
        });
        Ok(())
    }

    /// Sends `buf` to `dest` and replaces it with what `source` sends (`MPI_Sendrecv_replace`,
    /// tag 0), which must be as long. With `source` [`PROC_NULL`], `buf` is left as it was.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // Rotate blocks around a ring: each rank ends up with its left neighbour's.
    ///     let (me, n) = (world.rank(), world.size());
    ///     let mut block = vec![me; 8];
    ///     world.send_receive_replace_into(&mut block, (me + 1) % n, (me + n - 1) % n)?;
    ///     assert_eq!(block, vec![(me + n - 1) % n; 8]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn send_receive_replace_into<B>(&self, buf: &mut B, dest: Rank, source: Rank) -> Result<()>
    where
        B: BufferMut + ?Sized,
    {
        // MPI_Sendrecv_replace buffers the outgoing data internally too; one copy here lets
        // the pieces of both directions travel at once.
        let outgoing = buf.contiguous().into_owned();
        self.send_receive_into(&outgoing[..], dest, buf, source)
    }
}

impl<C: Communicator + ?Sized> SendReceive for C {}
