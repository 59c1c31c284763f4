//! State checks over all trials, and the statelessness audit of what instances wrote to
//! their own filesystems.

use crate::check::MAX_FAILURES;
use crate::record::{CheckFailure, RunRecord};
use serde::{Deserialize, Serialize};

/// Most local writes listed in the audit.
pub const MAX_LOCAL_WRITES: usize = 50;

/// One check summed over trials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckSummary {
    pub name: String,
    /// Journeys attempted.
    pub journeys: u64,
    /// Journeys whose setup passed.
    pub set_up: u64,
    /// Set-up journeys that passed every verification.
    pub verified: u64,
    /// set_up − verified: state that did not survive.
    pub lost: u64,
    pub setup_failed: u64,
    /// How many times the journeys were verified.
    pub verifications: u64,
    pub failures: Vec<CheckFailure>,
}

impl CheckSummary {
    /// The verdict line when state was lost, or when nothing could be set up.
    pub fn problem(&self) -> Option<String> {
        let first = self
            .failures
            .iter()
            .find(|f| f.phase == "verify")
            .or(self.failures.first());
        let detail = first.map_or(String::new(), |f| {
            let after = f.after.as_deref().map_or(String::new(), |a| format!(" after {a}"));
            format!(
                "; first failure{after}: {} on {}: expected {}, got {}",
                f.step, f.replica, f.expected, f.got
            )
        });
        if self.set_up == 0 {
            Some(format!(
                "{}: no journey could be set up, so state survival is unknown{detail}",
                self.name
            ))
        } else if self.verifications == 0 {
            Some(format!(
                "{}: the journeys were never verified (the app did not recover)",
                self.name
            ))
        } else if self.lost > 0 {
            Some(format!(
                "{}: {} of {} journeys set up before the faults failed verification afterwards{detail}",
                self.name, self.lost, self.set_up
            ))
        } else {
            None
        }
    }
}

/// Sums each check over the trials, in scenario order.
pub fn summarise(record: &RunRecord) -> Vec<CheckSummary> {
    let mut out: Vec<CheckSummary> = record
        .scenario
        .checks
        .iter()
        .map(|c| CheckSummary {
            name: c.name.clone(),
            ..Default::default()
        })
        .collect();
    for trial in &record.trials {
        for c in &trial.checks {
            let Some(s) = out.iter_mut().find(|s| s.name == c.name) else {
                continue;
            };
            s.journeys += u64::from(c.journeys);
            s.set_up += c.set_up;
            s.verified += c.verified;
            s.lost += c.set_up.saturating_sub(c.verified);
            s.setup_failed += c.setup_failed;
            s.verifications += c.verifications.len() as u64;
            for f in &c.failures {
                if s.failures.len() < MAX_FAILURES {
                    s.failures.push(f.clone());
                }
            }
        }
    }
    out
}

/// Files instances added to their own filesystems, as `replica: path`, without repeats.
/// Volume mount points (which the engine creates) are not the app's writes.
pub fn local_writes(record: &RunRecord) -> Vec<String> {
    let mounts: Vec<&str> = record
        .scenario
        .app
        .volumes
        .iter()
        .map(|v| v.path.trim_end_matches('/'))
        .collect();
    let is_mount = |w: &str| mounts.iter().any(|m| *m == w || m.starts_with(&format!("{w}/")));
    let mut out: Vec<String> = Vec::new();
    for trial in &record.trials {
        for log in &trial.logs {
            for w in log.writes.iter().filter(|w| !is_mount(w)) {
                let line = format!("{}: {w}", log.replica);
                if !out.contains(&line) && out.len() < MAX_LOCAL_WRITES {
                    out.push(line);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(phase: &str) -> CheckFailure {
        CheckFailure {
            journey: 0,
            phase: phase.into(),
            step: "GET /me".into(),
            replica: "app-1".into(),
            after: Some("kill app-0 then replace".into()),
            expected: "status 200".into(),
            got: "status 401".into(),
            excerpt: String::new(),
        }
    }

    #[test]
    fn lost_state_is_described_with_its_first_failure() {
        let s = CheckSummary {
            name: "sessions".into(),
            journeys: 50,
            set_up: 50,
            verified: 0,
            lost: 50,
            verifications: 2,
            failures: vec![failure("verify")],
            ..Default::default()
        };
        let p = s.problem().unwrap();
        assert!(
            p.starts_with("sessions: 50 of 50 journeys set up before the faults failed verification"),
            "{p}"
        );
        assert!(
            p.contains("after kill app-0 then replace: GET /me on app-1: expected status 200, got status 401"),
            "{p}"
        );
    }

    #[test]
    fn intact_state_has_no_problem_and_nothing_set_up_is_inconclusive() {
        let ok = CheckSummary {
            name: "cache".into(),
            set_up: 5,
            verified: 5,
            verifications: 1,
            ..Default::default()
        };
        assert_eq!(ok.problem(), None);
        let none = CheckSummary {
            name: "cache".into(),
            journeys: 5,
            setup_failed: 5,
            failures: vec![failure("setup")],
            ..Default::default()
        };
        assert!(none.problem().unwrap().contains("no journey could be set up"));
    }
}
