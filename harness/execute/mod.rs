//! Execution: the only module that drives the Backend, the load and the probes. It follows
//! the Plan trial by trial and fills a RunRecord; every trial ends with a teardown, and
//! every wait is bounded by the plan's deadline.

pub mod audit;
pub mod check;
pub mod deployment;
pub mod fault;
pub mod floor;
pub mod host;
pub(crate) mod observe;
pub mod read_only;

use crate::backend::{Backend, Endpoint, RawFsRead, RawLifecycle};
use crate::clock::RunClock;
use crate::execute::check::CheckRun;
use crate::execute::observe::{before_sample, boot_read, fresh_audit, instance_logs, sample_memory, FreshJob};
use crate::load::{run_load, LiveCounters, LoadConfig, Recorder};
use crate::probe::{ProbeSpec, Prober};
use crate::record::{Abort, AbortKind, FloorPhase, FsReadWhen, LifecycleEvent, RunRecord, TrialRecord};
use crate::scenario::plan::Plan;
use crate::scenario::{Action, Fault, FaultKind, Scenario, ALL};
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
/// whatever the run left (the run's own teardowns already ran unless it crashed).
pub async fn run_to_end(
    backend: Arc<dyn Backend>,
    mut record: RunRecord,
    live: Arc<Live>,
    cancel: CancellationToken,
) -> RunRecord {
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
    if let Err(e) = backend.teardown().await {
        tracing::warn!("{e}");
    }
    record
}

type TrialResult = Result<TrialRecord, (TrialRecord, Abort)>;

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
    // the balancer is probed like a replica: its health path answers through it
    let probers: Vec<Prober> = endpoints
        .iter()
        .chain(deployed.front.iter())
        .map(|e| {
            Prober::start(
                probe_spec(scenario, e),
                scenario.app.start_timeout,
                probe_cancel.clone(),
            )
        })
        .collect();
    let healthy = all_healthy(
        &probers,
        scenario.app.start_timeout.saturating_sub(deploy_start.elapsed()),
        cancel,
    )
    .await;
    // everything an instance wrote before it first became healthy is a boot write
    let mut boot_reads = Vec::new();
    if healthy && scenario.audit.enabled {
        // all replicas at once: the load waits for these reads
        let reads = endpoints.iter().map(|e| async {
            let mut one = Vec::new();
            boot_read(backend, &e.replica, FsReadWhen::Boot, &mut one).await;
            one
        });
        boot_reads = futures::future::join_all(reads).await.into_iter().flatten().collect();
    }
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
    let failure = if !healthy && !cancel.is_cancelled() {
        Some(Abort::new(
            AbortKind::App,
            format!(
                "the app did not become healthy within start_timeout ({:.1} s) after deployment{}",
                scenario.app.start_timeout.as_secs_f64(),
                crate::probe::slow_hint(&probers, scenario.app.health.timeout)
            ),
        ))
    } else if healthy {
        let endpoints = &endpoints;
        let mut ctx = Drive {
            backend,
            scenario,
            plan,
            endpoints,
            load_targets: &load_targets,
            probers: &probers,
            clock: &clock,
            live,
            cancel,
            checks,
            boot_reads,
        };
        ctx.drive(&mut trial).await;
        boot_reads = std::mem::take(&mut ctx.boot_reads);
        trial.checks = ctx.checks.into_iter().map(CheckRun::finish).collect();
        // the read-only trial and the replicas' end-of-trial reads at once: neither needs
        // the other, and both are the audit's time added to the run
        let read_only = async {
            let ro = scenario.audit.read_only_trial.filter(|_| !cancel.is_cancelled())?;
            live.set_phase(format!("trial {}: read-only trial", index + 1));
            Some(crate::execute::read_only::run(backend, scenario, &ro, cancel).await)
        };
        let (read_only, end) = tokio::join!(read_only, backend.logs());
        (trial.read_only, logs) = (read_only, Some(end));
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

/// What the load-and-faults part of a trial works with.
struct Drive<'a> {
    backend: &'a dyn Backend,
    scenario: &'a Scenario,
    plan: &'a Plan,
    endpoints: &'a [Endpoint],
    load_targets: &'a [SocketAddr],
    probers: &'a [Prober],
    clock: &'a RunClock,
    live: &'a Live,
    cancel: &'a CancellationToken,
    checks: Vec<CheckRun>,
    /// Reads right after an instance first became healthy: (instance, read).
    boot_reads: Vec<(String, RawFsRead)>,
}

