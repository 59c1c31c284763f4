//! Execution: the only module that drives the Backend, the load and the probes. It follows
//! the Plan trial by trial and fills a RunRecord; every trial ends with a teardown, and
//! every wait is bounded by the plan's deadline.

pub mod audit;
pub mod check;
pub mod deployment;
mod drive;
pub mod fault;
pub mod floor;
pub mod host;
pub(crate) mod observe;
pub mod read_only;

use crate::backend::{Backend, Deployed, Endpoint, RawFsRead, RawLifecycle, Removed};
use crate::clock::RunClock;
use crate::execute::check::CheckRun;
use crate::execute::observe::{boot_read, instance_logs};
use crate::load::LiveCounters;
use crate::probe::{ProbeSpec, Prober};
use crate::record::{Abort, AbortKind, FloorPhase, FsReadWhen, LifecycleEvent, RunRecord, TrialRecord};
use crate::scenario::plan::Plan;
use crate::scenario::Scenario;
use drive::Drive;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Lead time between "everything healthy" and the start of the load.
const LOAD_LEAD: Duration = Duration::from_millis(50);
/// Most a service takes to start and print its ready line (the backends' start bound).
const SERVICE_START: Duration = Duration::from_secs(35);
/// How long to keep listening for lifecycle events after the last action.
const EVENT_GRACE: Duration = Duration::from_millis(300);

/// What the progress display can see of a running trial.
#[derive(Debug, Default)]
pub struct Live {
    pub(crate) counters: Arc<LiveCounters>,
    pub phase: std::sync::Mutex<String>,
}

impl Live {
    pub(crate) fn set_phase(&self, p: impl Into<String>) {
        *self.phase.lock().expect("phase lock") = p.into();
    }
}

