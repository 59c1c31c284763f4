//! A hand-made run record for the renderers' tests (unit, snapshot and escaping tests):
//! two trials of a two-replica app, a kill-and-replace and a stop-and-restart fault per
//! trial, a state check that lost one journey. Every value is fixed, so what is rendered
//! from it is deterministic. Not part of the supported API.

use super::fixture_parts::{floor, fs_reads, memory, quiet_host};
use crate::record::*;
use crate::scenario::{plan::Plan, Action, FaultKind, Scenario};
use std::path::Path;

/// The scenario of the fixture; `{name}` and `{check}` are substituted.
const SCENARIO: &str = r#"name = "fixture"
description = "A hand-made run: two replicas, each faulted under load."
require = "resilient"

[app]
image = "phoenix-demo:latest"
port = 8080
replicas = 2

[load]
rate = 100
duration = "8s"

[[fault]]
at = "2s"
kind = "kill"
then = "replace"
target = "app-0"

[[fault]]
at = "5s"
kind = "stop"
then = "restart"
target = "app-1"

[[check]]
name = "sessions"
journeys = 10
setup = [{ method = "POST", path = "/login", form = { user = "u{{n}}" }, capture = { sid = { cookie = "sid" } } }]
verify = [{ method = "GET", path = "/me", headers = { cookie = "sid={{sid}}" }, body_contains = "u{{n}}" }]

[certify]
time_to_healthy_target = "2s"

[audit]
read_only_trial = true
"#;

/// The strings of the record that come from the scenario or the app.
#[derive(Debug, Clone)]
pub struct Names {
    pub scenario: String,
    pub check: String,
    /// The two replicas (fault targets, probe and lifecycle names).
    pub replicas: [String; 2],
    /// A response body excerpt of a failed verification.
    pub excerpt: String,
    /// An error message from a trial and from a fault.
    pub error: Option<String>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            scenario: "fixture".into(),
            check: "sessions".into(),
            replicas: ["app-0".into(), "app-1".into()],
            excerpt: "unknown session".into(),
            error: None,
        }
    }
}

impl Names {
    /// Every name holds `payload` (for escaping tests).
    pub fn hostile(payload: &str) -> Names {
        Names {
            scenario: format!("scn {payload}"),
            check: format!("chk {payload}"),
            replicas: [format!("app-0 {payload}"), format!("app-1 {payload}")],
            excerpt: format!("body {payload}"),
            error: Some(format!("error {payload}")),
        }
    }
}

/// The fixture with ordinary names.
pub fn record() -> RunRecord {
    record_with(&Names::default())
}

/// Start of the first trial on the wall clock: 2026-01-01T12:00:00Z, µs.
pub(crate) const ORIGIN_UNIX_US: i64 = 1_767_268_800_000_000;

/// The fixture with the given names.
pub fn record_with(names: &Names) -> RunRecord {
    // the fixture's own text is valid: a failure here is a bug in this file
    let mut scenario =
        Scenario::parse(Path::new("scenarios/fixture.toml"), SCENARIO).expect("fixture scenario is valid");
    scenario.name = names.scenario.clone();
    scenario.text = format!("# {}\n{SCENARIO}", names.scenario);
    scenario.app.replicas = names.replicas.to_vec();
    for (f, r) in scenario.faults.iter_mut().zip(names.replicas.iter()) {
        f.target = r.clone();
    }
    if let Some(c) = scenario.checks.first_mut() {
        c.name = names.check.clone();
    }
    // two trials, as `--trials 2` would run them
    let plan = Plan::new(&scenario, Some(2));
    let mut record = RunRecord::new(
        "20260101-120000-4242-fixture".into(),
        "2026-01-01T12:00:00Z".into(),
        scenario,
        plan,
    );
    record.environment = Environment {
        phoenix_version: "0.1.0".into(),
        backend: "docker".into(),
        engine_version: "20.10.24".into(),
        host: "ci-host".into(),
        images: vec![(
            "phoenix-demo:latest".into(),
            "sha256:2bcf3674dafc0000000000000000000000000000000000000000000000000000".into(),
        )],
    };
    record.trials = (0..2).map(|t| trial(t, names)).collect();
    record.floor = Some(floor());
    record.complete = true;
    record
}

/// One fault of a trial: where, when, how long until healthy.
struct Shape {
    replica: u16,
    kind: FaultKind,
    action: Action,
    at_us: i64,
    tth_us: i64,
    class: Outcome,
}

