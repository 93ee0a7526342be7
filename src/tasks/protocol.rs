//! The pool's protocol: rank 0 hands out chunks of items to the ranks that ask (and computes
//! chunks itself on a helper thread), workers ask, compute and answer, and every call gets
//! its own pair of tags so that calls never mix.

use crate::collective::object::ObjectCollectives;
use crate::error::Result;
use crate::runtime::backoff::Backoff;
use crate::tasks::pool::{Pool, TaskError, TaskResult, ROOT};
use mpi::point_to_point::Source;
use mpi::topology::{Communicator, Rank};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::mpsc;

/// Chunks a worker (or rank 0's helper thread) holds at once.
const IN_FLIGHT: usize = 4;

/// Tags of one call: every call on every rank gets the next pair, so a worker that has
/// moved on to the next call cannot be mistaken for one still in the previous call.
#[derive(Clone, Copy)]
pub(crate) struct Tags {
    to_worker: i32,
    from_worker: i32,
}

impl Tags {
    pub(crate) fn of(call: u64) -> Tags {
        let base = 2 * (call % 16_000) as i32;
        Tags {
            to_worker: base + 1,
            from_worker: base + 2,
        }
    }
}

/// Runs the tasks of a chunk that starts at the given index.
pub(crate) type RunChunk<'f, I, R> = dyn Fn(usize, &[I]) -> Vec<TaskResult<R>> + Sync + 'f;

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

impl Pool<'_> {
    /// One call of the pool on this rank: its tags, then rank 0 hands out and the others work.
    pub(crate) fn run_call<I, R>(
        &mut self,
        items: &[I],
        todo: &[Range<usize>],
        run: &RunChunk<'_, I, R>,
        on_result: &mut dyn FnMut(usize, TaskResult<R>),
    ) -> Result<()>
    where
        I: Serialize + DeserializeOwned + Sync,
        R: Serialize + DeserializeOwned + Send,
    {
        self.calls += 1;
        let tags = Tags::of(self.calls);
        if self.is_root() {
            self.hand_out(items, todo, run, on_result, tags)
        } else {
            self.work(run, tags)
        }
    }

    /// Rank 0: a helper thread computes chunks like one more worker, while this thread
    /// answers the workers' requests (MPI stays on this thread) and stops every worker once
    /// the chunks are gone. Only the items of `todo` are handed out (the others came from
    /// a journal).
    pub(crate) fn hand_out<I, R>(
        &mut self,
        items: &[I],
        todo: &[Range<usize>],
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
        let mut chunks: VecDeque<Range<usize>> = todo
            .iter()
            .flat_map(|run| {
                let end = run.end;
                run.clone()
                    .step_by(step)
                    .map(move |s| s..(s + step).min(end))
            })
            .collect();
        let mut done = total - todo.iter().map(|r| r.len()).sum::<usize>();
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
    pub(crate) fn work<I, R>(&mut self, run: &RunChunk<'_, I, R>, tags: Tags) -> Result<()>
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
