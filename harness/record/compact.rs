//! Builds a trial's [`RequestLog`] as requests complete, in bounded memory: failed requests
//! are kept raw, successful ones wait in a short buffer until no failure can still appear
//! near them, then go raw (near a failure) or into their window's histogram (elsewhere).
//!
//! "Near" is within [`Compactor::near_us`] (the request timeout + 1 s) of a failed request's
//! intended send time: that covers every request in flight when a fault strikes and every
//! request between a fault's first failure and the first success after it, so time to first
//! success, lost and in-flight requests, and any boundary drawn there stay exact. A success
//! is decided once every request intended up to `near_us` after it must have completed:
//! `near_us + settle_us` after its window ends. Memory is therefore the raw entries, one
//! encoded histogram per window, and the successes of the last `near_us + settle_us + window`.

use super::requests::{EncodedHistogram, OkWindow, RequestLog};
use super::Outcome;
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Beyond the request timeout, how far from a failure successful requests stay raw.
pub(crate) const NEAR_MARGIN: Duration = Duration::from_secs(1);
/// Beyond the request timeout, how late a request may complete after its intended time
/// (its send may slip behind the schedule, and the load waits timeout + 1 s for stragglers).
pub(crate) const SETTLE_MARGIN: Duration = Duration::from_secs(2);

/// A latency histogram in microseconds, 3 significant digits, that grows as needed.
pub fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new(3).expect("3 significant digits is a valid precision");
    h.auto(true);
    h
}

/// Records a latency, clamping values below 1 µs to 1 µs.
pub fn record_latency(h: &mut Histogram<u64>, latency_us: i64) {
    // auto-resize makes recording infallible for any positive value
    let _ = h.record(latency_us.max(1) as u64);
}

/// A successful request waiting for its window to close: (intended, done, replica).
type Pending = (i64, i64, u16);

/// The streaming builder of a bounded request log.
#[derive(Debug)]
pub struct Compactor {
    window_us: i64,
    near_us: i64,
    settle_us: i64,
    /// Raw entries so far (unsorted) and the closed windows (in index order).
    log: RequestLog,
    /// Successes of windows not yet closed, by window index.
    pending: BTreeMap<i64, Vec<Pending>>,
    /// Intended times of failures that may still be near a pending success.
    failures: BTreeSet<i64>,
    /// Windows below this index are closed: a success arriving for one is kept raw.
    closed_below: i64,
    /// Latest completion seen, µs: the clock the buffer is aged by.
    now_us: i64,
    /// One dense histogram, reused for every window as it closes.
    scratch: Histogram<u64>,
}

impl Default for Compactor {
    /// The scenario defaults: 100 ms windows, 2 s request timeout.
    fn default() -> Self {
        Compactor::new(Duration::from_millis(100), Duration::from_secs(2))
    }
}

