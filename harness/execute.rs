//! Execution: the only module that drives the Backend, the load and the probes. It follows
//! the Plan trial by trial and fills a RunRecord; every trial ends with a teardown, and
//! every wait is bounded by the plan's deadline.

use crate::backend::{Backend, Deployment, Endpoint, RawLifecycle};
use crate::clock::RunClock;
use crate::fault;
use crate::load::{run_load, LiveCounters, LoadConfig, Recorder};
use crate::probe::{ProbeSpec, Prober};
use crate::record::{Abort, AbortKind, InstanceLog, LifecycleEvent, RunRecord, TrialRecord};
use crate::scenario::plan::Plan;
use crate::scenario::Scenario;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Lead time between "everything healthy" and the start of the load.
const LOAD_LEAD: Duration = Duration::from_millis(50);
/// How long to keep listening for lifecycle events after the last action.
const EVENT_GRACE: Duration = Duration::from_millis(300);

/// What the progress display can see of a running trial.
#[derive(Debug, Default)]
pub struct Live {
    pub counters: Arc<LiveCounters>,
    pub phase: std::sync::Mutex<String>,
}

impl Live {
    pub fn set_phase(&self, p: impl Into<String>) {
        *self.phase.lock().expect("phase lock") = p.into();
    }
}

/// Runs every trial of the plan, tearing down after each. Stops early (keeping what was
/// measured) when `cancel` fires, a trial fails to deploy, or a trial overruns.
pub async fn run(backend: &dyn Backend, record: &mut RunRecord, live: &Live, cancel: &CancellationToken) {
    let plan = record.plan.clone();
    let scenario = record.scenario.clone();
    for index in 0..plan.trials {
        if cancel.is_cancelled() {
            break;
        }
        let trial_cancel = cancel.child_token();
        let outcome = tokio::time::timeout(
            plan.trial_deadline,
            run_trial(backend, &scenario, &plan, index, live, &trial_cancel),
        )
        .await;
        trial_cancel.cancel();
        live.set_phase("tearing down");
        let teardown = backend.teardown().await;
        match outcome {
            Ok(Ok(trial)) => record.trials.push(trial),
            Ok(Err((trial, why))) => {
                record.trials.push(trial);
                record.aborted = Some(why);
            }
            Err(_) => {
                record.aborted = Some(Abort::new(
                    AbortKind::Runtime,
                    format!(
                        "trial {index} overran its deadline of {:.0} s",
                        plan.trial_deadline.as_secs_f64()
                    ),
                ))
            }
        }
        if let Err(e) = teardown {
            record
                .aborted
                .get_or_insert(Abort::new(AbortKind::Runtime, format!("teardown failed: {e}")));
        }
        if record.aborted.is_some() {
            break;
        }
    }
    if cancel.is_cancelled() && record.aborted.is_none() {
        record.aborted = Some(Abort::new(AbortKind::Interrupted, "interrupted by a signal"));
    }
    record.complete = record.aborted.is_none() && record.trials.len() == plan.trials as usize;
}

type TrialResult = Result<TrialRecord, (TrialRecord, Abort)>;

