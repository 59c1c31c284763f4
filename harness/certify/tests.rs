//! Certification on hand-made analyses, and one test per "never certify what was not
//! measured" rule.

use super::*;
use crate::analysis::analyse;
use crate::analysis::tests::{record, trial};
use crate::analysis::Phase;
use crate::record::{Outcome, ProbeOutcome, ProbeTransition, TrialRecord};

pub(super) fn analysis_with(outage_us: i64, healthy_after_us: Option<i64>) -> (Analysis, Scenario) {
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
        ..Default::default()
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
    assert!(c.components.iter().all(|c| !c.inputs.is_empty()));
    for comp in c.components.iter().filter(|c| c.measured) {
        assert!(comp.value.is_some_and(|v| (0.0..=1.0).contains(&v)), "{comp:?}");
        assert_eq!(comp.reason, None);
    }
    let total: f64 = c.components.iter().map(|c| c.weight).sum();
    assert!((total - 1.0).abs() < 1e-9);
    let shares: f64 = c.components.iter().map(|c| c.effective_weight).sum();
    assert!(
        (shares - 1.0).abs() < 1e-9,
        "the measured components carry the whole score"
    );
}

#[test]
fn levels_order_and_parse() {
    assert!(
        Level::Phoenix > Level::Resilient
            && Level::Resilient > Level::Fragile
            && Level::Fragile > Level::Untested
            && Level::Untested > Level::NotCertified
    );
    for n in Level::NAMES {
        assert_eq!(Level::parse(n).unwrap().as_str(), n);
    }
    assert_eq!(Level::NAMES.len(), 5);
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
    assert_eq!(spread.value, Some(1.0));
    let mut noisy = record(vec![t(3_600_000), t(5_000_000)]);
    noisy.trials[1].index = 1;
    let c2 = certify(&analyse(&noisy), &s, &Verdicts::default());
    let spread2 = c2.components.iter().find(|c| c.name == "trial_spread").unwrap();
    assert!(spread2.value.unwrap() < 0.5, "{spread2:?}");
}

// --- never certify what was not measured ------------------------------------------------

/// The hand-made trial (200 req/s for 10 s, fault at 3 s) with the fault at `at_us`, the
/// target refused from the fault for `outage_us`, then healthy 10 ms later.
fn faulted_at(at_us: i64, outage_us: i64) -> TrialRecord {
    let healthy = at_us + outage_us + 10_000;
    let mut t = trial((at_us, at_us + outage_us), Outcome::Refused, (0, 0), 0, Some(healthy));
    let f = &mut t.faults[0];
    (f.planned_us, f.issued_us) = (at_us, at_us);
    let transitions = &mut t.probes[0].transitions;
    transitions.retain(|p| p.done_us < 0 || p.done_us == healthy);
    transitions.insert(
        1,
        ProbeTransition {
            sent_us: at_us + 4_000,
            done_us: at_us + 5_000,
            outcome: ProbeOutcome::Refused,
            prev_sent_us: None,
        },
    );
    t
}

fn certified(trials: Vec<TrialRecord>) -> (Analysis, Certification) {
    let r = record(trials);
    let a = analyse(&r);
    let c = certify(&a, &r.scenario, &Verdicts::default());
    (a, c)
}

fn component<'a>(c: &'a Certification, name: &str) -> &'a Component {
    c.components.iter().find(|c| c.name == name).expect(name)
}

