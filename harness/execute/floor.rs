//! The platform floor: the scenario's own fault actions (kill then restart, stop then
//! replace, …) applied to a null replica — the demo app with no start-up delay, ready the
//! instant it binds — on the same engine and backend, before the trials and after them,
//! never during one (its containers starting beside the app's recovery would load the
//! host the app is measured on). Each cycle is timed as a fault is: `fault::apply`, the
//! same fast probe, the same time-to-healthy rule on the probe log. What the platform takes
//! to bring back a replica that costs nothing to start is the share of every time to
//! healthy that is not the app's (hyperfine subtracts the shell's spawn time the same way).

use crate::backend::{Backend, Deployed};
use crate::clock::RunClock;
use crate::probe::healthy::{healthy_at, recover_from, Healthy};
use crate::probe::{ProbeSpec, Prober};
use crate::record::{FaultRecord, FloorPhase, FloorRecord, FloorSample, TrialRecord};
use crate::scenario::{Fault, FaultKind, Scenario};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Most the null replica may take to be healthy, after its deployment or a cycle.
const NULL_HEALTHY: Duration = Duration::from_secs(30);
/// Pause after the null replica is healthy again, so that the next cycle does not hit an
/// instance still settling (its first answers, the engine's own bookkeeping).
const SETTLE: Duration = Duration::from_millis(100);
/// The null replica's name (its deployment holds nothing else).
const NULL: &str = "app-0";

/// The fault actions the floor measures: each distinct kind, action and delay among
/// the scenario's faults on replicas, burns excepted (a null replica has nothing to rebuild); none when
/// `certify.floor_cycles` is 0.
pub fn keys(scenario: &Scenario) -> Vec<Fault> {
    if scenario.certify.floor_cycles == 0 {
        return Vec::new();
    }
    let mut out: Vec<Fault> = Vec::new();
    // a fault on a service has the service's own start in it, not the app's platform
    for f in scenario
        .faults
        .iter()
        .filter(|f| f.kind != FaultKind::Burn && !f.dependency)
    {
        if !out.iter().any(|o| same_action(o, f)) {
            out.push(Fault {
                at: Duration::ZERO,
                target: NULL.into(),
                chaos: None,
                ..f.clone()
            });
        }
    }
    out
}

/// The same action as far as the platform is concerned: kind, action and delay (a stop's
/// grace is the app's: the null replica exits at once on SIGTERM).
pub(crate) fn same_action(a: &Fault, b: &Fault) -> bool {
    (a.kind, a.action, a.delay) == (b.kind, b.action, b.delay)
}

/// Deploys the null replica, runs `floor.cycles` of every key on it, tears it down, and
/// adds the samples (or why there are none) and the wall time it took to `floor`.
pub async fn measure(
    backend: &dyn Backend,
    scenario: &Scenario,
    phase: FloorPhase,
    cancel: &CancellationToken,
    floor: &mut FloorRecord,
) {
    let keys = keys(scenario);
    if keys.is_empty() || cancel.is_cancelled() {
        return;
    }
    let started = Instant::now();
    match crate::execute::deployment::null(scenario) {
        Err(why) => note(floor, why.to_string()),
        Ok(d) => {
            match backend.deploy(&d).await {
                Ok(deployed) => cycles(backend, &deployed, &keys, phase, cancel, floor).await,
                Err(e) => note(floor, format!("the null replica could not be deployed: {e}")),
            }
            if let Err(e) = backend.teardown().await {
                note(floor, format!("the null replica's teardown failed: {e}"));
            }
        }
    }
    floor.cost_us += started.elapsed().as_micros() as i64;
}

fn note(floor: &mut FloorRecord, why: String) {
    if !floor.notes.contains(&why) {
        floor.notes.push(why);
    }
}

/// The cycles on a deployed null replica; stops at the first that does not recover.
async fn cycles(
    backend: &dyn Backend,
    deployed: &Deployed,
    keys: &[Fault],
    phase: FloorPhase,
    cancel: &CancellationToken,
    floor: &mut FloorRecord,
) {
    let Some(endpoint) = deployed.replicas.first() else {
        return note(floor, "the null replica's deployment has no endpoint".into());
    };
    let probe_cancel = cancel.child_token();
    let spec = ProbeSpec {
        replica: endpoint.replica.clone(),
        addr: endpoint.addr,
        path: "/health".into(),
        status: 200,
        interval: Duration::from_millis(1),
        slow_interval: Duration::from_secs(1),
        timeout: Duration::from_millis(50),
    };
    let prober = Prober::start(spec, NULL_HEALTHY, probe_cancel.clone());
    let clock = RunClock::start();
    let mut applied: Vec<(usize, FaultRecord)> = Vec::new();
    if prober.wait_healthy(NULL_HEALTHY).await {
        'cycles: for _ in 0..floor.cycles {
            for (k, key) in keys.iter().enumerate() {
                if cancel.is_cancelled() {
                    break 'cycles;
                }
                let boost = || prober.boost(NULL_HEALTHY + key.delay + key.grace);
                let f = crate::execute::fault::apply(applied.len(), key, backend, &clock, &boost).await;
                let since = clock.instant_at(recover_from(&f));
                let back = f.error.is_none() && prober.wait_healthy_since(since, NULL_HEALTHY).await;
                applied.push((k, f));
                if !back {
                    note(
                        floor,
                        "the null replica did not recover from a cycle: the floor stopped there".into(),
                    );
                    break 'cycles;
                }
                tokio::time::sleep(SETTLE).await;
            }
        }
    } else {
        note(
            floor,
            format!(
                "the null replica was not healthy within {} s of its deployment",
                NULL_HEALTHY.as_secs()
            ),
        );
    }
    probe_cancel.cancel();
    let trial = TrialRecord {
        probes: vec![prober.finish(&clock).await],
        ..TrialRecord::default()
    };
    for (k, f) in applied {
        let tth = match healthy_at(&trial, NULL, f.issued_us, recover_from(&f)) {
            Healthy::At(h) if f.error.is_none() => Some(h - f.issued_us),
            _ => None,
        };
        floor.samples.push(FloorSample {
            kind: keys[k].kind,
            action: keys[k].action,
            delay_us: keys[k].delay.as_micros() as i64,
            phase,
            time_to_healthy_us: tth,
            error: f.error,
        });
    }
}
