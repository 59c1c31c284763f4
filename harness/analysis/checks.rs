//! State checks over all trials.

use crate::record::{CheckFailure, RunRecord, MAX_FAILURES};
use serde::{Deserialize, Serialize};

/// One check summed over trials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckSummary {
    pub name: String,
    /// Journeys attempted.
    pub journeys: u64,
    /// Journeys whose setup passed.
    pub set_up: u64,
    /// Set-up journeys that failed their control, the verification right after setup
    /// before any fault: the check or the app is wrong. Left out of every verification,
    /// never lost.
    #[serde(default)]
    pub broken: u64,
    /// Set-up journeys that passed their control and every verification, in trials where a
    /// verification ran.
    pub verified: u64,
    /// Sound journeys (set up, control passed) no verification ever looked at (their trial
    /// ran none): neither verified nor lost, their state survival is unknown.
    #[serde(default)]
    pub unverified: u64,
    /// Why some journeys were never verified, when they were not (null otherwise).
    #[serde(default)]
    pub(crate) unverified_reason: Option<String>,
    /// set_up − broken − verified − unverified: state that did not survive a fault.
    pub lost: u64,
    pub(crate) setup_failed: u64,
    /// How many times the journeys were verified.
    pub(crate) verifications: u64,
    pub failures: Vec<CheckFailure>,
}

impl CheckSummary {
    /// The verdict line when state was lost, or when its survival is unknown (nothing could
    /// be set up, every journey set up is broken, or none was verified).
    pub fn problem(&self) -> Option<String> {
        let first_of = |phase: &str| self.failures.iter().find(|f| f.phase == phase);
        let detail = |first: Option<&CheckFailure>| {
            first.map_or(String::new(), |f| {
                let after = f.after.as_deref().map_or(String::new(), |a| format!(" after {a}"));
                format!(
                    "; first failure{after}: {} on {}: expected {}, got {}",
                    f.step, f.replica, f.expected, f.got
                )
            })
        };
        let broken = (self.broken > 0).then(|| format!(" ({} broken journeys left out)", self.broken));
        let broken = broken.unwrap_or_default();
        if self.set_up == 0 {
            let detail = detail(self.failures.first());
            Some(format!(
                "{}: no journey could be set up, so state survival is unknown{detail}",
                self.name
            ))
        } else if self.broken >= self.set_up {
            Some(format!(
                "{}: state survival not measured: all {} journeys set up failed their control, the verification right after setup before any fault, so the check or the app is wrong (no state was lost to a fault){}",
                self.name,
                self.set_up,
                detail(first_of("control"))
            ))
        } else if self.verifications == 0 {
            Some(format!(
                "{}: the journeys were never verified, so state survival is unknown: {}",
                self.name,
                self.unverified_reason.as_deref().unwrap_or(NO_VERIFICATION)
            ))
        } else if self.unverified > 0 {
            Some(format!(
                "{}: {} of {} journeys set up were never verified, so their state survival is unknown: {}",
                self.name,
                self.unverified,
                self.set_up - self.broken,
                self.unverified_reason.as_deref().unwrap_or(NO_VERIFICATION)
            ))
        } else if self.lost > 0 {
            let first = first_of("verify").or(self.failures.first());
            Some(format!(
                "{}: {} of {} journeys set up before the faults failed verification afterwards{broken}{}",
                self.name,
                self.lost,
                self.set_up - self.broken,
                detail(first)
            ))
        } else {
            None
        }
    }
}

/// Why a trial ran no verification: the harness verifies after each fault once every
/// replica is healthy again within the start-up allowance (after the load when there is
/// no fault), so none ran when that never happened or the run stopped first.
pub(crate) const NO_VERIFICATION: &str = "no verification ran: the replicas were never all healthy again within the start-up allowance after a fault, or the run stopped first";

