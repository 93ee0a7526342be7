//! Collective agreement on local outcomes, so that every rank takes the same branch before
//! the next collective.

use crate::runtime::world::Comm;
use mpi::topology::Communicator;

use crate::collective::object::ObjectCollectives;
use crate::error::{Error, Result};

/// Turns each rank's own outcome into one decision shared by every rank: `Ok` everywhere if
/// every rank succeeded, else the same `Err` everywhere — the lowest failing rank's message,
/// with `(on rank R)` added unless that is rank 0. One allgather of small messages.
///
/// Use it after any step that can fail on some ranks only (opening a file, parsing input)
/// and before the next collective, so that no rank returns early while the others wait.
///
/// With [`run`](crate::run), a failure on one rank already ends the job; `agree` is for
/// failures that every rank should see and handle alike (a bad input file reported once,
/// a fallback taken everywhere).
///
/// # Examples
/// ```no_run
/// mpikit::run(|world| {
///     let local = std::fs::read_to_string("input.txt").map_err(mpikit::Error::input);
///     let text = mpikit::runtime::agree(world, local)?; // every rank fails, or none
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn agree<A: Comm + ?Sized, T>(comm: &A, local: Result<T>) -> Result<T> {
    agree_on(comm.as_comm(), local)
}

/// [`agree`] on any communicator type, for the crate's generic code.
pub(crate) fn agree_on<C: Communicator + ?Sized, T>(comm: &C, local: Result<T>) -> Result<T> {
    let mine: Option<String> = local.as_ref().err().map(|e| e.to_string());
    let all = comm.allgather_objects(&mine)?;
    match all.iter().position(Option::is_some) {
        None => local,
        Some(0) => Err(Error::input(all[0].clone().unwrap_or_default())),
        Some(r) => Err(Error::input(format!(
            "{} (on rank {r})",
            all[r].clone().unwrap_or_default()
        ))),
    }
}
