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

use std::collections::{HashMap, VecDeque};
use std::fmt::Display;
use std::ops::Range;
use std::sync::mpsc;

use mpi::point_to_point::Source;
use mpi::topology::{Communicator, Rank, SimpleCommunicator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::collective::object::ObjectCollectives;
use crate::error::Result;
use crate::runtime::backoff::Backoff;
use crate::runtime::panic::catch_panic;
use crate::runtime::world::Comm;

const ROOT: Rank = 0;

/// Chunks a worker (or rank 0's helper thread) holds at once.
const IN_FLIGHT: usize = 4;

/// Tags of one call: every call on every rank gets the next pair, so a worker that has
/// moved on to the next call cannot be mistaken for one still in the previous call.
#[derive(Clone, Copy)]
struct Tags {
    to_worker: i32,
    from_worker: i32,
}

impl Tags {
    fn of(call: u64) -> Tags {
        let base = 2 * (call % 16_000) as i32;
        Tags {
            to_worker: base + 1,
            from_worker: base + 2,
        }
    }
}

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
pub type TaskResult<R> = std::result::Result<R, TaskError>;

/// Results in completion order: (item index, outcome).
pub type Completed<R> = Vec<(usize, TaskResult<R>)>;

/// Runs the tasks of a chunk that starts at the given index.
type RunChunk<'f, I, R> = dyn Fn(usize, &[I]) -> Vec<TaskResult<R>> + Sync + 'f;

/// Root to worker. `Work` carries a borrowed slice when sent and a `Vec` when received:
/// serde lays both out alike.
#[derive(Serialize)]
enum ToWorkerRef<'a, I> {
    Work { start: usize, items: &'a [I] },
    Stop,
}

#[derive(Deserialize)]
enum ToWorker<I> {
    Work { start: usize, items: Vec<I> },
    Stop,
}

/// Worker to root.
#[derive(Serialize, Deserialize)]
enum FromWorker<R> {
    Ready,
    Done {
        start: usize,
        results: Vec<TaskResult<R>>,
    },
    Failed {
        message: String,
    },
}

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
    comm: SimpleCommunicator,
    calls: u64,
    chunksize: usize,
    progress: Option<Box<dyn FnMut(usize, usize) + 'a>>,
}

