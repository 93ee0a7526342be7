//! Point-to-point messages of buffers (`send_array`, `synchronous_send_array`,
//! `receive_array_into` and their `immediate_` forms) on 1, 2, 3, 4 and 8 ranks, with MPI's
//! message sizes and with 64-byte pieces: every element type, slices, `Vec`s and ndarray
//! arrays (a transposed view too), tags and wildcards with their statuses, `PROC_NULL` at both
//! ends, messages shorter than the buffer, a pipeline of lines in both tag orders, and
//! messages of exactly one piece and of several (so the last piece is empty or short).
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::buffers::Element;
use mpikit::mpi::topology::Rank;
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Array1, Array2};
use mpikit::num_complex::{Complex32, Complex64};
use mpikit::p2p::PROC_NULL;
use mpikit::prelude::*;
use mpikit::{Error, World};

fn main() {
    common::spmd_main_everywhere("array_messages", rank_checks);
}

fn rank_checks() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank(), world.size());
        every_type::<u8>(world, rank, size, |i| i as u8)?;
        every_type::<i8>(world, rank, size, |i| (i as i8).wrapping_mul(-3))?;
        every_type::<bool>(world, rank, size, |i| i % 3 == 0)?;
        every_type::<u16>(world, rank, size, |i| i as u16 * 7)?;
        every_type::<i16>(world, rank, size, |i| -(i as i16))?;
        every_type::<u32>(world, rank, size, |i| i as u32 * 11)?;
        every_type::<i32>(world, rank, size, |i| -(i as i32) * 5)?;
        every_type::<u64>(world, rank, size, |i| (i as u64) << 33)?;
        every_type::<i64>(world, rank, size, |i| -(i as i64) << 30)?;
        every_type::<usize>(world, rank, size, |i| i * 13)?;
        every_type::<isize>(world, rank, size, |i| -(i as isize))?;
        every_type::<f32>(world, rank, size, |i| i as f32 / 4.0)?;
        every_type::<f64>(world, rank, size, |i| i as f64 / 8.0 - 1.0)?;
        every_type::<Complex32>(world, rank, size, |i| Complex32::new(i as f32, -1.0))?;
        every_type::<Complex64>(world, rank, size, |i| Complex64::new(0.5, i as f64))?;
        tags_and_wildcards(world, rank, size)?;
        chain_with_proc_null(world, rank, size)?;
        arrays_and_views(world, rank, size)?;
        piece_boundaries(world, rank, size)?;
        common::report_ok("array_messages", world.comm());
        Ok::<(), Error>(())
    });
}

fn ring(rank: Rank, size: Rank) -> (Rank, Rank) {
    ((rank + 1) % size, (rank + size - 1) % size)
}

/// What rank `from` sends: `len` values of `gen` shifted by the sender.
fn payload<T>(from: Rank, len: usize, gen: impl Fn(usize) -> T) -> Vec<T> {
    (0..len).map(|i| gen(i + 1000 * from as usize)).collect()
}

/// Around the ring, blocking and immediate, standard and synchronous, for one type.
fn every_type<T: Element + std::fmt::Debug>(
    world: &World,
    rank: Rank,
    size: Rank,
    gen: impl Fn(usize) -> T + Copy,
) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    for len in [0usize, 1, 5, 300] {
        let mine = payload(rank, len, gen);
        let want = payload(prev, len, gen);
        // Receive posted first, then a blocking synchronous send: completes at any size.
        let posted =
            world.immediate_receive_array_owned(Some(prev), Some(3), vec![T::default(); len])?;
        world.synchronous_send_array(next, 3, &mine)?;
        let (got, status) = posted.wait()?;
        assert_eq!(got, want, "{} x {len}", std::any::type_name::<T>());
        assert_eq!((status.source, status.tag, status.count), (prev, 3, len));
        // Immediate sends, blocking receive into a longer buffer: the rest stays as it was.
        let sending = world.immediate_send_array_owned(next, 4, mine.clone())?;
        let mut room = vec![T::default(); len + 3];
        let status = world.receive_array_into(Some(prev), Some(4), &mut room)?;
        assert_eq!((status.source, status.count), (prev, len));
        assert_eq!(&room[..len], &want[..]);
        assert!(room[len..].iter().all(|x| *x == T::default()));
        assert_eq!(sending.wait()?, mine, "the send hands its buffer back");
        let sending = world.immediate_synchronous_send_array_owned(next, 5, mine.clone())?;
        let mut exact = vec![T::default(); len];
        world.receive_array_into(Some(prev), Some(5), &mut exact[..])?;
        assert_eq!(exact, want);
        sending.wait()?;
    }
    Ok(())
}

