//! Object messages and collectives (`ObjectCollectives`) on 1, 2, 3, 4 and 8 ranks, with
//! MPI's own message sizes and with every message cut at 64 bytes (the piecewise paths used
//! above 2 GiB). Relaunches itself under mpirun (see `common::spmd_main`).

mod common;

use std::collections::BTreeMap;

use mpi::point_to_point::Destination;
use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::{Error, World};
use serde::{Deserialize, Serialize, Serializer};

fn main() {
    common::spmd_main(
        "objects",
        &[1, 2, 3, 4, 8, 16],
        common::MESSAGE_SIZES,
        rank_checks,
    );
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Particle {
    id: u64,
    name: String,
    position: [f64; 3],
    tags: Vec<String>,
}

fn particle(id: usize) -> Particle {
    Particle {
        id: id as u64,
        name: format!("particle-{id}-{}", "x".repeat(id * 13)),
        position: [id as f64, -0.5 * id as f64, 1e-3],
        tags: (0..id % 4).map(|t| format!("tag{t}")).collect(),
    }
}

/// Serialises only when `.0` is false.
#[derive(Debug, Clone)]
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

fn rank_checks() {
    let world = World::init().expect("MPI init");
    let comm = world.comm();
    let (rank, size) = (comm.rank() as usize, comm.size() as usize);
    let r = rank as i32;

    // Ring with non-blocking sends: rank r sends particle(r) to r+1 with tag r.
    let next = ((rank + 1) % size) as i32;
    let prev = ((rank + size - 1) % size) as i32;
    let pending = comm
        .immediate_send_object(next, r, &particle(rank))
        .unwrap();
    let (got, status) = comm
        .receive_object::<Particle>(Some(prev), Some(prev))
        .unwrap();
    assert_eq!(got, particle(prev as usize));
    assert_eq!((status.source, status.tag), (prev, prev));
    pending.wait().unwrap();

    // Any source, any tag: everyone else reports to rank 0.
    if rank == 0 {
        let mut seen = Vec::new();
        for _ in 1..size {
            let (v, st) = comm.receive_object::<(u64, String)>(None, None).unwrap();
            assert_eq!(v, (st.source as u64, "x".repeat(st.source as usize * 50)));
            assert_eq!(st.tag, 100 + st.source);
            seen.push(st.source);
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..size as i32).collect::<Vec<_>>());
    } else {
        comm.send_object(0, 100 + r, &(rank as u64, "x".repeat(rank * 50)))
            .unwrap();
    }

    // Nobody sends again before rank 0 has all the reports: its any-tag receives would
    // otherwise match the messages below.
    comm.barrier();

    // Wrong type, trailing bytes, foreign messages: errors, not panics.
    if size > 1 {
        if rank == 1 {
            comm.send_object(0, 5, &42u64).unwrap();
            comm.send_object(0, 6, &"hello".to_string()).unwrap();
            comm.process_at_rank(0).send_with_tag(&[1u8, 2, 3][..], 7);
        } else if rank == 0 {
            let e = comm.receive_object::<String>(Some(1), Some(5)).unwrap_err();
            assert!(matches!(e, Error::Decode { from: Some(1), .. }), "{e}");
            let e = comm.receive_object::<u8>(Some(1), Some(6)).unwrap_err();
            assert!(e.to_string().contains("left over"), "{e}");
            let e = comm.receive_object::<u8>(Some(1), Some(7)).unwrap_err();
            assert!(e.to_string().contains("not an mpikit object"), "{e}");
        }
    }

    // Broadcast of a dict-like map from the last rank; the root gets its value back.
    let root = (size - 1) as i32;
    let dict: BTreeMap<String, Vec<f64>> = (0..5)
        .map(|k| (format!("key{k}"), vec![k as f64; k]))
        .collect();
    let got = comm
        .broadcast_object(root, (r == root).then_some(&dict))
        .unwrap();
    assert_eq!(got, dict);

    // Scatter: item i to rank i, of uneven sizes.
    let items: Vec<Particle> = (0..size).map(particle).collect();
    let mine = comm
        .scatter_objects(0, (rank == 0).then_some(&items[..]))
        .unwrap();
    assert_eq!(mine, particle(rank));
    let e = comm
        .scatter_objects(0, (rank == 0).then_some(&vec![1u8; size + 1][..]))
        .unwrap_err();
    assert!(matches!(e, Error::Input(_)), "rank {rank}: {e}");

    // Gather and allgather, in rank order.
    let gathered = comm.gather_objects(root, &particle(rank)).unwrap();
    assert_eq!(gathered, (r == root).then(|| items.clone()));
    assert_eq!(comm.allgather_objects(&particle(rank)).unwrap(), items);

    // All-to-all: values[d] goes to rank d.
    let out: Vec<String> = (0..size).map(|d| format!("{rank}->{d}")).collect();
    let got = comm.alltoall_objects(&out).unwrap();
    assert_eq!(
        got,
        (0..size)
            .map(|s| format!("{s}->{rank}"))
            .collect::<Vec<_>>()
    );
    let short = if rank == size - 1 {
        &out[..size - 1]
    } else {
        &out[..]
    };
    assert!(
        comm.alltoall_objects(short).is_err(),
        "rank {rank}: a short list on one rank fails everywhere"
    );

    // Reductions with a non-commutative closure: concatenation in rank order.
    let cat = |a: String, b: String| format!("{a},{b}");
    let all: Vec<String> = (0..size).map(|i| i.to_string()).collect();
    let reduced = comm.reduce_objects(0, rank.to_string(), cat).unwrap();
    assert_eq!(reduced, (rank == 0).then(|| all.join(",")));
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

    // A value that cannot be encoded on the last rank fails the collective on every rank.
    let e = comm
        .gather_objects(0, &Refuses(rank == size - 1))
        .unwrap_err();
    assert!(
        matches!(e, Error::Encode { rank: Some(x), .. } if x == root),
        "rank {rank}: {e}"
    );
    let e = comm
        .broadcast_object(0, (rank == 0).then_some(&Refuses(true)))
        .unwrap_err();
    assert!(
        matches!(e, Error::Encode { rank: Some(0), .. }),
        "rank {rank}: {e}"
    );

    common::report_ok("objects", comm);
}
