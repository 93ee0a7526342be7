//! The workings of the non-blocking collectives: what each
//! [`ImmediateCollectives`](crate::requests::ImmediateCollectives) method checks, lends to
//! MPI and starts; the trait's methods (and their documentation) call these.
//!
//! Shapes and counts are agreed first (blocking, a few bytes: the same checks and the same
//! `Err` on every rank as the blocking calls); then the data moves while the caller computes.
//! Every rank must start the same non-blocking collectives in the same order, as MPI
//! requires; they may be waited for in any order.

use std::borrow::Cow;

use mpi::collective::{CommunicatorCollectives, SystemOperation};
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, Rank};

use crate::collective::address::{recv_ptr, send_ptr};
use crate::collective::buffer::{Buffer, BufferMut, OwnedBuffer, OwnedBufferMut};
use crate::collective::large;
use crate::collective::large::fits;
use crate::collective::op::ReduceOp;
use crate::collective::pending::start_each;
use crate::collective::pending::Pending;
use crate::collective::plans::{alltoall_plan, reduce_scatter_plan, scatter_plan};
use crate::collective::shape::{
    agree_lengths, agree_root, agree_rows, agree_same_shape, check_root, RootInput,
};
use crate::collective::started::{self, Reduction};
use crate::data::alloc::zeroed_vec;
use crate::error::{Error, Result};
use crate::raw;
use mpi::datatype::Equivalence;

