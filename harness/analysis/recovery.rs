//! Recovery per fault: time to healthy, time to first success, time to steady, the
//! recovery breakdown and the requests lost. Definitions are those of docs/certification.md ("Reading result.json: the definitions").

use super::stats::new_histogram;
use super::windows::{add_ok_latency, class_index};
pub use crate::probe::healthy::{all_healthy_at, healthy_at, recover_from, Healthy};
use crate::record::{FaultRecord, LifecycleKind, Outcome, ProbeOutcome, TrialRecord};
use crate::scenario::ALL;
use serde::{Deserialize, Serialize};

/// Docker reports an exit a little before the kill call returns; accept events this
/// long before the fault instant as belonging to it.
const EVENT_SLACK_US: i64 = 5_000;

/// Latency differences below this are treated as noise when judging "steady".
pub(crate) const STEADY_LATENCY_FLOOR_US: i64 = 2_000;

/// Recovery stages, each in ms after the fault instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The instance exited.
    pub exit: Option<f64>,
    /// The restart or replacement was issued.
    pub restart_issued: Option<f64>,
    /// The new or restarted instance was running.
    pub running: Option<f64>,
    /// The app first answered a probe (any status).
    pub(crate) accepting: Option<f64>,
    /// First healthy probe.
    pub healthy: Option<f64>,
}

/// Requests lost to one fault.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lost {
    pub total: u64,
    /// Of which were in flight at the fault instant.
    pub in_flight: u64,
    pub refused: u64,
    pub(crate) reset: u64,
    pub timeout: u64,
    pub(crate) http_5xx: u64,
    pub other: u64,
}

impl Lost {
    fn add(&mut self, o: Outcome) {
        self.total += 1;
        match o {
            Outcome::Refused => self.refused += 1,
            Outcome::Reset => self.reset += 1,
            Outcome::Timeout => self.timeout += 1,
            Outcome::Http5xx => self.http_5xx += 1,
            Outcome::Other => self.other += 1,
            Outcome::Ok | Outcome::ClientOverload => self.total -= 1,
        }
    }
}

/// What the health probe saw of a fault's target after the fault instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryStatus {
    /// Seen unhealthy (or unreachable), then healthy again: time to healthy is measured.
    Recovered,
    /// Never healthy again before the end of the trial.
    NotRecovered,
    /// Healthy before the fault and never seen otherwise after it: the fault failed, or the
    /// outage was shorter than the probe could see. No recovery was measured, so time to
    /// healthy is not 0 but unknown.
    NotObserved,
}

impl RecoveryStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            RecoveryStatus::Recovered => "recovered",
            RecoveryStatus::NotRecovered => "not_recovered",
            RecoveryStatus::NotObserved => "not_observed",
        }
    }
}

/// One fault's recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRecovery {
    pub trial: u32,
    pub index: usize,
    pub kind: String,
    pub action: String,
    pub target: String,
    /// Fault instant, ms on the trial clock.
    pub at_ms: f64,
    pub recovery: RecoveryStatus,
    /// Measured only when `recovery` is `Recovered`.
    pub time_to_healthy_ms: Option<f64>,
    /// How late time to healthy can be, at most: from the last probe sent before the first
    /// healthy one (it did not find the instance healthy) to that healthy answer. The probe
    /// loop's resolution at this recovery; a busy host that delays the probes widens it.
    #[serde(default)]
    pub time_to_healthy_resolution_ms: Option<f64>,
    /// The platform floor p50 of this fault's action (docs/certification.md, The platform floor), ms;
    /// None when not recovered or no floor was measured for the action.
    #[serde(default)]
    pub floor_ms: Option<f64>,
    /// Time to healthy minus `floor_ms`, at least 0: the app's own share, ms.
    #[serde(default)]
    pub app_share_ms: Option<f64>,
    /// For a fault on a service (a dependency of the app): when it was back and when the
    /// app served again. None for a fault on the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency: Option<DependencyRecovery>,
    /// Requests (any outcome) intended in the disruption window, from the fault instant to
    /// healthy (to the end of the load if never healthy; 0 when the recovery was not
    /// observed). With none, no client saw the outage: availability and latency during
    /// this fault were not measured.
    pub(crate) requests_in_disruption: u64,
    pub(crate) time_to_first_success_ms: Option<f64>,
    pub time_to_steady_ms: Option<f64>,
    pub lost: Lost,
    pub breakdown: Breakdown,
    /// Why a figure is missing, in words.
    pub notes: Vec<String>,
    /// The fault or its action failed.
    pub error: Option<String>,
}

