//! Certification: one documented formula from the analysis to a level and a 0–100 score.
//! Pure. The README's "Certification" section describes the same formula; keep them in step.
//!
//! Hard rules first (any one makes the run `not-certified`, whatever its speed): state lost
//! in a check, a fault the service never recovered from, a run that did not complete.
//! Otherwise the score is a weighted mean of components in [0, 1]:
//! - time to healthy: `clamp(1.5 − TTH_p99 / target, 0, 1)` (1 at half the target or faster,
//!   0.5 at the target, 0 at 1.5× the target), weight 0.40;
//! - availability `A = 1 − lost / sent`: `clamp(1 − 5·(1 − A), 0, 1)`, weight 0.35;
//! - latency degradation `D = disruption p99 / baseline p99`: `clamp(1 − log10(D) / 2, 0, 1)`,
//!   weight 0.25;
//! - with two or more trials, trial-to-trial spread: `CV` = standard deviation / mean of the
//!   per-trial mean TTH, `clamp(1 − 2·CV, 0, 1)`, weight 0.10.
//!
//! The score is `100 × Σ weight·value / Σ weight`.
//!
//! Level: `phoenix` when every fault recovered, TTH p99 ≤ target and score ≥ 85;
//! `resilient` when every fault recovered and TTH p99 ≤ target; `fragile` otherwise.

use crate::analysis::{Analysis, Phase};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Score from which a run within its target is `phoenix`.
pub const PHOENIX_SCORE: f64 = 85.0;

/// Certification levels, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    NotCertified = 0,
    Fragile = 1,
    Resilient = 2,
    Phoenix = 3,
}

