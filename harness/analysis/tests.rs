//! Analysis on hand-made records: every figure is known in advance.

use super::*;
use crate::record::*;
use crate::scenario::{plan::Plan, Action, FaultKind, Scenario};
use std::path::Path;

const SCENARIO: &str = r#"
name = "hand-made"
[app]
image = "x:1"
port = 8080
[load]
rate = 200
duration = "10s"
[[fault]]
at = "3s"
kind = "kill"
target = "app-0"
"#;

pub(crate) fn scenario() -> Scenario {
    Scenario::parse(Path::new("hand-made.toml"), SCENARIO).unwrap()
}

/// 200 req/s for 10 s, 1 ms latency, except `fail` (intended-time range, µs) which fails
/// with `class`, and `slow` which takes `slow_us`.
pub(crate) fn trial(
    fail: (i64, i64),
    class: Outcome,
    slow: (i64, i64),
    slow_us: i64,
    healthy_at: Option<i64>,
) -> TrialRecord {
    let mut requests = RequestLog::default();
    for i in 0..2000 {
        let t = i * 5_000;
        let (outcome, lat) = if t >= fail.0 && t < fail.1 {
            (class, 100)
        } else if t >= slow.0 && t < slow.1 {
            (Outcome::Ok, slow_us)
        } else {
            (Outcome::Ok, 1_000)
        };
        requests.push(t, t + lat, outcome, 0);
    }
    let mut transitions = vec![ProbeTransition {
        sent_us: -100_000,
        done_us: -99_000,
        outcome: ProbeOutcome::Healthy,
        prev_sent_us: None,
    }];
    transitions.push(ProbeTransition {
        sent_us: 3_005_000,
        done_us: 3_006_000,
        outcome: ProbeOutcome::Refused,
        prev_sent_us: None,
    });
    transitions.push(ProbeTransition {
        sent_us: 3_600_000,
        done_us: 3_601_000,
        outcome: ProbeOutcome::NoAnswer,
        prev_sent_us: None,
    });
    if let Some(h) = healthy_at {
        transitions.push(ProbeTransition {
            sent_us: h - 1_000,
            done_us: h,
            outcome: ProbeOutcome::Healthy,
            prev_sent_us: Some(h - 3_000),
        });
    }
    let acted_us = healthy_at.map_or(3_200_000, |h| (h - 5_000).min(3_200_000));
    let ev = |at_us, kind| LifecycleEvent {
        at_us,
        replica: "app-0".into(),
        instance: "c1".into(),
        kind,
    };
    TrialRecord {
        index: 0,
        requests,
        probes: vec![ProbeLog {
            replica: "app-0".into(),
            interval_us: 10_000,
            slow_interval_us: 1_000_000,
            fast_sent: 0,
            fast_spans: Vec::new(),
            probing_us: [-1_000_000, 10_000_000],
            sent: 1000,
            transitions,
        }],
        faults: vec![FaultRecord {
            index: 0,
            kind: FaultKind::Kill,
            action: Action::Restart,
            target: "app-0".into(),
            planned_us: 3_000_000,
            issued_us: 3_000_000,
            // the restart is issued at 3.2 s, or just before a faster recovery: a replica
            // can only recover once its restart was issued
            fault_done_us: Some(acted_us),
            action_issued_us: Some(acted_us),
            action_done_us: Some(3_500_000.min(acted_us.max(healthy_at.unwrap_or(0) - 2_000))),
            old_stopped_us: None,
            error: None,
            services: Vec::new(),
            verified_us: None,
            delay_us: 0,
            dependency: false,
        }],
        lifecycle: vec![
            ev(3_100_000, LifecycleKind::Exited),
            ev(3_450_000, LifecycleKind::Started),
        ],
        ..Default::default()
    }
}

pub(crate) fn record(trials: Vec<TrialRecord>) -> RunRecord {
    let s = scenario();
    let plan = Plan::new(&s, None);
    let mut r = RunRecord::new("run".into(), "2026-01-01T00:00:00Z".into(), s, plan);
    r.trials = trials;
    r.complete = true;
    r
}

