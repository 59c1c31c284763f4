//! Certification: one documented formula from the analysis to a level and a 0–100 score.
//! Pure. docs/certification.md ("Certification") describes the same formula and the rules
//! below; keep them in step.
//!
//! Hard rules first (any one makes the run `not-certified`, whatever its speed): state lost
//! in a check, a fault the service never recovered from, a run that did not complete.
//!
//! Never certify what was not measured: `phoenix`, `resilient` and `fragile` each certify
//! how the service recovered from every fault of the scenario, so a run that lacks any of
//! this evidence is at most `untested` (see [`certify`]'s rules): no fault; a fault whose
//! recovery the probe did not observe; a fault whose disruption window no request fell
//! into; no baseline before the first fault.
//!
//! Otherwise the score is a weighted mean of components in [0, 1] (`components.rs`):
//! - time to healthy: `clamp(1.5 − TTH_p99 / target, 0, 1)` (1 at half the target or faster,
//!   0.5 at the target, 0 at 1.5× the target), weight 0.40;
//! - availability `A = 1 − lost / sent`: `clamp(1 − 5·(1 − A), 0, 1)`, weight 0.35;
//! - latency degradation `D = disruption pXX / baseline pXX`: `clamp(1 − log10(D) / 2, 0, 1)`,
//!   weight 0.25; pXX is the highest percentile from p90 to p99 (on the phases' curve) that
//!   leaves [`MIN_SAMPLES_ABOVE`] successful requests above it in both phases — the p99
//!   from [`MIN_P99_SAMPLES`], not measured below [`MIN_P90_SAMPLES`] — so one stall (a
//!   SYN retry, which holds the few connections opened in the same instant) cannot set it;
//! - with two or more trials, trial-to-trial spread: `CV` = standard deviation / mean of the
//!   per-trial mean TTH, `clamp(1 − 2·CV, 0, 1)`, weight 0.10.
//!
//! A component that was not measured carries no weight: the score is
//! `100 × Σ weight·value / Σ weight` over the measured components only (0 with none).
//!
//! Level: `phoenix` when every fault recovered, TTH p99 ≤ target and score ≥ 85 with no
//! component left unmeasured by the load generator's own slip or overload;
//! `resilient` when every fault recovered and TTH p99 ≤ target; `fragile` otherwise. Then
//! capped at `fragile` by the audit's findings (`analysis::audit`), at `untested` by the
//! evidence rules, then `not-certified` by the hard rules.

use crate::analysis::{Analysis, FaultRecovery, RecoveryStatus};
/// The levels are the scenario's vocabulary (`require`); re-exported so `certify::Level`
/// keeps naming them.
pub use crate::scenario::Level;
use crate::scenario::{Scenario, TthOf};
use serde::{Deserialize, Serialize};

mod components;
pub use components::{MIN_P90_SAMPLES, MIN_P99_SAMPLES, MIN_SAMPLES_ABOVE};

/// Score from which a run within its target is `phoenix`.
pub(crate) const PHOENIX_SCORE: f64 = 85.0;

/// One term of the score, with its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    /// The nominal weight.
    pub(crate) weight: f64,
    /// The share of the score it carried: `weight / Σ weight` of the measured components,
    /// 0 when it was not measured (its weight went to the others).
    #[serde(default)]
    pub(crate) effective_weight: f64,
    /// False when its inputs were not measured; it then carries no weight. (Results written
    /// before it existed counted every component: they read back as measured.)
    #[serde(default = "measured_by_default")]
    pub measured: bool,
    /// Why it was not measured (None when it was).
    #[serde(default)]
    pub reason: Option<String>,
    /// In [0, 1]; None when not measured.
    pub value: Option<f64>,
    /// The inputs, by name (units in the name); an input that could not be measured is
    /// left out.
    pub(crate) inputs: Vec<(String, f64)>,
    /// The formula, in words.
    pub(crate) formula: String,
    /// Not measured because of the instrument (the load generator's slip or overload), not
    /// for want of requests: the host's noise, which must not lift a level.
    #[serde(default)]
    pub(crate) by_instrument: bool,
}

