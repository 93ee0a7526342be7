//! A master-worker task pool over MPI ranks: `multiprocessing.Pool.map`,
//! `ProcessPoolExecutor` + `as_completed` and mpi4py's `MPIPoolExecutor`, the SPMD way.
//!
//! Every rank calls the same method with the same closure. Rank 0 hands out chunks of items
//! to the ranks that ask for work (dynamic load balancing) and computes chunks itself
//! whenever no request is waiting; with one rank everything runs locally. Items and results
//! travel as serde objects (any size). A task that returns an error or panics gives
//! `Err(TaskError)` for its item; every other item still completes, and the pool stays
//! usable. Pool messages travel on a private duplicate of the communicator, so they never
//! mix with the program's own.
//!
//! Tasks must not call MPI: on rank 0 they run on a helper thread, and MPI is initialised
//! for calls from the main thread only (`Threading::Funneled`). Threads inside a task (rayon)
//! are fine.

use std::fmt::Display;

use mpi::topology::{Communicator, Rank, SimpleCommunicator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::runtime::panic::catch_panic;
use crate::runtime::world::Comm;

/// Why one task produced no result.
///
/// # Examples
/// ```
/// let e = mpikit::tasks::TaskError { index: 3, message: "division by zero".into() };
/// assert_eq!(e.to_string(), "task 3: division by zero");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("task {index}: {message}")]
pub struct TaskError {
    /// The item's index in the input.
    pub index: usize,
    /// The error's text, or `panicked at FILE:LINE: MESSAGE`.
    pub message: String,
}

/// A task's outcome.
///
/// # Examples
/// ```
/// use mpikit::tasks::{TaskError, TaskResult};
/// let failed: TaskResult<u32> = Err(TaskError { index: 3, message: "bad input".into() });
/// assert_eq!(failed.unwrap_err().index, 3);
/// ```
pub type TaskResult<R> = std::result::Result<R, TaskError>;

/// Results in completion order: (item index, outcome).
///
/// # Examples
/// ```no_run
/// mpikit::run(|world| {
///     let mut pool = mpikit::Pool::new(world);
///     let done: Option<mpikit::tasks::Completed<u64>> = pool.map_unordered(&[3u64, 1, 2], |&x| x * 10)?;
///     if let Some(done) = done {
///         assert_eq!(done.len(), 3); // (index, result) pairs as they finished
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub type Completed<R> = Vec<(usize, TaskResult<R>)>;

/// The rank that hands out the work and gets the results.
pub(crate) const ROOT: Rank = 0;

/// A task pool over the ranks of a communicator.
///
/// # Examples
/// ```no_run
/// // Python: with Pool() as pool: results = pool.map(cube, range(8))
/// mpikit::run(|world| {
///     let mut pool = mpikit::Pool::new(world);
///     let items: Vec<u64> = (0..8).collect();
///     if let Some(results) = pool.map(&items, |&x| x * x * x)? {
///         // Rank 0 gets one result per item, in input order.
///         let cubes: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
///         assert_eq!(cubes, [0, 1, 8, 27, 64, 125, 216, 343]);
///     }
///     // Errors and panics are per item: 100 / 0 fails alone.
///     let div = pool.try_map(&[1, 2, 0, 4], |&x: &i32| 100i32.checked_div(x).ok_or("division by zero"))?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Pool<'a> {
    pub(crate) comm: SimpleCommunicator,
    pub(crate) calls: u64,
    pub(crate) chunksize: usize,
    pub(crate) progress: Option<Box<dyn FnMut(usize, usize) + 'a>>,
    pub(crate) journal: Option<std::path::PathBuf>,
}