#[test]
fn a_run_without_a_fault_is_untested_and_fails_a_resilient_requirement() {
    let mut t = trial((0, 0), Outcome::Refused, (0, 0), 0, None);
    t.faults.clear();
    let (_, c) = certified(vec![t.clone()]);
    assert_eq!(c.level, Level::Untested, "{c:#?}");
    assert_eq!(c.required, Level::Resilient);
    assert!(!c.passed, "exit 3 when resilient is required");
    assert!(c
        .components
        .iter()
        .all(|c| !c.measured && c.value.is_none() && c.reason.is_some()));
    assert_eq!(c.score, 0.0, "nothing measured, nothing scored");
    assert!(
        c.unmeasured.iter().any(|u| u.contains("no fault")),
        "{:?}",
        c.unmeasured
    );
    // a scenario that asks for no more than `untested` passes
    let r = record(vec![t.clone()]);
    let mut s = r.scenario.clone();
    s.require = Level::Untested;
    assert!(certify(&analyse(&r), &s, &Verdicts::default()).passed);
    // and the hard rules still win: untested is above not-certified
    let v = Verdicts {
        state_lost: vec![],
        incomplete: Some("stopped".into()),
        ..Default::default()
    };
    assert_eq!(certify(&analyse(&r), &s, &v).level, Level::NotCertified);
}

#[test]
fn a_fault_window_no_request_fell_into_measures_neither_availability_nor_latency() {
    // one request per 2 s (rate 0.5/s): none falls into the 1 s outage at 3 s
    let mut t = faulted_at(3_000_000, 1_000_000);
    t.requests = crate::record::RequestLog::default();
    for at in [1_000_000, 5_000_000, 7_000_000, 9_000_000] {
        t.requests.push(at, at + 1_000, Outcome::Ok, 0);
    }
    let (a, c) = certified(vec![t]);
    assert_eq!(a.faults[0].recovery, RecoveryStatus::Recovered);
    assert_eq!(a.faults[0].requests_in_disruption, 0);
    let tth = component(&c, "time_to_healthy");
    assert!(tth.measured && (tth.effective_weight - 1.0).abs() < 1e-9, "{tth:?}");
    let av = component(&c, "availability");
    assert!(!av.measured && av.effective_weight == 0.0);
    assert!(av.reason.as_deref().unwrap().contains("no request was sent"), "{av:?}");
    assert!(
        !av.inputs.iter().any(|(k, _)| k == "availability"),
        "no figure for what was not measured"
    );
    assert!(!component(&c, "latency_degradation").measured);
    // the time to healthy alone would make it resilient; what it supports is untested
    assert_eq!(c.score, 100.0);
    assert_eq!(c.level, Level::Untested, "{c:#?}");
    assert!(c.unmeasured.iter().any(|u| u.contains("no client saw this fault")));
    assert!(!c.passed);
}

#[test]
fn a_fault_at_zero_has_no_baseline_and_is_untested() {
    let (a, c) = certified(vec![faulted_at(0, 500_000)]);
    assert_eq!(a.phase(Phase::Baseline).count, 0);
    assert_eq!(a.faults[0].recovery, RecoveryStatus::Recovered);
    let lat = component(&c, "latency_degradation");
    assert!(
        !lat.measured && lat.reason.as_deref().unwrap().contains("no baseline"),
        "{lat:?}"
    );
    assert_eq!(c.level, Level::Untested, "{c:#?}");
    assert!(c.unmeasured.iter().any(|u| u.contains("no baseline")));
    // the same outage a second later is measured
    let (_, later) = certified(vec![faulted_at(1_000_000, 500_000)]);
    assert!(later.level > Level::Untested, "{later:#?}");
}