fn measured_by_default() -> bool {
    true
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub level: Level,
    /// 0–100, one decimal.
    pub score: f64,
    pub reasons: Vec<String>,
    /// What the run did not measure that a level above `untested` needs, one line each;
    /// non-empty makes the run at most `untested`.
    pub unmeasured: Vec<String>,
    pub components: Vec<Component>,
    /// The level the scenario requires to pass.
    pub required: Level,
    pub passed: bool,
    /// Set when the level fell short of `required` only on the figures, on a host that was
    /// contended (or whose measured platform floor explains the miss): the run is then no
    /// verdict on the app (exit [`crate::cli::exit::EXIT_INCONCLUSIVE`]). Why, with the figures.
    #[serde(default)]
    pub inconclusive: Option<String>,
}

/// Facts outside the analysis that the hard rules need.
#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    /// One line per check that lost state.
    pub(crate) state_lost: Vec<String>,
    /// Why the run did not complete, if it did not.
    pub incomplete: Option<String>,
    /// Why a miss may be the host's rather than the app's, from outside the analysis: the
    /// platform floor measured in the same run (kill-and-restart of a null replica) when
    /// the app's share alone would meet the target. Each line makes a shortfall on the
    /// figures inconclusive, like a contended host.
    pub(crate) host_explains: Vec<String>,
}

/// Certifies an analysed run. The level is the lowest that these rules allow, in order:
///
/// 1. from the figures: `phoenix` (every fault recovered, TTH p99 ≤ target, score ≥
///    [`PHOENIX_SCORE`] over the measured components), else `resilient` (every fault
///    recovered, TTH p99 ≤ target), else `fragile`;
/// 2. evidence (never certify what was not measured), each makes it at most `untested`:
///    no fault; a fault whose recovery the probe did not observe; a recovered fault whose
///    disruption window (fault instant to healthy) no request fell into; no request
///    succeeded before the first fault (no baseline); the time-to-healthy component not
///    measured;
/// 3. the audit's findings that cap (writes while serving, old-versus-fresh differences):
///    at most their cap, `fragile`;
/// 4. hard rules, each makes it `not-certified`: a fault never recovered; state lost or
///    never verified (every journey broken at its control included); the run did not complete.
pub fn certify(analysis: &Analysis, scenario: &Scenario, verdicts: &Verdicts) -> Certification {
    let target_ms = scenario.certify.time_to_healthy_target.as_secs_f64() * 1000.0;
    let mut reasons = Vec::new();

    let tth = tth_p99(analysis, scenario);
    let (components, score) = scored_components(analysis, target_ms, tth);

    let unrecovered: Vec<_> = analysis
        .faults
        .iter()
        .filter(|f| f.recovery == RecoveryStatus::NotRecovered)
        .collect();
    let (tth_p99, tth_name) = tth;
    let within_target = unrecovered.is_empty() && tth_p99.is_none_or(|p| p <= target_ms);
    // the level is decided by hard criteria; the score ranks runs and separates a phoenix
    // (little lost, little slowed) from a merely resilient service
    // a score lifted over the line because the generator's own lateness left a component
    // unmeasured (its weight went to the others) is the host's doing, not the app's
    let by_instrument = components.iter().find(|c| c.by_instrument);
    let level = if within_target && score >= PHOENIX_SCORE && by_instrument.is_none() {
        Level::Phoenix
    } else if within_target {
        Level::Resilient
    } else {
        Level::Fragile
    };
    // only a level the figures alone set can be the host's doing
    let figures_level = level;
    if let Some(p99) = tth_p99 {
        let verb = if p99 <= target_ms { "within" } else { "over" };
        let what = if tth_name == APP_SHARE_P99 {
            "the app's share of time to healthy"
        } else {
            "time to healthy"
        };
        reasons.push(format!("{what} p99 {p99:.0} ms is {verb} the {target_ms:.0} ms target"));
    }
    let unmeasured = evidence_gaps(analysis, &components);
    // a run capped at untested was never in the running for phoenix
    if within_target && score < PHOENIX_SCORE && unmeasured.is_empty() {
        reasons.push(format!("score {score:.1} is below the {PHOENIX_SCORE} a phoenix needs"));
    } else if let Some(c) = by_instrument.filter(|_| within_target && score >= PHOENIX_SCORE) {
        reasons.push(format!(
            "score {score:.1} is over the measured components only, and {} was left unmeasured by the load generator, not for want of requests: no phoenix on that",
            c.name
        ));
    }
    // with no fault, the one evidence line below says it all
    for c in components.iter().filter(|c| !c.measured && !analysis.faults.is_empty()) {
        let why = c.reason.as_deref().unwrap_or("no input");
        reasons.push(format!("{} not measured, its weight went to the others: {why}", c.name));
    }
    reasons.extend(lost_reason(analysis, &components));

    let target_s = target_ms / 1000.0;
    let level = capped_level(
        analysis,
        verdicts,
        (&unrecovered, target_s),
        &unmeasured,
        level,
        &mut reasons,
    );
    let passed = level >= scenario.require;
    let capped = analysis.audit.findings.iter().any(|f| f.caps.is_some()) || level < figures_level;
    let inconclusive = (!passed && !capped)
        .then(|| host_inconclusive(analysis, verdicts))
        .flatten();
    if let Some(why) = &inconclusive {
        reasons.push(why.clone());
    }
    Certification {
        level,
        score,
        reasons,
        unmeasured,
        components,
        required: scenario.require,
        passed,
        inconclusive,
    }
}

