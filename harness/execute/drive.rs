//! The load-and-faults part of a trial: the load runs from the clock's origin while the
//! faults are applied on their planned instants (each rolling target in turn, each followed
//! by verifying the state checks once every replica is healthy again), fresh instances are
//! audited as they come up, and memory and the host are sampled until the load ends.

use super::audit::{self, SampleRequest, Write};
use super::check::CheckRun;
use super::observe::{before_sample, fresh_audit, sample_memory, FreshJob};
use super::{all_healthy, fault, Live, SERVICE_START};
use crate::backend::{Backend, Endpoint, RawFsRead, RawLog};
use crate::clock::RunClock;
use crate::load::{run_load, LoadConfig, Recorder};
use crate::probe::Prober;
use crate::record::{FaultRecord, FreshPair, Reply, TrialRecord};
use crate::scenario::plan::Plan;
use crate::scenario::{Action, Fault, FaultKind, Scenario, ALL};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What the load-and-faults part of a trial works with.
pub(super) struct Drive<'a> {
    pub(super) backend: &'a dyn Backend,
    pub(super) scenario: &'a Scenario,
    pub(super) plan: &'a Plan,
    pub(super) endpoints: &'a [Endpoint],
    pub(super) load_targets: &'a [SocketAddr],
    pub(super) probers: &'a [Prober],
    pub(super) clock: &'a RunClock,
    pub(super) live: &'a Live,
    pub(super) cancel: &'a CancellationToken,
    pub(super) checks: Vec<CheckRun>,
    /// Reads right after an instance first became healthy: (instance, read).
    pub(super) boot_reads: Vec<(String, RawFsRead)>,
}

/// The fault schedule of one trial: what applying its faults needs besides the checks.
struct Schedule<'a> {
    backend: &'a dyn Backend,
    plan: &'a Plan,
    clock: &'a RunClock,
    live: &'a Live,
    cancel: &'a CancellationToken,
    endpoints: &'a [Endpoint],
    probers: &'a [Prober],
    start_timeout: Duration,
    /// Services a burn's rebuild starts before the replicas.
    services: u32,
    audit_on: bool,
    /// The audit's sample of the load mix, and the mix's writes it reads back.
    mix: Vec<SampleRequest>,
    writes: Vec<Write>,
    /// Fresh instances to audit once healthy.
    jobs: mpsc::UnboundedSender<FreshJob>,
    /// The trial's number, from 1, for the progress line.
    n: u32,
}

/// The old instance's sample taken before a replacement: the requests and their answers.
type Sample = (Vec<SampleRequest>, Vec<Option<Reply>>);

impl<'a> Drive<'a> {
    /// Load, faults on schedule (each followed by verifying the checks once every replica is
    /// healthy again), then the recovery tail.
    async fn drive(&mut self, trial: &mut TrialRecord) {
        let n = trial.index + 1;
        self.live.set_phase(format!("trial {n}: load"));
        let load = &self.scenario.load;
        let recorder = Recorder::windowed(self.live.counters.clone(), load.window, load.timeout);
        let load = run_load(
            LoadConfig::from(load),
            self.load_targets.to_vec(),
            *self.clock,
            recorder.clone(),
            self.cancel.clone(),
        );
        let (jobs, job_rx) = mpsc::unbounded_channel::<FreshJob>();
        let schedule = self.schedule(jobs, n);
        let faults = schedule.run(&mut self.checks);
        let fresh = fresh_audits(
            job_rx,
            self.backend,
            self.probers,
            self.clock,
            self.cancel,
            &mut self.boot_reads,
        );
        // memory is sampled while the load runs, and stops with it
        let load_done = self.cancel.child_token();
        let load = async {
            let log = load.await;
            load_done.cancel();
            log
        };
        let memory = sample_memory(self.backend, self.clock, &load_done);
        let host = super::host::sample_host(self.clock, &load_done);
        let (log, faults, fresh, memory, host) = tokio::join!(load, faults, fresh, memory, host);
        (trial.host, trial.fresh, trial.requests, trial.memory) = (host, fresh, log, memory);
        trial.load_slip = recorder.slip();
        for f in &faults {
            if let Some(e) = &f.error {
                trial
                    .errors
                    .push(format!("fault {} ({} {}): {e}", f.index, f.kind.as_str(), f.target));
            }
        }
        trial.faults = faults;
        self.recovery_tail(n).await;
    }