impl Compactor {
    /// Windows of `window` by intended time, for requests that time out after `timeout`.
    pub fn new(window: Duration, timeout: Duration) -> Compactor {
        let us = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 4);
        let log = RequestLog {
            window_us: us(window).max(1),
            ..Default::default()
        };
        Compactor {
            window_us: log.window_us,
            near_us: us(timeout + NEAR_MARGIN),
            settle_us: us(timeout + SETTLE_MARGIN),
            log,
            pending: BTreeMap::new(),
            failures: BTreeSet::new(),
            closed_below: i64::MIN,
            now_us: i64::MIN,
            scratch: new_histogram(),
        }
    }

    /// How far from a failure's intended time successful requests are kept raw, µs.
    #[cfg(test)]
    pub(crate) fn near_us(&self) -> i64 {
        self.near_us
    }

    /// Successful requests waiting for their window to close.
    #[cfg(test)]
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.values().map(Vec::len).sum()
    }

    /// Takes one completed request.
    pub fn push(&mut self, intended_us: i64, done_us: i64, outcome: Outcome, replica: u16) {
        self.now_us = self.now_us.max(done_us);
        let k = intended_us.div_euclid(self.window_us);
        if !outcome.is_ok() {
            self.log.push(intended_us, done_us, outcome, replica);
            self.failures.insert(intended_us);
        } else if k < self.closed_below {
            // later than a request can be: its window is closed, raw is still exact
            self.log.push(intended_us, done_us, outcome, replica);
        } else {
            self.pending.entry(k).or_default().push((intended_us, done_us, replica));
        }
        let horizon = self.now_us.saturating_sub(self.near_us.saturating_add(self.settle_us));
        self.close_below(horizon.div_euclid(self.window_us));
    }

    /// Closes every window and returns the log, sorted; the compactor is left empty.
    pub(crate) fn take_log(&mut self) -> RequestLog {
        self.close_below(i64::MAX);
        let mut log = std::mem::take(&mut self.log);
        log.window_us = self.window_us;
        log.sort();
        self.log.window_us = self.window_us;
        self.failures.clear();
        self.closed_below = i64::MIN;
        self.now_us = i64::MIN;
        log
    }

    /// Closes the windows with an index below `limit`.
    fn close_below(&mut self, limit: i64) {
        if limit <= self.closed_below {
            return;
        }
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() >= limit {
                break;
            }
            let (k, successes) = entry.remove_entry();
            self.close(k, successes);
        }
        self.closed_below = limit;
        // a failure this far before the first open window can no longer be near a success
        let keep_from = limit.saturating_mul(self.window_us).saturating_sub(self.near_us);
        self.failures = self.failures.split_off(&keep_from);
    }

    fn close(&mut self, k: i64, successes: Vec<Pending>) {
        let start = k * self.window_us;
        let end = start + self.window_us;
        let near = self.near_us;
        let any_near = self.failures.range(start - near..end + near).next().is_some();
        self.scratch.reset();
        let (mut count, mut first, mut last, mut first_done) = (0u64, i64::MAX, i64::MIN, i64::MAX);
        for (intended, done, replica) in successes {
            if any_near && self.failures.range(intended - near..=intended + near).next().is_some() {
                self.log.push(intended, done, Outcome::Ok, replica);
                continue;
            }
            record_latency(&mut self.scratch, done - intended);
            count += 1;
            first = first.min(intended);
            last = last.max(intended);
            first_done = first_done.min(done);
        }
        if count > 0 {
            self.log.windows.push(OkWindow {
                index: k,
                count,
                first_intended_us: first,
                last_intended_us: last,
                first_done_us: first_done,
                latency: EncodedHistogram::encode(&self.scratch),
            });
        }
    }
}

