//! Many requests at once (mpi4py's `Request.waitany`, `testany`, `waitall`, `testall`,
//! `waitsome`, `testsome`): [`Completion`], what every handle that completes once has, and
//! [`RequestSet`], which waits for or tests a set of them.

use crate::collective::pending::Pending;
use crate::error::Result;
use crate::runtime::backoff::Backoff;

/// Something in flight that completes once: a [`Receiving`](crate::requests::Receiving) object, or a [`Pending`] send
/// or collective. [`RequestSet`] waits for and tests many of them.
pub trait Completion {
    /// What the request gives when it completes.
    type Output;

    /// Makes progress without blocking; `Some(result)` the one time the request completes.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::Completion;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut summing = world.immediate_allreduce_array(&[1u32], ReduceOp::Sum)?;
    ///     // Poll by hand; a RequestSet does this for many requests at once.
    ///     let total = loop {
    ///         if let Some(result) = summing.try_complete() {
    ///             break result?;
    ///         }
    ///         // ... a slice of other work ...
    ///     };
    ///     assert_eq!(total, vec![world.size() as u32]);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn try_complete(&mut self) -> Option<Result<Self::Output>>;
}

impl<A> Completion for Pending<A> {
    type Output = A;

    fn try_complete(&mut self) -> Option<Result<A>> {
        self.take_if_complete().map(Ok)
    }
}

/// Requests waited for or tested together (mpi4py's `Request.waitany`, `testany`,
/// `waitall`, `testall`, `waitsome`, `testsome`). Indices are the order of
/// [`push`](RequestSet::push); each request's result is handed out exactly once, and the
/// waits poll with a backoff (yielding, then sleeping up to 200 µs) rather than spinning.
pub struct RequestSet<R: Completion> {
    requests: Vec<Option<R>>,
    open: usize,
}

impl<R: Completion> Default for RequestSet<R> {
    fn default() -> Self {
        RequestSet {
            requests: Vec::new(),
            open: 0,
        }
    }
}

