//! Messages over 2^31 bytes or elements, at -n 2 (MPI counts are 32-bit): a 2^31 + 16 byte
//! object broadcast, a (2^31 + 16)-element u8 array scattered and gathered back, and one
//! rank receiving a single block of 2^31 + 16 elements, and a buffer message of as many
//! elements (blocking and posted), and a one-sided put and get of as many bytes. Contents are
//! checked byte for byte.
//! Needs about 10 GiB of memory; CI has 24 GiB.

mod common;

use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::rma::{LockKind, Window};
use mpikit::World;
use ndarray::Array1;

const N: usize = (1 << 31) + 16;

fn main() {
    common::spmd_main("large_messages", &[2], &[&[]], rank_checks);
}

/// The byte at index i: a pattern with period 251 (prime), so shifted or dropped pieces show.
fn byte(i: usize) -> u8 {
    (i % 251) as u8
}

fn check_pattern(data: &[u8], offset: usize, what: &str) {
    if let Some(bad) = data
        .iter()
        .enumerate()
        .position(|(i, &b)| b != byte(offset + i))
    {
        panic!("{what}: wrong byte at {bad} of {}", data.len());
    }
}

fn rank_checks() {
    let world = World::init().expect("MPI init");
    let comm = world.comm();
    let rank = comm.rank();

    // An object of 2^31 + 16 bytes (plus bincode's length prefix) from rank 0.
    let value = (rank == 0).then(|| (0..N).map(byte).collect::<Vec<u8>>());
    let got = comm.broadcast_object(0, value.as_ref()).expect("broadcast");
    drop(value);
    assert_eq!(got.len(), N);
    check_pattern(&got, 0, "broadcast object");
    drop(got);

    // A (2^31 + 16)-element array scattered over 2 ranks and gathered back.
    let full = (rank == 0).then(|| Array1::from_shape_fn(N, byte));
    let mine = comm.scatter_rows(0, full.as_ref()).expect("scatter");
    let start = if rank == 0 { 0 } else { N.div_ceil(2) };
    assert_eq!(mine.len(), if rank == 0 { N.div_ceil(2) } else { N / 2 });
    check_pattern(mine.as_slice().unwrap(), start, "scattered block");
    let back = comm.gather_rows(0, &mine).expect("gather");
    drop(mine);
    if let Some(back) = back {
        assert_eq!(back.len(), N);
        check_pattern(back.as_slice().unwrap(), 0, "gathered array");
    }

    // One block over 2^31 elements: rank 1 gets everything.
    let whole = comm
        .scatterv_rows(0, full.as_ref(), Some(&[0, N]))
        .expect("scatterv");
    drop(full);
    if rank == 1 {
        assert_eq!(whole.len(), N);
        check_pattern(whole.as_slice().unwrap(), 0, "single large block");
    } else {
        assert!(whole.is_empty());
    }

    // A buffer message over 2^31 elements, rank 1 to rank 0: blocking into a longer buffer
    // (pieces until a short one), then posted into a buffer of its exact length.
    if rank == 1 {
        comm.send_array(0, 5, &whole).expect("send_array");
        let sending = comm
            .immediate_send_array_owned(0, 6, whole)
            .expect("immediate_send_array_owned");
        drop(sending.wait());
    } else {
        drop(whole);
        let mut room = vec![0u8; N + 5];
        let status = comm
            .receive_array_into(Some(1), Some(5), &mut room)
            .expect("receive");
        assert_eq!((status.count, room[N..].iter().all(|&b| b == 0)), (N, true));
        check_pattern(&room[..N], 0, "received buffer");
        room.truncate(N);
        room.fill(0);
        let (got, status) = comm
            .immediate_receive_array_owned(Some(1), Some(6), room)
            .expect("post")
            .wait()
            .unwrap();
        assert_eq!(status.count, N);
        check_pattern(&got, 0, "posted receive");
        drop(got);
    }

    // One-sided: rank 0 puts 2^31 + 16 bytes into rank 1's window under a lock and gets them
    // back; rank 1 then finds them in its own memory.
    let mut win = Window::<u8>::allocate(&world, if rank == 1 { N } else { 0 }).expect("window");
    if rank == 0 {
        let lock = win.lock(1, LockKind::Exclusive).expect("lock");
        let data: Vec<u8> = (0..N).map(byte).collect();
        lock.put(1, 0, &data).expect("put");
        drop(data);
        let mut back = vec![0u8; N];
        lock.get(1, 0, &mut back).expect("get");
        check_pattern(&back, 0, "one-sided get");
    }
    comm.barrier(); // rank 0's lock is released: its put is complete at rank 1
    if rank == 1 {
        check_pattern(win.local(), 0, "one-sided put");
    }
    drop(win);
    common::report_ok("large_messages", comm);
}
