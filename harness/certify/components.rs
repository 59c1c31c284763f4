//! The score's components, each in [0, 1] with its inputs, and the rule that says whether
//! it was measured at all. A component that was not measured carries no weight: the score
//! is the weighted mean over the measured ones (see `super`).

use super::Component;
use crate::analysis::{spread, Analysis, Phase, RecoveryStatus};

/// Fewest successful requests a phase needs before its p99 counts. With n samples the
/// p99 is the sample of rank ⌈0.99·n⌉ (HdrHistogram's definition), so below 100 it is the
/// largest sample: one request stuck on a SYN retry would set it alone. From 100 up, one
/// stray request cannot.
pub const MIN_P99_SAMPLES: u64 = 100;

/// Most the load generator's slip may move the latency component (in [0, 1]; 0.05 is 1.25
/// points of score at its nominal weight) for the component to count as measured.
pub const MAX_SLIP_SWAY: f64 = 0.05;

pub(super) const TTH_WEIGHT: f64 = 0.40;
pub(super) const AVAILABILITY_WEIGHT: f64 = 0.35;
pub(super) const LATENCY_WEIGHT: f64 = 0.25;
pub(super) const SPREAD_WEIGHT: f64 = 0.10;

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

fn component(name: &str, weight: f64, formula: &str) -> Component {
    Component {
        name: name.into(),
        weight,
        effective_weight: 0.0,
        measured: false,
        reason: None,
        value: None,
        inputs: Vec::new(),
        formula: formula.into(),
    }
}

impl Component {
    fn measured_as(mut self, value: f64) -> Component {
        self.measured = true;
        self.value = Some(clamp01(value));
        self
    }

    fn not_measured(mut self, reason: String) -> Component {
        self.reason = Some(reason);
        self
    }
}

/// Time to healthy: measured when the probe observed the recovery of at least one fault
/// (or saw one never recover); 0 when a fault never recovered.
pub(super) fn time_to_healthy(a: &Analysis, target_ms: f64) -> Component {
    let c = component("time_to_healthy", TTH_WEIGHT, "clamp(1.5 - p99 / target, 0, 1)");
    let count = |s: RecoveryStatus| a.faults.iter().filter(|f| f.recovery == s).count();
    let unrecovered = count(RecoveryStatus::NotRecovered);
    let unobserved = count(RecoveryStatus::NotObserved);
    let p99 = a.time_to_healthy_ms.p99;
    let mut c = Component {
        // an unmeasured p99 is left out: JSON has no NaN
        inputs: p99
            .map(|p| ("time_to_healthy_p99_ms".to_string(), p))
            .into_iter()
            .chain([
                ("target_ms".into(), target_ms),
                ("faults".into(), a.faults.len() as f64),
                ("unrecovered".into(), unrecovered as f64),
                ("not_observed".into(), unobserved as f64),
            ])
            .collect(),
        ..c
    };
    if a.faults.is_empty() {
        return c.not_measured("the scenario has no fault: there was no recovery to time".into());
    }
    if unrecovered > 0 {
        return c.measured_as(0.0);
    }
    match p99 {
        Some(p99) => c.measured_as(1.5 - p99 / target_ms),
        None => {
            c.inputs.retain(|(k, _)| k != "time_to_healthy_p99_ms");
            c.not_measured(format!(
                "the probe never saw a fault's target unhealthy ({unobserved} fault(s)): no recovery was observed"
            ))
        }
    }
}

/// Availability `A = 1 − lost / sent`: measured when at least one fault's disruption
/// window (fault instant to healthy) held a request — without one, no client saw an outage.
pub(super) fn availability(a: &Analysis) -> Component {
    let c = component(
        "availability",
        AVAILABILITY_WEIGHT,
        "A = 1 - lost/sent; clamp(1 - 5(1 - A), 0, 1)",
    );
    let seen: Vec<_> = a
        .faults
        .iter()
        .filter(|f| f.recovery != RecoveryStatus::NotObserved && f.requests_in_disruption > 0)
        .collect();
    let sent = a.load.sent as f64;
    let availability = 1.0 - a.lost_requests as f64 / sent.max(1.0);
    let mut c = Component {
        inputs: vec![
            ("availability".into(), availability),
            ("lost_requests".into(), a.lost_requests as f64),
            ("sent".into(), sent),
            (
                "requests_in_disruption".into(),
                a.faults.iter().map(|f| f.requests_in_disruption).sum::<u64>() as f64,
            ),
            ("faults_seen_by_requests".into(), seen.len() as f64),
        ],
        ..c
    };
    let overloaded = a.load.overloaded();
    let why_not = if a.faults.is_empty() {
        "the scenario has no fault: nothing could be lost to one"
    } else if let Some(why) = &overloaded {
        why.as_str()
    } else if seen.is_empty() {
        "no request was sent during any fault's disruption window (fault instant to healthy): no client saw an outage"
    } else {
        return c.measured_as(1.0 - 5.0 * (1.0 - availability));
    };
    // an availability no outage tested is not a figure to show
    c.inputs.retain(|(k, _)| k != "availability");
    c.not_measured(why_not.into())
}

