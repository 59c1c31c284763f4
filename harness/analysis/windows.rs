//! Fixed windows over a trial's request log, keyed by intended send time: counts by
//! outcome and a histogram of successful latencies per window, built one window at a time
//! (a dense histogram is tens of kB: a long run's thousands of windows are never all
//! expanded at once).

use super::stats::{new_histogram, record, LatencySummary};
use crate::record::{OkWindow, Outcome, RequestLog};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Number of failure classes.
pub(crate) const CLASSES: usize = Outcome::FAILURES.len();

/// One window of the load.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    /// Start, µs on the trial clock.
    pub(crate) start_us: i64,
    pub ok: u64,
    /// Failed requests by class, in `Outcome::FAILURES` order.
    pub failed_by_class: [u64; CLASSES],
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
    pub(crate) start_ms: f64,
    pub ok: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub(crate) p99_ms: f64,
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
pub(crate) fn class_index(o: Outcome) -> Option<usize> {
    Outcome::FAILURES.iter().position(|c| *c == o)
}

/// Calls `visit` on every window of `width_us` from 0 to `end_us`, in order (empty ones
/// included, so charts show gaps as zeros). Requests intended outside [0, end) are left out.
/// A window of the log goes to the window holding its midpoint (the same window when the
/// widths agree, as they do for a recorded run).
pub(crate) fn for_each_window(log: &RequestLog, width_us: i64, end_us: i64, mut visit: impl FnMut(&Window)) {
    let width_us = width_us.max(1);
    let n = (end_us.max(0) + width_us - 1) / width_us;
    let mut summarised: Vec<(i64, &OkWindow)> = log
        .windows
        .iter()
        .map(|w| (w.midpoint_us().div_euclid(width_us), w))
        .collect();
    summarised.sort_by_key(|(k, _)| *k);
    let mut next = summarised.partition_point(|(k, _)| *k < 0);
    let mut w = Window {
        start_us: 0,
        ok: 0,
        failed_by_class: [0; CLASSES],
        latency: new_histogram(),
    };
    for k in 0..n {
        w.start_us = k * width_us;
        w.ok = 0;
        w.failed_by_class = [0; CLASSES];
        w.latency.reset();
        for i in log.raw_between(w.start_us, w.start_us + width_us) {
            match class_index(log.outcome[i]) {
                None => {
                    w.ok += 1;
                    record(&mut w.latency, log.done_us[i] - log.intended_us[i]);
                }
                Some(c) => w.failed_by_class[c] += 1,
            }
        }
        while let Some((_, ok)) = summarised.get(next).filter(|(j, _)| *j == k) {
            w.ok += ok.count;
            add_decoded(&mut w.latency, ok);
            next += 1;
        }
        visit(&w);
    }
}

/// The windows as reported, for the charts.
pub fn window_stats(log: &RequestLog, width_us: i64, end_us: i64) -> Vec<WindowStats> {
    let mut out = Vec::new();
    for_each_window(log, width_us, end_us, |w| out.push(WindowStats::from(w)));
    out
}

fn add_decoded(h: &mut Histogram<u64>, w: &OkWindow) {
    h.add(w.latency.decode())
        .expect("an auto-resizing histogram takes any other");
}

/// Adds the latency of the successful requests intended in [from, to) to `h` and returns
/// how many there were: raw entries exactly, windows of the log by their midpoint (a window
/// far from any failure that straddles `from` or `to` goes whole to the side holding most
/// of its intended range).
pub(crate) fn add_ok_latency(log: &RequestLog, from: i64, to: i64, h: &mut Histogram<u64>) -> u64 {
    let mut n = 0;
    for i in log.raw_between(from, to) {
        if log.outcome[i].is_ok() {
            record(h, log.done_us[i] - log.intended_us[i]);
            n += 1;
        }
    }
    // windows are in index order, so their midpoints are too
    let lo = log.windows.partition_point(|w| w.midpoint_us() < from);
    let hi = log.windows.partition_point(|w| w.midpoint_us() < to).max(lo);
    for w in &log.windows[lo..hi] {
        add_decoded(h, w);
        n += w.count;
    }
    n
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
        let mut w = Vec::new();
        for_each_window(&log, 100_000, 300_000, |x| w.push(x.clone()));
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].ok, w[0].failed()), (2, 0));
        // latency is measured from the intended time: 50 ms, not 0
        assert!(w[0].latency.max() >= 50_000);
        assert_eq!(w[1].failed_by_class[0], 1);
        assert_eq!(w[1].failed(), 1);
        assert_eq!(w[2].failed_by_class[class_index(Outcome::Timeout).unwrap()], 1);
        assert_eq!(w[2].failed(), 1);
    }
}
