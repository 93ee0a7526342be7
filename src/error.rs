//! The crate's one error type.

use std::fmt;

/// Everything that can go wrong in mpikit, as a value.
///
/// Data-dependent problems (a count that does not fit MPI's 32-bit counts, shapes that do
/// not match across ranks, bad input) are reported as `Error`s. Every collective in this
/// crate that can fail decides from information all ranks share, so every rank returns the
/// same `Err` and none is left waiting in a later collective.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `World::init` was called when MPI was already initialized.
    #[error("MPI is already initialized (World::init may be called once per process)")]
    AlreadyInitialized,
    /// The MPI library provides a lower threading level than requested.
    #[error(
        "the MPI library provides threading level {provided}, below the requested {requested}"
    )]
    Threading {
        /// What the program asked for.
        requested: String,
        /// What the library provided.
        provided: String,
    },
    /// A message is larger than a 32-bit MPI count can describe.
    #[error("{what}: {count} elements exceed MPI's count limit of {max}", max = i32::MAX)]
    CountOverflow {
        /// Which message.
        what: &'static str,
        /// The element count that did not fit.
        count: usize,
    },
    /// Array shapes disagree between ranks (or with what the call needs).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The root of a rooted collective passed `None` where it must pass its data or buffer
    /// (every rank returns this `Err`).
    #[error("{what}: the root (rank {root}) passed None where it must pass Some(data)")]
    MissingRoot {
        /// Which call.
        what: &'static str,
        /// The root rank.
        root: i32,
    },
    /// A rank number outside the communicator.
    #[error("rank {rank} is out of range for a communicator of size {size}")]
    Rank {
        /// The rank asked for.
        rank: i32,
        /// The communicator's size.
        size: i32,
    },
    /// A value could not be encoded with bincode (on `rank`, in a collective).
    #[error("could not encode the object{}: {message}", rank.map(|r| format!(" on rank {r}")).unwrap_or_default())]
    Encode {
        /// The rank whose value failed, when known.
        rank: Option<i32>,
        /// What bincode said.
        message: String,
    },
    /// Received bytes do not decode as the requested type.
    #[error("could not decode the object{}: {message}", from.map(|r| format!(" from rank {r}")).unwrap_or_default())]
    Decode {
        /// The sending rank, when known.
        from: Option<i32>,
        /// What went wrong.
        message: String,
    },
    /// Invalid input or configuration (a bad flag value, an unusable setting).
    #[error("{0}")]
    Input(String),
    /// A one-sided or shared-memory misuse found before MPI is called (a displacement past
    /// the target's window, a lock taken twice, an epoch inside another): the calling rank's
    /// alone, since MPI's own answer would be to abort the job.
    #[error("window: {0}")]
    Window(String),
    /// An environment variable holds a value that cannot be used.
    #[error("environment variable {name}={value:?}: {reason}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
}

impl Error {
    /// An [`Error::Input`] from anything printable.
    ///
    /// # Examples
    /// ```
    /// let e = mpikit::Error::input(format!("bad --steps {}", -1));
    /// assert_eq!(e.to_string(), "bad --steps -1");
    /// ```
    pub fn input(msg: impl fmt::Display) -> Error {
        Error::Input(msg.to_string())
    }
}

/// `Result` with mpikit's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