impl<R: Completion> RequestSet<R> {
    /// An empty set.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::{Pending, RequestSet};
    /// mpikit::run(|world| {
    ///     let mut set: RequestSet<Pending<()>> = RequestSet::new();
    ///     assert!(set.is_empty());
    ///     set.push(world.immediate_barrier()?);
    ///     for (_index, result) in set.wait_all() {
    ///         result?;
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a request; returns its index.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     let sum = set.push(world.immediate_allreduce_array(&[1u32], ReduceOp::Sum)?);
    ///     let max = set.push(world.immediate_allreduce_array(&[world.rank() as u32], ReduceOp::Max)?);
    ///     assert_eq!((sum, max), (0, 1)); // indices in the order of push
    ///     let n = world.size() as u32;
    ///     for (index, result) in set.wait_all() {
    ///         assert_eq!(result?, vec![if index == sum { n } else { n - 1 }]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn push(&mut self, request: R) -> usize {
        self.requests.push(Some(request));
        self.open += 1;
        self.requests.len() - 1
    }

    /// Requests not yet completed.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for _ in 0..3 {
    ///         set.push(world.immediate_barrier()?);
    ///     }
    ///     assert_eq!(set.remaining(), 3);
    ///     while let Some((_index, result)) = set.wait_any() {
    ///         result?;
    ///     }
    ///     assert_eq!(set.remaining(), 0);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn remaining(&self) -> usize {
        self.open
    }

    /// Requests ever added.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     set.push(world.immediate_barrier()?);
    ///     for (_index, result) in set.wait_all() {
    ///         result?;
    ///     }
    ///     assert_eq!((set.len(), set.remaining()), (1, 0)); // completed requests still count
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether no request was ever added.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::{Pending, RequestSet};
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::<Pending<()>>::new();
    ///     assert!(set.is_empty());
    ///     set.push(world.immediate_barrier()?);
    ///     assert!(!set.is_empty());
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// One request that has completed, if any, with its index (mpi4py's `testany`); `None`
    /// also when none remain.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     set.push(world.immediate_allreduce_array(&[1u64], ReduceOp::Sum)?);
    ///     let (index, total) = loop {
    ///         if let Some(done) = set.test_any() {
    ///             break done;
    ///         }
    ///         // ... a slice of other work ...
    ///     };
    ///     assert_eq!((index, total?), (0, vec![world.size() as u64]));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test_any(&mut self) -> Option<(usize, Result<R::Output>)> {
        for (i, slot) in self.requests.iter_mut().enumerate() {
            if let Some(result) = slot.as_mut().and_then(Completion::try_complete) {
                *slot = None;
                self.open -= 1;
                return Some((i, result));
            }
        }
        None
    }

    /// Waits for one request to complete and returns its index and result (mpi4py's
    /// `waitany`); `None` once every request has been handed out.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     set.push(world.immediate_allreduce_array(&[1u64], ReduceOp::Sum)?);
    ///     set.push(world.immediate_allreduce_array(&[1u64], ReduceOp::Max)?);
    ///     // Each result as soon as it is ready, with its index.
    ///     while let Some((index, result)) = set.wait_any() {
    ///         let expected = if index == 0 { world.size() as u64 } else { 1 };
    ///         assert_eq!(result?, vec![expected]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait_any(&mut self) -> Option<(usize, Result<R::Output>)> {
        let mut pause = Backoff::default();
        while self.open > 0 {
            if let Some(done) = self.test_any() {
                return Some(done);
            }
            pause.wait();
        }
        None
    }

    /// Every request that has completed now, possibly none (mpi4py's `testsome`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for k in 0..4u64 {
    ///         set.push(world.immediate_allreduce_array(&[k], ReduceOp::Max)?);
    ///     }
    ///     while set.remaining() > 0 {
    ///         for (index, result) in set.test_some() {
    ///             assert_eq!(result?, vec![index as u64]);
    ///         }
    ///         // ... a slice of other work ...
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test_some(&mut self) -> Vec<(usize, Result<R::Output>)> {
        let mut done = Vec::new();
        for (i, slot) in self.requests.iter_mut().enumerate() {
            if let Some(result) = slot.as_mut().and_then(Completion::try_complete) {
                *slot = None;
                self.open -= 1;
                done.push((i, result));
            }
        }
        done
    }

    /// Waits until at least one request completes and returns all that have (mpi4py's
    /// `waitsome`); empty once none remain.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for k in 0..4u64 {
    ///         set.push(world.immediate_allreduce_array(&[k], ReduceOp::Max)?);
    ///     }
    ///     let mut done = 0;
    ///     while set.remaining() > 0 {
    ///         for (index, result) in set.wait_some() {
    ///             assert_eq!(result?, vec![index as u64]);
    ///             done += 1;
    ///         }
    ///     }
    ///     assert_eq!(done, 4);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait_some(&mut self) -> Vec<(usize, Result<R::Output>)> {
        let mut pause = Backoff::default();
        while self.open > 0 {
            let done = self.test_some();
            if !done.is_empty() {
                return done;
            }
            pause.wait();
        }
        Vec::new()
    }

    /// Waits for every remaining request; their results in index order (mpi4py's
    /// `waitall`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// use mpikit::ReduceOp;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for k in 0..3u64 {
    ///         set.push(world.immediate_allreduce_array(&[k], ReduceOp::Sum)?);
    ///     }
    ///     let n = world.size() as u64;
    ///     for (index, result) in set.wait_all() {
    ///         assert_eq!(result?, vec![index as u64 * n]);
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn wait_all(&mut self) -> Vec<(usize, Result<R::Output>)> {
        let mut all = Vec::with_capacity(self.open);
        while self.open > 0 {
            all.extend(self.wait_some());
        }
        all.sort_by_key(|(i, _)| *i);
        all
    }

    /// Progresses every request without blocking, appending those that complete now to
    /// `completed`; `true` once none remain (mpi4py's `testall`).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// use mpikit::requests::RequestSet;
    /// mpikit::run(|world| {
    ///     let mut set = RequestSet::new();
    ///     for _ in 0..3 {
    ///         set.push(world.immediate_barrier()?);
    ///     }
    ///     let mut completed = Vec::new();
    ///     while !set.test_all(&mut completed) {
    ///         // ... a slice of other work ...
    ///     }
    ///     assert_eq!(completed.len(), 3);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn test_all(&mut self, completed: &mut Vec<(usize, Result<R::Output>)>) -> bool {
        completed.extend(self.test_some());
        self.open == 0
    }
}