#[test]
fn too_few_disruption_samples_leave_latency_unmeasured_and_its_weight_redistributed() {
    // 50 ms outage at 200 req/s: 2 successful requests in the disruption phase
    let (a, s) = analysis_with(50_000, Some(60_000));
    assert!(a.phase(Phase::Disruption).count < MIN_P90_SAMPLES);
    let c = certify(&a, &s, &Verdicts::default());
    let lat = component(&c, "latency_degradation");
    assert!(!lat.measured && lat.value.is_none() && lat.effective_weight == 0.0);
    assert!(lat.reason.as_deref().unwrap().contains("fewer than the 50"), "{lat:?}");
    let (tth, av) = (component(&c, "time_to_healthy"), component(&c, "availability"));
    assert!((tth.effective_weight - 0.40 / 0.75).abs() < 1e-9);
    assert!((av.effective_weight - 0.35 / 0.75).abs() < 1e-9);
    let expected = 100.0 * (0.40 * tth.value.unwrap() + 0.35 * av.value.unwrap()) / 0.75;
    assert!((c.score - expected).abs() < 0.051, "{} vs {expected}", c.score);
    // a weight that is not redistributed would cap the score at 75
    assert!(c.score > 75.0);
    // with enough samples (slow, not failed, for 1 s) latency is measured: 50 ms vs 1 ms
    let t = trial(
        (0, 0),
        Outcome::Refused,
        (3_000_000, 4_000_000),
        50_000,
        Some(4_010_000),
    );
    let (a, c) = certified(vec![t]);
    assert!(a.phase(Phase::Disruption).count >= MIN_P90_SAMPLES);
    let lat = component(&c, "latency_degradation");
    assert!(lat.measured, "{lat:?}");
    assert!(
        (lat.value.unwrap() - (1.0 - 50f64.log10() / 2.0)).abs() < 0.01,
        "{lat:?}"
    );
}

/// One request stuck 1 s (a SYN retry) among the disruption phase's successes.
fn with_outlier(mut t: TrialRecord, intended_us: i64) -> TrialRecord {
    let k = t.requests.intended_us.iter().position(|&i| i == intended_us).unwrap();
    assert!(t.requests.outcome[k].is_ok());
    t.requests.done_us[k] = intended_us + 1_000_000;
    t
}

#[test]
fn one_stray_second_in_the_disruption_phase_moves_the_score_less_than_five_points() {
    // a single replica: refused for 1 s, a handful of successes before healthy
    let few = trial((3_000_000, 4_000_000), Outcome::Refused, (0, 0), 0, Some(4_010_000));
    // many replicas: the disruption phase is full of successes
    let many = trial((0, 0), Outcome::Refused, (0, 0), 0, Some(4_010_000));
    for (name, t) in [("few samples", few), ("many samples", many)] {
        let (_, clean) = certified(vec![t.clone()]);
        let (a, stray) = certified(vec![with_outlier(t, 4_000_000)]);
        assert!(
            a.phase(Phase::Disruption).max >= 999.0,
            "{name}: the outlier is in the phase"
        );
        assert!(
            (clean.score - stray.score).abs() < 5.0,
            "{name}: {} vs {}",
            clean.score,
            stray.score
        );
        assert_eq!(clean.level, stray.level, "{name}");
    }
}

#[test]
fn a_recovery_the_probe_never_saw_is_not_a_time_to_healthy_of_zero() {
    // the probe saw the target healthy before the fault and never anything else after it
    let mut t = trial((0, 0), Outcome::Refused, (0, 0), 0, None);
    t.probes[0].transitions.truncate(1);
    let (a, c) = certified(vec![t]);
    let f = &a.faults[0];
    assert_eq!(f.recovery, RecoveryStatus::NotObserved);
    assert_eq!(f.time_to_healthy_ms, None);
    assert_eq!(f.breakdown.healthy, None);
    assert!(
        f.notes.iter().any(|n| n.contains("never saw app-0 unhealthy")),
        "{:?}",
        f.notes
    );
    assert_eq!(a.time_to_healthy_ms.count, 0, "no 0 ms in the time-to-healthy figures");
    let tth = component(&c, "time_to_healthy");
    assert!(!tth.measured && tth.reason.as_deref().unwrap().contains("no recovery was observed"));
    // not measured is not a failure (not-certified) and not a pass (resilient)
    assert_eq!(c.level, Level::Untested, "{c:#?}");
    assert!(c.unmeasured.iter().any(|u| u.contains("recovery was not observed")));
}