/// Latency degradation `D = disruption p99 / baseline p99`: measured when both phases hold
/// at least [`MIN_P99_SAMPLES`] successful requests.
pub(super) fn latency_degradation(a: &Analysis) -> Component {
    let c = component(
        "latency_degradation",
        LATENCY_WEIGHT,
        "D = disruption p99 / baseline p99; clamp(1 - log10(D)/2, 0, 1)",
    );
    let base = a.phase(Phase::Baseline);
    let disrupted = a.phase(Phase::Disruption);
    let mut c = Component {
        inputs: vec![
            ("baseline_requests".into(), base.count as f64),
            ("disruption_requests".into(), disrupted.count as f64),
            ("min_requests".into(), MIN_P99_SAMPLES as f64),
        ],
        ..c
    };
    let short = |phase: &str, n: u64| {
        format!(
            "the {phase} phase has {n} successful request(s), fewer than the {MIN_P99_SAMPLES} a p99 needs (below that it is the maximum)"
        )
    };
    let why_not = if a.faults.is_empty() {
        Some("the scenario has no fault: there was no disruption".to_string())
    } else if base.count == 0 {
        Some("no baseline: no request succeeded before the first fault".to_string())
    } else if let Some(why) = a.load.overloaded() {
        Some(why)
    } else if base.count < MIN_P99_SAMPLES {
        Some(short("baseline", base.count))
    } else if disrupted.count < MIN_P99_SAMPLES {
        Some(short("disruption", disrupted.count))
    } else {
        None
    };
    if let Some(why) = why_not {
        return c.not_measured(why);
    }
    let value = |d: f64| clamp01(1.0 - d.max(1.0).log10() / 2.0);
    let degradation = if base.p99 > 0.0 && disrupted.p99 > 0.0 {
        (disrupted.p99 / base.p99).max(1.0)
    } else {
        1.0
    };
    // Latency runs from the intended send time, so the generator's own lateness is part
    // of each p99, by at most its slip p99. The value holds if it stays put over that
    // whole range; else the figure is the generator's as much as the app's.
    let slip = a.load.slip_ms.p99;
    let (lowest, highest) = (
        value((disrupted.p99 - slip).max(0.0) / base.p99.max(f64::MIN_POSITIVE)),
        value(disrupted.p99 / (base.p99 - slip).max(0.001)),
    );
    c.inputs.splice(
        0..0,
        [
            ("baseline_p99_ms".to_string(), base.p99),
            ("disruption_p99_ms".to_string(), disrupted.p99),
            ("degradation".to_string(), degradation),
            ("slip_p99_ms".to_string(), slip),
        ],
    );
    if (lowest - highest).abs() > MAX_SLIP_SWAY {
        return c.not_measured(format!(
            "the load generator's schedule slip (p99 {slip:.1} ms) could move this component from {highest:.2} to {lowest:.2}: its latency figures are the generator's as much as the app's"
        ));
    }
    c.measured_as(value(degradation))
}

/// Trial-to-trial spread of the per-trial mean TTH, with two or more trials (None with one).
pub(super) fn trial_spread(a: &Analysis) -> Option<Component> {
    if a.trials.len() < 2 {
        return None;
    }
    let c = component(
        "trial_spread",
        SPREAD_WEIGHT,
        "CV = sd/mean of per-trial mean TTH; clamp(1 - 2 CV, 0, 1)",
    );
    let by_trial = &a.time_to_healthy_by_trial_ms;
    let mut c = Component {
        inputs: vec![
            ("trials".into(), a.trials.len() as f64),
            ("trials_with_time_to_healthy".into(), by_trial.len() as f64),
        ],
        ..c
    };
    Some(match spread::coefficient_of_variation(by_trial) {
        Some(cv) => {
            c.inputs.push(("coefficient_of_variation".into(), cv));
            c.measured_as(1.0 - 2.0 * cv)
        }
        None => c.not_measured(format!(
            "{} of {} trials have a measured time to healthy: a spread needs two",
            by_trial.len(),
            a.trials.len()
        )),
    })
}