/// The score's components, each with its share of the measured weight, and the score:
/// 100 × their weighted mean, one decimal (0 when none was measured).
fn scored_components(analysis: &Analysis, target_ms: f64, tth: (Option<f64>, &'static str)) -> (Vec<Component>, f64) {
    let mut components = vec![
        components::time_to_healthy(analysis, target_ms, tth),
        components::availability(analysis),
        components::latency_degradation(analysis),
    ];
    components.extend(components::trial_spread(analysis));
    let measured_weight: f64 = components.iter().filter(|c| c.measured).map(|c| c.weight).sum();
    for c in components.iter_mut().filter(|c| c.measured) {
        c.effective_weight = c.weight / measured_weight;
    }
    let score = if measured_weight > 0.0 {
        let sum: f64 = components.iter().filter_map(|c| c.value.map(|v| c.weight * v)).sum();
        (sum / measured_weight * 1000.0).round() / 10.0
    } else {
        0.0
    };
    (components, score)
}

/// The requests lost to faults, with the availability when it was measured (nothing to say
/// with no fault and no availability).
fn lost_reason(analysis: &Analysis, components: &[Component]) -> Option<String> {
    let sent = analysis.load.sent;
    let lost = analysis.lost_requests;
    if components.iter().any(|c| c.name == "availability" && c.measured) {
        let availability = (1.0 - lost as f64 / sent.max(1) as f64) * 100.0;
        Some(format!(
            "{lost} of {sent} requests lost to faults (availability {availability:.2} %)"
        ))
    } else if !analysis.faults.is_empty() {
        Some(format!(
            "{lost} of {sent} requests lost to faults (availability not measured)"
        ))
    } else {
        None
    }
}

/// The figures' `level` after rules 3 and 2 then 4 of [`certify`]: the audit's caps, the
/// evidence gaps, the hard rules. Each adds its reason, in that order.
fn capped_level(
    analysis: &Analysis,
    verdicts: &Verdicts,
    (unrecovered, target_s): (&[&FaultRecovery], f64),
    unmeasured: &[String],
    mut level: Level,
    reasons: &mut Vec<String>,
) -> Level {
    // the audit's findings: state that dies with an instance caps the level (journeys,
    // below, remain what makes a run not-certified)
    for f in &analysis.audit.findings {
        if let Some(cap) = f.caps {
            level = level.min(cap);
            reasons.push(format!("audit (at most {cap}): {}", f.text));
        }
    }
    if !unmeasured.is_empty() {
        level = level.min(Level::Untested);
        reasons.extend(unmeasured.iter().map(|g| format!("untested: {g}")));
    }

    for f in unrecovered {
        reasons.push(unrecovered_reason(f));
        level = Level::NotCertified;
    }
    let target_ms = target_s * 1000.0;
    for (f, d) in analysis
        .faults
        .iter()
        .filter_map(|f| f.dependency.as_ref().map(|d| (f, d)))
    {
        // the app's own time to serve again after its dependency was back
        if let Some(late) = d.serve_again_ms.filter(|ms| *ms > target_ms) {
            reasons.push(format!(
                "the app still failed {:.1} s after {} was ready again ({} then {} at {:.0} ms; target {target_s} s)",
                late / 1000.0,
                d.service,
                f.kind,
                f.action,
                f.at_ms
            ));
            level = Level::NotCertified;
        }
    }
    for lost in &verdicts.state_lost {
        reasons.push(lost.clone());
        level = Level::NotCertified;
    }
    if let Some(why) = &verdicts.incomplete {
        reasons.push(format!("run incomplete: {why}"));
        level = Level::NotCertified;
    }
    level
}

/// Why a fault that never recovered makes the run `not-certified`: the replica that never
/// became healthy, or the dependency the app never served again after.
fn unrecovered_reason(f: &FaultRecovery) -> String {
    let what = format!("{} then {} at {:.0} ms", f.kind, f.action, f.at_ms);
    match &f.dependency {
        Some(d) if d.ready_ms.is_none() => format!("{} did not come back after {what}", d.service),
        Some(d) => format!(
            "the app did not serve steadily again after {} was ready again ({what}): it still failed at the end of the load",
            d.service
        ),
        None => format!("{} after {what} did not become healthy again", f.target),
    }
}

/// The component input holding the app's share p99.
const APP_SHARE_P99: &str = "app_share_p99_ms";

/// The p99 the target applies to, and its name: the total time to healthy's, or with
/// `certify.time_to_healthy_of = "app"` the app's share's (None unless every recovered
/// fault has one: a floor missing for one action leaves the criterion unmeasured).
fn tth_p99(a: &Analysis, scenario: &Scenario) -> (Option<f64>, &'static str) {
    if scenario.certify.time_to_healthy_of == TthOf::Total {
        return (a.time_to_healthy_ms.p99, "time_to_healthy_p99_ms");
    }
    let recovered = a.faults.iter().filter(|f| f.time_to_healthy_ms.is_some());
    let all = recovered.clone().all(|f| f.app_share_ms.is_some()) && recovered.count() > 0;
    (a.app_share_ms.p99.filter(|_| all), APP_SHARE_P99)
}

/// Why a shortfall on the figures is no verdict on the app, if it is not: the host was
/// contended during the load (`analysis::contention`), or the caller's `host_explains`.
fn host_inconclusive(a: &Analysis, v: &Verdicts) -> Option<String> {
    let mut why: Vec<String> = Vec::new();
    if a.contention.contended {
        why.push(format!("host contended: {}", a.contention.reasons.join("; ")));
    }
    why.extend(v.host_explains.iter().cloned());
    (!why.is_empty()).then(|| {
        format!(
            "inconclusive: the level fell short on a host that may explain it ({}); rerun on a quiet host",
            why.join("; ")
        )
    })
}

/// What a level needs but the run did not measure, one line each (empty: nothing missing).
fn evidence_gaps(a: &Analysis, components: &[Component]) -> Vec<String> {
    let mut gaps = Vec::new();
    if a.faults.is_empty() {
        gaps.push("the scenario has no fault, so no recovery was measured".to_string());
        return gaps;
    }
    let name = |f: &crate::analysis::FaultRecovery| {
        format!(
            "trial {}: {} {} then {} at {:.0} ms",
            f.trial + 1,
            f.kind,
            f.target,
            f.action,
            f.at_ms
        )
    };
    for f in &a.faults {
        match f.recovery {
            RecoveryStatus::NotObserved => gaps.push(format!(
                "{}: the probe never saw {} unhealthy, so its recovery was not observed (the fault failed, or the outage was shorter than the probe can see)",
                name(f),
                f.target
            )),
            RecoveryStatus::Recovered if f.requests_in_disruption == 0 => gaps.push(format!(
                "{}: no request was sent in the {:.0} ms {} was down, so no client saw this fault (raise load.rate)",
                name(f),
                f.time_to_healthy_ms.unwrap_or(0.0),
                f.target
            )),
            _ => {}
        }
    }
    if a.phase(crate::analysis::Phase::Baseline).count == 0 {
        gaps.push(format!(
            "no request succeeded before the first fault (at {:.0} ms), so there is no baseline to compare with",
            a.faults.iter().map(|f| f.at_ms).fold(f64::INFINITY, f64::min)
        ));
    }
    if let Some(why) = a.load.overloaded() {
        gaps.push(format!("{why}, so losses were not measured"));
    }
    let tth = components.iter().find(|c| c.name == "time_to_healthy");
    if tth.is_some_and(|c| !c.measured) && gaps.is_empty() {
        let why = tth.and_then(|c| c.reason.clone());
        gaps.push(why.map_or("time to healthy was not measured".into(), |w| {
            format!("time to healthy was not measured: {w}")
        }));
    }
    gaps
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_floor;
#[cfg(test)]
mod tests_host;
