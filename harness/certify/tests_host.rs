//! Certification on a contended host: a shortfall on the figures alone is inconclusive
//! (exit 5); lost state or a pass is never inconclusive.

use super::tests::analysis_with;
use super::*;
use crate::analysis::analyse;
use crate::analysis::tests::{record, trial};
use crate::record::Outcome;

/// A run that misses a `resilient` requirement on its time to healthy alone (6 s against
/// the 5 s target), on a host made to look contended at the record level.
fn slow_on_a_host(psi: f64) -> (Analysis, Scenario) {
    let mut t = trial((3_000_000, 9_000_000), Outcome::Refused, (0, 0), 0, Some(9_010_000));
    t.host = crate::analysis::contention::tests::hosted(psi, 1.0, 40, 0).host;
    let mut r = record(vec![t]);
    r.scenario.require = Level::Resilient;
    (analyse(&r), r.scenario)
}

#[test]
fn a_shortfall_on_a_contended_host_is_inconclusive_and_exits_five() {
    let (a, s) = slow_on_a_host(60.0);
    assert!(a.contention.contended, "{:?}", a.contention);
    let c = certify(&a, &s, &Verdicts::default());
    assert_eq!(c.level, Level::Fragile);
    assert!(!c.passed);
    let why = c.inconclusive.as_deref().unwrap_or_default();
    assert!(why.contains("CPU pressure (PSI some avg10) 60.0 %"), "{c:#?}");
    assert_eq!(crate::cli::exit::EXIT_INCONCLUSIVE, 5);
    // the same run on a quiet host is the app's verdict
    let (a, s) = slow_on_a_host(1.0);
    let c = certify(&a, &s, &Verdicts::default());
    assert!(!c.passed && c.inconclusive.is_none(), "{c:#?}");
    // the platform floor's hook: a miss it explains is inconclusive too
    let floor = Verdicts {
        host_explains: vec!["app share 900 ms is within the target".into()],
        ..Default::default()
    };
    assert!(certify(&a, &s, &floor)
        .inconclusive
        .unwrap()
        .contains("app share 900 ms"));
}

#[test]
fn lost_state_or_a_pass_on_a_contended_host_is_no_inconclusive() {
    let (a, s) = slow_on_a_host(60.0);
    let lost = Verdicts {
        state_lost: vec!["sessions: 20 of 20 lost".into()],
        ..Default::default()
    };
    let c = certify(&a, &s, &lost);
    assert_eq!(c.level, Level::NotCertified);
    assert!(
        c.inconclusive.is_none(),
        "the app lost state, whatever the host: {c:#?}"
    );
    // a pass stays a pass
    let (mut a, s) = analysis_with(50_000, Some(60_000));
    a.contention.contended = true;
    let c = certify(&a, &s, &Verdicts::default());
    assert!(c.passed && c.inconclusive.is_none());
}
