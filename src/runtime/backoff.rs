//! Waiting without spinning: the pause between polls of MPI.

/// A polling pause: yields briefly, then sleeps up to 200 µs, so a rank waiting for
/// messages answers quickly without taking a core from the ranks that work.
#[derive(Default)]
pub(crate) struct Backoff(u32);

impl Backoff {
    pub(crate) fn reset(&mut self) {
        self.0 = 0;
    }

    pub(crate) fn wait(&mut self) {
        self.0 = self.0.saturating_add(1);
        if self.0 <= 64 {
            std::thread::yield_now();
        } else {
            let micros = (u64::from(self.0 - 64) * 5).min(200);
            std::thread::sleep(std::time::Duration::from_micros(micros));
        }
    }
}
