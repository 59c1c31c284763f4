//! Collects request outcomes into the trial's log and keeps live counters for progress.
//! The log is built in bounded memory (failed requests and their neighbourhood raw, other
//! successful requests per window, see [`Compactor`]).

use crate::record::new_histogram;
use crate::record::{Compactor, Outcome, RequestLog, Slip};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Counters read by the progress display while the load runs.
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub sent: AtomicU64,
    pub ok: AtomicU64,
    pub failed: AtomicU64,
}

impl LiveCounters {
    pub(crate) fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug)]
struct Inner {
    log: Compactor,
    slip: Histogram<u64>,
}

impl Inner {
    fn new(log: Compactor) -> Inner {
        Inner {
            log,
            slip: new_histogram(),
        }
    }
}

impl Default for Inner {
    fn default() -> Self {
        Inner::new(Compactor::default())
    }
}

/// Shared sink for completed requests.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<Inner>>,
    pub live: Arc<LiveCounters>,
}

impl Recorder {
    /// A recorder with the scenario defaults (100 ms windows, 2 s timeout).
    pub fn new(live: Arc<LiveCounters>) -> Recorder {
        Recorder {
            log: Arc::default(),
            live,
        }
    }

    /// A recorder for a load of `window` (`load.window`) and request `timeout`.
    pub fn windowed(live: Arc<LiveCounters>, window: Duration, timeout: Duration) -> Recorder {
        Recorder {
            log: Arc::new(Mutex::new(Inner::new(Compactor::new(window, timeout)))),
            live,
        }
    }

    pub fn sent(&self) {
        self.live.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// A request intended at `intended_us`, sent at `sent_us` (or given up on then, for
    /// `client_overload`), that ended at `done_us`.
    pub fn done(&self, intended_us: i64, sent_us: i64, done_us: i64, outcome: Outcome, replica: u16) {
        let counter = if outcome.is_ok() {
            &self.live.ok
        } else {
            &self.live.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut inner = self
            .log
            .lock()
            .expect("recorder lock is never poisoned: pushes cannot panic");
        inner.log.push(intended_us, done_us, outcome, replica);
        // auto-resizing: recording any value succeeds
        let _ = inner.slip.record((sent_us - intended_us).max(0) as u64);
    }

    /// The log, raw entries sorted by intended time.
    pub fn finish(&self) -> RequestLog {
        self.log.lock().expect("recorder lock").log.take_log()
    }

    /// The schedule slip so far.
    pub fn slip(&self) -> Slip {
        Slip::of(&self.log.lock().expect("recorder lock").slip)
    }
}
