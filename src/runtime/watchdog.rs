//! A per-rank watchdog: if the job has not finished within a time limit (a hung rank, a cut
//! network link), it says which phase this rank was in and aborts the whole MPI job, so a
//! batch job ends instead of holding its nodes until the scheduler's limit.

use crate::raw;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Exit code of a job the watchdog ended.
pub const WATCHDOG_EXIT: i32 = 124;

struct Shared {
    phase: Mutex<(&'static str, Instant)>,
    done: AtomicBool,
}

/// Aborts the MPI job unless [`disarm`](Watchdog::disarm)ed (or dropped) within the limit.
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// mpikit::run(|world| {
///     let dog = mpikit::runtime::Watchdog::start(Duration::from_secs(600), "parsum");
///     dog.phase("read");
///     // ... read, compute, reduce: a rank stuck here for 10 minutes ends the whole job ...
///     dog.phase("reduce");
///     dog.disarm();
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Watchdog {
    shared: Arc<Shared>,
}

impl Watchdog {
    /// Starts the clock. When `limit` passes first, this rank prints
    /// `PROGRAM: rank R: time limit of S s reached in phase P (in it for T s); aborting the job`
    /// and calls `MPI_Abort` with [`WATCHDOG_EXIT`].
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::runtime::Watchdog;
    /// use std::time::Duration;
    /// mpikit::run(|world| {
    ///     // Past 10 minutes, every rank says which phase it was in and the job ends.
    ///     let watchdog = Watchdog::start(Duration::from_secs(600), "my-program");
    ///     watchdog.phase("solve");
    ///     // ... the work ...
    ///     watchdog.disarm();
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn start(limit: Duration, program: &'static str) -> Watchdog {
        let shared = Arc::new(Shared {
            phase: Mutex::new(("start", Instant::now())),
            done: AtomicBool::new(false),
        });
        let watched = Arc::clone(&shared);
        let deadline = Instant::now() + limit;
        std::thread::spawn(move || {
            while Instant::now() < deadline {
                if watched.done.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20).min(deadline - Instant::now()));
            }
            if watched.done.load(Ordering::Acquire) {
                return;
            }
            let (phase, since) = *watched.phase.lock().unwrap_or_else(|e| e.into_inner());
            let rank = mpi::topology::SimpleCommunicator::world();
            let rank = mpi::topology::Communicator::rank(&rank);
            crate::runtime::panic::say_line(&format!(
                "{program}: rank {rank}: time limit of {} s reached in phase {phase} (in it for {:.1} s); aborting the job",
                limit.as_secs_f64(),
                since.elapsed().as_secs_f64()
            ));
            // Let the other ranks say where they were, and the launcher forward it all.
            std::thread::sleep(Duration::from_millis(300));
            // If the runtime cannot carry the abort (its network is gone), leave anyway.
            std::thread::spawn(|| {
                std::thread::sleep(Duration::from_secs(5));
                // SAFETY: ends the process at once, as MPI_Abort would have.
                unsafe { libc::_exit(WATCHDOG_EXIT) };
            });
            // SAFETY: MPI is initialised (the watchdog lives inside the MPI part of the
            // program); MPI_Abort does not return.
            unsafe {
                raw::abort(raw::comm_world(), WATCHDOG_EXIT);
            }
        });
        Watchdog { shared }
    }

    /// Records the phase this rank enters (for the message if the limit is reached).
    ///
    /// # Examples
    /// ```no_run
    /// use std::time::Duration;
    /// let watchdog = mpikit::runtime::Watchdog::start(Duration::from_secs(60), "demo");
    /// watchdog.phase("read");
    /// watchdog.phase("reduce");
    /// watchdog.disarm();
    /// ```
    pub fn phase(&self, name: &'static str) {
        *self.shared.phase.lock().unwrap_or_else(|e| e.into_inner()) = (name, Instant::now());
    }

    /// Stops the watchdog: the job finished in time.
    ///
    /// # Examples
    /// ```no_run
    /// use std::time::Duration;
    /// let watchdog = mpikit::runtime::Watchdog::start(Duration::from_secs(60), "demo");
    /// watchdog.disarm(); // done in time: nothing happens at the limit
    /// ```
    pub fn disarm(&self) {
        self.shared.done.store(true, Ordering::Release);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.disarm();
    }
}
