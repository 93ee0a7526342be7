//! Pool recovery: a pool with a journal records each finished task on rank 0, and a rerun of
//! the same map with the same journal hands out only the tasks it does not hold.

use std::ops::Range;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::codec;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::tasks::journal::{items_hash, Journal};
use crate::tasks::pool::{Pool, TaskResult};
use crate::tasks::protocol::RunChunk;

impl<'a> Pool<'a> {
    /// Keeps a journal of finished tasks at `path` (on rank 0), so that a job killed part-way
    /// through a map does only the unfinished tasks when it is run again.
    ///
    /// Every rank must call it (like [`chunksize`](Self::chunksize)); only rank 0's `path`
    /// is used. With a journal, each call ([`map`](Self::map), [`try_map`](Self::try_map),
    /// [`map_unordered`](Self::map_unordered), [`as_completed`](Self::as_completed),
    /// [`try_as_completed`](Self::try_as_completed)):
    ///
    /// - opens the journal, or creates it with a header naming the map (the number of items
    ///   and a hash of their bincode bytes). A journal of other items, a file that is no
    ///   journal, or a damaged record with more after it is one `Err` on every rank before
    ///   any task runs (remove the file to start over). A torn or half-written last record,
    ///   as a killed job leaves, is dropped;
    /// - delivers the results the journal holds first (in the order they were recorded:
    ///   `as_completed` reports them before any new one), then hands out only the other
    ///   items. `map` returns the same results in the same order as an uninterrupted run;
    /// - appends each successful result as it arrives (index, bincode bytes, CRC-32; one
    ///   write per record, so killing the job at any moment loses at most the record being
    ///   written). The file is fsynced at most once a second while records arrive, and when
    ///   the call ends, so even a machine crash loses at most about a second of results. Failed tasks (`Err` or panic) are not recorded: a rerun retries them.
    ///
    /// The journal is never deleted: a rerun of a finished map runs no task and returns the
    /// recorded results. Remove the file once the results are safe elsewhere. One journal is
    /// for one map: use another path (call `journal` again) for the pool's next map. The
    /// journal cannot tell that the task function changed; remove it when it does. A journal
    /// that could not be written is an `Err` on every rank after the call ends.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     let mut pool = mpikit::Pool::new(world).journal("squares.journal");
    ///     let items: Vec<u64> = (0..1000).collect();
    ///     // Killed part-way and run again: only the tasks not in squares.journal run.
    ///     if let Some(squares) = pool.map(&items, |&x| x * x)? {
    ///         assert_eq!(squares[999], Ok(998_001));
    ///         std::fs::remove_file("squares.journal").map_err(mpikit::Error::input)?;
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Pool<'a> {
        self.journal = Some(path.into());
        self
    }

    /// One call with or without the journal. With one, rank 0 reads it first (every rank
    /// learns whether that failed), and the write errors are agreed on at the end.
    pub(crate) fn run_recorded<I, R>(
        &mut self,
        items: &[I],
        run: &RunChunk<'_, I, R>,
        on_result: &mut dyn FnMut(usize, TaskResult<R>),
    ) -> Result<()>
    where
        I: Serialize + DeserializeOwned + Sync,
        R: Serialize + DeserializeOwned + Send,
    {
        let Some(path) = self.journal.clone() else {
            let every = 0..items.len();
            return self.run_call(items, std::slice::from_ref(&every), run, on_result);
        };
        let opened = if self.is_root() {
            items_hash(items)
                .and_then(|hash| Journal::open(&path, items.len(), hash))
                .and_then(|(journal, recorded)| {
                    let decoded = recorded
                        .into_iter()
                        .map(|(index, bytes)| {
                            codec::decode::<R>(&bytes, None)
                                .map(|r| (index, r))
                                .map_err(|e| {
                                    Error::input(format!(
                                        "pool journal {}: the result of item {index} does not \
                                         decode as this map's result type ({e})",
                                        path.display()
                                    ))
                                })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(Some((journal, decoded)))
                })
        } else {
            Ok(None)
        };
        let Some((mut journal, recorded)) = agree_on(&self.comm, opened)? else {
            let ran = self.run_call(items, &[], run, on_result);
            return agree_on(&self.comm, ran);
        };
        let mut done = vec![false; items.len()];
        for (index, result) in recorded {
            done[index] = true;
            on_result(index, Ok(result));
        }
        let replayed = done.iter().filter(|&&d| d).count();
        if let (true, Some(p)) = (replayed > 0, self.progress.as_mut()) {
            p(replayed, items.len());
        }
        let todo = pending(&done);
        let ran = self.run_call(items, &todo, run, &mut |index, result| {
            if let Ok(r) = &result {
                journal.append(index, r);
            }
            on_result(index, result);
        });
        agree_on(&self.comm, ran.and(journal.finish()))
    }
}

/// The runs of items not yet done.
fn pending(done: &[bool]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (i, _) in done.iter().enumerate().filter(|(_, &d)| !d) {
        match runs.last_mut() {
            Some(run) if run.end == i => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::pending;

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // vectors of ranges, indeed
    fn pending_runs_skip_the_done_items() {
        assert_eq!(pending(&[]), vec![]);
        assert_eq!(pending(&[false; 3]), vec![0..3]);
        assert_eq!(pending(&[true; 3]), vec![]);
        assert_eq!(
            pending(&[true, false, false, true, false, true]),
            vec![1..3, 4..5]
        );
    }
}