    /// [`Drive::drive`], then the read-only trial and the replicas' end-of-trial reads at
    /// once (neither needs the other, and both are the audit's time added to the run);
    /// the instances' logs.
    pub(super) async fn drive_and_read(&mut self, trial: &mut TrialRecord) -> Vec<RawLog> {
        self.drive(trial).await;
        let (scenario, cancel, backend) = (self.scenario, self.cancel, self.backend);
        let read_only = async {
            let ro = scenario.audit.read_only_trial.filter(|_| !cancel.is_cancelled())?;
            self.live
                .set_phase(format!("trial {}: read-only trial", trial.index + 1));
            Some(super::read_only::run(backend, scenario, &ro, cancel).await)
        };
        let (read_only, logs) = tokio::join!(read_only, backend.logs());
        trial.read_only = read_only;
        logs
    }

    /// The fault schedule over this trial's replicas and probes.
    fn schedule(&self, jobs: mpsc::UnboundedSender<FreshJob>, n: u32) -> Schedule<'a> {
        let audit_on = self.scenario.audit.enabled;
        Schedule {
            backend: self.backend,
            plan: self.plan,
            clock: self.clock,
            live: self.live,
            cancel: self.cancel,
            endpoints: self.endpoints,
            probers: self.probers,
            start_timeout: self.scenario.app.start_timeout,
            services: self.scenario.services.len() as u32,
            audit_on,
            mix: audit::mix_sample(self.scenario),
            writes: if audit_on {
                audit::mix_writes(self.scenario)
            } else {
                Vec::new()
            },
            jobs,
            n,
        }
    }

    /// Gives a replica that is still down its start-up allowance to come back; with no
    /// fault, verifies the checks once.
    async fn recovery_tail(&mut self, n: u32) {
        self.live.set_phase(format!("trial {n}: waiting for recovery"));
        let healthy = all_healthy(self.probers, self.scenario.app.start_timeout, self.cancel).await;
        if self.plan.faults.is_empty() && healthy {
            self.live.set_phase(format!("trial {n}: verifying state"));
            for c in self.checks.iter_mut() {
                c.verify(self.endpoints, None, self.clock.now_us()).await;
            }
        }
    }
}