impl Drive<'_> {
    /// Load, faults on schedule (each followed by verifying the checks once every replica is
    /// healthy again), then the recovery tail.
    async fn drive(&mut self, trial: &mut TrialRecord) {
        let n = trial.index + 1;
        self.live.set_phase(format!("trial {n}: load"));
        let load = &self.scenario.load;
        let recorder = Recorder::windowed(self.live.counters.clone(), load.window, load.timeout);
        let targets = self.load_targets.to_vec();
        let load = run_load(
            LoadConfig::from(&self.scenario.load),
            targets,
            *self.clock,
            recorder.clone(),
            self.cancel.clone(),
        );
        let (backend, plan, clock, live, cancel) = (self.backend, self.plan, self.clock, self.live, self.cancel);
        let (endpoints, probers, start_timeout) = (self.endpoints, self.probers, self.scenario.app.start_timeout);
        let checks = &mut self.checks;
        let services = self.scenario.services.len() as u32;
        let audit_on = self.scenario.audit.enabled;
        let mix = audit::mix_sample(self.scenario);
        let writes = if audit_on {
            audit::mix_writes(self.scenario)
        } else {
            Vec::new()
        };
        let writes = &writes;
        let (jobs, mut job_rx) = mpsc::unbounded_channel::<FreshJob>();
        let faults = async move {
            let mut records = Vec::new();
            for f in &plan.faults {
                let at = clock.instant_at(f.at.as_micros() as i64);
                // the old instance's sample is taken just before the fault, not on its path
                let early = f.action == Action::Replace && audit_on;
                if early {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep_until(at.checked_sub(audit::lead(writes)).unwrap_or(at).into()) => {}
                    }
                }
                let mut first_sample = None;
                if early {
                    if let Some(t) = endpoints.iter().position(|e| f.target == ALL || e.replica == f.target) {
                        first_sample =
                            Some(before_sample(endpoints[t].addr, writes, &mix, checks, t, endpoints.len()).await);
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep_until(at.into()) => {}
                }
                // `all`: a rolling fault, each replica in turn once the previous one is healthy;
                // a burn hits everything at once, so it stays one fault on `all`
                let burn = f.kind == FaultKind::Burn;
                let targets: Vec<&str> = if burn {
                    vec![ALL]
                } else {
                    endpoints
                        .iter()
                        .filter(|e| f.target == ALL || e.replica == f.target)
                        .map(|e| e.replica.as_str())
                        .collect()
                };
                for (k, target) in targets.iter().enumerate() {
                    if cancel.is_cancelled() {
                        break;
                    }
                    let one = Fault {
                        target: target.to_string(),
                        ..f.clone()
                    };
                    let what = format!("{} {} then {}", one.kind.as_str(), one.target, one.action.as_str());
                    // fast probes from the fault until the target is healthy again, so time to
                    // healthy is precise while the app is not probed fast the rest of the run
                    let mut boost_cap = start_timeout + one.delay + one.grace;
                    if burn {
                        // the rebuild starts every service before the replicas
                        boost_cap += SERVICE_START * services;
                    }
                    let boost = || {
                        for p in probers.iter().filter(|p| burn || p.spec.replica == one.target) {
                            p.boost(boost_cap);
                        }
                    };
                    // a rolling fault's later targets are sampled right before their turn
                    let (sample, before) = match (one.action, k, first_sample.take()) {
                        (Action::Replace, 0, Some(s)) => s,
                        (Action::Replace, _, _) if audit_on => {
                            let t = endpoints.iter().position(|e| e.replica == one.target).unwrap_or(0);
                            before_sample(endpoints[t].addr, writes, &mix, checks, t, endpoints.len()).await
                        }
                        _ => (Vec::new(), Vec::new()),
                    };
                    live.set_phase(format!("trial {n}: {what}"));
                    let index = records.len();
                    tokio::select! {
                        r = fault::apply(index, &one, backend, clock, &boost) => records.push(r),
                        // the teardown that follows removes whatever the fault left half done
                        _ = cancel.cancelled() => break,
                    }
                    // the fresh instance is read and sampled once a probe sent after the old
                    // one was down answers healthy (an earlier answer may be the old one's)
                    let hit = records
                        .last()
                        .filter(|r| r.error.is_none())
                        .and_then(|r| r.fault_done_us);
                    if let (true, Some(done_us)) =
                        (audit_on && matches!(one.action, Action::Replace | Action::Add), hit)
                    {
                        let _ = jobs.send(FreshJob {
                            replica: one.target.clone(),
                            fault: what.clone(),
                            since: clock.instant_at(done_us),
                            within: boost_cap,
                            sample,
                            before,
                        });
                    }
                    live.set_phase(format!("trial {n}: recovering"));
                    let is_last = k + 1 == targets.len();
                    let healthy = if !checks.is_empty() || !is_last {
                        all_healthy(probers, start_timeout, cancel).await
                    } else {
                        false
                    };
                    if !checks.is_empty() && healthy {
                        live.set_phase(format!("trial {n}: verifying state after {what}"));
                        for c in checks.iter_mut() {
                            c.verify(endpoints, Some(&what), clock.now_us()).await;
                        }
                        if let Some(r) = records.last_mut() {
                            r.verified_us = Some(clock.now_us());
                        }
                    }
                }
            }
            drop(jobs);
            records
        };
        // each fresh instance, once healthy: its boot read and the sample again — every job
        // from the moment it is sent, beside the others (in turn, a job that took its reads'
        // 5 s bound made the next one miss its replica's down time and wait for another's)
        let boot_reads = &mut self.boot_reads;
        let fresh_audit = async move {
            let mut running = futures::stream::FuturesUnordered::new();
            let mut pairs = Vec::new();
            let mut open = true;
            loop {
                tokio::select! {
                    job = job_rx.recv(), if open => match job {
                        Some(job) => running.push(fresh_audit(job, backend, probers, clock, cancel)),
                        None => open = false,
                    },
                    Some((read, p)) = futures::StreamExt::next(&mut running), if !running.is_empty() => {
                        boot_reads.extend(read);
                        pairs.extend(p);
                    }
                    else => break,
                }
            }
            pairs
        };
        // memory is sampled while the load runs, and stops with it
        let load_done = self.cancel.child_token();
        let load = async {
            let log = load.await;
            load_done.cancel();
            log
        };
        let memory = sample_memory(self.backend, self.clock, &load_done);
        let host = crate::execute::host::sample_host(self.clock, &load_done);
        let (log, faults, fresh, memory, host) = tokio::join!(load, faults, fresh_audit, memory, host);
        trial.host = host;
        trial.fresh = fresh;
        trial.requests = log;
        trial.memory = memory;
        trial.load_slip = recorder.slip();
        for f in &faults {
            if let Some(e) = &f.error {
                trial
                    .errors
                    .push(format!("fault {} ({} {}): {e}", f.index, f.kind.as_str(), f.target));
            }
        }
        trial.faults = faults;
        // give a replica that is still down its start-up allowance to come back
        self.live.set_phase(format!("trial {n}: waiting for recovery"));
        let healthy = all_healthy(self.probers, start_timeout, self.cancel).await;
        if self.plan.faults.is_empty() && healthy {
            self.live.set_phase(format!("trial {n}: verifying state"));
            for c in self.checks.iter_mut() {
                c.verify(self.endpoints, None, self.clock.now_us()).await;
            }
        }
    }
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
mod run_tests;