/// Sums each check over the trials, in scenario order. A trial's record counts a journey as
/// verified when no verification failed it, which includes trials that verified nothing:
/// here those journeys are `unverified`, never `verified`.
pub(crate) fn summarise(record: &RunRecord) -> Vec<CheckSummary> {
    let mut out: Vec<(CheckSummary, Vec<String>)> = record
        .scenario
        .checks
        .iter()
        .map(|c| {
            let s = CheckSummary {
                name: c.name.clone(),
                ..Default::default()
            };
            (s, Vec::new())
        })
        .collect();
    for trial in &record.trials {
        for c in &trial.checks {
            let Some((s, unverified_trials)) = out.iter_mut().find(|(s, _)| s.name == c.name) else {
                continue;
            };
            s.journeys += u64::from(c.journeys);
            s.set_up += c.set_up;
            // broken journeys were never verified after a fault: neither lost nor unverified
            let sound = c.set_up.saturating_sub(c.broken);
            s.broken += c.set_up - sound;
            if c.verifications.is_empty() {
                s.unverified += sound;
                if sound > 0 {
                    unverified_trials.push((trial.index + 1).to_string());
                }
            } else {
                s.verified += c.verified.min(sound);
                s.lost += sound.saturating_sub(c.verified);
            }
            s.setup_failed += c.setup_failed;
            s.verifications += c.verifications.len() as u64;
            for f in &c.failures {
                if s.failures.len() < MAX_FAILURES {
                    s.failures.push(f.clone());
                }
            }
        }
    }
    out.into_iter()
        .map(|(mut s, trials)| {
            if !trials.is_empty() {
                let which = if trials.len() == 1 { "trial" } else { "trials" };
                s.unverified_reason = Some(format!("{which} {}: {NO_VERIFICATION}", trials.join(", ")));
            }
            s
        })
        .collect()
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

    /// A record of one check over trials, each `(set_up, verified as recorded, verifications)`.
    fn record_of(trials: &[(u64, u64, usize)]) -> RunRecord {
        let text = r#"
name = "c"
[app]
image = "x:1"
port = 8080
[load]
rate = 10
duration = "5s"
[[check]]
name = "sessions"
journeys = 20
setup = [{ method = "GET", path = "/" }]
verify = [{ method = "GET", path = "/" }]
"#;
        let s = crate::scenario::Scenario::parse(std::path::Path::new("c.toml"), text).unwrap();
        let plan = crate::scenario::plan::Plan::new(&s, None);
        let mut r = RunRecord::new("run".into(), "2026-01-01T00:00:00Z".into(), s, plan);
        r.trials = trials
            .iter()
            .enumerate()
            .map(|(i, &(set_up, verified, n))| crate::record::TrialRecord {
                index: i as u32,
                checks: vec![crate::record::CheckRecord {
                    name: "sessions".into(),
                    journeys: 20,
                    set_up,
                    verified,
                    verifications: vec![Default::default(); n],
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect();
        r
    }

    #[test]
    fn journeys_no_verification_looked_at_are_unverified_not_verified() {
        // the trial's record says 20 verified (none failed) but nothing verified them
        let s = &summarise(&record_of(&[(20, 20, 0)]))[0];
        assert_eq!((s.verified, s.unverified, s.lost, s.verifications), (0, 20, 0, 0));
        assert!(s
            .unverified_reason
            .as_deref()
            .unwrap()
            .starts_with("trial 1: no verification ran"));
        let p = s.problem().unwrap();
        assert!(p.contains("never verified, so state survival is unknown"), "{p}");
        // one trial verified, the other did not: only the first counts as verified
        let s = &summarise(&record_of(&[(20, 18, 1), (20, 20, 0)]))[0];
        assert_eq!((s.verified, s.unverified, s.lost), (18, 20, 2));
        assert!(s.unverified_reason.as_deref().unwrap().starts_with("trial 2: "));
        // every trial verified: no reason, no unverified journey
        let s = &summarise(&record_of(&[(20, 20, 2), (20, 20, 2)]))[0];
        assert_eq!(
            (s.verified, s.unverified, s.unverified_reason.as_deref()),
            (40, 0, None)
        );
        assert_eq!(s.problem(), None);
    }

    /// A trial whose app stored nothing: every journey set up (the PUT answered 200) failed
    /// its control, so the record counts them broken; the verification after the fault then
    /// looked at none of them.
    fn stored_nothing() -> RunRecord {
        let mut r = record_of(&[(20, 0, 1)]);
        let c = &mut r.trials[0].checks[0];
        c.broken = 20;
        c.failures = vec![failure("control")];
        c.failures[0].after = None;
        c.failures[0].got = "body \"\"".into();
        r
    }

    #[test]
    fn a_journey_whose_app_stores_nothing_is_broken_not_lost() {
        let s = &summarise(&stored_nothing())[0];
        assert_eq!(
            (s.set_up, s.broken, s.verified, s.unverified, s.lost),
            (20, 20, 0, 0, 0)
        );
        let p = s.problem().unwrap();
        assert!(
            p.starts_with("sessions: state survival not measured: all 20 journeys set up failed their control"),
            "{p}"
        );
        assert!(p.contains("no state was lost to a fault"), "{p}");
        assert!(
            p.contains("first failure: GET /me on app-1: expected status 200, got body"),
            "{p}"
        );
        assert!(!p.contains("failed verification afterwards"), "{p}");
    }

    #[test]
    fn broken_journeys_are_left_out_of_lost_and_unverified() {
        // 5 of 20 broken, the other 15: 12 kept after the fault, 3 lost
        let mut r = record_of(&[(20, 12, 1), (20, 20, 0)]);
        r.trials[0].checks[0].broken = 5;
        r.trials[1].checks[0].broken = 5;
        r.trials[0].checks[0].failures = vec![failure("control"), failure("verify")];
        let s = &summarise(&r)[0];
        assert_eq!((s.broken, s.verified, s.unverified, s.lost), (10, 12, 15, 3));
        let p = s.problem().unwrap();
        assert!(p.contains("15 of 30 journeys set up were never verified"), "{p}");
        let mut r = record_of(&[(20, 12, 1)]);
        r.trials[0].checks[0].broken = 5;
        r.trials[0].checks[0].failures = vec![failure("control"), failure("verify")];
        let p = summarise(&r)[0].problem().unwrap();
        assert!(
            p.starts_with("sessions: 3 of 15 journeys set up before the faults failed verification afterwards (5 broken journeys left out); first failure after kill"),
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
