//! The platform floor in the verdict: the app's share is time to healthy less the floor p50
//! of the same action; `time_to_healthy_of = "app"` puts the target on it; a miss the floor
//! explains is inconclusive; a fault without a floor for its action is not certified on it.

use super::*;
use crate::analysis::analyse;
use crate::analysis::tests::{record, trial};
use crate::record::{FloorPhase, FloorRecord, FloorSample, Outcome, RunRecord};
use crate::report::Report;
use crate::scenario::{Action, FaultKind, TthOf};

/// A kill-then-restart whose replica is healthy 6.01 s after the fault (over the 5 s
/// target), requiring `resilient`.
fn slow_run() -> RunRecord {
    let t = trial((3_000_000, 9_000_000), Outcome::Refused, (0, 0), 0, Some(9_010_000));
    let mut r = record(vec![t]);
    r.scenario.require = Level::Resilient;
    r
}

/// A floor of `ms` for kill then `action`, four samples 10 ms apart from `ms`.
fn floor_of(action: Action, ms: i64) -> FloorRecord {
    let sample = |i: i64, phase| FloorSample {
        kind: FaultKind::Kill,
        action,
        delay_us: 0,
        phase,
        time_to_healthy_us: Some((ms + 10 * i) * 1000),
        error: None,
    };
    FloorRecord {
        cycles: 2,
        samples: vec![
            sample(0, FloorPhase::Before),
            sample(1, FloorPhase::Before),
            sample(2, FloorPhase::After),
            sample(3, FloorPhase::After),
        ],
        notes: Vec::new(),
        cost_us: 9_000_000,
    }
}

#[test]
fn the_app_share_is_time_to_healthy_less_the_floor_p50_of_its_action() {
    let mut r = slow_run();
    r.floor = Some(floor_of(Action::Restart, 2_000));
    let a = analyse(&r);
    let fl = a.floor.as_ref().expect("a floor");
    assert_eq!(fl.actions.len(), 1);
    let act = &fl.actions[0];
    assert_eq!((act.count, act.failed), (4, 0));
    // HdrHistogram p50 of 2000, 2010, 2020, 2030: the sample of rank 2
    let p50 = act.p50_ms.unwrap();
    assert!((p50 - 2010.0).abs() <= 2.1, "{act:?}");
    assert!((act.spread_ms.unwrap() - 30.0).abs() < 0.001, "{act:?}");
    assert_eq!(fl.cost_ms, 9_000.0);
    let f = &a.faults[0];
    assert_eq!(f.floor_ms, Some(p50));
    let share = f.app_share_ms.unwrap();
    assert!((share - (6010.0 - p50)).abs() < 0.001, "{f:?}");
    assert_eq!(a.app_share_ms.count, 1);
}

#[test]
fn a_floor_longer_than_the_recovery_leaves_a_share_of_zero_not_a_negative_one() {
    let mut r = slow_run();
    r.floor = Some(floor_of(Action::Restart, 7_000));
    assert_eq!(analyse(&r).faults[0].app_share_ms, Some(0.0));
}

#[test]
fn the_target_on_the_app_share_certifies_what_the_total_misses() {
    let mut r = slow_run();
    r.floor = Some(floor_of(Action::Restart, 2_000));
    // the total (6.01 s) misses the 5 s target
    let total = certify(&analyse(&r), &r.scenario, &Verdicts::default());
    assert_eq!(total.level, Level::Fragile, "{total:#?}");
    // the app's share (about 4 s) is within it
    r.scenario.certify.time_to_healthy_of = TthOf::App;
    let app = certify(&analyse(&r), &r.scenario, &Verdicts::default());
    assert!(app.level >= Level::Resilient, "{app:#?}");
    let tth = app.components.iter().find(|c| c.name == "time_to_healthy").unwrap();
    assert!(tth.inputs.iter().any(|(n, _)| n == "app_share_p99_ms"), "{tth:?}");
}

#[test]
fn the_target_on_the_app_share_without_a_floor_for_the_action_is_untested() {
    let mut r = slow_run();
    // a floor of the replace action only: the fault's restart has none
    r.floor = Some(floor_of(Action::Replace, 2_000));
    r.scenario.certify.time_to_healthy_of = TthOf::App;
    let a = analyse(&r);
    assert_eq!(a.faults[0].app_share_ms, None);
    let c = certify(&a, &r.scenario, &Verdicts::default());
    assert_eq!(c.level, Level::Untested, "{c:#?}");
    assert!(!c.unmeasured.is_empty(), "{c:#?}");
}

#[test]
fn a_miss_of_the_total_that_the_floor_explains_is_inconclusive() {
    let mut r = slow_run();
    r.floor = Some(floor_of(Action::Restart, 2_000));
    let c = Report::build(r.clone()).certification;
    assert!(!c.passed, "{c:#?}");
    let why = c.inconclusive.as_deref().unwrap_or_default();
    assert!(why.contains("the platform floor explains it"), "{c:#?}");
    // a floor too small to explain it: the app's verdict
    r.floor = Some(floor_of(Action::Restart, 500));
    let c = Report::build(r).certification;
    assert!(!c.passed && c.inconclusive.is_none(), "{c:#?}");
}