fn trial(t: u32, names: &Names) -> TrialRecord {
    let ti = i64::from(t);
    let shapes = [
        Shape {
            replica: 0,
            kind: FaultKind::Kill,
            action: Action::Replace,
            at_us: 2_001_000,
            tth_us: 600_000 + 100_000 * ti,
            class: Outcome::Refused,
        },
        Shape {
            replica: 1,
            kind: FaultKind::Stop,
            action: Action::Restart,
            at_us: 5_001_000,
            tth_us: 400_000 + 50_000 * ti,
            class: Outcome::Reset,
        },
    ];
    let mut requests = RequestLog::default();
    for i in 0..800i64 {
        let intended = i * 10_000;
        let replica = (i % 2) as u16;
        let mut latency = 800 + (i * 37 % 400) + if i % 97 == 0 { 4_000 } else { 0 };
        let mut outcome = Outcome::Ok;
        for s in shapes.iter().filter(|s| s.replica == replica) {
            let healthy = s.at_us + s.tth_us;
            if intended >= s.at_us && intended < healthy {
                outcome = if i % 7 == 0 { Outcome::Timeout } else { s.class };
                latency = if outcome == Outcome::Timeout { 2_000_000 } else { 300 };
            } else if intended >= healthy && intended < healthy + 300_000 {
                latency += 2_500; // slower while warming up
            }
        }
        requests.push(intended, intended + latency, outcome, replica);
    }
    let healthy_probe = |at: i64| ProbeTransition {
        sent_us: at - 1_000,
        done_us: at,
        outcome: ProbeOutcome::Healthy,
        prev_sent_us: Some(at - 3_000),
    };
    let probes = (0..2u16)
        .map(|r| {
            let mut transitions = vec![healthy_probe(-100_000)];
            for s in shapes.iter().filter(|s| s.replica == r) {
                transitions.push(ProbeTransition {
                    sent_us: s.at_us + 9_000,
                    done_us: s.at_us + 10_000,
                    outcome: ProbeOutcome::Refused,
                    prev_sent_us: None,
                });
                transitions.push(ProbeTransition {
                    sent_us: s.at_us + s.tth_us - 51_000,
                    done_us: s.at_us + s.tth_us - 50_000,
                    outcome: ProbeOutcome::Unhealthy,
                    prev_sent_us: None,
                });
                transitions.push(healthy_probe(s.at_us + s.tth_us));
            }
            ProbeLog {
                replica: names.replicas[usize::from(r)].clone(),
                interval_us: 10_000,
                slow_interval_us: 1_000_000,
                fast_sent: 0,
                probing_us: [-1_000_000, 10_000_000],
                fast_spans: Vec::new(),
                sent: 800,
                transitions,
            }
        })
        .collect();
    let faults = shapes
        .iter()
        .enumerate()
        .map(|(index, s)| FaultRecord {
            index,
            kind: s.kind,
            action: s.action,
            target: names.replicas[usize::from(s.replica)].clone(),
            planned_us: s.at_us - 1_000,
            issued_us: s.at_us,
            fault_done_us: Some(s.at_us + 2_000),
            action_issued_us: Some(s.at_us + 5_000),
            action_done_us: Some(s.at_us + 60_000),
            old_stopped_us: None,
            error: (index == 1).then(|| names.error.clone()).flatten(),
            services: Vec::new(),
            verified_us: None,
            delay_us: 0,
            dependency: false,
        })
        .collect();
    let lifecycle = shapes
        .iter()
        .flat_map(|s| {
            let replica = names.replicas[usize::from(s.replica)].clone();
            [
                LifecycleEvent {
                    at_us: s.at_us + 3_000,
                    replica: replica.clone(),
                    instance: format!("c{}", s.replica),
                    kind: LifecycleKind::Exited,
                },
                LifecycleEvent {
                    at_us: s.at_us + 150_000,
                    replica,
                    instance: format!("c{}-{t}", s.replica),
                    kind: LifecycleKind::Started,
                },
            ]
        })
        .collect();
    let lost_one = t == 0;
    TrialRecord {
        memory: memory(t, names),
        host: quiet_host(),
        index: t,
        origin_unix_us: ORIGIN_UNIX_US + 10_000_000 * ti,
        deploy_us: 450_000,
        requests,
        load_slip: crate::record::Slip {
            count: 200,
            p50_us: 60,
            p99_us: 400,
            max_us: 900,
        },
        probes,
        faults,
        lifecycle,
        logs: vec![InstanceLog {
            replica: names.replicas[0].clone(),
            instance: "c0".into(),
            lines: vec![(-500_000, "ready 1767268799500".into())],
            writes: if lost_one {
                vec!["/tmp/sessions/u3".into()]
            } else {
                vec![]
            },
            reads: fs_reads(lost_one),
        }],
        fresh: if lost_one {
            vec![crate::record::FreshPair {
                replica: names.replicas[0].clone(),
                fault: format!("kill {} then replace", names.replicas[0]),
                request: "GET /cache/k0".into(),
                before: crate::record::Reply {
                    status: Some(200),
                    body_bytes: names.excerpt.len() as u64,
                    text: names.excerpt.clone(),
                    complete: true,
                    hash: 1,
                    error: None,
                },
                after: crate::record::Reply {
                    status: Some(404),
                    body_bytes: 10,
                    text: "not found\n".into(),
                    complete: true,
                    hash: 2,
                    error: None,
                },
                after_us: 3_900_000,
            }]
        } else {
            vec![]
        },
        checks: vec![CheckRecord {
            name: names.check.clone(),
            journeys: 10,
            set_up: 10,
            verified: if lost_one { 9 } else { 10 },
            verifications: vec![Verification {
                after: Some(format!("kill {} then replace", names.replicas[0])),
                at_us: 3_000_000,
                replicas: names.replicas.to_vec(),
                passed: if lost_one { 19 } else { 20 },
                failed: u64::from(lost_one),
            }],
            failures: if lost_one {
                vec![CheckFailure {
                    journey: 3,
                    phase: "verify".into(),
                    step: "GET /me".into(),
                    replica: names.replicas[1].clone(),
                    after: Some(format!("kill {} then replace", names.replicas[0])),
                    expected: "body containing u3".into(),
                    got: "status 401".into(),
                    excerpt: names.excerpt.clone(),
                }]
            } else {
                vec![]
            },
            setup_failed: 0,
            broken: 0,
        }],
        errors: names.error.iter().cloned().collect(),
        read_only: Some(read_only(lost_one, names)),
    }
}