#[test]
fn kill_then_restart_reports_time_to_healthy_and_lost_requests() {
    let t = trial((3_000_000, 4_000_000), Outcome::Refused, (0, 0), 0, Some(4_010_000));
    let a = analyse(&record(vec![t]));
    assert_eq!(a.faults.len(), 1);
    let f = &a.faults[0];
    assert_eq!(f.time_to_healthy_ms, Some(1010.0));
    // the probe before the healthy one was sent 3 ms before that answer
    assert_eq!(f.time_to_healthy_resolution_ms, Some(3.0));
    // 200 requests intended in [3 s, 4 s) were refused
    assert_eq!(f.lost.total, 200);
    assert_eq!(f.lost.refused, 200);
    assert_eq!(a.lost_requests, 200);
    // first success: the request intended at 4.000 s completes at 4.001 s
    assert_eq!(f.time_to_first_success_ms, Some(1001.0));
    // steady: first 100 ms grid point at or after healthy (4.1 s) with a clean 1 s window
    assert_eq!(f.time_to_steady_ms, Some(1100.0));
    assert_eq!(a.load.sent, 2000);
    assert_eq!(a.load.failed, 200);
    assert_eq!(a.load.failed_by_class.refused, 200);
    // through an HdrHistogram with 3 significant digits: within 0.1 %
    assert!((a.time_to_healthy_ms.p50.unwrap() - 1010.0).abs() <= 1.1);
}

#[test]
fn breakdown_orders_exit_restart_running_accepting_healthy() {
    let t = trial((3_000_000, 4_000_000), Outcome::Reset, (0, 0), 0, Some(4_010_000));
    let a = analyse(&record(vec![t]));
    let b = &a.faults[0].breakdown;
    assert_eq!(b.exit, Some(100.0));
    assert_eq!(b.restart_issued, Some(200.0));
    assert_eq!(b.running, Some(450.0));
    assert_eq!(b.accepting, Some(1010.0));
    assert_eq!(b.healthy, Some(1010.0));
}

#[test]
fn requests_in_flight_at_the_fault_count_as_lost() {
    let mut t = trial((3_000_000, 4_000_000), Outcome::Refused, (0, 0), 0, Some(4_010_000));
    // a slow request sent before the fault, reset by it
    t.requests.push(2_990_000, 3_050_000, Outcome::Reset, 0);
    t.requests.sort();
    let a = analyse(&record(vec![t]));
    assert_eq!(a.faults[0].lost.in_flight, 1);
    assert_eq!(a.faults[0].lost.reset, 1);
    assert_eq!(a.faults[0].lost.total, 201);
    // first success counts from the fault, never before it
    assert_eq!(a.faults[0].time_to_first_success_ms, Some(1001.0));
}

#[test]
fn slow_requests_after_healthy_delay_time_to_steady() {
    // healthy at 4.01 s but 50 ms latencies until 5.5 s: steady only from 5.5 s
    let t = trial(
        (3_000_000, 4_000_000),
        Outcome::Refused,
        (4_000_000, 5_500_000),
        50_000,
        Some(4_010_000),
    );
    let a = analyse(&record(vec![t]));
    assert_eq!(a.faults[0].time_to_steady_ms, Some(2500.0));
    // and the recovery phase holds the slow requests
    assert!(a.phase(Phase::Recovery).p99 >= 49.0);
    assert!(a.phase(Phase::Steady).p99 < 2.0);
    assert!(a.phase(Phase::Baseline).p99 < 2.0);
}

#[test]
fn a_replica_that_never_returns_has_no_time_to_healthy() {
    let t = trial((3_000_000, 10_000_000), Outcome::Refused, (0, 0), 0, None);
    let a = analyse(&record(vec![t]));
    let f = &a.faults[0];
    assert_eq!(f.time_to_healthy_ms, None);
    assert_eq!(f.time_to_healthy_resolution_ms, None);
    assert_eq!(f.time_to_steady_ms, None);
    assert_eq!(f.time_to_first_success_ms, None);
    assert_eq!(f.lost.total, 1400);
    assert!(f.notes.iter().any(|n| n.contains("did not become healthy")));
    assert_eq!(a.time_to_healthy_ms.count, 0);
}

