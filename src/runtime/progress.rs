//! Progress of long reads and computations on stderr: rate and ETA, at most once a second.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counts work done (by any thread) and, while alive, prints
/// `LABEL 42% 3.4 of 8.0 GB, 2.1 GB/s, ETA 2 s` to stderr every second — in place on a
/// terminal (cleared at the end), one line each otherwise (with a last `LABEL done: ...`).
///
/// # Examples
/// ```
/// let p = mpikit::runtime::Progress::start("reading", 1000);
/// p.add(500);
/// p.add(500);
/// p.finish();
/// ```
pub struct Progress {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    done: AtomicU64,
    stop: AtomicBool,
}

impl Progress {
    /// Starts reporting progress towards `total` bytes.
    ///
    /// # Examples
    /// ```
    /// let progress = mpikit::runtime::Progress::start("reading", 1 << 20);
    /// progress.add(1 << 19);
    /// progress.add(1 << 19);
    /// progress.finish(); // a last line when stderr is a terminal
    /// ```
    pub fn start(label: &str, total: u64) -> Progress {
        let shared = Arc::new(Shared {
            done: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let label = label.to_string();
        let thread = std::thread::Builder::new()
            .name("mpikit-progress".into())
            .spawn(move || report(&s, &label, total))
            .ok();
        Progress { shared, thread }
    }

    /// Records `bytes` more done.
    ///
    /// # Examples
    /// ```
    /// let progress = mpikit::runtime::Progress::start("writing", 100);
    /// for _ in 0..10 {
    ///     progress.add(10);
    /// }
    /// progress.finish();
    /// ```
    pub fn add(&self, bytes: u64) {
        self.shared.done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Stops reporting (and clears the line on a terminal).
    ///
    /// # Examples
    /// ```
    /// mpikit::runtime::Progress::start("nothing", 0).finish();
    /// ```
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether progress is wanted by default: stderr is a terminal.
pub(crate) fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

fn report(s: &Shared, label: &str, total: u64) {
    let tty = stderr_is_terminal();
    let start = Instant::now();
    let mut printed = false;
    loop {
        std::thread::park_timeout(Duration::from_secs(1));
        if s.stop.load(Ordering::Relaxed) {
            break;
        }
        let done = s.done.load(Ordering::Relaxed).min(total);
        let secs = start.elapsed().as_secs_f64();
        let rate = done as f64 / secs.max(1e-9);
        let eta = if rate > 0.0 {
            format!("{:.0} s", (total - done) as f64 / rate)
        } else {
            "?".into()
        };
        let line = format!(
            "{label} {:3.0}% {:.2} of {:.2} GB, {:.2} GB/s, ETA {eta}",
            100.0 * done as f64 / total.max(1) as f64,
            done as f64 / 1e9,
            total as f64 / 1e9,
            rate / 1e9
        );
        let mut err = std::io::stderr().lock();
        let _ = if tty {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
        printed = true;
    }
    if tty && printed {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    } else if !tty {
        // A log gets the final figures too.
        let done = s.done.load(Ordering::Relaxed);
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "{label} done: {:.2} GB in {secs:.2} s, {:.2} GB/s",
            done as f64 / 1e9,
            done as f64 / secs.max(1e-9) / 1e9
        );
    }
}
