//! mpi4py tutorial, "Python objects" point to point, blocking and non-blocking:
//!
//! ```python
//! if rank == 0:
//!     data = {"a": 7, "b": 2.5}
//!     world.send(data, dest=1, tag=11)
//!     req = world.isend(data, dest=1, tag=12); req.wait()
//! elif rank == 1:
//!     data = world.recv(source=0, tag=11)
//!     data = world.recv(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG)
//! ```
//!
//! Any serde type travels; here a struct. Run: `mpirun -n 2 target/release/examples/p2p_objects`.
//! With more ranks, every rank but 0 sends rank 0 a greeting too; rank 0 prints `ok` after
//! checking everything it received.

use mpikit::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Data {
    a: i64,
    b: f64,
}

fn main() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank(), world.size());
        let data = Data { a: 7, b: 2.5 };
        if size >= 2 {
            if rank == 0 {
                world.send_object(1, 11, &data)?;
                world.immediate_send_object(1, 12, &data)?.wait()?;
            } else if rank == 1 {
                let (got, _) = world.receive_object::<Data>(Some(0), Some(11))?;
                assert_eq!(got, data);
                let (got, status) = world.receive_object::<Data>(None, None)?;
                assert_eq!((got, status.source, status.tag), (data, 0, 12));
            }
        }
        // Greetings from everyone to rank 0, received in whatever order they arrive.
        if rank == 0 {
            let mut from: Vec<i32> = Vec::new();
            for _ in 1..size {
                let (text, status) = world.receive_object::<String>(None, Some(99))?;
                assert_eq!(text, format!("hello from rank {}", status.source));
                from.push(status.source);
            }
            from.sort_unstable();
            assert_eq!(from, (1..size).collect::<Vec<_>>());
            println!("ok: point-to-point objects on {size} ranks");
        } else {
            world.send_object(0, 99, &format!("hello from rank {rank}"))?;
        }
        Ok::<(), mpikit::Error>(())
    })
}