/// A fault on a service as the app's clients saw it. Its fault's `time_to_healthy_ms` is
/// fault → the app serving steadily again, `floor_ms` the service's own `ready_ms` and
/// `app_share_ms` its `serve_again_ms`: time to healthy = the service's + the app's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyRecovery {
    pub service: String,
    /// Fault instant → the service ready again (its ready line printed after the action,
    /// else running or connected again), ms. None: it did not come back.
    pub ready_ms: Option<f64>,
    /// The service ready again → the start of the first window of the load (on its window
    /// grid, `certify.steady_window` long) in which every request was served, ms. None:
    /// the app did not serve steadily again before the end of the load. Latency back to
    /// the baseline is `time_to_steady_ms`'s to tell.
    pub serve_again_ms: Option<f64>,
}

/// Parameters the recovery figures depend on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecoveryParams {
    pub(crate) load_window_us: i64,
    pub(crate) steady_window_us: i64,
    pub(crate) steady_tolerance: f64,
    /// Baseline p99 of successful requests, µs (None if there was no baseline).
    pub(crate) baseline_p99_us: Option<i64>,
    /// End of the load, µs.
    pub(crate) end_us: i64,
}

/// µs as ms, to the µs.
pub(super) fn ms(us: i64) -> f64 {
    (us as f64 / 1000.0 * 1000.0).round() / 1000.0
}

impl FaultRecovery {
    /// Where the disruption phase ends, ms after the fault instant: time to healthy when
    /// measured, 0 when the target never looked unhealthy (nothing to attribute to a
    /// disruption), None when it never recovered.
    pub(crate) fn healthy_offset_ms(&self) -> Option<f64> {
        match self.recovery {
            RecoveryStatus::Recovered => self.time_to_healthy_ms,
            RecoveryStatus::NotObserved => Some(0.0),
            RecoveryStatus::NotRecovered => None,
        }
    }
}

/// How late a recovery read at `healthy_us` can be: that healthy answer's instant minus the
/// send instant of the probe before it (the one that did not find the instance healthy).
/// For a burn, the member whose recovery came last.
fn resolution_us(trial: &TrialRecord, target: &str, healthy_us: i64) -> Option<i64> {
    trial
        .probes
        .iter()
        .filter(|p| target == ALL || p.replica == target)
        .flat_map(|p| &p.transitions)
        .find(|t| t.outcome == ProbeOutcome::Healthy && t.done_us == healthy_us)
        .and_then(|t| t.prev_sent_us)
        .map(|prev| (healthy_us - prev).max(0))
}

/// Where one fault's claim on failed requests starts and stops, so that no failed request
/// is counted for two faults: requests in flight at the fault count only if sent after the
/// previous fault's window (`previous_end_us`), and the window stops at the next fault.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim {
    pub(crate) previous_end_us: i64,
    pub(crate) next_fault_us: Option<i64>,
}

/// Everything about one fault's recovery.
pub(crate) fn recover(trial: &TrialRecord, fault: &FaultRecord, p: RecoveryParams, claim: Claim) -> FaultRecovery {
    let t_f = fault.issued_us;
    let mut notes = Vec::new();
    let (recovery, healthy) = match fault.dependency {
        true => serves_again(trial, fault, p, &mut notes),
        false => observe(trial, fault, &mut notes),
    };
    let disruption_end = healthy.unwrap_or(p.end_us.max(t_f));
    let requests_in_disruption = trial.requests.count_between(t_f, disruption_end);
    if recovery == RecoveryStatus::Recovered && requests_in_disruption == 0 {
        notes.push(format!(
            "no request was sent while {} was down: availability and latency during this fault were not measured (raise load.rate)",
            fault.target
        ));
    }
    let steady = healthy.and_then(|h| steady_at(trial, h, p, true));
    if healthy.is_some() && steady.is_none() {
        notes.push("no steady window before the end of the load".into());
    }
    let lost_until = steady.unwrap_or(p.end_us.max(t_f));
    let (lost, first_failure) = lost_requests(trial, t_f, lost_until, claim);
    let first_success = first_failure.and_then(|f| first_success_after(trial, f, t_f));
    if first_failure.is_none() {
        notes.push("no request failed: clients saw no interruption".into());
    }
    let breakdown = breakdown(trial, fault, healthy.filter(|_| recovery == RecoveryStatus::Recovered));
    FaultRecovery {
        trial: trial.index,
        index: fault.index,
        kind: fault.kind.as_str().into(),
        action: fault.action.as_str().into(),
        target: fault.target.clone(),
        at_ms: ms(t_f),
        recovery,
        time_to_healthy_ms: healthy
            .filter(|_| recovery == RecoveryStatus::Recovered)
            .map(|h| ms(h - t_f)),
        time_to_healthy_resolution_ms: healthy
            .filter(|_| recovery == RecoveryStatus::Recovered)
            .and_then(|h| resolution_us(trial, &fault.target, h))
            .map(ms),
        floor_ms: None,
        app_share_ms: None,
        dependency: fault.dependency.then(|| dependency(fault, healthy)),
        requests_in_disruption,
        time_to_first_success_ms: first_success.map(|s| ms(s - t_f)),
        time_to_steady_ms: steady.map(|s| ms(s - t_f)),
        lost,
        breakdown,
        notes,
        error: fault.error.clone(),
    }
}

