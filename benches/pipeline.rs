//! The harness's own hot code on a recorded run, no Docker: windowed histograms from a
//! request log, the analysis of a run, the certification and the HTML report. A synthetic
//! record stands in for a recorded one: 200 req/s for 60 s, one replica, killed at 15 s
//! (restart) and 40 s (replace), refusing requests for a second after each fault.
//!
//! `cargo bench --bench pipeline`; criterion keeps its results under target/criterion.

use criterion::{criterion_group, criterion_main, Criterion};
use phoenix_bench::analysis::{self, windows};
use phoenix_bench::certify::{certify, Verdicts};
use phoenix_bench::record::{
    FaultRecord, LifecycleEvent, LifecycleKind, Outcome, ProbeLog, ProbeOutcome, ProbeTransition, RequestLog,
    RunRecord, TrialRecord,
};
use phoenix_bench::report::{html, Report};
use phoenix_bench::scenario::{plan::Plan, Action, FaultKind, Scenario};
use std::hint::black_box;
use std::path::Path;

const SCENARIO: &str = r#"
name = "synthetic"
description = "A recorded-looking run for the pipeline benches."
[app]
image = "phoenix-demo:latest"
port = 8080
[load]
rate = 200
duration = "60s"
[[fault]]
at = "15s"
kind = "kill"
then = "restart"
target = "app-0"
[[fault]]
at = "40s"
kind = "kill"
then = "replace"
target = "app-0"
[certify]
time_to_healthy_target = "2s"
"#;

const RATE_PER_S: i64 = 200;
const DURATION_US: i64 = 60_000_000;
/// (fault instant, back to healthy), µs.
const OUTAGES: [(i64, i64); 2] = [(15_000_000, 16_050_000), (40_000_000, 41_200_000)];

/// A deterministic latency between 0.8 and 3.8 ms, with a slow tail every 97th request.
fn latency_us(i: i64) -> i64 {
    let base = 800 + (i * 7919) % 3000;
    if i % 97 == 0 {
        base * 12
    } else {
        base
    }
}

fn trial(index: u32) -> TrialRecord {
    let step = 1_000_000 / RATE_PER_S;
    let mut requests = RequestLog::default();
    for i in 0..DURATION_US / step {
        let t = i * step;
        match OUTAGES.iter().find(|(f, h)| t >= *f && t < *h) {
            Some(_) => requests.push(t, t + 150, Outcome::Refused, 0),
            None => requests.push(t, t + latency_us(i), Outcome::Ok, 0),
        }
    }
    let mut transitions = vec![ProbeTransition {
        sent_us: -50_000,
        done_us: -49_000,
        outcome: ProbeOutcome::Healthy,
        prev_sent_us: None,
    }];
    let mut faults = Vec::new();
    let mut lifecycle = Vec::new();
    for (k, &(at, healthy)) in OUTAGES.iter().enumerate() {
        transitions.push(ProbeTransition {
            sent_us: at + 5_000,
            done_us: at + 5_200,
            outcome: ProbeOutcome::Refused,
            prev_sent_us: None,
        });
        transitions.push(ProbeTransition {
            sent_us: healthy - 1_000,
            done_us: healthy,
            outcome: ProbeOutcome::Healthy,
            prev_sent_us: None,
        });
        faults.push(FaultRecord {
            index: k,
            kind: FaultKind::Kill,
            action: if k == 0 { Action::Restart } else { Action::Replace },
            target: "app-0".into(),
            planned_us: at,
            issued_us: at,
            fault_done_us: Some(at + 20_000),
            action_issued_us: Some(at + 20_000),
            action_done_us: Some(at + 300_000),
            old_stopped_us: None,
            error: None,
            services: Vec::new(),
            verified_us: None,
            delay_us: 0,
            dependency: false,
        });
        let ev = |at_us, kind| LifecycleEvent {
            at_us,
            replica: "app-0".into(),
            instance: format!("c{k}"),
            kind,
        };
        lifecycle.push(ev(at + 10_000, LifecycleKind::Exited));
        lifecycle.push(ev(at + 280_000, LifecycleKind::Started));
    }
    TrialRecord {
        index,
        requests,
        probes: vec![ProbeLog {
            replica: "app-0".into(),
            interval_us: 10_000,
            slow_interval_us: 1_000_000,
            fast_sent: 0,
            fast_spans: Vec::new(),
            probing_us: [0, DURATION_US],
            sent: (DURATION_US / 10_000) as u64,
            transitions,
        }],
        faults,
        lifecycle,
        ..Default::default()
    }
}

fn record() -> RunRecord {
    let scenario = Scenario::parse(Path::new("synthetic.toml"), SCENARIO).expect("the bench scenario is valid");
    let plan = Plan::new(&scenario, None);
    let mut r = RunRecord::new("bench".into(), "2026-01-01T00:00:00Z".into(), scenario, plan);
    r.trials = vec![trial(0)];
    r.complete = true;
    r
}

fn pipeline(c: &mut Criterion) {
    let record = record();
    let requests = &record.trials[0].requests;
    let window_us = record.scenario.load.window.as_micros() as i64;
    let analysis = analysis::analyse(&record);
    assert_eq!(analysis.faults.len(), 2, "the synthetic record has two faults");
    let verdicts = Verdicts::default();
    let report = Report::build(record.clone());

    let mut g = c.benchmark_group("pipeline");
    g.bench_function("windows", |b| {
        b.iter(|| windows::window_stats(black_box(requests), window_us, DURATION_US))
    });
    g.bench_function("analyse", |b| b.iter(|| analysis::analyse(black_box(&record))));
    g.bench_function("certify", |b| {
        b.iter(|| certify(black_box(&analysis), &record.scenario, &verdicts))
    });
    g.bench_function("render_html", |b| {
        b.iter(|| html::render(black_box(&report)).expect("the report renders"))
    });
    g.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
