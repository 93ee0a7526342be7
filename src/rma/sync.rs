//! A counter across ranks on one-sided atomics, [`Counter`] (a shared fetch-and-add,
//! self-scheduled loops), and [`Sequential`] (ranks through a section in rank order):
//! mpi4py.util.sync's model.

use mpi::topology::{Communicator, Rank, SimpleCommunicator};
use mpi::traits::{Destination, Source};

use crate::collective::op::ReduceOp;
use crate::collective::shape::check_root;
use crate::error::Result;
use crate::rma::epoch::RmaOp;
use crate::rma::window::Window;
use crate::runtime::Comm;

/// A counter on one rank that every rank of a communicator advances atomically
/// (`MPI_Fetch_and_op` on a window): mpi4py's `util.sync.Counter`. [`next`](Counter::next)
/// hands out `start`, `start + 1`, ... once each across all ranks, so a loop of
/// [`indices`](Counter::indices) schedules itself without a master rank. Creating and
/// dropping it are collective.
///
/// # Examples
/// ```no_run
/// use mpikit::rma::Counter;
/// use mpikit::ReduceOp;
/// use mpikit::prelude::*;
/// mpikit::run(|world| {
///     let counter = Counter::new(world, 0, 0)?;
///     let mut mine = 0u64;
///     for i in counter.indices(1000) {
///         mine += i as u64; // every index of 0..1000 comes to exactly one rank
///     }
///     let total = world.allreduce_objects(mine, |a, b| a + b)?;
///     assert_eq!(total, 999 * 1000 / 2);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Counter {
    win: Window<i64>,
    root: Rank,
}

impl Counter {
    /// A counter at `start`, held on `root` (collective over `comm`; an `Err` on every rank
    /// for a root outside it).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Counter;
    /// # mpikit::run(|world| {
    /// let counter = Counter::new(world, 100, 0)?;
    /// assert!(counter.next()? >= 100);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn new<A: Comm + ?Sized>(comm: &A, start: i64, root: Rank) -> Result<Counter> {
        let comm = comm.as_comm();
        check_root(comm, root)?;
        let mut win = Window::<i64>::allocate(comm, usize::from(comm.rank() == root))?;
        if comm.rank() == root {
            win.local_mut()[0] = start;
        }
        win.fence_with(|_| Ok(()))?; // the start value, visible to every rank's atomics
        win.lock_all_for_life()?;
        Ok(Counter { win, root })
    }

    /// The counter's value before adding `incr` to it, atomically.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Counter;
    /// # mpikit::run(|world| {
    /// let counter = Counter::new(world, 0, 0)?;
    /// let first = counter.fetch_add(10)?; // this rank's 10 indices start here
    /// assert_eq!(first % 10, 0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn fetch_add(&self, incr: i64) -> Result<i64> {
        self.win
            .held()
            .fetch_and_op(self.root, 0, incr, ReduceOp::Sum)
    }

    /// The counter's value before adding one: the next number, never handed out before.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Counter;
    /// # mpikit::run(|world| {
    /// let counter = Counter::new(world, 0, 0)?;
    /// let (a, b) = (counter.next()?, counter.next()?);
    /// assert!(b > a);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn next(&self) -> Result<i64> {
        self.fetch_add(1)
    }

    /// The counter's value now (an atomic read; other ranks may move it at once).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Counter;
    /// # mpikit::run(|world| {
    /// let counter = Counter::new(world, 7, 0)?;
    /// assert!(counter.value()? >= 7);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn value(&self) -> Result<i64> {
        self.win.held().fetch_and_op(self.root, 0, 0, RmaOp::NoOp)
    }

    /// The indices below `n` that this rank draws, one [`next`](Counter::next) each, until
    /// the counter passes `n`: across all ranks, each index from the counter's value to `n`
    /// exactly once. An MPI failure ends the job (as every MPI error does).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Counter;
    /// # mpikit::run(|world| {
    /// let counter = Counter::new(world, 0, 0)?;
    /// let mine: Vec<usize> = counter.indices(10).collect();
    /// assert!(mine.iter().all(|&i| i < 10));
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn indices(&self, n: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::from_fn(move || {
            let i = self.next().expect("an MPI error ends the job before this");
            (i >= 0 && (i as u64) < n as u64).then_some(i as usize)
        })
    }
}

/// Ranks pass through a section one at a time in rank order (mpi4py's
/// `util.sync.Sequential`): ordered output, ordered appends to one file.
///
/// # Examples
/// ```no_run
/// use mpikit::rma::Sequential;
/// mpikit::run(|world| {
///     let seq = Sequential::new(world)?;
///     {
///         let _turn = seq.enter()?;
///         println!("rank {} in order", world.rank());
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Sequential {
    comm: SimpleCommunicator,
}

/// This rank's turn in a [`Sequential`] section; passes it on when dropped.
pub struct Turn<'a> {
    seq: &'a Sequential,
}

impl Sequential {
    /// A sequence over the ranks of `comm` (collective: it takes a private copy of the
    /// communicator, so its messages meet no others).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Sequential;
    /// # mpikit::run(|world| {
    /// let seq = Sequential::new(world)?;
    /// drop(seq.enter()?);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn new<A: Comm + ?Sized>(comm: &A) -> Result<Sequential> {
        let comm = comm.as_comm();
        Ok(Sequential {
            comm: comm.duplicate(),
        })
    }

    /// Waits for the ranks before this one to pass; the turn passes on when dropped.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::rma::Sequential;
    /// # mpikit::run(|world| {
    /// let seq = Sequential::new(world)?;
    /// let turn = seq.enter()?;
    /// drop(turn); // the next rank goes
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn enter(&self) -> Result<Turn<'_>> {
        let rank = self.comm.rank();
        if rank > 0 {
            let mut token = [0u8; 0];
            self.comm
                .process_at_rank(rank - 1)
                .receive_into(&mut token[..]);
        }
        Ok(Turn { seq: self })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let comm = &self.seq.comm;
        if comm.rank() + 1 < comm.size() {
            comm.process_at_rank(comm.rank() + 1).send(&[0u8; 0][..]);
        }
    }
}