/// A fault on a service: the app is back when its clients are served steadily again after
/// the service was ready (the probe's `/health` often does not look at the app's store).
fn serves_again(
    trial: &TrialRecord,
    fault: &FaultRecord,
    p: RecoveryParams,
    notes: &mut Vec<String>,
) -> (RecoveryStatus, Option<i64>) {
    let Some(ready) = fault.services.first().map(|s| s.ready_us.max(fault.issued_us)) else {
        notes.push(format!(
            "{} was not ready again: the app's recovery was not measured",
            fault.target
        ));
        return (RecoveryStatus::NotRecovered, None);
    };
    // served, not yet calm: latency back to the baseline is the steady phase's to show
    match steady_at(trial, ready, p, false) {
        Some(s) => (RecoveryStatus::Recovered, Some(s)),
        None => {
            notes.push(format!(
                "the app still failed {:.1} s after {} was ready again, at the end of the load",
                (p.end_us - ready).max(0) as f64 / 1e6,
                fault.target
            ));
            (RecoveryStatus::NotRecovered, None)
        }
    }
}

/// The service's return and the app's, ms after the fault (`healthy`: the app steady again).
fn dependency(fault: &FaultRecord, healthy: Option<i64>) -> DependencyRecovery {
    let ready = fault.services.first().map(|s| s.ready_us.max(fault.issued_us));
    DependencyRecovery {
        service: fault.target.clone(),
        ready_ms: ready.map(|r| ms(r - fault.issued_us)),
        serve_again_ms: ready.zip(healthy).map(|(r, h)| ms((h - r).max(0))),
    }
}

/// What the probe saw of the fault's target: the recovery status and the instant the
/// disruption ended (the fault instant when not observed, None when never healthy again),
/// with a note when the recovery was not measured.
fn observe(trial: &TrialRecord, fault: &FaultRecord, notes: &mut Vec<String>) -> (RecoveryStatus, Option<i64>) {
    let t_f = fault.issued_us;
    let recover_from = recover_from(fault);
    let seen = if fault.target == ALL {
        // a burn: healthy when the last of every probed member (replicas, front) is
        all_healthy_at(trial, t_f, recover_from)
    } else {
        healthy_at(trial, &fault.target, t_f, recover_from)
    };
    let (recovery, healthy) = match seen {
        Healthy::At(h) => (RecoveryStatus::Recovered, Some(h)),
        // the disruption, if any, ended before the probe could see it: later figures
        // (steady, lost requests) still count from the fault instant
        Healthy::NeverLeft => (RecoveryStatus::NotObserved, Some(t_f)),
        Healthy::Never => (RecoveryStatus::NotRecovered, None),
    };
    match recovery {
        RecoveryStatus::NotRecovered => notes.push(format!(
            "{} did not become healthy again before the end of the trial",
            fault.target
        )),
        RecoveryStatus::NotObserved => notes.push(format!(
            "the probe never saw {} unhealthy after the fault: its recovery was not observed, so time to healthy is not measured (the fault failed, or the outage was shorter than the probe can see)",
            fault.target
        )),
        RecoveryStatus::Recovered => {}
    }
    (recovery, healthy)
}

/// The failed requests this fault claims (intended from `t_f` to `lost_until` within the
/// claim, or in flight at `t_f`), and the intended instant of the first of them.
fn lost_requests(trial: &TrialRecord, t_f: i64, lost_until: i64, claim: Claim) -> (Lost, Option<i64>) {
    let mut lost = Lost::default();
    let mut first_failure: Option<i64> = None;
    // every failed request is raw
    for (intended, done, outcome, _) in trial.requests.raw() {
        if !outcome.is_app_failure() {
            continue;
        }
        let in_window = intended >= t_f && intended <= lost_until && claim.next_fault_us.is_none_or(|n| intended < n);
        let in_flight = intended < t_f && done > t_f && intended >= claim.previous_end_us;
        if in_window || in_flight {
            lost.add(outcome);
            if in_flight {
                lost.in_flight += 1;
            }
            first_failure = Some(first_failure.map_or(intended, |f: i64| f.min(intended)));
        }
    }
    (lost, first_failure)
}

