//! A token passed around a ring of ranks (the classic MPI exercise): rank 0 starts a message,
//! each rank appends its name and passes it on, and rank 0 checks it came back through
//! every rank in order.
//!
//! Run: `mpirun -n 4 target/release/examples/ring [LAPS]`.

use mpikit::prelude::*;

fn main() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank(), world.size());
        let laps: usize = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(3);
        let (next, prev) = ((rank + 1) % size, (rank + size - 1) % size);
        let mut token: Vec<i32> = Vec::new();
        for lap in 0..laps {
            if rank == 0 {
                // Start (or continue) the lap: send first, then wait for the token to come back.
                token.push(0);
                let send = world.immediate_send_object(next, lap as i32, &token)?;
                token = world.receive_object(Some(prev), Some(lap as i32))?.0;
                send.wait()?;
            } else {
                let (mut t, _) = world.receive_object::<Vec<i32>>(Some(prev), Some(lap as i32))?;
                t.push(rank);
                world.send_object(next, lap as i32, &t)?;
            }
        }
        if rank == 0 {
            let want: Vec<i32> = (0..laps).flat_map(|_| 0..size).collect();
            assert_eq!(token, want, "the token missed a rank");
            println!("ok: {laps} laps around {size} ranks");
        }
        Ok::<(), mpikit::Error>(())
    })
}
