//! The articles' producer/consumer example, across ranks, without the `None` sentinel:
//!
//! ```python
//! def producer(queue):
//!     for i in range(5): queue.put(f"Item {i}")
//! def consumer(queue):
//!     while (item := queue.get()) is not None: print(f"Consumed {item}")
//! queue.put(None)  # signal the consumer to stop
//! ```
//!
//! Rank 1 produces (rank 0 when alone; with 4 or more ranks, ranks 1 and 2), the other
//! ranks consume from a queue of capacity 2, so producers wait for consumers
//! (back-pressure). `get` returns `None` once every producer has closed and the queue is
//! empty. Every item is consumed exactly once; rank 0 checks.
//! Run: `mpirun -n 4 target/release/examples/producer_consumer [ITEMS]`.

use mpikit::prelude::*;
use mpikit::tasks::Queue;

fn main() {
    mpikit::run(|world| {
        let (rank, size) = (world.rank(), world.size());
        let items: usize = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(5);
        let producers: Vec<i32> = match size {
            1 => vec![0],
            2 | 3 => vec![1],
            _ => vec![1, 2],
        };
        let produces = producers.contains(&rank);
        let consumes = size == 1 || !produces;
        let capacity = if size == 1 { items.max(1) } else { 2 };
        let mut queue = Queue::<String>::new(world, capacity, produces, consumes)?;
        if produces {
            for i in 0..items {
                queue.put(&format!("Item {i} from rank {rank}"))?;
                println!("rank {rank} produced item {i}");
            }
            queue.close()?;
        }
        let mut consumed = Vec::new();
        if consumes {
            while let Some(item) = queue.get()? {
                println!("rank {rank} consumed {item}");
                consumed.push(item);
            }
        }
        let left = queue.finish()?;
        let all = world.gather_objects(0, &consumed)?;
        if let Some(all) = all {
            let mut got: Vec<String> = all.into_iter().flatten().collect();
            got.sort();
            let mut want: Vec<String> = producers
                .iter()
                .flat_map(|p| (0..items).map(move |i| format!("Item {i} from rank {p}")))
                .collect();
            want.sort();
            assert_eq!(got, want, "every item consumed exactly once");
            assert_eq!(left, 0);
            println!(
                "ok: {} items from {} producers consumed on {size} ranks",
                want.len(),
                producers.len()
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
