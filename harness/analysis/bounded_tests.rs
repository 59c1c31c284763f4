//! The bounded request log changes nothing the analysis reports: a record whose successful
//! requests far from failures are kept per window analyses exactly as the same record with
//! every request raw.

use super::tests::{record, trial};
use super::*;
use crate::record::{compact, Outcome, RunRecord};
use crate::report::fixture;
use std::time::Duration;

/// The record as the recorder would have built it, for a request timeout of `timeout`.
fn compacted(r: &RunRecord, timeout: Duration) -> RunRecord {
    let mut c = r.clone();
    for t in &mut c.trials {
        t.requests = compact(&t.requests, r.scenario.load.window, timeout);
    }
    c
}

/// Asserts that compaction kept few raw entries and changed no figure.
fn same_analysis(r: &RunRecord, timeout: Duration) {
    let c = compacted(r, timeout);
    let raw: usize = c.trials.iter().map(|t| t.requests.raw_len()).sum();
    let all: u64 = r.trials.iter().map(|t| t.requests.sent()).sum();
    assert!(
        (raw as u64) < all,
        "some successful requests are kept per window: {raw} raw of {all}"
    );
    for (a, b) in r.trials.iter().zip(&c.trials) {
        assert_eq!(a.requests.sent(), b.requests.sent());
    }
    assert_eq!(analyse(&c), analyse(r));
    // and the same once written and read back
    let back: RunRecord = serde_json::from_slice(&serde_json::to_vec(&c).unwrap()).unwrap();
    assert_eq!(back.trials[0].requests, c.trials[0].requests);
    assert_eq!(analyse(&back), analyse(r));
}

#[test]
fn the_fixture_analyses_the_same_when_compacted() {
    same_analysis(&fixture::record(), Duration::from_millis(100));
}

#[test]
fn hand_made_outages_analyse_the_same_when_compacted() {
    let shapes = [
        // refused for a second, healthy 10 ms later
        trial((3_000_000, 4_000_000), Outcome::Refused, (0, 0), 0, Some(4_010_000)),
        // never healthy again
        trial((3_000_000, 10_000_000), Outcome::Refused, (0, 0), 0, None),
        // slow, not failing, after recovery: steady comes late
        trial(
            (3_000_000, 3_500_000),
            Outcome::Reset,
            (3_500_000, 6_000_000),
            30_000,
            Some(3_510_000),
        ),
    ];
    for t in shapes {
        same_analysis(&record(vec![t]), Duration::from_millis(200));
    }
}

#[test]
fn far_from_any_failure_a_phase_boundary_moves_a_window_at_most() {
    // no request failed, and healthy falls inside a 100 ms window: the window's requests
    // go whole to the phase holding most of it; every other figure is exact
    let r = record(vec![trial((0, 0), Outcome::Ok, (0, 0), 0, Some(3_333_333))]);
    let (a, b) = (analyse(&r), analyse(&compacted(&r, Duration::from_millis(200))));
    assert_eq!((&a.load, &a.faults, &a.trials), (&b.load, &b.faults, &b.trials));
    let per_window = 20; // 200 req/s in 100 ms windows
    for (x, y) in a.phases.iter().zip(&b.phases) {
        let (n, m) = (x.latency_ms.count, y.latency_ms.count);
        assert!(n.abs_diff(m) <= per_window, "{:?}: {n} raw, {m} compacted", x.phase);
    }
    assert_ne!(
        a.phases, b.phases,
        "the boundary does move here: the test shows the bound"
    );
}

#[test]
fn a_damaged_histogram_in_a_record_is_an_error_not_a_panic() {
    let c = compacted(&fixture::record(), Duration::from_millis(100));
    // a run's windows are within every bound
    c.check().unwrap();
    let mut v = serde_json::to_value(&c).unwrap();
    let w = &mut v["trials"][0]["requests"]["windows"][0]["latency"];
    assert!(w.is_string(), "windows carry their histogram as base64: {w}");
    *w = serde_json::Value::String("AAAA".into());
    // parsed, it is refused by the check `phoenix report` runs before the analysis
    let r = serde_json::from_value::<RunRecord>(v).unwrap();
    let err = r.check().unwrap_err().to_string();
    assert!(
        err.contains("trials[0].requests.windows[0].latency") && err.contains("HdrHistogram"),
        "{err}"
    );
}
