//! The articles' error-handling example: `100 / item` over `[1, 2, 0, 4, 5]`, results
//! collected as they complete; the zero fails alone and the others still return.
//!
//! ```python
//! futures = {executor.submit(process_item, item): item for item in [1, 2, 0, 4, 5]}
//! for future in as_completed(futures): ...
//! ```
//!
//! A task error is a value (`Err(TaskError { index, message })`), whether the task returned
//! an error or panicked; the pool stays usable. Run:
//! `mpirun -n 3 target/release/examples/error_handling`.

use mpikit::Pool;

fn process_item(item: &i64) -> Result<f64, String> {
    if *item == 0 {
        return Err(format!("division by zero for item: {item}"));
    }
    Ok(100.0 / *item as f64)
}

fn main() {
    mpikit::run(|world| {
        let items = [1i64, 2, 0, 4, 5];
        let mut pool = Pool::new(world);
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        pool.try_as_completed(&items, process_item, |i, r| match r {
            Ok(v) => ok.push((i, v)),
            Err(e) => {
                eprintln!("error: {e}");
                failed.push(e);
            }
        })?;
        // A panicking task is caught the same way, and the pool goes on.
        let panics = pool.map(&items, |&x| 100 / x)?;
        if world.is_root() {
            ok.sort_by_key(|&(i, _)| i);
            assert_eq!(ok, vec![(0, 100.0), (1, 50.0), (3, 25.0), (4, 20.0)]);
            assert_eq!(failed.len(), 1);
            assert_eq!(
                (failed[0].index, failed[0].message.as_str()),
                (2, "division by zero for item: 0")
            );
            let panics = panics.expect("rank 0 gets results");
            assert!(
                panics[2]
                    .as_ref()
                    .is_err_and(|e| e.message.contains("divide by zero")),
                "{:?}",
                panics[2]
            );
            assert_eq!(panics[4], Ok(20));
            println!(
                "ok: 4 results and 1 error ({}) on {} ranks",
                failed[0].message,
                pool.size()
            );
        }
        Ok::<(), mpikit::Error>(())
    })
}