/// The elements MPI reads from an owned, heap-backed `local` (a `Vec` or `Array`, which a
/// `Pending` will hold: moving it leaves the elements where they are), and the copy to keep
/// alongside when they are not in standard order.
pub(crate) fn send_view<B: Buffer + ?Sized>(
    local: &B,
) -> (Option<Vec<B::Elem>>, &'static [B::Elem]) {
    let (copy, ptr, len) = match local.contiguous() {
        Cow::Borrowed(s) => (None, s.as_ptr(), s.len()),
        Cow::Owned(v) => {
            let (ptr, len) = (v.as_ptr(), v.len());
            (Some(v), ptr, len)
        }
    };
    // SAFETY: the elements live on the heap of `local` or of `copy`, both of which the
    // caller moves into the Pending, which keeps them until MPI is done; nothing writes them.
    (copy, unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An owned, heap-backed `out` in standard layout (copied once if it is not) and the
/// elements MPI writes, for a `Pending` to hold.
fn recv_view<R: BufferMut<Owned = R>>(mut out: R) -> (R, &'static mut [R::Elem]) {
    if out.contiguous_mut().is_none() {
        out = R::from_parts(&out.buffer_shape(), out.contiguous().into_owned());
    }
    let slice = out.contiguous_mut().expect("standard layout is contiguous");
    let (ptr, len) = (slice.as_mut_ptr(), slice.len());
    // SAFETY: the elements live on `out`'s heap, which stays put when `out` moves into the
    // Pending; only MPI writes them until it completes.
    (out, unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// A fresh owned buffer of `shape` and its elements as one slice.
fn fresh<B: Buffer + ?Sized>(shape: &[usize]) -> B::Owned {
    B::from_parts(shape, zeroed_vec(shape.iter().product()))
}

/// The body of [`ImmediateCollectives::immediate_scatterv_rows`] and of
/// `immediate_scatter_rows`, each named `what` in its errors.
pub(crate) fn immediate_scatterv_rows<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    root: Rank,
    (data, rows): (Option<&B>, Option<&[usize]>),
    what: &'static str,
) -> Result<Pending<B::Owned>> {
    let (mine, counts) = scatter_plan(comm, root, data, rows, what)?;
    // The root has data: scatter_plan failed everywhere otherwise.
    let send = data
        .filter(|_| comm.rank() == root)
        .map(|d| d.contiguous().into_owned());
    let mut value = fresh::<B>(&mine);
    let out = value.contiguous_mut().expect("fresh");
    let started = started::scatterv(comm, root, send.as_deref(), &counts, out);
    Ok(started.into_pending(value, send))
}

/// The body of [`ImmediateCollectives::immediate_alltoallv_rows`].
pub(crate) fn immediate_alltoallv_rows<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    local: &B,
    send_rows: &[usize],
) -> Result<Pending<B::Owned>> {
    let what = "immediate_alltoallv_rows";
    let (shape, send_counts, recv_counts) =
        alltoall_plan(comm, &local.buffer_shape(), send_rows, what)?;
    let local_fits =
        fits::<B::Elem>(&send_counts).is_some() && fits::<B::Elem>(&recv_counts).is_some();
    let mut all_fit = 0u8;
    comm.all_reduce_into(&u8::from(local_fits), &mut all_fit, SystemOperation::min());
    let send = local.contiguous().into_owned();
    let mut value = fresh::<B>(&shape);
    let out = value.contiguous_mut().expect("fresh");
    let started = started::alltoallv(comm, &send, &send_counts, out, &recv_counts, all_fit == 1);
    Ok(started.into_pending(value, send))
}

/// The same length check on every rank under `MPIKIT_CHECK` (the same `Err` everywhere);
/// otherwise this rank's own `Err` (which `mpikit::run` turns into the end of the job).
fn check_lengths<C>(comm: &C, n: usize, ok: bool, what: &'static str, need: &str) -> Result<()>
where
    C: Communicator + ?Sized,
{
    agree_lengths(comm, n, ok, what)?;
    ok.then_some(())
        .ok_or_else(|| Error::Shape(format!("{what}: {need}")))
}

/// Lends `local` and `recv` to the collective `start` starts, for the `Pending` to hold.
fn lend<B: OwnedBuffer, R: OwnedBufferMut<B::Elem>>(
    local: B,
    recv: R,
    start: impl FnOnce(&'static [B::Elem], &'static mut [B::Elem]) -> started::Started,
) -> Result<Pending<(B, R)>> {
    let (copy, send) = send_view(&local);
    let (recv, dest) = recv_view(recv);
    Ok(start(send, dest).into_pending((local, recv), copy))
}

/// The body of [`ImmediateCollectives::immediate_allreduce_array_owned`].
pub(crate) fn immediate_allreduce_array_owned<C, B: OwnedBuffer, R: OwnedBufferMut<B::Elem>>(
    comm: &C,
    (local, out): (B, R),
    op: ReduceOp,
) -> Result<Pending<(B, R)>>
where
    C: Communicator + ?Sized,
{
    let what = "immediate_allreduce_array_owned";
    let op = op.for_type::<B::Elem>(what)?;
    let ok = local.buffer_len() == out.buffer_len();
    check_lengths(
        comm,
        local.buffer_len(),
        ok,
        what,
        "`out` must have `local`'s length",
    )?;
    lend(local, out, |send, dest| {
        started::reduction(comm, Reduction::All, send, Some(dest), op.as_raw())
    })
}

/// The rooted checks of the owned gather and scatter: a valid root, the root's buffer
/// (`have` elements there) holding `size` blocks of `n`, and the same `n` everywhere (under
/// `MPIKIT_CHECK`); the block counts.
fn agree_blocks<C>(
    comm: &C,
    root: Rank,
    have: Option<usize>,
    n: usize,
    what: &'static str,
) -> Result<Vec<usize>>
where
    C: Communicator + ?Sized,
{
    check_root(comm, root)?;
    agree_root(
        comm,
        root,
        RootInput::of(have, n * comm.size() as usize),
        what,
    )?;
    agree_lengths(comm, n, true, what)?;
    Ok(vec![n; comm.size() as usize])
}

/// The body of [`ImmediateCollectives::immediate_gather_array_owned`].
pub(crate) fn immediate_gather_array_owned<B: OwnedBuffer, R: OwnedBufferMut<B::Elem>>(
    comm: &(impl Communicator + ?Sized),
    root: Rank,
    (local, recv): (B, Option<R>),
) -> Result<Pending<(B, Option<R>)>> {
    let is_root = comm.rank() == root;
    let have = recv.as_ref().filter(|_| is_root).map(|r| r.buffer_len());
    let what = "immediate_gather_array_owned";
    let counts = agree_blocks(comm, root, have, local.buffer_len(), what)?;
    let (copy, send) = send_view(&local);
    // A buffer given off the root is handed back untouched.
    let (recv, dest) = match recv.map(recv_view) {
        Some((r, d)) if is_root => (Some(r), Some(d)),
        other => (other.map(|(r, _)| r), None),
    };
    let started = started::gatherv(comm, root, send, &counts, dest);
    Ok(started.into_pending((local, recv), copy))
}

/// The body of [`ImmediateCollectives::immediate_scatter_array_owned`].
pub(crate) fn immediate_scatter_array_owned<C, B: OwnedBuffer, R: OwnedBufferMut<B::Elem>>(
    comm: &C,
    root: Rank,
    (send, recv): (Option<B>, R),
) -> Result<Pending<(Option<B>, R)>>
where
    C: Communicator + ?Sized,
{
    let is_root = comm.rank() == root;
    let have = send.as_ref().filter(|_| is_root).map(|s| s.buffer_len());
    let what = "immediate_scatter_array_owned";
    let counts = agree_blocks(comm, root, have, recv.buffer_len(), what)?;
    // A buffer given off the root is handed back untouched.
    let (copy, from) = match &send {
        Some(s) if is_root => {
            let (c, f) = send_view(s);
            (c, Some(f))
        }
        _ => (None, None),
    };
    let (recv, dest) = recv_view(recv);
    let started = started::scatterv(comm, root, from, &counts, dest);
    Ok(started.into_pending((send, recv), copy))
}

/// The body of [`ImmediateCollectives::immediate_allgather_array_owned`] (`all_to_all`
/// false) and [`ImmediateCollectives::immediate_alltoall_array_owned`] (true): equal
/// blocks of `local`'s length (all-gather) or of `local`'s length / size (all-to-all).
pub(crate) fn immediate_exchange_owned<C, B: OwnedBuffer, R: OwnedBufferMut<B::Elem>>(
    comm: &C,
    (local, recv, all_to_all): (B, R, bool),
) -> Result<Pending<(B, R)>>
where
    C: Communicator + ?Sized,
{
    let (n, size) = (local.buffer_len(), comm.size() as usize);
    if !all_to_all {
        let what = "immediate_allgather_array_owned";
        let ok = recv.buffer_len() == n * size;
        check_lengths(comm, n, ok, what, "recv must hold size x local elements")?;
        let counts = vec![n; size];
        return lend(local, recv, |send, dest| {
            started::allgatherv(comm, send, &counts, dest)
        });
    }
    let what = "immediate_alltoall_array_owned";
    let ok = recv.buffer_len() == n && n % size == 0;
    let need = "local and recv need the same length, a multiple of size";
    check_lengths(comm, n, ok, what, need)?;
    let counts = vec![n / size; size];
    let all_fit = fits::<B::Elem>(&counts).is_some(); // the same on every rank
    lend(local, recv, |send, dest| {
        started::alltoallv(comm, send, &counts, dest, &counts, all_fit)
    })
}

/// The body of [`ImmediateCollectives::immediate_reduce_array`].
pub(crate) fn immediate_reduce_array<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    root: Rank,
    local: &B,
    op: ReduceOp,
) -> Result<Pending<Option<B::Owned>>> {
    check_root(comm, root)?;
    let what = "immediate_reduce_array";
    let op = op.for_type::<B::Elem>(what)?;
    let shape = local.buffer_shape();
    agree_same_shape(comm, &shape, what)?;
    let send = local.contiguous().into_owned();
    let mut value = (comm.rank() == root).then(|| fresh::<B>(&shape));
    let out = value.as_mut().map(|v| v.contiguous_mut().expect("fresh"));
    let kind = Reduction::Reduce(root);
    let started = started::reduction(comm, kind, &send, out, op.as_raw());
    Ok(started.into_pending(value, send))
}

/// The body of [`ImmediateCollectives::immediate_reduce_scatterv_rows`].
pub(crate) fn immediate_reduce_scatterv_rows<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    local: &B,
    rows: &[usize],
    op: ReduceOp,
) -> Result<Pending<B::Owned>> {
    let what = "immediate_reduce_scatterv_rows";
    let op = op.for_type::<B::Elem>(what)?;
    let (counts, mine) = reduce_scatter_plan(comm, &local.buffer_shape(), rows, what)?;
    let send = local.contiguous().into_owned();
    let mut value = fresh::<B>(&mine);
    let out = value.contiguous_mut().expect("fresh");
    let started = started::reduce_scatterv(comm, &send, &counts, out, op.as_raw());
    Ok(started.into_pending(value, send))
}

/// The body of [`ImmediateCollectives::immediate_scan_array`].
pub(crate) fn immediate_scan_array<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    local: &B,
    op: ReduceOp,
) -> Result<Pending<B::Owned>> {
    let what = "immediate_scan_array";
    let op = op.for_type::<B::Elem>(what)?;
    let shape = local.buffer_shape();
    agree_same_shape(comm, &shape, what)?;
    let send = local.contiguous().into_owned();
    let mut value = fresh::<B>(&shape);
    let out = value.contiguous_mut().expect("fresh");
    let started = started::reduction(comm, Reduction::Scan, &send, Some(out), op.as_raw());
    Ok(started.into_pending(value, send))
}