/// The read-only trial: in the first trial one upload failed on the read-only disk.
fn read_only(failed: bool, names: &Names) -> ReadOnlyRecord {
    let mut r = ReadOnlyRecord {
        duration_us: 3_000_000,
        rate: 100.0,
        error: None,
        healthy: true,
        sent: 300,
        ok: 300,
        failed: 0,
        failures: Vec::new(),
        output: vec![format!(
            "error: save upload: Read-only file system (os error 30) {}",
            names.excerpt
        )],
    };
    if failed {
        r.ok -= 1;
        r.fail("POST", "/upload", Some(500), Outcome::Http5xx, &names.excerpt);
    }
    r
}

/// The fixture as a run with no fault and its state intact (verified once after the
/// load): nothing a level certifies was measured.
pub fn record_without_faults() -> RunRecord {
    let mut r = record();
    r.scenario.faults.clear();
    for t in &mut r.trials {
        t.faults.clear();
        for c in &mut t.checks {
            c.verified = c.set_up;
            c.failures.clear();
            for v in &mut c.verifications {
                (v.after, v.passed, v.failed) = (None, v.passed + v.failed, 0);
            }
        }
    }
    r
}

/// The fixture whose last fault of each trial is a burn of everything, followed by a
/// rebuild with one service (`names.check`'s store, on a named volume) and a verification.
pub fn record_with_burn(names: &Names) -> RunRecord {
    let mut r = record_with(names);
    for t in &mut r.trials {
        let Some(f) = t.faults.iter_mut().max_by_key(|f| f.issued_us) else {
            continue;
        };
        f.kind = crate::scenario::FaultKind::Burn;
        f.action = crate::scenario::Action::Rebuild;
        f.target = crate::scenario::ALL.into();
        f.services = vec![crate::record::ServiceBack {
            name: format!("store {}", names.check),
            ready_us: f.issued_us + 250_000,
            volumes: vec![format!("data {}", names.check)],
            from_volume: true,
        }];
        f.verified_us = Some(f.issued_us + 1_500_000);
    }
    r
}

/// The fixture where no trial ran a verification of its check (the replicas were never all
/// healthy again in time): the journeys' survival is unknown.
pub fn record_without_verifications() -> RunRecord {
    let mut r = record();
    for c in r.trials.iter_mut().flat_map(|t| t.checks.iter_mut()) {
        c.verifications.clear();
        c.failures.clear();
        c.verified = c.set_up;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;

    #[test]
    fn fixture_recovers_every_fault_and_loses_one_journey() {
        let r = Report::build(record());
        assert_eq!(r.analysis.faults.len(), 4);
        assert!(r.analysis.faults.iter().all(|f| f.time_to_healthy_ms.is_some()));
        assert_eq!(r.analysis.checks[0].lost, 1);
        assert!(r.analysis.lost_requests > 0);
        assert_eq!(r.certification.level, crate::certify::Level::NotCertified);
    }
}
