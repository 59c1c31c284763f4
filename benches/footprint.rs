//! The memory and output of a long run, no Docker: feeds the recorder a 10-minute run at
//! 10 k req/s (6 000 000 requests, in the order they complete, latencies 0.5–5 ms with a
//! 1-in-500 tail of 200 ms), one replica killed at 300 s and refusing requests for 3 s,
//! then analyses it and renders every report file as `phoenix run` does. Prints the
//! process's peak resident memory (VmHWM) and the size of record.json and of the folder.
//!
//! `cargo bench --bench footprint` (a plain program: criterion measures time, not memory).
//! Settings: PHOENIX_FOOTPRINT_SECS (600), PHOENIX_FOOTPRINT_RATE (10000).

use phoenix_bench::load::{LiveCounters, Recorder};
use phoenix_bench::record::{
    FaultRecord, LifecycleEvent, LifecycleKind, Outcome, ProbeLog, ProbeOutcome, ProbeTransition, RunRecord,
    TrialRecord,
};
use phoenix_bench::report::{hlog, html, json, junit, markdown, Report};
use phoenix_bench::scenario::{plan::Plan, Action, FaultKind, Scenario};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FAULT_US: i64 = 300_000_000;
const OUTAGE_US: i64 = 3_000_000;

fn setting(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A line of /proc/self/status, in kB.
fn status_kb(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Feeds the recorder `rate × secs` requests in completion order.
fn feed(recorder: &Recorder, rate: i64, secs: i64) {
    let mut in_flight = BinaryHeap::new();
    for i in 0..rate * secs {
        let t = i * 1_000_000 / rate;
        let mut latency = 500 + (i * 7919) % 4_500 + if i % 500 == 0 { 200_000 } else { 0 };
        let mut outcome = Outcome::Ok;
        if (FAULT_US..FAULT_US + OUTAGE_US).contains(&t) {
            (outcome, latency) = (Outcome::Refused, 300);
        } else if t < FAULT_US && t + latency > FAULT_US {
            (outcome, latency) = (Outcome::Reset, FAULT_US - t);
        }
        recorder.sent();
        in_flight.push(Reverse((t + latency, t, outcome)));
        while in_flight.peek().is_some_and(|Reverse((done, ..))| *done <= t) {
            let Reverse((done, t, o)) = in_flight.pop().expect("peeked");
            recorder.done(t, t, done, o, 0);
        }
    }
    while let Some(Reverse((done, t, o))) = in_flight.pop() {
        recorder.done(t, t, done, o, 0);
    }
}

fn record(rate: i64, secs: i64, trial: TrialRecord) -> RunRecord {
    let text = format!(
        "name = \"footprint\"\n[app]\nimage = \"phoenix-demo:latest\"\nport = 8080\n\
         [load]\nrate = {rate}\nduration = \"{secs}s\"\n\
         [[fault]]\nat = \"300s\"\nkind = \"kill\"\nthen = \"restart\"\ntarget = \"app-0\"\n"
    );
    let scenario = Scenario::parse(Path::new("footprint.toml"), &text).expect("the footprint scenario is valid");
    let plan = Plan::new(&scenario, None);
    let mut r = RunRecord::new("footprint".into(), "2026-01-01T00:00:00Z".into(), scenario, plan);
    r.trials = vec![trial];
    r.complete = true;
    r
}

fn trial(requests: phoenix_bench::record::RequestLog) -> TrialRecord {
    let healthy = FAULT_US + OUTAGE_US + 20_000;
    let probe = |sent_us: i64, outcome| ProbeTransition {
        sent_us,
        done_us: sent_us + 200,
        outcome,
        prev_sent_us: None,
    };
    let ev = |at_us, kind| LifecycleEvent {
        at_us,
        replica: "app-0".into(),
        instance: "c0".into(),
        kind,
    };
    TrialRecord {
        requests,
        probes: vec![ProbeLog {
            replica: "app-0".into(),
            interval_us: 2_000,
            slow_interval_us: 1_000_000,
            transitions: vec![
                probe(-50_000, ProbeOutcome::Healthy),
                probe(FAULT_US + 2_000, ProbeOutcome::Refused),
                probe(healthy - 200, ProbeOutcome::Healthy),
            ],
            ..Default::default()
        }],
        faults: vec![FaultRecord {
            index: 0,
            kind: FaultKind::Kill,
            action: Action::Restart,
            target: "app-0".into(),
            planned_us: FAULT_US,
            issued_us: FAULT_US,
            fault_done_us: Some(FAULT_US + 20_000),
            action_issued_us: Some(FAULT_US + 20_000),
            action_done_us: Some(FAULT_US + 300_000),
            old_stopped_us: None,
            error: None,
            services: Vec::new(),
            verified_us: None,
            delay_us: 0,
            dependency: false,
        }],
        lifecycle: vec![
            ev(FAULT_US + 10_000, LifecycleKind::Exited),
            ev(FAULT_US + 2_500_000, LifecycleKind::Started),
        ],
        ..Default::default()
    }
}

fn main() {
    // `cargo bench` passes `--bench`; this program takes no arguments
    let (rate, secs) = (
        setting("PHOENIX_FOOTPRINT_RATE", 10_000),
        setting("PHOENIX_FOOTPRINT_SECS", 600),
    );
    let start = Instant::now();
    let recorder = Recorder::windowed(
        Arc::new(LiveCounters::default()),
        Duration::from_millis(100),
        Duration::from_secs(2),
    );
    feed(&recorder, rate, secs);
    let log = recorder.finish();
    let after_load = status_kb("VmHWM:");
    let (raw, windows, sent) = (log.raw_len(), log.windows.len(), log.sent());
    let report = Report::build(record(rate, secs, trial(log)));
    let dir = tempfile_dir();
    let mut total = 0u64;
    let mut record_bytes = 0u64;
    type Render = fn(&Report) -> Result<Vec<u8>, phoenix_bench::report::RenderError>;
    let files: [(&str, Render); 6] = [
        ("record.json", json::record),
        ("result.json", json::result),
        ("index.html", html::render),
        ("summary.md", markdown::render),
        ("junit.xml", junit::render),
        ("latency.hlog", hlog::render),
    ];
    for (name, render) in files {
        let bytes = render(&report).expect("the report renders");
        std::fs::write(dir.join(name), &bytes).expect("the temporary folder is writable");
        total += bytes.len() as u64;
        if name == "record.json" {
            record_bytes = bytes.len() as u64;
        }
    }
    // read the record back as `phoenix report` does
    let back: RunRecord =
        serde_json::from_slice(&std::fs::read(dir.join("record.json")).expect("written")).expect("it parses");
    let again = phoenix_bench::analysis::analyse(&back);
    assert_eq!(again, report.analysis, "record.json re-analyses to the same figures");
    let _ = std::fs::remove_dir_all(&dir);
    println!("footprint: {rate} req/s for {secs} s = {sent} requests");
    println!("  kept raw: {raw} entries; windows: {windows}");
    println!(
        "  peak RSS (VmHWM): {:.1} MiB after the load, {:.1} MiB after report and re-analysis",
        mib(after_load),
        mib(status_kb("VmHWM:"))
    );
    println!(
        "  record.json: {:.2} MB; all report files: {:.2} MB",
        record_bytes as f64 / 1e6,
        total as f64 / 1e6
    );
    println!(
        "  load p99 {:.2} ms, lost {}, in {:.1} s",
        report.analysis.load.latency_ms.p99,
        report.analysis.lost_requests,
        start.elapsed().as_secs_f64()
    );
}

/// A fresh folder under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("phoenix-footprint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary folder can be made");
    dir
}
