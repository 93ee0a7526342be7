//! mpi4py tutorial, "Scattering Python objects" and "Gathering Python objects":
//!
//! ```python
//! data = [(i+1)**2 for i in range(size)] if rank == 0 else None
//! data = world.scatter(data, root=0)
//! assert data == (rank+1)**2
//! data = world.gather(data, root=0)
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/scatter_gather_objects`.

use mpikit::prelude::*;

fn main() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank() as u64, world.size() as u64);
        let data = (rank == 0).then(|| (0..size).map(|i| (i + 1).pow(2)).collect::<Vec<u64>>());
        let mine = world.scatter_objects(0, data.as_deref())?;
        assert_eq!(mine, (rank + 1).pow(2));
        // Objects of different sizes on each rank: a label and rank+1 copies of the value.
        let item = (format!("rank {rank}"), vec![mine; rank as usize + 1]);
        if let Some(all) = world.gather_objects(0, &item)? {
            for (r, (label, values)) in all.iter().enumerate() {
                assert_eq!(label, &format!("rank {r}"));
                assert_eq!(values, &vec![(r as u64 + 1).pow(2); r + 1]);
            }
            println!("ok: scattered and gathered {} objects", all.len());
        }
        Ok::<(), mpikit::Error>(())
    })
}
