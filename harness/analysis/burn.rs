//! Fowler's drill in figures: per burn, how long until everything was back (each service
//! ready, every replica and the front healthy, the journeys verified), which services came
//! back from a named volume, and which state checks survived the app's own faults but not
//! the burn — state that survived only because a dependency stayed up.

use super::recovery::ms;
use crate::record::{FaultRecord, RunRecord, TrialRecord, Verification};
use crate::scenario::FaultKind;
use serde::{Deserialize, Serialize};

/// One burn's recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnRecovery {
    /// Not written: result.json puts a burn's figures in its fault's entry.
    #[serde(skip_serializing, default)]
    pub trial: u32,
    /// The fault's index in its trial (not written, as `trial`).
    #[serde(skip_serializing, default)]
    pub index: usize,
    /// Each service as the rebuild brought it back, in start order.
    pub services: Vec<ServiceReturn>,
    /// t_f → every service ready and every replica and the front healthy, ms (None: not
    /// all came back).
    pub time_to_all_healthy_ms: Option<f64>,
    /// t_f → the end of the state checks' verification after the burn, ms (None: none ran).
    pub time_to_verified_ms: Option<f64>,
    /// Each check, before and after the burn.
    pub checks: Vec<BurnCheck>,
    /// Checks whose journeys all passed the last verification before the burn (after a
    /// fault of the app alone) and failed after it: state kept by a dependency that stayed up.
    pub kept_only_by_dependencies: Vec<String>,
}

/// A service after the rebuild.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReturn {
    pub name: String,
    /// t_f → ready again (its ready line seen, else started), ms.
    pub ready_ms: f64,
    pub volumes: Vec<String>,
    /// It mounts named volumes and each had outlived the burn.
    pub from_volume: bool,
}

/// One check around a burn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnCheck {
    pub name: String,
    /// The last verification before the burn that followed a fault, if any.
    pub before: Option<Verified>,
    /// The verification after the burn, if one ran.
    pub after: Option<Verified>,
}

/// What one verification found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    /// The fault it followed, in words.
    pub fault: String,
    pub passed: u64,
    pub failed: u64,
}

/// Every burn of the run, in trial and fault order.
pub(crate) fn burns(record: &RunRecord, time_to_healthy: impl Fn(u32, usize) -> Option<f64>) -> Vec<BurnRecovery> {
    let mut out = Vec::new();
    for trial in &record.trials {
        for f in trial.faults.iter().filter(|f| f.kind == FaultKind::Burn) {
            out.push(burn(trial, f, time_to_healthy(trial.index, f.index)));
        }
    }
    out
}

fn burn(trial: &TrialRecord, f: &FaultRecord, tth_ms: Option<f64>) -> BurnRecovery {
    let t_f = f.issued_us;
    let services: Vec<ServiceReturn> = f
        .services
        .iter()
        .map(|s| ServiceReturn {
            name: s.name.clone(),
            ready_ms: ms(s.ready_us - t_f),
            volumes: s.volumes.clone(),
            from_volume: s.from_volume,
        })
        .collect();
    let last_ready = services
        .iter()
        .map(|s| s.ready_ms)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    // every service must have come back (an error leaves the list short)
    let all_services = f.error.is_none();
    let time_to_all_healthy_ms = tth_ms
        .filter(|_| all_services)
        .map(|h| last_ready.map_or(h, |r| r.max(h)));
    // the burn's verification runs between it and the next fault
    let next_us = trial
        .faults
        .iter()
        .map(|o| o.issued_us)
        .filter(|&t| t > t_f)
        .min()
        .unwrap_or(i64::MAX);
    let checks: Vec<BurnCheck> = trial
        .checks
        .iter()
        .map(|c| {
            let before = c
                .verifications
                .iter()
                .filter(|v| v.at_us < t_f && v.after.is_some())
                .max_by_key(|v| v.at_us)
                .map(verified);
            let after = c
                .verifications
                .iter()
                .find(|v| v.at_us >= t_f && v.at_us < next_us)
                .map(verified);
            BurnCheck {
                name: c.name.clone(),
                before,
                after,
            }
        })
        .collect();
    let kept_only_by_dependencies = checks
        .iter()
        .filter(|c| {
            let survived = c.before.as_ref().is_some_and(|b| b.failed == 0 && b.passed > 0);
            let lost = c.after.as_ref().is_some_and(|a| a.failed > 0);
            survived && lost
        })
        .map(|c| c.name.clone())
        .collect();
    BurnRecovery {
        trial: trial.index,
        index: f.index,
        services,
        time_to_all_healthy_ms,
        time_to_verified_ms: f.verified_us.map(|v| ms(v - t_f)),
        checks,
        kept_only_by_dependencies,
    }
}