impl<'a> Pool<'a> {
    /// A pool over every rank of `comm` (collective: every rank must create it, in the same
    /// order as its other pools). Rank 0 of `comm` hands out the work.
    pub fn new<A: Comm + ?Sized>(comm: &A) -> Pool<'a> {
        let comm = comm.as_comm();
        Pool {
            comm: comm.duplicate(),
            calls: 0,
            chunksize: 1,
            progress: None,
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
    pub fn on_progress(mut self, f: impl FnMut(usize, usize) + 'a) -> Pool<'a> {
        self.progress = Some(Box::new(f));
        self
    }

    /// Number of ranks in the pool.
    pub fn size(&self) -> usize {
        self.comm.size() as usize
    }

    /// Whether this rank hands out the work and gets the results.
    pub fn is_root(&self) -> bool {
        self.comm.rank() == ROOT
    }

    /// `f` on every item; rank 0 gets `Some(results)` in input order, other ranks `None`.
    /// `items` is read on rank 0 only. A panicking task gives `Err(TaskError)`.
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
        self.calls += 1;
        let tags = Tags::of(self.calls);
        if self.is_root() {
            self.hand_out(items, &run, &mut on_result, tags)
        } else {
            self.work(&run, tags)
        }
    }

    /// Rank 0: a helper thread computes chunks like one more worker, while this thread
    /// answers the workers' requests (MPI stays on this thread) and stops every worker once
    /// the chunks are gone.
    fn hand_out<I, R>(
        &mut self,
        items: &[I],
        run: &RunChunk<'_, I, R>,
        on_result: &mut dyn FnMut(usize, TaskResult<R>),
        tags: Tags,
    ) -> Result<()>
    where
        I: Serialize + Sync,
        R: Serialize + DeserializeOwned + Send,
    {
        let total = items.len();
        let step = self.chunksize;
        let mut chunks: VecDeque<Range<usize>> = (0..total)
            .step_by(step)
            .map(|s| s..(s + step).min(total))
            .collect();
        let mut done = 0;
        let progress = &mut self.progress;
        let mut deliver = |start: usize, results: Vec<TaskResult<R>>| {
            done += results.len();
            for (k, r) in results.into_iter().enumerate() {
                on_result(start + k, r);
            }
            if let Some(p) = progress.as_mut() {
                p(done, total);
            }
        };
        if self.comm.size() == 1 {
            for chunk in chunks {
                deliver(chunk.start, run(chunk.start, &items[chunk]));
            }
            return Ok(());
        }
        let comm = &self.comm;
        let mut working = comm.size() as usize - 1; // workers not yet stopped
        let mut assigned: HashMap<Rank, VecDeque<Range<usize>>> = HashMap::new();
        std::thread::scope(|scope| -> Result<()> {
            let (to_helper, helper_gets) = mpsc::channel::<Range<usize>>();
            let (helper_gives, from_helper) = mpsc::channel::<(usize, Vec<TaskResult<R>>)>();
            scope.spawn(move || {
                for chunk in helper_gets {
                    if helper_gives
                        .send((chunk.start, run(chunk.start, &items[chunk])))
                        .is_err()
                    {
                        break;
                    }
                }
            });
            // Up to IN_FLIGHT chunks per worker and for the helper: the next chunk is already
            // there when one finishes, so nobody waits a round trip for work.
            // Near the end, one chunk each, so no one sits on work that another could do.
            let agents = comm.size() as usize;
            let depth = |left: usize| {
                if left >= agents * IN_FLIGHT * 2 {
                    IN_FLIGHT
                } else {
                    1
                }
            };
            let mut helper_chunks = 0;
            let mut idle = Backoff::default();
            loop {
                while helper_chunks < depth(chunks.len()) {
                    let Some(chunk) = chunks.pop_front() else {
                        break;
                    };
                    to_helper
                        .send(chunk)
                        .expect("the helper runs until the channel closes");
                    helper_chunks += 1;
                }
                if let Some(status) = comm
                    .any_process()
                    .immediate_probe_with_tag(tags.from_worker)
                {
                    idle.reset();
                    let worker = status.source_rank();
                    let message =
                        comm.receive_object::<FromWorker<R>>(Some(worker), Some(tags.from_worker));
                    let queue = assigned.entry(worker).or_default();
                    // Chunks come back in the order they were sent (MPI does not overtake).
                    match message.map(|(m, _)| m) {
                        Ok(FromWorker::Ready) => {}
                        Ok(FromWorker::Done { start, results }) => {
                            queue.pop_front();
                            deliver(start, results);
                        }
                        Ok(FromWorker::Failed { message }) => {
                            let range = queue
                                .pop_front()
                                .expect("a worker fails only on a chunk it was sent");
                            deliver(range.start, failed(range, &message));
                        }
                        Err(e) => {
                            let range = queue
                                .pop_front()
                                .expect("a worker reports only on a chunk it was sent");
                            deliver(
                                range.start,
                                failed(range, &format!("its results could not be read: {e}")),
                            );
                        }
                    }
                    // Top up the worker with chunks that can be sent, or stop it once it has
                    // none left to finish.
                    let queue = assigned.entry(worker).or_default();
                    let mut wanted = depth(chunks.len()).saturating_sub(queue.len());
                    while wanted > 0 || queue.is_empty() {
                        let Some(chunk) = chunks.pop_front() else {
                            if queue.is_empty() {
                                comm.send_object(worker, tags.to_worker, &ToWorkerRef::<I>::Stop)?;
                                working -= 1;
                            }
                            break;
                        };
                        let work = ToWorkerRef::Work {
                            start: chunk.start,
                            items: &items[chunk.clone()],
                        };
                        match comm.send_object(worker, tags.to_worker, &work) {
                            Ok(()) => {
                                queue.push_back(chunk);
                                wanted -= 1;
                            }
                            // Nothing was sent: these items fail, the worker gets the next chunk.
                            Err(e) => deliver(
                                chunk.start,
                                failed(chunk, &format!("its item could not be sent: {e}")),
                            ),
                        }
                    }
                    continue;
                }
                if let Ok((start, results)) = from_helper.try_recv() {
                    idle.reset();
                    helper_chunks -= 1;
                    deliver(start, results);
                    continue;
                }
                if working == 0 && helper_chunks == 0 && chunks.is_empty() {
                    return Ok(());
                }
                idle.wait();
            }
        })
    }

    /// Other ranks: ask for work, compute it, send the results with the next request.
    fn work<I, R>(&mut self, run: &RunChunk<'_, I, R>, tags: Tags) -> Result<()>
    where
        I: DeserializeOwned,
        R: Serialize,
    {
        let mut report = FromWorker::Ready;
        loop {
            if let Err(e) = self.comm.send_object(ROOT, tags.from_worker, &report) {
                let failed = FromWorker::<R>::Failed {
                    message: format!("its results could not be sent: {e}"),
                };
                self.comm.send_object(ROOT, tags.from_worker, &failed)?;
            }
            report = match self
                .comm
                .receive_object::<ToWorker<I>>(Some(ROOT), Some(tags.to_worker))
            {
                Ok((ToWorker::Work { start, items }, _)) => FromWorker::Done {
                    start,
                    results: run(start, &items),
                },
                Ok((ToWorker::Stop, _)) => return Ok(()),
                Err(e) => FromWorker::Failed {
                    message: format!(
                        "its items could not be read on rank {}: {e}",
                        self.comm.rank()
                    ),
                },
            };
        }
    }
}

/// The same error for every item of `range`.
fn failed<R>(range: Range<usize>, message: &str) -> Vec<TaskResult<R>> {
    range
        .map(|index| {
            Err(TaskError {
                index,
                message: message.to_string(),
            })
        })
        .collect()
}
