//! mpi4py's `sendrecv` with `MPI.PROC_NULL`: a chain of ranks, each holding a stretch of a
//! 1-D rod, passes its edge values to its neighbours in one call per direction; the ends of
//! the chain talk to `PROC_NULL`, so they need no special case. Then a shift around the ring.
//!
//! ```python
//! left = rank - 1 if rank > 0 else MPI.PROC_NULL
//! right = rank + 1 if rank < size - 1 else MPI.PROC_NULL
//! comm.Sendrecv(u[-2:-1], dest=right, recvbuf=u[0:1], source=left)
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/shift [CELLS]`.

use mpikit::p2p::PROC_NULL;
use mpikit::prelude::*;

fn main() {
    mpikit::run(|world| {
        let n: usize = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1000);
        let (rank, size) = (world.rank(), world.size());
        let left = if rank > 0 { rank - 1 } else { PROC_NULL };
        let right = if rank + 1 < size { rank + 1 } else { PROC_NULL };
        // This rank's cells, with one ghost cell on each side (NaN until a neighbour fills it).
        let mine = world.block(n);
        let mut u = vec![f64::NAN; mine.len() + 2];
        for (k, i) in mine.clone().enumerate() {
            u[k + 1] = (i * i) as f64;
        }
        let last = u.len() - 2;
        // Right edge to the right neighbour, left ghost from the left one; then the reverse.
        let edge = [u[last]];
        world.send_receive_into(&edge, right, &mut u[..1], left)?;
        let edge = [u[1]];
        world.send_receive_into(&edge, left, &mut u[last + 1..], right)?;
        // Each filled ghost holds the neighbouring global cell; the chain's ends stay NaN.
        let ghost = |g: f64, cell: Option<usize>| match cell {
            Some(i) => g == (i * i) as f64,
            None => g.is_nan(),
        };
        let before = (mine.start > 0 && !mine.is_empty()).then(|| mine.start - 1);
        let after = (mine.end < n && !mine.is_empty()).then_some(mine.end);
        if !mine.is_empty() && left != PROC_NULL && world.partition(n).count(left as usize) > 0 {
            assert!(ghost(u[0], before), "rank {rank}: left ghost {}", u[0]);
        }
        if !mine.is_empty() && right != PROC_NULL && world.partition(n).count(right as usize) > 0 {
            assert!(
                ghost(u[last + 1], after),
                "rank {rank}: right ghost {}",
                u[last + 1]
            );
        }
        if left == PROC_NULL {
            assert!(u[0].is_nan(), "the chain's start keeps its ghost");
        }
        // Around the ring: an object from the left neighbour, periodic.
        let (next, prev) = ((rank + 1) % size, (rank + size - 1) % size);
        let got: Option<(i32, usize)> =
            world.send_receive_object(&(rank, mine.len()), next, prev)?;
        assert_eq!(got.map(|(r, _)| r), Some(prev));
        let cells = world.allreduce_scalar(mine.len(), mpikit::ReduceOp::Sum)?;
        if world.is_root() {
            println!("ok: halos of {cells} cells along {size} ranks, PROC_NULL at the ends");
        }
        Ok::<(), mpikit::Error>(())
    });
}