#[test]
fn one_unobserved_fault_among_measured_ones_caps_the_run_at_untested() {
    let measured = trial((3_000_000, 3_050_000), Outcome::Refused, (0, 0), 0, Some(3_060_000));
    let mut unseen = measured.clone();
    unseen.index = 1;
    unseen.probes[0].transitions.truncate(1);
    let (a, c) = certified(vec![measured.clone(), unseen]);
    assert_eq!(a.time_to_healthy_ms.count, 1);
    assert!(component(&c, "time_to_healthy").measured);
    assert_eq!(c.level, Level::Untested, "{c:#?}");
    // the measured fault alone is a phoenix
    assert_eq!(certified(vec![measured]).1.level, Level::Phoenix);
}

#[test]
fn a_run_where_nothing_was_measured_scores_zero_and_is_never_above_untested() {
    let mut t = trial((0, 0), Outcome::Refused, (0, 0), 0, None);
    t.probes[0].transitions.truncate(1);
    t.requests = crate::record::RequestLog::default();
    let (_, c) = certified(vec![t]);
    assert!(c.components.iter().all(|c| !c.measured), "{c:#?}");
    assert_eq!(c.score, 0.0);
    assert_eq!(c.level, Level::Untested);
}

#[test]
fn requests_the_generator_never_sent_are_not_losses_and_leave_the_run_untested() {
    let t = trial(
        (3_000_000, 3_050_000),
        Outcome::ClientOverload,
        (0, 0),
        0,
        Some(3_060_000),
    );
    let r = record(vec![t]);
    let a = analyse(&r);
    assert!(a.load.failed_by_class.client_overload > 0, "{:?}", a.load);
    assert_eq!(a.lost_requests, 0, "the generator's overload is not the app's loss");
    let c = certify(&a, &r.scenario, &Verdicts::default());
    for name in ["availability", "latency_degradation"] {
        let comp = component(&c, name);
        assert!(!comp.measured, "{name}: {comp:?}");
        assert!(
            comp.reason.as_deref().unwrap_or("").contains("client_overload"),
            "{comp:?}"
        );
    }
    assert!(c.level <= Level::Untested, "{c:?}");
    assert!(c.unmeasured.iter().any(|u| u.contains("client_overload")));
}

/// An analysis whose baseline and disruption phases hold 1000 successful requests each,
/// with these p99s (and a curve flat at them: with 1000 requests the component uses p99).
fn phases_with(base_p99: f64, disrupted_p99: f64) -> (Analysis, Scenario) {
    let (mut a, s) = analysis_with(50_000, Some(60_000));
    for p in a.phases.iter_mut() {
        let v = match p.phase {
            Phase::Baseline => base_p99,
            Phase::Disruption => disrupted_p99,
            _ => continue,
        };
        p.latency_ms.p99 = v;
        p.latency_ms.count = 1000;
        p.curve = crate::analysis::phases::curve_percentiles()
            .into_iter()
            .map(|q| (q, v))
            .collect();
    }
    (a, s)
}