fn verified(v: &Verification) -> Verified {
    Verified {
        fault: v.after.clone().unwrap_or_default(),
        passed: v.passed,
        failed: v.failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CheckRecord, ServiceBack};
    use crate::scenario::Action;

    fn fault(index: usize, kind: FaultKind, action: Action, target: &str, at: i64) -> FaultRecord {
        FaultRecord {
            index,
            kind,
            action,
            target: target.into(),
            planned_us: at,
            issued_us: at,
            fault_done_us: Some(at + 1_000),
            action_issued_us: Some(at + 2_000),
            action_done_us: Some(at + 900_000),
            old_stopped_us: None,
            error: None,
            services: Vec::new(),
            verified_us: None,
            delay_us: 0,
            dependency: false,
        }
    }

    fn verification(after: &str, at_us: i64, passed: u64, failed: u64) -> Verification {
        Verification {
            after: Some(after.into()),
            at_us,
            replicas: vec!["app-0".into()],
            passed,
            failed,
        }
    }

    #[test]
    fn a_check_that_survived_the_kill_but_not_the_burn_was_kept_by_a_dependency() {
        let mut burn = fault(1, FaultKind::Burn, Action::Rebuild, "all", 5_000_000);
        burn.services = vec![ServiceBack {
            name: "redis".into(),
            ready_us: 5_300_000,
            volumes: vec![],
            from_volume: false,
        }];
        burn.verified_us = Some(6_500_000);
        let trial = TrialRecord {
            faults: vec![fault(0, FaultKind::Kill, Action::Replace, "app-0", 2_000_000), burn],
            checks: vec![
                CheckRecord {
                    name: "sessions".into(),
                    verifications: vec![
                        verification("kill app-0 then replace", 3_000_000, 20, 0),
                        verification("burn all then rebuild", 6_000_000, 0, 20),
                    ],
                    ..Default::default()
                },
                CheckRecord {
                    name: "cache".into(),
                    verifications: vec![
                        verification("kill app-0 then replace", 3_000_000, 0, 20),
                        verification("burn all then rebuild", 6_000_000, 0, 20),
                    ],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let b = super::burn(&trial, &trial.faults[1], Some(900.0));
        assert_eq!(b.kept_only_by_dependencies, vec!["sessions".to_string()]);
        assert_eq!(b.services[0].ready_ms, 300.0);
        assert!(!b.services[0].from_volume);
        assert_eq!(b.time_to_all_healthy_ms, Some(900.0));
        assert_eq!(b.time_to_verified_ms, Some(1500.0));
        assert_eq!(b.checks[0].before.as_ref().map(|v| v.passed), Some(20));
        assert_eq!(b.checks[0].after.as_ref().map(|v| v.failed), Some(20));
    }

    #[test]
    fn a_service_slower_than_the_replicas_sets_the_time_to_all_healthy_and_an_error_clears_it() {
        let mut burn = fault(0, FaultKind::Burn, Action::Rebuild, "all", 1_000_000);
        burn.services = vec![ServiceBack {
            name: "db".into(),
            ready_us: 3_000_000,
            volumes: vec!["data".into()],
            from_volume: true,
        }];
        let trial = TrialRecord {
            faults: vec![burn.clone()],
            ..Default::default()
        };
        let b = super::burn(&trial, &trial.faults[0], Some(1500.0));
        assert_eq!(b.time_to_all_healthy_ms, Some(2000.0));
        assert!(b.services[0].from_volume);
        assert!(b.kept_only_by_dependencies.is_empty() && b.time_to_verified_ms.is_none());
        burn.error = Some("start service 'db': timeout".into());
        let trial = TrialRecord {
            faults: vec![burn],
            ..Default::default()
        };
        assert_eq!(
            super::burn(&trial, &trial.faults[0], Some(1500.0)).time_to_all_healthy_ms,
            None
        );
    }
}
