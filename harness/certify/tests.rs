//! Certification on hand-made analyses.

use super::*;
use crate::analysis::analyse;
use crate::analysis::tests::{record, trial};
use crate::record::Outcome;

fn analysis_with(outage_us: i64, healthy_after_us: Option<i64>) -> (Analysis, Scenario) {
    let end = 3_000_000 + outage_us;
    let t = trial(
        (3_000_000, end),
        Outcome::Refused,
        (0, 0),
        0,
        healthy_after_us.map(|h| 3_000_000 + h),
    );
    let r = record(vec![t]);
    (analyse(&r), r.scenario)
}

#[test]
fn fast_recovery_with_few_losses_is_phoenix() {
    let (a, s) = analysis_with(50_000, Some(60_000));
    let c = certify(&a, &s, &Verdicts::default());
    assert_eq!(c.level, Level::Phoenix, "{c:?}");
    assert!(c.score >= PHOENIX_SCORE);
    assert!(c.passed);
}

#[test]
fn lost_state_is_not_certified_whatever_the_speed() {
    let (a, s) = analysis_with(50_000, Some(60_000));
    let v = Verdicts {
        state_lost: vec!["sessions: 50 of 50 lost".into()],
        incomplete: None,
    };
    let c = certify(&a, &s, &v);
    assert_eq!(c.level, Level::NotCertified);
    assert!(c.reasons.iter().any(|r| r.contains("sessions: 50 of 50 lost")));
    assert!(!c.passed);
}

#[test]
fn recovery_slower_than_the_target_is_fragile() {
    // default target is 5 s; 6 s to healthy
    let (a, s) = analysis_with(6_000_000, Some(6_010_000));
    let c = certify(&a, &s, &Verdicts::default());
    assert_eq!(c.level, Level::Fragile, "{c:?}");
    assert!(c.reasons.iter().any(|r| r.contains("over the 5000 ms target")));
}

#[test]
fn unrecovered_fault_is_not_certified() {
    let (a, s) = analysis_with(7_000_000, None);
    let c = certify(&a, &s, &Verdicts::default());
    assert_eq!(c.level, Level::NotCertified);
    assert!(c.reasons.iter().any(|r| r.contains("did not become healthy")));
}

#[test]
fn score_falls_as_the_outage_grows() {
    let score = |outage| {
        let (a, s) = analysis_with(outage, Some(outage + 10_000));
        certify(&a, &s, &Verdicts::default()).score
    };
    let (short, mid, long) = (score(100_000), score(1_000_000), score(3_000_000));
    assert!(short > mid && mid > long, "{short} {mid} {long}");
}

#[test]
fn every_component_shows_its_inputs() {
    let (a, s) = analysis_with(1_000_000, Some(1_010_000));
    let c = certify(&a, &s, &Verdicts::default());
    let names: Vec<_> = c.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["time_to_healthy", "availability", "latency_degradation"]);
    assert!(c
        .components
        .iter()
        .all(|c| !c.inputs.is_empty() && (0.0..=1.0).contains(&c.value)));
    let total: f64 = c.components.iter().map(|c| c.weight).sum();
    assert!((total - 1.0).abs() < 1e-9);
}

#[test]
fn levels_order_and_parse() {
    assert!(
        Level::Phoenix > Level::Resilient && Level::Resilient > Level::Fragile && Level::Fragile > Level::NotCertified
    );
    for n in Level::NAMES {
        assert_eq!(Level::parse(n).unwrap().as_str(), n);
    }
}

#[test]
fn several_trials_add_a_spread_component() {
    let t = |h| trial((3_000_000, 3_500_000), Outcome::Refused, (0, 0), 0, Some(h));
    let steady = record(vec![t(3_600_000), t(3_600_000)]);
    let (a, s) = (analyse(&steady), steady.scenario.clone());
    let c = certify(&a, &s, &Verdicts::default());
    let spread = c
        .components
        .iter()
        .find(|c| c.name == "trial_spread")
        .expect("spread component");
    assert_eq!(spread.value, 1.0);
    let mut noisy = record(vec![t(3_600_000), t(5_000_000)]);
    noisy.trials[1].index = 1;
    let c2 = certify(&analyse(&noisy), &s, &Verdicts::default());
    let spread2 = c2.components.iter().find(|c| c.name == "trial_spread").unwrap();
    assert!(spread2.value < 0.5, "{spread2:?}");
}
