//! The platform floor's figures (docs/certification.md, The platform floor): per fault action the time to
//! healthy of the null replica — p50, p99, min, max and spread over its cycles — and per
//! fault the app's share, its time to healthy minus the floor p50 of the same action.

use super::stats::DurationSummary;
use super::FaultRecovery;
use crate::record::{FloorRecord, RunRecord};
use serde::{Deserialize, Serialize};

/// One fault action's floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorAction {
    pub kind: String,
    pub action: String,
    /// The action's reaction delay, ms (part of the floor as of the fault).
    pub(crate) delay_ms: f64,
    /// Cycles that recovered, and those that did not (or whose action failed).
    pub count: u64,
    pub failed: u64,
    /// Null replica's time to healthy over the cycles, ms.
    pub p50_ms: Option<f64>,
    pub(crate) p99_ms: Option<f64>,
    pub(crate) min_ms: Option<f64>,
    pub(crate) max_ms: Option<f64>,
    /// max − min, ms.
    pub(crate) spread_ms: Option<f64>,
}

/// The run's floor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Floor {
    /// Cycles asked for per action, before and after the trials each.
    pub cycles: u32,
    pub actions: Vec<FloorAction>,
    /// Wall time the floor added to the run, ms.
    pub(crate) cost_ms: f64,
    pub notes: Vec<String>,
}

impl Floor {
    /// The floor p50 of a fault's action (kind, action and delay), if measured.
    pub(crate) fn p50_of(&self, kind: &str, action: &str, delay_us: i64) -> Option<f64> {
        let delay_ms = delay_us as f64 / 1000.0;
        self.actions
            .iter()
            .find(|a| a.kind == kind && a.action == action && (a.delay_ms - delay_ms).abs() < 0.001)
            .and_then(|a| a.p50_ms)
    }
}

/// The floor of a record that has one.
pub fn floor(record: &RunRecord) -> Option<Floor> {
    record.floor.as_ref().map(summarise)
}

fn summarise(rec: &FloorRecord) -> Floor {
    let mut keys: Vec<(String, String, i64)> = Vec::new();
    for s in &rec.samples {
        let key = (s.kind.as_str().to_string(), s.action.as_str().to_string(), s.delay_us);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let actions = keys
        .into_iter()
        .map(|(kind, action, delay_us)| {
            let of = rec
                .samples
                .iter()
                .filter(|s| s.kind.as_str() == kind && s.action.as_str() == action && s.delay_us == delay_us);
            let ms: Vec<f64> = of
                .clone()
                .filter_map(|s| s.time_to_healthy_us)
                .map(|us| us.max(0) as f64 / 1000.0)
                .collect();
            let failed = (of.count() - ms.len()) as u64;
            let d = DurationSummary::of(&ms);
            // min, max and their spread exact (the histogram rounds up a max by up to 0.1 %)
            let min = ms.iter().copied().reduce(f64::min);
            let max = ms.iter().copied().reduce(f64::max);
            FloorAction {
                kind,
                action,
                delay_ms: delay_us as f64 / 1000.0,
                count: ms.len() as u64,
                failed,
                // the histogram rounds up by up to 0.1 %: never above the exact max
                p50_ms: d.p50.zip(max).map(|(p, m)| p.min(m)),
                p99_ms: d.p99.zip(max).map(|(p, m)| p.min(m)),
                min_ms: min,
                max_ms: max,
                spread_ms: max.zip(min).map(|(a, b)| a - b),
            }
        })
        .collect();
    Floor {
        cycles: rec.cycles,
        actions,
        cost_ms: rec.cost_us as f64 / 1000.0,
        notes: rec.notes.clone(),
    }
}

/// Sets each recovered fault's floor and app share (time to healthy minus the floor p50 of
/// its action, at least 0); a fault on a service has its own ([`dependency_shares`]). `delays`: each fault's reaction delay, µs, by trial and index.
pub fn share(faults: &mut [FaultRecovery], floor: &Floor, delay_us: impl Fn(u32, usize) -> i64) {
    for f in faults.iter_mut() {
        let Some(tth) = f.time_to_healthy_ms else { continue };
        if f.dependency.is_some() {
            continue;
        }
        f.floor_ms = floor.p50_of(&f.kind, &f.action, delay_us(f.trial, f.index));
        f.app_share_ms = f.floor_ms.map(|fl| ((tth - fl).max(0.0) * 1000.0).round() / 1000.0);
    }
}

/// A recovered fault on a service: the floor under the app is its dependency's own return,
/// and the app's share its time to serve again after it.
pub fn dependency_shares(faults: &mut [FaultRecovery]) {
    for f in faults.iter_mut().filter(|f| f.time_to_healthy_ms.is_some()) {
        if let Some(d) = &f.dependency {
            f.floor_ms = d.ready_ms;
            f.app_share_ms = d.serve_again_ms;
        }
    }
}