/// The body of [`ImmediateCollectives::immediate_exscan_array`].
pub(crate) fn immediate_exscan_array<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    local: &B,
    op: ReduceOp,
) -> Result<Pending<Option<B::Owned>>> {
    let what = "immediate_exscan_array";
    let op = op.for_type::<B::Elem>(what)?;
    let shape = local.buffer_shape();
    agree_same_shape(comm, &shape, what)?;
    let send = local.contiguous().into_owned();
    if comm.rank() == 0 {
        // MPI may write into rank 0's buffer (its contents are undefined): a scratch one.
        let mut scratch = zeroed_vec::<B::Elem>(send.len());
        let kind = Reduction::Exscan;
        let started = started::reduction(comm, kind, &send, Some(&mut scratch), op.as_raw());
        return Ok(started.into_pending(None, (send, scratch)));
    }
    let mut value = fresh::<B>(&shape);
    let out = value.contiguous_mut().expect("fresh");
    let started = started::reduction(comm, Reduction::Exscan, &send, Some(out), op.as_raw());
    Ok(started.into_pending(Some(value), send))
}

/// The body of [`ImmediateCollectives::immediate_gather_rows`].
pub(crate) fn immediate_gather_rows<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    root: Rank,
    local: &B,
) -> Result<Pending<Option<B::Owned>>> {
    check_root(comm, root)?;
    let (total, counts) = agree_rows(comm, &local.buffer_shape(), "immediate_gather_rows")?;
    let send = local.contiguous().into_owned();
    let mut value = (comm.rank() == root).then(|| fresh::<B>(&total));
    let out = value.as_mut().map(|v| v.contiguous_mut().expect("fresh"));
    Ok(started::gatherv(comm, root, &send, &counts, out).into_pending(value, send))
}

