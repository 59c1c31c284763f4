//! The time-to-healthy rule: when a probe log says a replica became healthy again after a
//! fault. It lives with the probes, below both of its users: the platform floor
//! (`execute::floor`) times its null replica's cycles with it while the run goes on, and
//! the analysis (`analysis::recovery`) times every fault of the record with it afterwards.

use crate::record::{FaultRecord, ProbeOutcome, TrialRecord};

/// What the probe of `replica` saw after `t_f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Healthy {
    /// Became healthy at this instant (µs) after being seen otherwise.
    At(i64),
    /// Healthy before `t_f` and never seen otherwise after it.
    NeverLeft,
    /// Not healthy again before the end of the trial.
    Never,
}

/// The first healthy probe sent after `t_f` that follows a probe sent after `t_f` seeing the
/// replica otherwise. A probe sent before the fault says nothing about the recovery, even if
/// it completes after it (a stray timeout before the fault is not an outage). A replica
/// whose probes after the fault were all healthy did not show an outage: that is
/// `NeverLeft`, not a time to healthy of 0. The probe log records the first probe of each
/// fast span even when its outcome did not change, so an outcome that was already
/// unhealthy before the fault is still seen after it. A recovery is a healthy answer that
/// came at or after `recover_from`, when the fault's action (restart, replace, unpause, …)
/// was issued: before it the replica cannot have recovered, and a healthy answer then is
/// the old instance before the fault took effect (on a loaded host a probe can time out
/// just before the kill lands and the next one still be answered by the doomed instance).
/// The answer counts, not the send: a probe a paused replica held is answered the moment it
/// is thawed, and the log, which keeps changes only, holds no later healthy probe.
pub fn healthy_at(trial: &TrialRecord, replica: &str, t_f: i64, recover_from: i64) -> Healthy {
    let Some(probes) = trial.probes.iter().find(|p| p.replica == replica) else {
        return Healthy::Never;
    };
    let mut saw_unhealthy = false;
    for t in probes.transitions.iter().filter(|t| t.sent_us >= t_f) {
        if t.outcome != ProbeOutcome::Healthy {
            saw_unhealthy = true;
        } else if saw_unhealthy && t.done_us >= recover_from {
            return Healthy::At(t.done_us);
        }
    }
    let healthy_after = probes
        .transitions
        .iter()
        .any(|t| t.sent_us >= t_f && t.outcome == ProbeOutcome::Healthy);
    let healthy_before = probes
        .transitions
        .iter()
        .rev()
        .find(|t| t.sent_us < t_f)
        .is_some_and(|t| t.outcome == ProbeOutcome::Healthy);
    if !saw_unhealthy && (healthy_after || healthy_before) {
        Healthy::NeverLeft
    } else {
        Healthy::Never
    }
}

/// [`healthy_at`] for every probed member at once (a burn): `At` the last member's
/// recovery when each recovered; `Never` when one never did; otherwise `NeverLeft`.
pub fn all_healthy_at(trial: &TrialRecord, t_f: i64, recover_from: i64) -> Healthy {
    let seen: Vec<Healthy> = trial
        .probes
        .iter()
        .map(|p| healthy_at(trial, &p.replica, t_f, recover_from))
        .collect();
    if seen.is_empty() || seen.contains(&Healthy::Never) {
        return Healthy::Never;
    }
    let at: Vec<i64> = seen
        .iter()
        .filter_map(|h| match h {
            Healthy::At(t) => Some(*t),
            _ => None,
        })
        .collect();
    if at.len() == seen.len() {
        Healthy::At(at.into_iter().max().unwrap_or(t_f))
    } else {
        Healthy::NeverLeft
    }
}

/// When the replica can first have recovered: once the action was issued and, where the
/// platform stops the old instance itself after that, once the old instance had stopped.
pub fn recover_from(fault: &FaultRecord) -> i64 {
    let t_f = fault.issued_us;
    let acted = fault.action_issued_us.unwrap_or(t_f).max(t_f);
    fault.old_stopped_us.map_or(acted, |s| s.max(acted))
}
