//! The platform floor as measured: the scenario's fault actions applied to a null replica
//! (the demo app, ready the instant it binds) on the same engine and backend, before the
//! trials and after them, each timed as a fault's time to healthy is.

use super::invalid::{at_most, clock, within_n, Invalid};
use crate::scenario::{Action, FaultKind};
use serde::{Deserialize, Serialize};

/// When a floor cycle ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorPhase {
    Before,
    After,
}

/// One fault action on the null replica.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorSample {
    pub kind: FaultKind,
    pub action: Action,
    /// The fault's reaction delay (its `delay`), µs: part of the action, as in the fault.
    pub delay_us: i64,
    pub phase: FloorPhase,
    /// Fault instant to the null replica's first healthy probe after it, µs; None when it
    /// was not healthy again within the cycle's bound, or the action failed (`error`).
    pub(crate) time_to_healthy_us: Option<i64>,
    pub error: Option<String>,
}

/// The floor of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FloorRecord {
    /// Cycles asked for per action, before and after each (`certify.floor_cycles`).
    pub cycles: u32,
    pub samples: Vec<FloorSample>,
    /// Why the floor, or part of it, was not measured.
    pub notes: Vec<String>,
    /// Wall time the floor added to the run (deploying the null replica, the cycles,
    /// tearing it down), µs.
    pub(crate) cost_us: i64,
}

impl FloorRecord {
    /// The platform floor: its cycles within the scenario's range, at most one sample per
    /// fault of the plan per cycle before and after, every time within a day, notes bounded.
    pub(super) fn check(&self, faults: usize) -> Result<(), Invalid> {
        let f = self;
        within_n("floor.cycles", f.cycles, 0..=crate::scenario::MAX_FLOOR_CYCLES)?;
        let max = faults.saturating_mul(2 * f.cycles as usize);
        at_most("floor.samples", f.samples.len(), max, "2 × cycles × the plan's faults")?;
        at_most("floor.notes", f.notes.len(), 64, "")?;
        if let Some(i) = f.notes.iter().position(|n| n.len() > 4096) {
            return Err(Invalid::bound(format!("floor.notes[{i}]"), "over 4096 bytes"));
        }
        clock("floor.cost_us", f.cost_us)?;
        for (i, s) in f.samples.iter().enumerate() {
            clock(&format!("floor.samples[{i}].delay_us"), s.delay_us)?;
            if let Some(t) = s.time_to_healthy_us {
                clock(&format!("floor.samples[{i}].time_to_healthy_us"), t)?;
            }
            if s.error.as_ref().is_some_and(|e| e.len() > 4096) {
                return Err(Invalid::bound(format!("floor.samples[{i}].error"), "over 4096 bytes"));
            }
        }
        Ok(())
    }
}