impl Schedule<'_> {
    /// Applies every planned fault at its instant; the records of those carried out.
    async fn run(self, checks: &mut [CheckRun]) -> Vec<FaultRecord> {
        let mut records = Vec::new();
        for f in &self.plan.faults {
            let at = self.clock.instant_at(f.at.as_micros() as i64);
            // the old instance's sample is taken just before the fault, not on its path
            let early = f.action == Action::Replace && self.audit_on;
            if early
                && !self
                    .sleep_until(at.checked_sub(audit::lead(&self.writes)).unwrap_or(at))
                    .await
            {
                break;
            }
            let first = match early {
                true => self.first_sample(f, checks).await,
                false => None,
            };
            if !self.sleep_until(at).await || !self.rolling(f, first, checks, &mut records).await {
                break;
            }
        }
        records
    }

    /// Sleeps until `t`; false when cancelled first.
    async fn sleep_until(&self, t: Instant) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep_until(t.into()) => true,
        }
    }

    /// The sample of the first replica `f` replaces, taken ahead of its instant.
    async fn first_sample(&self, f: &Fault, checks: &[CheckRun]) -> Option<Sample> {
        let t = self
            .endpoints
            .iter()
            .position(|e| f.target == ALL || e.replica == f.target)?;
        Some(self.sample(t, checks).await)
    }

    /// The old instance's sample of replica `t`.
    async fn sample(&self, t: usize, checks: &[CheckRun]) -> Sample {
        let of = self.endpoints.len();
        before_sample(self.endpoints[t].addr, &self.writes, &self.mix, checks, t, of).await
    }

    /// `f` on each of its targets in turn (`all`: a rolling fault, each replica once the
    /// previous one is healthy; a burn hits everything at once, so it stays one fault on
    /// `all`). False when cancelled.
    async fn rolling(
        &self,
        f: &Fault,
        mut first: Option<Sample>,
        checks: &mut [CheckRun],
        records: &mut Vec<FaultRecord>,
    ) -> bool {
        let targets: Vec<&str> = match f.kind == FaultKind::Burn || f.dependency {
            // a service is one target of its own
            true if f.dependency => vec![f.target.as_str()],
            true => vec![ALL],
            false => self
                .endpoints
                .iter()
                .filter(|e| f.target == ALL || e.replica == f.target)
                .map(|e| e.replica.as_str())
                .collect(),
        };
        for (k, target) in targets.iter().enumerate() {
            if self.cancel.is_cancelled() {
                return false;
            }
            let one = Fault {
                target: target.to_string(),
                ..f.clone()
            };
            let last = k + 1 == targets.len();
            if !self
                .one(&one, first.take().filter(|_| k == 0), last, checks, records)
                .await
            {
                return false;
            }
        }
        true
    }

    /// One fault on one target: apply it, queue the fresh instance's audit, wait for the
    /// replicas and verify the checks. False when cancelled mid-fault.
    async fn one(
        &self,
        one: &Fault,
        first: Option<Sample>,
        last: bool,
        checks: &mut [CheckRun],
        records: &mut Vec<FaultRecord>,
    ) -> bool {
        let (n, burn) = (self.n, one.kind == FaultKind::Burn);
        let what = format!("{} {} then {}", one.kind.as_str(), one.target, one.action.as_str());
        // fast probes from the fault until the target is healthy again, so time to healthy
        // is precise while the app is not probed fast the rest of the run
        let mut boost_cap = self.start_timeout + one.delay + one.grace;
        if burn {
            // the rebuild starts every service before the replicas
            boost_cap += SERVICE_START * self.services;
        }
        let boost = || {
            for p in self.probers.iter().filter(|p| burn || p.spec.replica == one.target) {
                p.boost(boost_cap);
            }
        };
        // a rolling fault's later targets are sampled right before their turn
        let (sample, before) = match (one.action, first) {
            (Action::Replace, Some(s)) => s,
            (Action::Replace, None) if self.audit_on && !one.dependency => {
                let t = self.endpoints.iter().position(|e| e.replica == one.target).unwrap_or(0);
                self.sample(t, checks).await
            }
            _ => (Vec::new(), Vec::new()),
        };
        self.live.set_phase(format!("trial {n}: {what}"));
        tokio::select! {
            r = fault::apply(records.len(), one, self.backend, self.clock, &boost) => records.push(r),
            // the teardown that follows removes whatever the fault left half done
            _ = self.cancel.cancelled() => return false,
        }
        self.queue_fresh(one, &what, records, boost_cap, (sample, before));
        self.live.set_phase(format!("trial {n}: recovering"));
        let healthy = match !checks.is_empty() || !last {
            true => all_healthy(self.probers, self.start_timeout, self.cancel).await,
            false => false,
        };
        if !checks.is_empty() && healthy {
            self.live.set_phase(format!("trial {n}: verifying state after {what}"));
            if one.dependency {
                for c in checks.iter() {
                    c.settle(self.endpoints, self.start_timeout).await;
                }
            }
            for c in checks.iter_mut() {
                c.verify(self.endpoints, Some(&what), self.clock.now_us()).await;
            }
            if let Some(r) = records.last_mut() {
                r.verified_us = Some(self.clock.now_us());
            }
        }
        true
    }

    /// Queues the fresh instance's audit: it is read and sampled once a probe sent after
    /// the old one was down answers healthy (an earlier answer may be the old one's).
    fn queue_fresh(&self, one: &Fault, what: &str, records: &[FaultRecord], within: Duration, sample: Sample) {
        let hit = records
            .last()
            .filter(|r| r.error.is_none())
            .and_then(|r| r.fault_done_us);
        // a fresh service is no instance of the app: nothing of it to audit
        let fresh = self.audit_on && !one.dependency && matches!(one.action, Action::Replace | Action::Add);
        if let (true, Some(done_us)) = (fresh, hit) {
            let _ = self.jobs.send(FreshJob {
                replica: one.target.clone(),
                fault: what.to_string(),
                since: self.clock.instant_at(done_us),
                within,
                sample: sample.0,
                before: sample.1,
            });
        }
    }
}

/// Each fresh instance, once healthy: its boot read and the sample again — every job from
/// the moment it is sent, beside the others (in turn, a job that took its reads' 5 s bound
/// made the next one miss its replica's down time and wait for another's).
async fn fresh_audits(
    mut job_rx: mpsc::UnboundedReceiver<FreshJob>,
    backend: &dyn Backend,
    probers: &[Prober],
    clock: &RunClock,
    cancel: &CancellationToken,
    boot_reads: &mut Vec<(String, RawFsRead)>,
) -> Vec<FreshPair> {
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
}