/// The body of [`ImmediateCollectives::immediate_allgather_rows`].
pub(crate) fn immediate_allgather_rows<C: Communicator + ?Sized, B: Buffer + ?Sized>(
    comm: &C,
    local: &B,
) -> Result<Pending<B::Owned>> {
    let (total, counts) = agree_rows(comm, &local.buffer_shape(), "immediate_allgather_rows")?;
    let send = local.contiguous().into_owned();
    let mut value = fresh::<B>(&total);
    let out = value.contiguous_mut().expect("fresh");
    Ok(started::allgatherv(comm, &send, &counts, out).into_pending(value, send))
}

/// The body of [`immediate_allreduce_array`](crate::requests::ImmediateCollectives::immediate_allreduce_array).
pub(crate) fn immediate_allreduce<C, B>(
    comm: &C,
    local: &B,
    op: ReduceOp,
) -> Result<Pending<B::Owned>>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
{
    let op = op.for_type::<B::Elem>("immediate_allreduce_array")?;
    let shape = local.buffer_shape();
    agree_same_shape(comm, &shape, "immediate_allreduce_array")?;
    let send: Vec<B::Elem> = local.contiguous().into_owned();
    let mut recv = B::from_parts(&shape, zeroed_vec(send.len()));
    let out = recv.contiguous_mut().expect("fresh buffers are contiguous");
    let requests = start_each(large::pieces::<B::Elem>(send.len()), |r, req| {
        // SAFETY: both buffers are heap allocations owned by the returned Pending, which
        // waits for the requests before it gives them up.
        unsafe {
            raw::iallreduce(
                send_ptr(&send[r.clone()]),
                recv_ptr(&mut out[r.clone()]),
                r.len() as i32,
                B::Elem::equivalent_datatype().as_raw(),
                op.as_raw(),
                comm.as_raw(),
                req,
            );
        }
    });
    Ok(Pending::new(requests, recv, Some(Box::new(send))))
}

/// The body of [`immediate_broadcast_array_owned`](crate::requests::ImmediateCollectives::immediate_broadcast_array_owned).
pub(crate) fn immediate_broadcast<C, B>(comm: &C, root: Rank, mut buf: B) -> Result<Pending<B>>
where
    C: Communicator + ?Sized,
    B: BufferMut<Owned = B> + 'static,
{
    check_root(comm, root)?;
    agree_lengths(
        comm,
        buf.buffer_len(),
        true,
        "immediate_broadcast_array_owned",
    )?;
    if buf.contiguous_mut().is_none() {
        buf = B::from_parts(&buf.buffer_shape(), buf.contiguous().into_owned());
    }
    let data = buf.contiguous_mut().expect("standard layout is contiguous");
    let requests = start_each(large::pieces::<B::Elem>(data.len()), |r, req| {
        // SAFETY: the buffer's heap storage is owned by the returned Pending, which waits
        // for the requests before it gives it up.
        unsafe {
            raw::ibcast(
                recv_ptr(&mut data[r.clone()]),
                r.len() as i32,
                B::Elem::equivalent_datatype().as_raw(),
                root,
                comm.as_raw(),
                req,
            );
        }
    });
    Ok(Pending::new(requests, buf, None))
}