impl<'a> Pool<'a> {
    /// A pool over every rank of `comm` (collective: every rank must create it, in the same
    /// order as its other pools). Rank 0 of `comm` hands out the work.
    /// # Examples
    /// ```no_run
    /// # mpikit::run(|world| {
    /// let mut pool = mpikit::Pool::new(world); // every rank of world takes part
    /// let squares = pool.map(&[1u32, 2, 3], |x| x * x)?;
    /// assert_eq!(squares.is_some(), world.is_root());
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn new<A: Comm + ?Sized>(comm: &A) -> Pool<'a> {
        let comm = comm.as_comm();
        Pool {
            comm: comm.duplicate(),
            calls: 0,
            chunksize: 1,
            progress: None,
            journal: None,
        }
    }

    /// Items per message (like `Pool.map`'s `chunksize`): larger chunks cost fewer messages,
    /// smaller ones balance uneven tasks better. At least 1; the default is 1.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     let mut pool = mpikit::Pool::new(world).chunksize(100); // 10 000 quick tasks, 100 a message
    ///     pool.map(&(0..10_000).collect::<Vec<u32>>(), |&x| x % 7)?;
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn chunksize(mut self, chunksize: usize) -> Pool<'a> {
        self.chunksize = chunksize.max(1);
        self
    }

    /// Calls `f(done, total)` on rank 0 each time results arrive.
    /// # Examples
    /// ```no_run
    /// # mpikit::run(|world| {
    /// let mut pool = mpikit::Pool::new(world).on_progress(|done, total| eprintln!("{done}/{total}"));
    /// let _ = pool.map(&[1u32, 2, 3], |x| x + 1)?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn on_progress(mut self, f: impl FnMut(usize, usize) + 'a) -> Pool<'a> {
        self.progress = Some(Box::new(f));
        self
    }

    /// Number of ranks in the pool.
    /// # Examples
    /// ```no_run
    /// # mpikit::run(|world| {
    /// assert_eq!(mpikit::Pool::new(world).size(), world.size() as usize);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn size(&self) -> usize {
        self.comm.size() as usize
    }

    /// Whether this rank hands out the work and gets the results.
    /// # Examples
    /// ```no_run
    /// # mpikit::run(|world| {
    /// let pool = mpikit::Pool::new(world);
    /// assert_eq!(pool.is_root(), world.rank() == 0); // rank 0 gets the results
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn is_root(&self) -> bool {
        self.comm.rank() == ROOT
    }

    /// `f` on every item; rank 0 gets `Some(results)` in input order, other ranks `None`.
    /// `items` is read on rank 0 only. A panicking task gives `Err(TaskError)`.
    /// # Examples
    /// ```no_run
    /// # mpikit::run(|world| {
    /// let mut pool = mpikit::Pool::new(world);
    /// if let Some(lengths) = pool.map(&["a".to_string(), "bcd".into()], |s| s.len())? {
    ///     assert_eq!(lengths.into_iter().map(Result::unwrap).collect::<Vec<_>>(), [1, 3]);
    /// }
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn map<I, R, F>(&mut self, items: &[I], f: F) -> Result<Option<Vec<TaskResult<R>>>>
    where
        I: Serialize + DeserializeOwned + Sync,
        R: Serialize + DeserializeOwned + Send,
        F: Fn(&I) -> R + Sync,
    {
        self.try_map(items, |x| Ok::<R, std::convert::Infallible>(f(x)))
    }

    /// [`map`](Self::map) for tasks that return a `Result`: an `Err(e)` becomes a
    /// `TaskError` with `e`'s text.
    /// # Examples
    /// ```no_run
    /// # mpikit::run(|world| {
    /// let mut pool = mpikit::Pool::new(world);
    /// let parsed = pool.try_map(&["1".to_string(), "x".into()], |s: &String| s.parse::<u32>())?;
    /// if let Some(parsed) = parsed {
    ///     assert!(parsed[0].is_ok() && parsed[1].is_err()); // the bad item alone fails
    /// }
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn try_map<I, R, E, F>(&mut self, items: &[I], f: F) -> Result<Option<Vec<TaskResult<R>>>>
    where
        I: Serialize + DeserializeOwned + Sync,
        R: Serialize + DeserializeOwned + Send,
        E: Display,
        F: Fn(&I) -> std::result::Result<R, E> + Sync,
    {
        let mut slots: Vec<Option<TaskResult<R>>> = Vec::new();
        if self.is_root() {
            slots.resize_with(items.len(), || None);
        }
        self.try_as_completed(items, f, |i, r| slots[i] = Some(r))?;
        Ok(self.is_root().then(|| {
            slots
                .into_iter()
                .map(|r| r.expect("every item gets a result"))
                .collect()
        }))
    }

    /// `f` on every item, with `on_result(index, result)` called on rank 0 as each result
    /// arrives (`concurrent.futures.as_completed`). Other ranks compute and return.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     let (mut pool, mut total) = (mpikit::Pool::new(world), 0);
    ///     pool.as_completed(&(0..100).collect::<Vec<u64>>(), |&x| x * x, |_i, r| total += r.unwrap_or(0))?;
    ///     assert!(!world.is_root() || total == 328_350); // rank 0 saw every result: 0² + ... + 99²
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn as_completed<I, R, F, G>(&mut self, items: &[I], f: F, on_result: G) -> Result<()>
    where
        I: Serialize + DeserializeOwned + Sync,
        R: Serialize + DeserializeOwned + Send,
        F: Fn(&I) -> R + Sync,
        G: FnMut(usize, TaskResult<R>),
    {
        self.try_as_completed(
            items,
            |x| Ok::<R, std::convert::Infallible>(f(x)),
            on_result,
        )
    }

    /// [`map`](Self::map) in completion order: rank 0 gets `Some((index, result))` pairs as
    /// they finished (`Pool.imap_unordered`).
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     let done = mpikit::Pool::new(world).map_unordered(&[10u64, 20, 30], |&x| x + 1)?;
    ///     if let Some(done) = done { println!("{done:?}"); } // e.g. [(1, Ok(21)), (0, Ok(11)), (2, Ok(31))]
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn map_unordered<I, R, F>(&mut self, items: &[I], f: F) -> Result<Option<Completed<R>>>
    where
        I: Serialize + DeserializeOwned + Sync,
        R: Serialize + DeserializeOwned + Send,
        F: Fn(&I) -> R + Sync,
    {
        let mut out = Vec::new();
        self.as_completed(items, f, |i, r| out.push((i, r)))?;
        Ok(self.is_root().then_some(out))
    }

    /// [`as_completed`](Self::as_completed) for tasks that return a `Result`.
    /// # Examples
    /// ```no_run
    /// # mpikit::run(|world| {
    /// let mut pool = mpikit::Pool::new(world);
    /// pool.try_as_completed(&[4.0f64, -1.0], |&x| if x >= 0.0 { Ok(x.sqrt()) } else { Err("negative") }, |i, r| {
    ///     println!("item {i}: {r:?}"); // on rank 0, as each finishes
    /// })?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn try_as_completed<I, R, E, F, G>(
        &mut self,
        items: &[I],
        f: F,
        mut on_result: G,
    ) -> Result<()>
    where
        I: Serialize + DeserializeOwned + Sync,
        R: Serialize + DeserializeOwned + Send,
        E: Display,
        F: Fn(&I) -> std::result::Result<R, E> + Sync,
        G: FnMut(usize, TaskResult<R>),
    {
        let run = |start: usize, chunk: &[I]| -> Vec<TaskResult<R>> {
            chunk
                .iter()
                .enumerate()
                .map(|(k, item)| {
                    let index = start + k;
                    match catch_panic(|| f(item)) {
                        Ok(Ok(r)) => Ok(r),
                        Ok(Err(e)) => Err(TaskError {
                            index,
                            message: e.to_string(),
                        }),
                        Err(message) => Err(TaskError { index, message }),
                    }
                })
                .collect()
        };
        self.run_recorded(items, &run, &mut on_result)
    }
}