/// When the first request sent after the first failure `f` succeeded (completed at or
/// after the fault instant `t_f`).
fn first_success_after(trial: &TrialRecord, f: i64, t_f: i64) -> Option<i64> {
    let raw = trial
        .requests
        .raw()
        // after the first failure, and completed after the fault (a request in flight
        // since an earlier fault can fail with a send time before this one)
        .filter(|(i, d, o, _)| o.is_ok() && *i > f && *d >= t_f)
        .map(|(_, d, _, _)| d);
    // successes kept per window are far from every failure: wholly after it or before
    let windowed = trial
        .requests
        .windows
        .iter()
        .filter(|w| w.first_intended_us > f && w.first_done_us >= t_f)
        .map(|w| w.first_done_us);
    raw.chain(windowed).min()
}

/// Start of the first steady window at or after `healthy`: windows start on the load's
/// window grid, last `steady_window`, contain requests, none failed, and (when `calm`)
/// their p99 is within tolerance of the baseline p99 (with a noise floor).
fn steady_at(trial: &TrialRecord, healthy: i64, p: RecoveryParams, calm: bool) -> Option<i64> {
    let grid = p.load_window_us.max(1);
    let mut start = (healthy + grid - 1) / grid * grid;
    let limit = p
        .baseline_p99_us
        .map(|b| (b.max(STEADY_LATENCY_FLOOR_US) as f64 * p.steady_tolerance) as u64);
    let log = &trial.requests;
    while start + p.steady_window_us <= p.end_us {
        let end = start + p.steady_window_us;
        // every failed request is raw, and the raw log is sorted by intended time
        let failed_at = log
            .raw_between(start, end)
            .find(|&i| class_index(log.outcome[i]).is_some())
            .map(|i| log.intended_us[i]);
        if let Some(f) = failed_at {
            // no window containing this failure can be steady: jump past it
            start = (f / grid + 1) * grid;
            continue;
        }
        let mut h = new_histogram();
        let held = add_ok_latency(log, start, end, &mut h);
        let calm_enough = !calm || limit.is_none_or(|l| h.value_at_quantile(0.99) <= l);
        if held > 0 && calm_enough {
            return Some(start);
        }
        start += grid;
    }
    None
}

/// The recovery stages of the fault's target; for a burn (target `all`), of the last probed
/// member to reach each stage (every member exited, running, accepting).
fn breakdown(trial: &TrialRecord, fault: &FaultRecord, healthy: Option<i64>) -> Breakdown {
    let t_f = fault.issued_us;
    let rel = |t: Option<i64>| t.map(|t| ms(t - t_f));
    let members: Vec<&str> = if fault.target == ALL {
        trial.probes.iter().map(|p| p.replica.as_str()).collect()
    } else {
        vec![fault.target.as_str()]
    };
    // the old instance may answer until it stops (a swarm update stops it after the action)
    let after_action = fault
        .old_stopped_us
        .unwrap_or(i64::MIN)
        .max(fault.action_issued_us.unwrap_or(t_f));
    // the last member's stage, None as soon as one member lacks it
    let last = |stage: &dyn Fn(&str) -> Option<i64>| -> Option<i64> {
        members
            .iter()
            .map(|m| stage(m))
            .collect::<Option<Vec<i64>>>()?
            .into_iter()
            .max()
    };
    let events = |m: &str| {
        let m = m.to_string();
        trial
            .lifecycle
            .iter()
            .filter(move |e| e.replica == m && e.at_us >= t_f - EVENT_SLACK_US)
    };
    let exit = last(&|m| events(m).find(|e| e.kind == LifecycleKind::Exited).map(|e| e.at_us));
    let running = last(&|m| {
        events(m)
            .find(|e| e.kind == LifecycleKind::Started && e.at_us >= after_action - EVENT_SLACK_US)
            .map(|e| e.at_us)
    });
    let accepting = last(&|m| {
        trial.probes.iter().find(|p| p.replica == m).and_then(|p| {
            p.transitions
                .iter()
                .find(|t| t.done_us > after_action && t.outcome.app_answered())
                .map(|t| t.done_us)
        })
    });
    Breakdown {
        exit: rel(exit),
        restart_issued: rel(fault.action_issued_us),
        running: rel(running),
        accepting: rel(accepting.or(healthy.filter(|h| *h > t_f))),
        healthy: rel(healthy),
    }
}