#[test]
fn windows_show_the_outage() {
    let t = trial((3_000_000, 4_000_000), Outcome::Refused, (0, 0), 0, Some(4_010_000));
    let a = analyse(&record(vec![t]));
    let w = &a.trials[0].windows;
    assert_eq!(w.len(), 100);
    assert_eq!((w[29].ok, w[29].failed), (20, 0));
    assert_eq!((w[30].ok, w[30].failed), (0, 20));
    assert_eq!((w[40].ok, w[40].failed), (20, 0));
}

#[test]
fn overlapping_faults_never_count_a_failed_request_twice() {
    let mut t = trial((3_000_000, 4_000_000), Outcome::Refused, (0, 0), 0, Some(4_010_000));
    // a second fault on the same replica before the first one was steady
    let mut second = t.faults[0].clone();
    second.index = 1;
    second.issued_us = 3_500_000;
    second.planned_us = 3_500_000;
    t.faults.push(second);
    let a = analyse(&record(vec![t]));
    assert_eq!(a.load.failed, 200);
    let per_fault: Vec<u64> = a.faults.iter().map(|f| f.lost.total).collect();
    assert_eq!(per_fault, [100, 100]);
    assert_eq!(a.lost_requests, 200, "the total may not exceed the failed requests");
}

#[test]
fn requests_in_the_disruption_window_are_counted_whatever_their_outcome() {
    // 200 req/s; healthy 1.01 s after the fault: 202 requests intended in [3 s, 4.01 s)
    let t = trial((3_000_000, 4_000_000), Outcome::Refused, (0, 0), 0, Some(4_010_000));
    let a = analyse(&record(vec![t]));
    assert_eq!(a.faults[0].recovery, RecoveryStatus::Recovered);
    assert_eq!(a.faults[0].requests_in_disruption, 202);
    // never healthy again: the window runs to the end of the load (3 s to 10 s)
    let t = trial((3_000_000, 10_000_000), Outcome::Refused, (0, 0), 0, None);
    let a = analyse(&record(vec![t]));
    assert_eq!(a.faults[0].recovery, RecoveryStatus::NotRecovered);
    assert_eq!(a.faults[0].requests_in_disruption, 1400);
}

fn probe(sent_us: i64, done_us: i64, outcome: ProbeOutcome) -> ProbeTransition {
    ProbeTransition {
        sent_us,
        done_us,
        outcome,
        prev_sent_us: None,
    }
}

#[test]
fn a_healthy_answer_before_the_restart_was_issued_is_the_old_instance_not_a_recovery() {
    // a loaded host: a probe times out right after the kill is issued, the next one is
    // still answered by the instance being killed; the restart is issued at 3.2 s
    let mut t = trial((0, 0), Outcome::Ok, (0, 0), 0, None);
    t.probes[0].transitions = vec![
        probe(-100_000, -99_000, ProbeOutcome::Healthy),
        probe(3_000_100, 3_050_100, ProbeOutcome::Timeout),
        probe(3_100_000, 3_101_000, ProbeOutcome::Healthy),
        probe(3_150_000, 3_150_500, ProbeOutcome::Refused),
        probe(4_499_000, 4_500_000, ProbeOutcome::Healthy),
    ];
    let a = analyse(&record(vec![t]));
    assert_eq!(a.faults[0].time_to_healthy_ms, Some(1500.0));
}

