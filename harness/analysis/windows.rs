//! Fixed windows over a trial's request log, keyed by intended send time: counts by
//! outcome and a histogram of successful latencies per window.

use super::stats::{new_histogram, record, LatencySummary};
use crate::record::{Outcome, RequestLog};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// One window of the load.
#[derive(Debug, Clone)]
pub struct Window {
    /// Start, µs on the trial clock.
    pub start_us: i64,
    pub ok: u64,
    /// Failed requests by class, in `Outcome::FAILURES` order.
    pub failed_by_class: [u64; 5],
    /// Latency of successful requests, µs.
    pub latency: Histogram<u64>,
}

impl Window {
    pub fn failed(&self) -> u64 {
        self.failed_by_class.iter().sum()
    }
}

/// A window as reported (no histogram).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowStats {
    pub start_ms: f64,
    pub ok: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl From<&Window> for WindowStats {
    fn from(w: &Window) -> Self {
        let s = LatencySummary::of(&w.latency);
        WindowStats {
            start_ms: w.start_us as f64 / 1000.0,
            ok: w.ok,
            failed: w.failed(),
            p50_ms: s.p50,
            p99_ms: s.p99,
        }
    }
}

/// Index of a failure class in `Outcome::FAILURES`.
pub fn class_index(o: Outcome) -> Option<usize> {
    Outcome::FAILURES.iter().position(|c| *c == o)
}

/// Splits the log into windows of `width_us` from 0 to `end_us` (every window present,
/// empty ones included, so charts show gaps as zeros).
pub fn windows(log: &RequestLog, width_us: i64, end_us: i64) -> Vec<Window> {
    let width_us = width_us.max(1);
    let n = ((end_us.max(0) + width_us - 1) / width_us) as usize;
    let mut out: Vec<Window> = (0..n)
        .map(|k| Window {
            start_us: k as i64 * width_us,
            ok: 0,
            failed_by_class: [0; 5],
            latency: new_histogram(),
        })
        .collect();
    for (intended, done, outcome, _) in log.iter() {
        if intended < 0 {
            continue;
        }
        let k = (intended / width_us) as usize;
        let Some(w) = out.get_mut(k) else { continue };
        match class_index(outcome) {
            None => {
                w.ok += 1;
                record(&mut w.latency, done - intended);
            }
            Some(c) => w.failed_by_class[c] += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_the_window_of_their_intended_time() {
        let mut log = RequestLog::default();
        log.push(0, 1_000, Outcome::Ok, 0);
        log.push(99_999, 150_000, Outcome::Ok, 0);
        log.push(100_000, 100_500, Outcome::Refused, 0);
        log.push(250_000, 260_000, Outcome::Timeout, 0);
        let w = windows(&log, 100_000, 300_000);
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].ok, w[0].failed()), (2, 0));
        // latency is measured from the intended time: 50 ms, not 0
        assert!(w[0].latency.max() >= 50_000);
        assert_eq!(w[1].failed_by_class, [1, 0, 0, 0, 0]);
        assert_eq!(w[2].failed_by_class, [0, 0, 1, 0, 0]);
    }
}
