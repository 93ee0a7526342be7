//! Starting and ending a job: MPI initialisation, `run`, agreement on outcomes, time limits,
//! progress lines and per-phase reports.

pub(crate) mod agree;
pub(crate) mod progress;
pub mod report;
pub(crate) mod watchdog;
pub(crate) mod world;
