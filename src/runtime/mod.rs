//! Starting and ending a job: MPI initialisation, `run`, panics and errors that end the whole
//! job, agreement on outcomes, time limits, progress lines and per-phase reports.

pub(crate) mod agree;
pub(crate) mod backoff;
pub(crate) mod launcher;
pub(crate) mod memory;
pub(crate) mod panic;
pub(crate) mod progress;
pub mod report;
pub(crate) mod run;
pub(crate) mod threads;
pub(crate) mod watchdog;
pub(crate) mod world;
