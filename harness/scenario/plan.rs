//! The one canonical timeline a run executes: every CLI override and scenario default is
//! resolved before this point, and `execute` follows the plan without consulting the
//! scenario's options again.

use super::{Fault, Scenario};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Margin after the load for the last recovery, state checks and teardown.
const TAIL_MARGIN: Duration = Duration::from_secs(30);

/// An absolute timeline for one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub trials: u32,
    /// How long the load runs in each trial.
    pub load_duration: Duration,
    /// Faults ordered by their offset from the start of the load.
    pub faults: Vec<Fault>,
    /// Upper bound for one trial: deployment, load, recovery and teardown.
    pub trial_deadline: Duration,
}

impl Plan {
    /// Lays out a scenario, with an optional trial count from the command line.
    pub fn new(scenario: &Scenario, trials_override: Option<u32>) -> Plan {
        let mut faults = scenario.faults.clone();
        faults.sort_by_key(|f| f.at);
        let replicas = scenario.app.replicas.len() as u32;
        // a rolling fault (`all`) waits for each replica's recovery in turn
        let slowest_fault = faults
            .iter()
            .map(|f| {
                let each = f.delay + f.grace;
                if f.target == super::ALL {
                    (each + scenario.app.start_timeout) * replicas
                } else {
                    each
                }
            })
            .max()
            .unwrap_or_default();
        let trial_deadline = scenario.app.start_timeout * 2
            + scenario.load.duration
            + slowest_fault
            + scenario.load.timeout
            + TAIL_MARGIN;
        Plan {
            trials: trials_override.unwrap_or(scenario.trials).max(1),
            load_duration: scenario.load.duration,
            faults,
            trial_deadline,
        }
    }

    /// Upper bound for the whole run.
    pub fn deadline(&self) -> Duration {
        self.trial_deadline * self.trials
    }
}
