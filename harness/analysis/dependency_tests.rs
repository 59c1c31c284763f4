//! A fault on a service, as the app's clients saw it: hand-made records with known figures.

use super::tests::{record, trial};
use super::*;
use crate::certify::{certify, Level, Verdicts};
use crate::record::{Outcome, ServiceBack, TrialRecord};

/// Redis killed at 3 s and ready again at `ready_us`; the app's requests fail with 503
/// from 3 s until `fail_until_us`. The probe's `/health` never looks at Redis.
fn redis_fault(ready_us: Option<i64>, fail_until_us: i64) -> TrialRecord {
    let mut t = trial((3_000_000, fail_until_us), Outcome::Http5xx, (0, 0), 0, None);
    let f = &mut t.faults[0];
    f.target = "redis".into();
    f.dependency = true;
    f.services = ready_us
        .map(|r| ServiceBack {
            name: "redis".into(),
            ready_us: r,
            volumes: Vec::new(),
            from_volume: false,
        })
        .into_iter()
        .collect();
    t.lifecycle.clear();
    t
}

#[test]
fn the_app_recovers_when_it_serves_steadily_after_its_dependency_is_back() {
    // Redis ready at 3.8 s; the app fails until 4.25 s (reconnecting), then serves
    let a = analyse(&record(vec![redis_fault(Some(3_800_000), 4_250_000)]));
    let f = &a.faults[0];
    assert_eq!(f.recovery, RecoveryStatus::Recovered);
    let d = f.dependency.as_ref().expect("a dependency fault");
    assert_eq!(d.service, "redis");
    assert_eq!(d.ready_ms, Some(800.0));
    // steady: the first 100 ms grid point at or after the last failure with a clean 1 s
    // window, 4.3 s: 500 ms after Redis was back
    assert_eq!(d.serve_again_ms, Some(500.0));
    assert_eq!(f.time_to_healthy_ms, Some(1300.0));
    // time to healthy = the service's own return + the app's
    assert_eq!((f.floor_ms, f.app_share_ms), (Some(800.0), Some(500.0)));
    // 250 requests in [3 s, 4.25 s) failed with 503
    assert_eq!((f.lost.total, f.lost.http_5xx), (250, 250));
}

#[test]
fn an_app_still_failing_at_the_end_is_not_certified_naming_the_dependency() {
    let r = record(vec![redis_fault(Some(3_800_000), 10_000_000)]);
    let a = analyse(&r);
    let f = &a.faults[0];
    assert_eq!(f.recovery, RecoveryStatus::NotRecovered);
    assert_eq!(f.dependency.as_ref().unwrap().serve_again_ms, None);
    assert!(
        f.notes.iter().any(|n| n.contains("after redis was ready again")),
        "{:?}",
        f.notes
    );
    let c = certify(&a, &r.scenario, &Verdicts::default());
    assert_eq!(c.level, Level::NotCertified);
    assert!(
        c.reasons.iter().any(|r| r.contains("after redis was ready again")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn an_app_slower_than_the_target_after_its_dependency_is_not_certified() {
    // the hand-made scenario's target is the default 5 s: back 5.2 s after Redis
    let r = record(vec![redis_fault(Some(3_100_000), 8_250_000)]);
    let a = analyse(&r);
    let d = a.faults[0].dependency.clone().unwrap();
    assert!(d.serve_again_ms.unwrap() > 5_000.0, "{d:?}");
    let c = certify(&a, &r.scenario, &Verdicts::default());
    assert_eq!(c.level, Level::NotCertified);
    assert!(
        c.reasons
            .iter()
            .any(|r| r.starts_with("the app still failed 5.2 s") && r.contains("after redis was ready again")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn a_dependency_that_never_came_back_is_named() {
    let r = record(vec![redis_fault(None, 10_000_000)]);
    let a = analyse(&r);
    assert_eq!(a.faults[0].recovery, RecoveryStatus::NotRecovered);
    assert_eq!(a.faults[0].dependency.as_ref().unwrap().ready_ms, None);
    let c = certify(&a, &r.scenario, &Verdicts::default());
    assert!(
        c.reasons.iter().any(|r| r.starts_with("redis did not come back")),
        "{:?}",
        c.reasons
    );
}