/// Tags keep messages apart whatever their order; any source and any tag say who sent what.
fn tags_and_wildcards(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    // Send tags 10, 11, 12 in that order; receive 12 first, then 10, then 11.
    let sends: Vec<_> = (10..13)
        .map(|t| world.immediate_send_array_owned(next, t, vec![t as u32 + 100 * rank as u32; 7]))
        .collect::<Result<_, _>>()?;
    for t in [12, 10, 11] {
        let mut got = [0u32; 7];
        let status = world.receive_array_into(Some(prev), Some(t), &mut got)?;
        assert_eq!(got, [t as u32 + 100 * prev as u32; 7]);
        assert_eq!(status.tag, t);
    }
    for s in sends {
        s.wait()?;
    }
    // Rank 0 hears from everyone (itself too) with any source and any tag.
    world.barrier();
    let to_root =
        world.immediate_send_array_owned(0, 20 + rank, vec![rank as i64, (20 + rank) as i64])?;
    if rank == 0 {
        let mut seen = vec![false; size as usize];
        for _ in 0..size {
            let mut got = [0i64; 2];
            let status = world.receive_array_into(None, None, &mut got)?;
            assert_eq!(got, [status.source as i64, status.tag as i64]);
            assert_eq!(status.tag, 20 + status.source);
            seen[status.source as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
    to_root.wait()?;
    world.barrier();
    Ok(())
}

/// PRK Synch_p2p's pattern: one line at a time down a chain whose ends talk to `PROC_NULL`.
fn chain_with_proc_null(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let left = if rank > 0 { rank - 1 } else { PROC_NULL };
    let right = if rank + 1 < size { rank + 1 } else { PROC_NULL };
    let mut line = [-1.0f64; 4];
    for j in 0..50 {
        let status = world.receive_array_into(Some(left), Some(j), &mut line)?;
        if left == PROC_NULL {
            assert_eq!((status.source, status.count), (PROC_NULL, 0));
            line = [j as f64; 4];
        } else {
            assert_eq!(line, [j as f64 + rank as f64; 4]);
        }
        line.iter_mut().for_each(|x| *x += 1.0);
        world.send_array(right, j, &line)?;
        assert_eq!(line, [j as f64 + rank as f64 + 1.0; 4]);
    }
    // Non-blocking forms with PROC_NULL complete at once.
    let (got, status) = world
        .immediate_receive_array_owned(Some(PROC_NULL), Some(1), vec![7u8; 3])?
        .wait()?;
    assert_eq!(
        (got, status.source, status.count),
        (vec![7u8; 3], PROC_NULL, 0)
    );
    world
        .immediate_send_array_owned(PROC_NULL, 1, vec![1u8])?
        .wait()?;
    // A rank outside the communicator is an Err, not an MPI abort.
    assert!(world.send_array(size, 0, &[1u8]).is_err());
    assert!(world
        .receive_array_into(Some(size + 3), None, &mut [0u8])
        .is_err());
    Ok(())
}

/// ndarray arrays and views: a transposed view is sent in standard order of its shape.
fn arrays_and_views(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    let a = Array2::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as f64 + rank as f64 * 0.5);
    let sending = world.immediate_send_array_owned(next, 30, a.clone())?;
    let mut b = Array2::<f64>::zeros((3, 4));
    world.receive_array_into(Some(prev), Some(30), &mut b)?;
    assert_eq!(b, a.mapv(|x| x + (prev - rank) as f64 * 0.5));
    sending.wait()?;
    world.send_array(next, 31, &a.t())?; // 4 x 3, copied once into standard order
    let mut t = Array2::<f64>::zeros((4, 3));
    world.receive_array_into(Some(prev), Some(31), &mut t.view_mut())?;
    assert_eq!(t, b.t());
    let (row, _) = world
        .immediate_receive_array_owned(Some(prev), Some(32), Array1::<i32>::zeros(5))
        .and_then(|posted| {
            world.send_array(next, 32, &Array1::from_elem(5, rank))?;
            posted.wait()
        })?;
    assert_eq!(row, Array1::from_elem(5, prev));
    Ok(())
}

/// Lengths around the piece size (64 bytes: 8 f64s, under `MPIKIT_MAX_MESSAGE_BYTES=64`):
/// exactly one piece, one and a bit, several; blocking receives into longer buffers too.
fn piece_boundaries(world: &World, rank: Rank, size: Rank) -> Result<(), Error> {
    let (next, prev) = ring(rank, size);
    let step = mpikit::runtime::max_message_bytes() / 8;
    for len in [
        step.min(1 << 12),
        2 * step.min(1 << 12),
        step.min(1 << 12) + 3,
        1000,
    ] {
        let mine: Vec<f64> = (0..len).map(|i| (i * 3 + rank as usize) as f64).collect();
        let want: Vec<f64> = (0..len).map(|i| (i * 3 + prev as usize) as f64).collect();
        let posted = world.immediate_receive_array_owned(Some(prev), Some(40), vec![0.0; len])?;
        world.send_array(next, 40, &mine)?;
        let (got, status) = posted.wait()?;
        assert_eq!((got == want, status.count), (true, len), "len {len} posted");
        let sending = world.immediate_send_array_owned(next, 41, mine.clone())?;
        let mut longer = vec![-1.0; len + 2 * step.min(1 << 12)];
        let status = world.receive_array_into(Some(prev), Some(41), &mut longer)?;
        assert_eq!(status.count, len, "len {len} into a longer buffer");
        assert!(longer[..len] == want[..] && longer[len..].iter().all(|&x| x == -1.0));
        sending.wait()?;
    }
    Ok(())
}
