//! Object reductions over trees, on every rank count from 1 to 16 and on 32 (oversubscribed):
//! rank order with a closure that does not commute, element-wise sums against a serial sum,
//! the bytes each rank moves (at most 2·m·⌈log2 P⌉ for an m-byte message), a failing value
//! as the same `Err` on every rank, and programs' own messages left alone. Relaunches itself
//! under mpirun (see `common::spmd_main`).

mod common;

use mpikit::mpi::traits::*;
use mpikit::objects::tree_traffic;
use mpikit::prelude::*;
use mpikit::{Error, World};
use serde::{Deserialize, Serialize, Serializer};

fn main() {
    let mut ranks: Vec<usize> = (1..=16).collect();
    ranks.push(32);
    common::spmd_main("reductions", &ranks, common::MESSAGE_SIZES, rank_checks);
}

/// A value that cannot be encoded where it says so.
#[derive(Clone)]
struct Refuses(bool);

impl Serialize for Refuses {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 {
            Err(serde::ser::Error::custom(
                "this value refuses to be encoded",
            ))
        } else {
            s.serialize_u8(1)
        }
    }
}

impl<'de> Deserialize<'de> for Refuses {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u8::deserialize(d).map(|_| Refuses(false))
    }
}

/// ⌈log2 p⌉.
fn rounds(p: usize) -> u64 {
    p.next_power_of_two().trailing_zeros() as u64
}

fn rank_checks() {
    let world = World::init().expect("MPI init");
    let comm = world.comm();
    let (rank, size) = (comm.rank() as usize, comm.size() as usize);

    // Rank order with concatenation, which is associative but not commutative: at every
    // root, and the scans.
    let cat = |a: String, b: String| format!("{a},{b}");
    let all: Vec<String> = (0..size).map(|i| i.to_string()).collect();
    for root in 0..size {
        let got = comm
            .reduce_objects(root as i32, rank.to_string(), cat)
            .unwrap();
        assert_eq!(got, (rank == root).then(|| all.join(",")), "root {root}");
    }
    assert_eq!(
        comm.allreduce_objects(rank.to_string(), cat).unwrap(),
        all.join(",")
    );
    assert_eq!(
        comm.scan_objects(rank.to_string(), cat).unwrap(),
        all[..=rank].join(",")
    );
    let ex = comm.exscan_objects(rank.to_string(), cat).unwrap();
    assert_eq!(ex, (rank > 0).then(|| all[..rank].join(",")));

    // Element-wise sums of 1024 whole-number f64 per rank (exact), against a serial sum.
    let n = 1024;
    let value = |r: usize| -> Vec<f64> {
        (0..n)
            .map(|i| ((r * 7919 + i * 31) % 1000) as f64)
            .collect()
    };
    let want: Vec<f64> = (0..n)
        .map(|i| (0..size).map(|r| value(r)[i]).sum())
        .collect();
    let add = |a: Vec<f64>, b: Vec<f64>| a.iter().zip(&b).map(|(x, y)| x + y).collect::<Vec<f64>>();
    let before = tree_traffic();
    let total = comm.allreduce_objects(value(rank), add).unwrap();
    let after = tree_traffic();
    assert_eq!(total, want);
    // One message: the 16-byte header, then bincode's varints: 1 byte for Result's variant,
    // 3 for the Vec's length (1024), and 8 bytes per f64.
    let message = (16 + 1 + 3 + 8 * n) as u64;
    let moved = (after.0 - before.0) + (after.1 - before.1);
    let bound = 2 * message * rounds(size);
    assert!(
        moved <= bound,
        "rank {rank} moved {moved} bytes, more than {bound}"
    );
    if size > 1 {
        assert!(moved >= 2 * message, "rank {rank} moved only {moved} bytes");
    }
    let sums = comm.scan_objects(value(rank), add).unwrap();
    let prefix: Vec<f64> = (0..n)
        .map(|i| (0..=rank).map(|r| value(r)[i]).sum())
        .collect();
    assert_eq!(sums, prefix);
    let reduced = comm
        .reduce_objects((size - 1) as i32, value(rank), add)
        .unwrap();
    assert_eq!(reduced, (rank == size - 1).then(|| want.clone()));

    // A program's own message in flight (any source, any tag) is not taken by the trees.
    let next = ((rank + 1) % size) as i32;
    let pending = comm.immediate_send_object(next, 77, &rank).unwrap();
    assert_eq!(
        comm.allreduce_objects(1u64, |a, b| a + b).unwrap(),
        size as u64
    );
    let (got, status) = comm.receive_object::<usize>(None, None).unwrap();
    assert_eq!((got, status.tag), ((rank + size - 1) % size, 77));
    pending.wait().unwrap();

    // A value that cannot be encoded on the last rank: the same Err on every rank.
    let last = (size - 1) as i32;
    let refuses = || Refuses(rank == size - 1);
    let keep = |a: Refuses, _: Refuses| a;
    let is_last = |e: &Error| matches!(e, Error::Encode { rank: Some(r), .. } if *r == last);
    // (With one rank nothing is encoded, so nothing fails.)
    let fails = |e: Option<Error>, what: &str| {
        if size == 1 {
            assert!(e.is_none(), "{what} on one rank: {e:?}");
        } else {
            assert!(
                e.as_ref().is_some_and(is_last),
                "rank {rank}, {what}: {e:?}"
            );
        }
    };
    for root in [0, size - 1] {
        fails(
            comm.reduce_objects(root as i32, refuses(), keep).err(),
            "reduce",
        );
    }
    fails(comm.allreduce_objects(refuses(), keep).err(), "allreduce");
    fails(comm.scan_objects(refuses(), keep).err(), "scan");
    fails(comm.exscan_objects(refuses(), keep).err(), "exscan");
    // And the trees still work after the failures.
    assert_eq!(
        comm.allreduce_objects(rank as u64, |a, b| a + b).unwrap(),
        (size * (size - 1) / 2) as u64
    );

    // A split communicator: its own private duplicate, its own ranks.
    let half = comm
        .split_by_color(mpikit::mpi::topology::Color::with_value((rank % 2) as i32))
        .unwrap();
    let members: Vec<String> = (0..size)
        .filter(|r| r % 2 == rank % 2)
        .map(|r| r.to_string())
        .collect();
    assert_eq!(
        half.allreduce_objects(rank.to_string(), cat).unwrap(),
        members.join(",")
    );

    common::report_ok("reductions", comm);
}