/// Runs every trial of the plan, tearing down after each. Stops early (keeping what was
/// measured) when `cancel` fires, a trial fails to deploy, or a trial overruns.
pub async fn run(backend: &dyn Backend, record: &mut RunRecord, live: &Live, cancel: &CancellationToken) {
    let plan = record.plan.clone();
    let scenario = record.scenario.clone();
    let mut floor = crate::record::FloorRecord {
        cycles: scenario.certify.floor_cycles,
        ..Default::default()
    };
    live.set_phase("platform floor");
    crate::execute::floor::measure(backend, &scenario, FloorPhase::Before, cancel, &mut floor).await;
    for index in 0..plan.trials {
        if cancel.is_cancelled() {
            break;
        }
        let trial_cancel = cancel.child_token();
        let outcome = tokio::time::timeout(
            plan.trial_deadline,
            run_trial(backend, &scenario, &plan, &record.run_id, index, live, &trial_cancel),
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
    if record.aborted.is_none() {
        live.set_phase("platform floor");
        crate::execute::floor::measure(backend, &scenario, FloorPhase::After, cancel, &mut floor).await;
    }
    record.floor = (!crate::execute::floor::keys(&scenario).is_empty()).then_some(floor);
    if cancel.is_cancelled() && record.aborted.is_none() {
        record.aborted = Some(Abort::new(AbortKind::Interrupted, "interrupted by a signal"));
    }
    record.complete = record.aborted.is_none() && record.trials.len() == plan.trials as usize;
}

/// Runs the plan on a task of its own, so that a panic anywhere in it (a backend call, a
/// bug) still ends in a teardown and a record that says the run crashed; then tears down
/// whatever the run left (the run's own teardowns already ran unless it crashed). The
/// record, and what that last teardown did.
pub(crate) async fn run_to_end(
    backend: Arc<dyn Backend>,
    mut record: RunRecord,
    live: Arc<Live>,
    cancel: CancellationToken,
) -> (RunRecord, crate::backend::Result<Removed>) {
    let task = {
        let (backend, mut record) = (backend.clone(), record.clone());
        tokio::spawn(async move {
            run(backend.as_ref(), &mut record, &live, &cancel).await;
            record
        })
    };
    let record = match task.await {
        Ok(r) => r,
        Err(e) => {
            record.aborted = Some(Abort::new(AbortKind::Runtime, format!("the run crashed: {e}")));
            record
        }
    };
    (record, backend.teardown().await)
}

type TrialResult = Result<TrialRecord, (TrialRecord, Abort)>;

/// One trial: deploy, wait for health, set up the checks, drive the load and faults, then
/// collect the probes, events and logs. Err carries what was measured and why it stopped.
async fn run_trial(
    backend: &dyn Backend,
    scenario: &Scenario,
    plan: &Plan,
    run_id: &str,
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
    let deployed = match backend.deploy(&deployment::of(scenario)).await {
        Ok(d) => d,
        Err(e) => return Err((trial, Abort::new(AbortKind::Runtime, format!("deployment failed: {e}")))),
    };
    let endpoints = deployed.replicas.clone();
    // the load goes through the balancer when there is one, else to the replicas in turn
    let load_targets: Vec<SocketAddr> = match &deployed.front {
        Some(f) => vec![f.addr],
        None => endpoints.iter().map(|e| e.addr).collect(),
    };
    let probe_cancel = cancel.child_token();
    let probers = start_probers(scenario, &deployed, &probe_cancel);
    let within = scenario.app.start_timeout.saturating_sub(deploy_start.elapsed());
    let healthy = all_healthy(&probers, within, cancel).await;
    // everything an instance wrote before it first became healthy is a boot write
    let mut boot_reads = match healthy && scenario.audit.enabled {
        true => read_boots(backend, &endpoints).await,
        false => Vec::new(),
    };
    let mut checks = Vec::new();
    if healthy {
        live.set_phase(format!("trial {}: setting up state checks", index + 1));
        for c in &scenario.checks {
            checks.push(CheckRun::setup(c, &endpoints, run_id).await);
        }
    }
    // the clock starts with the load, after deployment and check setup
    let clock = RunClock::at(Instant::now() + LOAD_LEAD);
    trial.origin_unix_us = clock.origin_unix_us();
    trial.deploy_us = deploy_start.elapsed().as_micros() as i64;
    let mut logs = None;
    let failure = (!healthy && !cancel.is_cancelled()).then(|| never_healthy(scenario, &probers));
    if healthy {
        let mut ctx = Drive {
            backend,
            scenario,
            plan,
            endpoints: &endpoints,
            load_targets: &load_targets,
            probers: &probers,
            clock: &clock,
            live,
            cancel,
            checks,
            boot_reads,
        };
        logs = Some(ctx.drive_and_read(&mut trial).await);
        boot_reads = std::mem::take(&mut ctx.boot_reads);
        trial.checks = ctx.checks.into_iter().map(CheckRun::finish).collect();
    }
    probe_cancel.cancel();
    for p in probers {
        trial.probes.push(p.finish(&clock).await);
    }
    tokio::time::sleep(EVENT_GRACE).await;
    collect_events(events, &clock, &mut trial);
    let logs = match logs {
        Some(l) => l,
        None => backend.logs().await,
    };
    trial.logs = instance_logs(logs, &boot_reads, &clock);
    match failure {
        Some(why) => Err((trial, why)),
        None => Ok(trial),
    }
}

/// A prober per replica, and one for the balancer: its health path answers through it.
fn start_probers(scenario: &Scenario, deployed: &Deployed, cancel: &CancellationToken) -> Vec<Prober> {
    deployed
        .replicas
        .iter()
        .chain(deployed.front.iter())
        .map(|e| Prober::start(probe_spec(scenario, e), scenario.app.start_timeout, cancel.clone()))
        .collect()
}

/// Every replica's first read of its own files, all at once: the load waits for them.
async fn read_boots(backend: &dyn Backend, endpoints: &[Endpoint]) -> Vec<(String, RawFsRead)> {
    let reads = endpoints.iter().map(|e| async {
        let mut one = Vec::new();
        boot_read(backend, &e.replica, FsReadWhen::Boot, &mut one).await;
        one
    });
    futures::future::join_all(reads).await.into_iter().flatten().collect()
}

/// Why a trial whose app never became healthy stopped, with the probes' hint.
fn never_healthy(scenario: &Scenario, probers: &[Prober]) -> Abort {
    Abort::new(
        AbortKind::App,
        format!(
            "the app did not become healthy within start_timeout ({:.1} s) after deployment{}",
            scenario.app.start_timeout.as_secs_f64(),
            crate::probe::slow_hint(probers, scenario.app.health.timeout)
        ),
    )
}

/// Waits until every replica probes healthy, at most `within` (false on timeout or cancel).
async fn all_healthy(probers: &[Prober], within: Duration, cancel: &CancellationToken) -> bool {
    let deadline = Instant::now() + within;
    for p in probers {
        let left = deadline.saturating_duration_since(Instant::now());
        let ok = tokio::select! {
            ok = p.wait_healthy(left) => ok,
            _ = cancel.cancelled() => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The health probe of `e` as the scenario describes it.
pub(crate) fn probe_spec(scenario: &Scenario, e: &Endpoint) -> ProbeSpec {
    ProbeSpec {
        replica: e.replica.clone(),
        addr: e.addr,
        path: scenario.app.health.path.clone(),
        status: scenario.app.health.status,
        interval: scenario.app.health.interval,
        slow_interval: scenario.app.health.slow_interval,
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

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod run_tests;