#[test]
fn slip_that_could_move_the_latency_component_leaves_it_unmeasured() {
    let (mut a, s) = phases_with(2.0, 20.0);
    let lat = component(&certify(&a, &s, &Verdicts::default()), "latency_degradation").clone();
    assert!(lat.measured, "{lat:?}");
    // a slip as large as the baseline p99 could be all of it
    a.load.slip_ms.p99 = 2.0;
    let c = certify(&a, &s, &Verdicts::default());
    let lat = component(&c, "latency_degradation");
    assert!(
        !lat.measured && lat.reason.as_deref().unwrap_or("").contains("slip"),
        "{lat:?}"
    );
    assert!(component(&c, "availability").measured);
    // its weight went to the others, and the score with it: the generator's lateness must
    // not lift the level (a busy host made redis-latency phoenix at 100.0 where quiet runs
    // were resilient at 75)
    assert!(lat.by_instrument, "{lat:?}");
    assert!(c.score >= PHOENIX_SCORE, "{}", c.score);
    assert_eq!(c.level, Level::Resilient, "{:?}", c.reasons);
    assert!(
        c.reasons
            .iter()
            .any(|r| r.contains("left unmeasured by the load generator")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn slip_that_cannot_move_a_saturated_latency_component_leaves_it_measured() {
    // a 1 s disruption p99 against 6 ms of baseline is degradation 0 whatever 20 ms of
    // slip did (as measured in kill-restart on a busy host): the component holds, where
    // its flipping between measured and not was most of the score's run-to-run spread
    let (mut a, s) = phases_with(6.0, 1040.0);
    a.load.slip_ms.p99 = 20.0;
    let lat = component(&certify(&a, &s, &Verdicts::default()), "latency_degradation").clone();
    assert!(lat.measured, "{lat:?}");
    assert_eq!(lat.value, Some(0.0));
}

#[test]
fn an_audit_finding_caps_the_level_at_fragile_and_a_hint_does_not() {
    use crate::analysis::audit::Finding;
    let (mut a, s) = analysis_with(50_000, Some(60_000));
    assert_eq!(certify(&a, &s, &Verdicts::default()).level, Level::Phoenix);
    let finding = |caps| Finding {
        kind: "local_writes".into(),
        replica: Some("app-0".into()),
        text: "app-0 wrote 40 files (160.0 KiB) under /var/lib/app/uploads while serving".into(),
        caps,
    };
    a.audit.findings = vec![finding(None)];
    assert_eq!(
        certify(&a, &s, &Verdicts::default()).level,
        Level::Phoenix,
        "a hint caps nothing"
    );
    a.audit.findings = vec![finding(Some(Level::Fragile))];
    let c = certify(&a, &s, &Verdicts::default());
    assert_eq!(c.level, Level::Fragile);
    assert!(!c.passed, "resilient is required");
    assert!(
        c.reasons
            .iter()
            .any(|r| r.starts_with("audit (at most fragile): app-0 wrote 40 files")),
        "{:?}",
        c.reasons
    );
    // journeys stay the proof of lost state: not-certified wins over the cap
    let lost = Verdicts {
        state_lost: vec!["sessions: 20 of 20 lost".into()],
        ..Default::default()
    };
    assert_eq!(certify(&a, &s, &lost).level, Level::NotCertified);
}

/// The issue's `phoenix-stateless` run: a 7.8 ms baseline, 230 successful requests while
/// the replica was replaced, of which one SYN-retry stall held the 3 connections opened in
/// the same 15 ms for a second. Their rank (228–230 of 230) is the p99's, which took the
/// component to 0; the p90 they cannot reach.
#[test]
fn one_stall_among_230_disruption_requests_does_not_take_latency_to_zero() {
    // every request 7.8 ms; the fault at 3 s, healthy at 4.15 s: 230 requests in between
    let mut t = trial((0, 0), Outcome::Refused, (0, 10_000_000), 7_800, Some(4_150_000));
    for intended in [3_500_000, 3_505_000, 3_510_000] {
        t = with_outlier(t, intended);
    }
    let (a, c) = certified(vec![t]);
    let d = a.phase(Phase::Disruption);
    assert_eq!(d.count, 230, "{d:?}");
    assert!(d.p99 > 1000.0, "the stall sets the disruption p99: {d:?}");
    let lat = component(&c, "latency_degradation");
    assert!(lat.measured, "{lat:?}");
    assert!(lat.value.unwrap() > 0.95, "{lat:?}");
    // the p97.5: 230 × 2.5 % leaves 5 requests above it
    assert!(lat.inputs.contains(&("percentile".to_string(), 97.49)), "{lat:?}");
    // with 500 or more requests in each phase the p99 counts again, and 5 stalls cannot set it
    assert!(MIN_P99_SAMPLES as f64 * 0.01 >= MIN_SAMPLES_ABOVE as f64);
}