/// Compacts a log whose entries are all raw (a hand-made or version 1 log), as the recorder
/// would have built it.
pub fn compact(log: &RequestLog, window: Duration, timeout: Duration) -> RequestLog {
    let mut c = Compactor::new(window, timeout);
    for (intended, done, outcome, replica) in log.raw() {
        c.push(intended, done, outcome, replica);
    }
    let mut out = c.take_log();
    // windows already in the log stay as they are
    out.windows.extend(log.windows.iter().cloned());
    out.windows.sort_by_key(|w| w.index);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// `rate` req/s for `secs`, latencies 0.5–5 ms with a 1-in-500 tail of 200 ms; refused
    /// (0.3 ms) while intended in `outage`, and in flight at its start reset. Completions
    /// are fed in the order they finish; returns the largest pending buffer seen.
    fn feed(c: &mut Compactor, rate: i64, secs: i64, outage: (i64, i64)) -> usize {
        let mut heap = BinaryHeap::new();
        let mut most_pending = 0;
        for i in 0..rate * secs {
            let t = i * 1_000_000 / rate;
            let mut lat = 500 + (i * 7919) % 4_500 + if i % 500 == 0 { 200_000 } else { 0 };
            let mut outcome = Outcome::Ok;
            if (outage.0..outage.1).contains(&t) {
                (outcome, lat) = (Outcome::Refused, 300);
            } else if t < outage.0 && t + lat > outage.0 {
                (outcome, lat) = (Outcome::Reset, outage.0 - t);
            }
            heap.push(Reverse((t + lat, t, outcome, (i % 3) as u16)));
            while heap.peek().is_some_and(|Reverse((d, ..))| *d <= t) {
                let Reverse((d, t, o, r)) = heap.pop().unwrap();
                c.push(t, d, o, r);
            }
            most_pending = most_pending.max(c.pending_len());
        }
        while let Some(Reverse((d, t, o, r))) = heap.pop() {
            c.push(t, d, o, r);
        }
        most_pending
    }

    #[test]
    fn every_request_is_kept_once_and_successes_stay_raw_only_near_failures() {
        let mut c = Compactor::new(Duration::from_millis(100), Duration::from_millis(500));
        let near = c.near_us();
        feed(&mut c, 1_000, 20, (8_000_000, 9_000_000));
        let log = c.take_log();
        assert_eq!(log.sent(), 20_000);
        let failed: Vec<i64> = log.raw().filter(|r| !r.2.is_ok()).map(|r| r.0).collect();
        // the outage's refusals and the few requests in flight at its start
        assert!((1_001..=1_010).contains(&failed.len()), "{}", failed.len());
        for (t, ..) in log.raw().filter(|r| r.2.is_ok()) {
            assert!(
                failed.iter().any(|f| (t - f).abs() <= near),
                "raw success at {t} is near no failure"
            );
        }
        // every success near a failure is raw: ±1.5 s around [8 s, 9 s) at 1 k/s
        let raw_ok = log.raw().filter(|r| r.2.is_ok()).count();
        assert!((2_990..=3_002).contains(&raw_ok), "{raw_ok}");
        assert!(log.intended_us.windows(2).all(|w| w[0] <= w[1]), "raw entries sorted");
        assert!(
            log.windows.windows(2).all(|w| w[0].index < w[1].index),
            "windows in order"
        );
        let windowed: u64 = log.windows.iter().map(|w| w.count).sum();
        assert_eq!(windowed + log.raw_len() as u64, 20_000);
        let h = log.windows[0].latency.decode();
        assert_eq!(h.len(), log.windows[0].count);
    }

    #[test]
    fn a_long_run_keeps_a_bounded_buffer_and_a_small_log() {
        // 40 s at 10 k/s with the default 2 s timeout and 3 s of outage
        let mut c = Compactor::new(Duration::from_millis(100), Duration::from_secs(2));
        let most_pending = feed(&mut c, 10_000, 40, (20_000_000, 23_000_000));
        let log = c.take_log();
        assert_eq!(log.sent(), 400_000);
        // successes wait near + settle + a window: 3 s + 4 s + 0.1 s (+ completions in flight)
        assert!(most_pending <= 72_000, "{most_pending} successes pending at once");
        // raw: the outage (and the 200 ms tail in flight at its start) and 3 s either side
        assert!(log.raw_len() <= 92_100, "{} raw entries", log.raw_len());
        assert!(log.windows.len() <= 400);
        let per_window = serde_json::to_vec(&log.windows).unwrap().len() / log.windows.len();
        assert!(per_window < 1_000, "{per_window} bytes per window in JSON");
        let bytes = serde_json::to_vec(&log).unwrap().len();
        assert!(bytes < 3_000_000, "{bytes} bytes of JSON for 400 k requests");
    }

    #[test]
    fn a_success_completing_after_its_window_closed_is_kept_raw() {
        let mut c = Compactor::new(Duration::from_millis(100), Duration::from_millis(100));
        c.push(0, 1_000, Outcome::Ok, 0);
        c.push(10_000_000, 10_001_000, Outcome::Ok, 0); // closes window 0
        c.push(50_000, 10_002_000, Outcome::Ok, 0); // window 0 again, too late
        let log = c.take_log();
        assert_eq!(log.sent(), 3);
        assert_eq!(log.intended_us, [50_000]);
        assert_eq!(log.windows.iter().map(|w| w.index).collect::<Vec<_>>(), [0, 100]);
    }
}