impl Level {
    pub const NAMES: [&'static str; 4] = ["phoenix", "resilient", "fragile", "not-certified"];

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "phoenix" => Some(Level::Phoenix),
            "resilient" => Some(Level::Resilient),
            "fragile" => Some(Level::Fragile),
            "not-certified" => Some(Level::NotCertified),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Phoenix => "phoenix",
            Level::Resilient => "resilient",
            Level::Fragile => "fragile",
            Level::NotCertified => "not-certified",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One term of the score, with its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    pub weight: f64,
    /// In [0, 1].
    pub value: f64,
    /// The measured inputs, by name (units in the name).
    pub inputs: Vec<(String, f64)>,
    /// The formula, in words.
    pub formula: String,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub level: Level,
    /// 0–100, one decimal.
    pub score: f64,
    pub reasons: Vec<String>,
    pub components: Vec<Component>,
    /// The level the scenario requires to pass.
    pub required: Level,
    pub passed: bool,
}

/// Facts outside the analysis that the hard rules need.
#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    /// One line per check that lost state.
    pub state_lost: Vec<String>,
    /// Why the run did not complete, if it did not.
    pub incomplete: Option<String>,
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// Certifies an analysed run.
pub fn certify(analysis: &Analysis, scenario: &Scenario, verdicts: &Verdicts) -> Certification {
    let target_ms = scenario.certify.time_to_healthy_target.as_secs_f64() * 1000.0;
    let mut reasons = Vec::new();
    let mut components = Vec::new();

    let unrecovered: Vec<_> = analysis
        .faults
        .iter()
        .filter(|f| f.time_to_healthy_ms.is_none())
        .collect();
    let tth_p99 = analysis.time_to_healthy_ms.p99;
    let tth_value = match tth_p99 {
        Some(p99) => clamp01(1.5 - p99 / target_ms),
        None if analysis.faults.is_empty() => 1.0,
        None => 0.0,
    };
    components.push(Component {
        name: "time_to_healthy".into(),
        weight: 0.40,
        value: if unrecovered.is_empty() { tth_value } else { 0.0 },
        // an unmeasured p99 is left out: JSON has no NaN
        inputs: tth_p99
            .map(|p| ("time_to_healthy_p99_ms".to_string(), p))
            .into_iter()
            .chain([
                ("target_ms".into(), target_ms),
                ("faults".into(), analysis.faults.len() as f64),
                ("unrecovered".into(), unrecovered.len() as f64),
            ])
            .collect(),
        formula: "clamp(1.5 - p99 / target, 0, 1)".into(),
    });

    let sent = analysis.load.sent.max(1) as f64;
    let availability = 1.0 - analysis.lost_requests as f64 / sent;
    components.push(Component {
        name: "availability".into(),
        weight: 0.35,
        value: clamp01(1.0 - 5.0 * (1.0 - availability)),
        inputs: vec![
            ("availability".into(), availability),
            ("lost_requests".into(), analysis.lost_requests as f64),
            ("sent".into(), analysis.load.sent as f64),
        ],
        formula: "A = 1 - lost/sent; clamp(1 - 5(1 - A), 0, 1)".into(),
    });

    let base = analysis.phase(Phase::Baseline).p99;
    let disrupted = analysis.phase(Phase::Disruption).p99;
    let degradation = if base > 0.0 && disrupted > 0.0 {
        (disrupted / base).max(1.0)
    } else {
        1.0
    };
    components.push(Component {
        name: "latency_degradation".into(),
        weight: 0.25,
        value: clamp01(1.0 - degradation.log10() / 2.0),
        inputs: vec![
            ("baseline_p99_ms".into(), base),
            ("disruption_p99_ms".into(), disrupted),
            ("degradation".into(), degradation),
        ],
        formula: "D = disruption p99 / baseline p99; clamp(1 - log10(D)/2, 0, 1)".into(),
    });

    if let Some(cv) = crate::analysis::spread::coefficient_of_variation(&analysis.time_to_healthy_by_trial_ms) {
        components.push(Component {
            name: "trial_spread".into(),
            weight: 0.10,
            value: clamp01(1.0 - 2.0 * cv),
            inputs: vec![
                ("trials".into(), analysis.time_to_healthy_by_trial_ms.len() as f64),
                ("coefficient_of_variation".into(), cv),
            ],
            formula: "CV = sd/mean of per-trial mean TTH; clamp(1 - 2 CV, 0, 1)".into(),
        });
    }
    let total_weight: f64 = components.iter().map(|c| c.weight).sum();
    let score = components.iter().map(|c| c.weight * c.value).sum::<f64>() / total_weight * 100.0;
    let score = (score * 10.0).round() / 10.0;

    let within_target = unrecovered.is_empty() && tth_p99.is_none_or(|p| p <= target_ms);
    // the level is decided by hard criteria; the score ranks runs and separates a phoenix
    // (little lost, little slowed) from a merely resilient service
    let mut level = if within_target && score >= PHOENIX_SCORE {
        Level::Phoenix
    } else if within_target {
        Level::Resilient
    } else {
        Level::Fragile
    };
    if let Some(p99) = tth_p99 {
        let verb = if p99 <= target_ms { "within" } else { "over" };
        reasons.push(format!(
            "time to healthy p99 {p99:.0} ms is {verb} the {target_ms:.0} ms target"
        ));
    }
    if within_target && score < PHOENIX_SCORE {
        reasons.push(format!("score {score:.1} is below the {PHOENIX_SCORE} a phoenix needs"));
    }
    reasons.push(format!(
        "{} of {} requests lost to faults (availability {:.2} %)",
        analysis.lost_requests,
        analysis.load.sent,
        availability * 100.0
    ));
    for f in &unrecovered {
        reasons.push(format!(
            "{} after {} then {} at {:.0} ms did not become healthy again",
            f.target, f.kind, f.action, f.at_ms
        ));
        level = Level::NotCertified;
    }
    for lost in &verdicts.state_lost {
        reasons.push(lost.clone());
        level = Level::NotCertified;
    }
    if let Some(why) = &verdicts.incomplete {
        reasons.push(format!("run incomplete: {why}"));
        level = Level::NotCertified;
    }
    Certification {
        level,
        score,
        reasons,
        components,
        required: scenario.require,
        passed: level >= scenario.require,
    }
}

#[cfg(test)]
mod tests;
