//! The articles' first pool example, across MPI ranks:
//!
//! ```python
//! def cube(x): return x*x*x
//! with Pool() as pool:
//!     results = pool.map(cube, range(8))
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/pool_map`. Every rank runs the same program;
//! rank 0 hands out the items and prints the results.

use mpikit::Pool;

fn cube(x: &u64) -> u64 {
    x * x * x
}

fn main() {
    mpikit::run(|world| {
        let mut pool = Pool::new(world);
        let items: Vec<u64> = (0..8).collect();
        let cubes = pool.map(&items, cube)?;
        let squares = pool.map(&items, |x| x * x)?;
        if let (Some(cubes), Some(squares)) = (cubes, squares) {
            let cubes: Vec<u64> = cubes
                .into_iter()
                .collect::<Result<_, _>>()
                .expect("no task fails");
            let squares: Vec<u64> = squares
                .into_iter()
                .collect::<Result<_, _>>()
                .expect("no task fails");
            println!("cubes:   {cubes:?}");
            println!("squares: {squares:?}");
            assert_eq!(cubes, items.iter().map(|x| x.pow(3)).collect::<Vec<_>>());
            assert_eq!(squares, items.iter().map(|x| x.pow(2)).collect::<Vec<_>>());
            println!("ok: pool.map on {} ranks", pool.size());
        }
        Ok::<(), mpikit::Error>(())
    })
}
