//! The score's components, each in [0, 1] with its inputs, and the rule that says whether
//! it was measured at all. A component that was not measured carries no weight: the score
//! is the weighted mean over the measured ones (see `super`).

use super::Component;
use crate::analysis::{spread, Analysis, Phase, RecoveryStatus};

/// Requests a phase's latency percentile must leave above it for the latency component to
/// use it: a stall (a SYN retry holds every connection opened in the same instant for 1 s)
/// takes a few requests at once, and a percentile with fewer requests above it than the
/// stall took is the stall's figure, not the phase's.
pub const MIN_SAMPLES_ABOVE: u64 = 5;

/// Fewest successful requests per phase for the p99 to count: `MIN_SAMPLES_ABOVE / 1 %`.
/// With n samples the p99 is the sample of rank ⌈0.99·n⌉ (HdrHistogram's definition), so
/// from 500 up at least 5 requests lie above it.
pub const MIN_P99_SAMPLES: u64 = 500;

/// Fewest successful requests per phase for the p90, the lowest percentile used (between
/// it and [`MIN_P99_SAMPLES`], the highest that leaves `MIN_SAMPLES_ABOVE` above it):
/// `MIN_SAMPLES_ABOVE / 10 %`. Below it the component is not measured.
pub const MIN_P90_SAMPLES: u64 = 50;

/// Most the load generator's slip may move the latency component (in [0, 1]; 0.05 is 1.25
/// points of score at its nominal weight) for the component to count as measured.
pub(crate) const MAX_SLIP_SWAY: f64 = 0.05;

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
        by_instrument: false,
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
/// `tth`: the p99 the target applies to and its name (the total's, or the app's share with
/// `certify.time_to_healthy_of = "app"`).
pub(super) fn time_to_healthy(a: &Analysis, target_ms: f64, tth: (Option<f64>, &str)) -> Component {
    let c = component("time_to_healthy", TTH_WEIGHT, "clamp(1.5 - p99 / target, 0, 1)");
    let count = |s: RecoveryStatus| a.faults.iter().filter(|f| f.recovery == s).count();
    let unrecovered = count(RecoveryStatus::NotRecovered);
    let unobserved = count(RecoveryStatus::NotObserved);
    let (p99, name) = tth;
    let c = Component {
        // an unmeasured p99 is left out: JSON has no NaN
        inputs: p99
            .map(|p| (name.to_string(), p))
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
        None if a.time_to_healthy_ms.p99.is_some() => c.not_measured(
            "certify.time_to_healthy_of is \"app\" and the platform floor was not measured for every recovered fault's action".into(),
        ),
        None => c.not_measured(format!(
            "the probe never saw a fault's target unhealthy ({unobserved} fault(s)): no recovery was observed"
        )),
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

/// The percentile the latency component compares: the highest point of the phases'
/// percentile curves (10 per decade of 1 / (1 − p)) from p90 to p99 that leaves
/// [`MIN_SAMPLES_ABOVE`] requests above it in both phases; None when even the p90 would
/// not. 230 requests give the p97.5, 500 or more the p99.
fn robust_percentile(a: &Analysis, fewest: u64) -> Option<Percentile> {
    let curve = |p: Phase| a.phases.iter().find(|s| s.phase == p).map(|s| s.curve.as_slice());
    let (base, disrupted) = (curve(Phase::Baseline)?, curve(Phase::Disruption)?);
    let fits = |pct: f64| {
        (90.0 - 1e-9..=99.0 + 1e-9).contains(&pct)
            && (1.0 - pct / 100.0) * fewest as f64 >= MIN_SAMPLES_ABOVE as f64 - 1e-9
    };
    let k = base.iter().rposition(|(pct, _)| fits(*pct))?;
    let (pct, b) = base[k];
    let (_, d) = *disrupted.get(k)?;
    Some(Percentile {
        pct: (pct * 100.0).round() / 100.0,
        base: b,
        disrupted: d,
    })
}

/// One percentile of both phases, ms.
struct Percentile {
    pct: f64,
    base: f64,
    disrupted: f64,
}

/// Latency degradation `D = disruption pXX / baseline pXX`, with the percentile from
/// [`robust_percentile`] (the p99 from [`MIN_P99_SAMPLES`] successful requests in each
/// phase, lower down to the p90 from [`MIN_P90_SAMPLES`], not measured below): a stall of
/// a few requests cannot set it.
pub(super) fn latency_degradation(a: &Analysis) -> Component {
    let c = component(
        "latency_degradation",
        LATENCY_WEIGHT,
        "D = disruption pXX / baseline pXX, pXX the highest of p90..p99 with 5 requests above it; clamp(1 - log10(D)/2, 0, 1)",
    );
    let base = a.phase(Phase::Baseline);
    let disrupted = a.phase(Phase::Disruption);
    let pick = robust_percentile(a, base.count.min(disrupted.count));
    let mut c = Component {
        inputs: vec![
            ("baseline_requests".into(), base.count as f64),
            ("disruption_requests".into(), disrupted.count as f64),
            ("min_requests".into(), MIN_P90_SAMPLES as f64),
        ],
        ..c
    };
    let short = |phase: &str, n: u64| {
        format!(
            "the {phase} phase has {n} successful request(s), fewer than the {MIN_P90_SAMPLES} a p90 needs to leave {MIN_SAMPLES_ABOVE} above it (below that a single stall sets it)"
        )
    };
    let why_not = if a.faults.is_empty() {
        Some("the scenario has no fault: there was no disruption".to_string())
    } else if base.count == 0 {
        Some("no baseline: no request succeeded before the first fault".to_string())
    } else if let Some(why) = a.load.overloaded() {
        Some(why)
    } else if base.count < MIN_P90_SAMPLES {
        Some(short("baseline", base.count))
    } else if disrupted.count < MIN_P90_SAMPLES {
        Some(short("disruption", disrupted.count))
    } else {
        None
    };
    // the generator's overload, the first reason it can be, is the instrument's
    let by_overload = !a.faults.is_empty() && base.count > 0 && a.load.overloaded().is_some();
    let p = match (why_not, pick) {
        (None, Some(p)) => p,
        (why, _) => {
            let mut c = c.not_measured(why.unwrap_or_else(|| "too few requests".into()));
            c.by_instrument = by_overload;
            return c;
        }
    };
    let value = |d: f64| clamp01(1.0 - d.max(1.0).log10() / 2.0);
    let degradation = if p.base > 0.0 && p.disrupted > 0.0 {
        (p.disrupted / p.base).max(1.0)
    } else {
        1.0
    };
    // Latency runs from the intended send time, so the generator's own lateness is part
    // of each figure, by at most its slip p99. The value holds if it stays put over that
    // whole range; else the figure is the generator's as much as the app's.
    let slip = a.load.slip_ms.p99;
    let (lowest, highest) = (
        value((p.disrupted - slip).max(0.0) / p.base.max(f64::MIN_POSITIVE)),
        value(p.disrupted / (p.base - slip).max(0.001)),
    );
    c.inputs.splice(
        0..0,
        [
            ("percentile".to_string(), p.pct),
            ("baseline_pxx_ms".to_string(), p.base),
            ("disruption_pxx_ms".to_string(), p.disrupted),
            ("degradation".to_string(), degradation),
            ("slip_p99_ms".to_string(), slip),
        ],
    );
    if (lowest - highest).abs() > MAX_SLIP_SWAY {
        c.by_instrument = true;
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
