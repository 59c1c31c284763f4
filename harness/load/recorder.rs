//! Collects request outcomes into the trial's log and keeps live counters for progress.

use crate::record::{Outcome, RequestLog};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Counters read by the progress display while the load runs.
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub sent: AtomicU64,
    pub ok: AtomicU64,
    pub failed: AtomicU64,
}

impl LiveCounters {
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// Shared sink for completed requests.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<RequestLog>>,
    pub live: Arc<LiveCounters>,
}

impl Recorder {
    pub fn new(live: Arc<LiveCounters>) -> Recorder {
        Recorder {
            log: Arc::default(),
            live,
        }
    }

    pub fn sent(&self) {
        self.live.sent.fetch_add(1, Ordering::Relaxed);
    }

    pub fn done(&self, intended_us: i64, done_us: i64, outcome: Outcome, replica: u16) {
        let counter = if outcome.is_ok() {
            &self.live.ok
        } else {
            &self.live.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.log
            .lock()
            .expect("recorder lock is never poisoned: pushes cannot panic")
            .push(intended_us, done_us, outcome, replica);
    }

    /// The log sorted by intended time.
    pub fn finish(&self) -> RequestLog {
        let mut log = std::mem::take(&mut *self.log.lock().expect("recorder lock"));
        log.sort();
        log
    }
}