#[test]
fn a_stray_timeout_before_the_fault_is_not_an_outage_and_no_recovery() {
    // the last slow probe before the fault timed out; the first fast probe after it is
    // still healthy (the kill has not taken effect); the outage and recovery come after
    let mut t = trial((0, 0), Outcome::Ok, (0, 0), 0, Some(4_800_000));
    t.probes[0].transitions = vec![
        probe(-100_000, -99_000, ProbeOutcome::Healthy),
        probe(2_500_000, 2_550_000, ProbeOutcome::Timeout),
        probe(3_000_010, 3_001_000, ProbeOutcome::Healthy),
        probe(3_005_000, 3_006_000, ProbeOutcome::Refused),
        probe(4_799_000, 4_800_000, ProbeOutcome::Healthy),
    ];
    assert_eq!(
        recovery::healthy_at(&t, "app-0", 3_000_000, 3_000_000),
        recovery::Healthy::At(4_800_000)
    );
    // an outcome already unhealthy before the fault, seen again by the first fast probe
    t.probes[0].transitions = vec![
        probe(2_500_000, 2_550_000, ProbeOutcome::Timeout),
        probe(3_000_010, 3_050_000, ProbeOutcome::Timeout),
        probe(4_799_000, 4_800_000, ProbeOutcome::Healthy),
    ];
    assert_eq!(
        recovery::healthy_at(&t, "app-0", 3_000_000, 3_000_000),
        recovery::Healthy::At(4_800_000)
    );
}

#[test]
fn a_platform_update_recovers_only_after_the_old_instance_stopped() {
    // swarm's update: the new task is scheduled at once (3.01 s) but the old instance
    // answers until it stops at 5 s; a timeout blip at 3.1 s then its healthy answer at
    // 3.2 s are the old instance, not a recovery; the new one is healthy at 6 s
    let mut t = trial((0, 0), Outcome::Ok, (0, 0), 0, Some(6_000_000));
    t.probes[0].transitions = vec![
        probe(-100_000, -99_000, ProbeOutcome::Healthy),
        probe(3_100_000, 3_150_000, ProbeOutcome::Timeout),
        probe(3_200_000, 3_201_000, ProbeOutcome::Healthy),
        probe(5_001_000, 5_002_000, ProbeOutcome::Refused),
        probe(5_999_000, 6_000_000, ProbeOutcome::Healthy),
    ];
    t.faults[0].kind = FaultKind::Stop;
    t.faults[0].action = Action::Replace;
    t.faults[0].action_issued_us = Some(3_010_000);
    t.lifecycle = vec![
        LifecycleEvent {
            at_us: 5_000_000,
            replica: "app-0".into(),
            instance: "old".into(),
            kind: LifecycleKind::Exited,
        },
        LifecycleEvent {
            at_us: 5_500_000,
            replica: "app-0".into(),
            instance: "new".into(),
            kind: LifecycleKind::Started,
        },
    ];
    let without = analyse(&record(vec![t.clone()]));
    assert_eq!(
        without.faults[0].time_to_healthy_ms,
        Some(201.0),
        "without the old instance's stop, its answer passes for a recovery"
    );
    t.faults[0].old_stopped_us = Some(5_000_000);
    let a = analyse(&record(vec![t]));
    let f = &a.faults[0];
    assert_eq!(f.time_to_healthy_ms, Some(3000.0));
    let b = &f.breakdown;
    assert_eq!(
        (b.restart_issued, b.exit, b.running, b.accepting, b.healthy),
        (Some(10.0), Some(2000.0), Some(2500.0), Some(3000.0), Some(3000.0))
    );
}

#[test]
fn a_probe_a_paused_replica_held_recovers_it_when_answered_after_the_unpause() {
    // paused at 3 s, unpaused at 3.5 s: the probe sent at 3.46 s waited in the backlog and
    // was answered at 3.505 s, after the unpause; no later probe changed the outcome, so
    // the log holds nothing after it (found by the fake backend, execute/run_tests.rs)
    let mut t = trial((0, 0), Outcome::Ok, (0, 0), 0, Some(3_505_000));
    t.probes[0].transitions = vec![
        probe(-100_000, -99_000, ProbeOutcome::Healthy),
        probe(3_000_300, 3_050_300, ProbeOutcome::Timeout),
        probe(3_460_000, 3_505_000, ProbeOutcome::Healthy),
    ];
    assert_eq!(
        recovery::healthy_at(&t, "app-0", 3_000_000, 3_500_000),
        recovery::Healthy::At(3_505_000)
    );
    // answered before the unpause was issued, it is not a recovery
    assert_eq!(
        recovery::healthy_at(&t, "app-0", 3_000_000, 3_506_000),
        recovery::Healthy::Never
    );
}
