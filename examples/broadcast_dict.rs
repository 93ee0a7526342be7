//! mpi4py tutorial, "Broadcasting a Python dictionary":
//!
//! ```python
//! data = {'key1': [7, 2.72, 2+3j], 'key2': ('abc', 'xyz')} if rank == 0 else None
//! data = world.bcast(data, root=0)
//! ```
//!
//! A dict-like struct (and a `BTreeMap`) through `broadcast_object`. Run:
//! `mpirun -n 4 target/release/examples/broadcast_dict`.

use std::collections::BTreeMap;

use mpikit::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Settings {
    key1: (i64, f64, (f64, f64)),
    key2: (String, String),
    extra: BTreeMap<String, Vec<u32>>,
}

fn settings() -> Settings {
    Settings {
        key1: (7, 2.72, (2.0, 3.0)),
        key2: ("abc".into(), "xyz".into()),
        extra: BTreeMap::from([
            ("primes".into(), vec![2, 3, 5, 7]),
            ("empty".into(), vec![]),
        ]),
    }
}

fn main() {
    mpikit::run(|world| {
        let data = (world.rank() == 0).then(settings);
        let data = world.broadcast_object(0, data.as_ref())?;
        assert_eq!(data, settings(), "rank {} got something else", world.rank());
        // Every rank checks; rank 0 reports once all have.
        let checked = world.allreduce_objects(1u32, |a, b| a + b)?;
        if world.rank() == 0 {
            println!("ok: {checked} ranks got {:?}", data.key2);
        }
        Ok::<(), mpikit::Error>(())
    })
}