async fn run_trial(
    backend: &dyn Backend,
    scenario: &Scenario,
    plan: &Plan,
    index: u32,
    live: &Live,
    cancel: &CancellationToken,
) -> TrialResult {
    let mut trial = TrialRecord {
        index,
        ..Default::default()
    };
    live.set_phase(format!("trial {}: deploying", index + 1));
    let events = match backend.watch().await {
        Ok(rx) => rx,
        Err(e) => return Err((trial, Abort::new(AbortKind::Runtime, e.to_string()))),
    };
    let deploy_start = Instant::now();
    let endpoints = match backend.deploy(&Deployment::of(scenario)).await {
        Ok(e) => e,
        Err(e) => return Err((trial, Abort::new(AbortKind::Runtime, format!("deployment failed: {e}")))),
    };
    let probe_cancel = cancel.child_token();
    let probers: Vec<Prober> = endpoints
        .iter()
        .map(|e| Prober::start(probe_spec(scenario, e), probe_cancel.clone()))
        .collect();
    let mut healthy = true;
    for p in &probers {
        let left = scenario.app.start_timeout.saturating_sub(deploy_start.elapsed());
        healthy &= tokio::select! {
            ok = p.wait_healthy(left) => ok,
            _ = cancel.cancelled() => false,
        };
    }
    let clock = RunClock::at(Instant::now() + LOAD_LEAD);
    trial.origin_unix_us = clock.origin_unix_us();
    trial.deploy_us = deploy_start.elapsed().as_micros() as i64;
    let failure = if !healthy && !cancel.is_cancelled() {
        Some(Abort::new(
            AbortKind::App,
            format!(
                "the app did not become healthy within start_timeout ({:.1} s) after deployment",
                scenario.app.start_timeout.as_secs_f64()
            ),
        ))
    } else if healthy {
        drive(
            backend, scenario, plan, &endpoints, &probers, &clock, &mut trial, live, cancel,
        )
        .await;
        None
    } else {
        None
    };
    probe_cancel.cancel();
    for p in probers {
        trial.probes.push(p.finish(&clock).await);
    }
    tokio::time::sleep(EVENT_GRACE).await;
    collect_events(events, &clock, &mut trial);
    for log in backend.logs().await {
        trial.logs.push(InstanceLog {
            replica: log.replica,
            instance: log.instance,
            lines: log.lines.into_iter().map(|(t, l)| (clock.from_unix_us(t), l)).collect(),
        });
    }
    match failure {
        Some(why) => Err((trial, why)),
        None => Ok(trial),
    }
}

/// Load, faults on schedule, then the recovery tail.
#[allow(clippy::too_many_arguments)]
async fn drive(
    backend: &dyn Backend,
    scenario: &Scenario,
    plan: &Plan,
    endpoints: &[Endpoint],
    probers: &[Prober],
    clock: &RunClock,
    trial: &mut TrialRecord,
    live: &Live,
    cancel: &CancellationToken,
) {
    live.set_phase(format!("trial {}: load", trial.index + 1));
    let recorder = Recorder::new(live.counters.clone());
    let targets = endpoints.iter().map(|e| e.addr).collect();
    let load = run_load(
        LoadConfig::from(&scenario.load),
        targets,
        *clock,
        recorder,
        cancel.clone(),
    );
    let faults = async {
        let mut records = Vec::new();
        for (i, f) in plan.faults.iter().enumerate() {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep_until(clock.instant_at(f.at.as_micros() as i64).into()) => {}
            }
            live.set_phase(format!(
                "trial {}: {} {} then {}",
                trial.index + 1,
                f.kind.as_str(),
                f.target,
                f.action.as_str()
            ));
            records.push(fault::apply(i, f, backend, clock).await);
            live.set_phase(format!("trial {}: recovering", trial.index + 1));
        }
        records
    };
    let (log, faults) = tokio::join!(load, faults);
    trial.requests = log;
    for f in &faults {
        if let Some(e) = &f.error {
            trial
                .errors
                .push(format!("fault {} ({} {}): {e}", f.index, f.kind.as_str(), f.target));
        }
    }
    trial.faults = faults;
    // give a replica that is still down its start-up allowance to come back
    live.set_phase(format!("trial {}: waiting for recovery", trial.index + 1));
    for p in probers {
        tokio::select! {
            _ = p.wait_healthy(scenario.app.start_timeout) => {}
            _ = cancel.cancelled() => break,
        }
    }
}

fn probe_spec(scenario: &Scenario, e: &Endpoint) -> ProbeSpec {
    ProbeSpec {
        replica: e.replica.clone(),
        addr: e.addr,
        path: scenario.app.health.path.clone(),
        status: scenario.app.health.status,
        interval: scenario.app.health.interval,
        timeout: scenario.app.health.timeout,
    }
}

fn collect_events(mut rx: mpsc::UnboundedReceiver<RawLifecycle>, clock: &RunClock, trial: &mut TrialRecord) {
    while let Ok(e) = rx.try_recv() {
        trial.lifecycle.push(LifecycleEvent {
            at_us: clock.from_unix_us(e.unix_us),
            replica: e.replica,
            instance: e.instance,
            kind: e.kind,
        });
    }
    trial.lifecycle.sort_by_key(|e| e.at_us);
}
