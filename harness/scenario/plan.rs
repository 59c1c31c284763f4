//! The one canonical timeline a run executes: every CLI override and scenario default is
//! resolved before this point, and `execute` follows the plan without consulting the
//! scenario's options again.

use super::{Fault, Scenario};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Margin after the load for the last recovery, state checks and teardown.
const TAIL_MARGIN: Duration = Duration::from_secs(30);
/// Engine calls of one fault (kill, restart, replace...), each bounded well below this.
const CALL_ALLOWANCE: Duration = Duration::from_secs(30);
/// Setting up or verifying the state checks once.
const CHECK_ALLOWANCE: Duration = Duration::from_secs(60);

/// An absolute timeline for one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub trials: u32,
    /// How long the load runs in each trial.
    pub(crate) load_duration: Duration,
    /// Faults ordered by their offset from the start of the load.
    pub faults: Vec<Fault>,
    /// Upper bound for one trial: deployment, load, recovery and teardown.
    pub(crate) trial_deadline: Duration,
}

impl Plan {
    /// Lays out a scenario, with an optional trial count from the command line.
    pub fn new(scenario: &Scenario, trials_override: Option<u32>) -> Plan {
        let mut faults: Vec<Fault> = scenario
            .faults
            .iter()
            .flat_map(|f| expand(f, &scenario.app.replicas))
            .collect();
        faults.sort_by_key(|f| f.at);
        // faults run one after another; each may wait for its targets' recovery (a rolling
        // fault between replicas, and before verifying state checks) and verify them
        let replicas = scenario.app.replicas.len() as u32;
        // a burn's rebuild starts every service, replica and the front, one after another
        let members = replicas + scenario.services.len() as u32 + u32::from(scenario.front.is_some());
        let checks = !scenario.checks.is_empty();
        let all_faults: Duration = faults
            .iter()
            .map(|f| {
                let targets = if f.kind == super::FaultKind::Burn {
                    members
                } else if f.target == super::ALL {
                    replicas
                } else {
                    1
                };
                let waits = if checks { targets } else { targets - 1 };
                let verify = if checks {
                    CHECK_ALLOWANCE * targets
                } else {
                    Duration::ZERO
                };
                (f.delay + f.grace + CALL_ALLOWANCE) * targets + scenario.app.start_timeout * waits + verify
            })
            .sum();
        let setup = if checks { CHECK_ALLOWANCE } else { Duration::ZERO };
        // the read-only trial: its instance started and removed, its boot, its load
        let read_only = scenario.audit.read_only_trial.map_or(Duration::ZERO, |r| {
            CALL_ALLOWANCE * 2 + scenario.app.start_timeout + r.duration + scenario.load.timeout
        });
        let trial_deadline = scenario.app.start_timeout * 2
            + setup
            + read_only
            + scenario.load.duration
            + all_faults
            + scenario.load.timeout
            + TAIL_MARGIN;
        Plan {
            trials: trials_override.unwrap_or(scenario.trials).max(1),
            load_duration: scenario.load.duration,
            faults,
            trial_deadline,
        }
    }

    /// Targets of the planned faults, in order.
    pub fn targets(&self) -> Vec<&str> {
        self.faults.iter().map(|f| f.target.as_str()).collect()
    }
}

/// A chaos loop becomes `count` single faults on replicas drawn with its seed; any other
/// fault stays as it is.
pub(super) fn expand(f: &Fault, replicas: &[String]) -> Vec<Fault> {
    use rand::{Rng, SeedableRng};
    let Some(chaos) = f.chaos else { return vec![f.clone()] };
    let mut rng = rand::rngs::StdRng::seed_from_u64(chaos.seed);
    (0..chaos.count)
        .map(|k| {
            let target = if f.target == super::RANDOM {
                replicas[rng.random_range(0..replicas.len())].clone()
            } else {
                f.target.clone()
            };
            Fault {
                at: f.at + chaos.every * k,
                target,
                chaos: None,
                ..f.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const CHAOS: &str = r#"
name = "chaos"
[app]
image = "x:1"
port = 8080
replicas = 3
[load]
rate = 10
duration = "30s"
[[fault]]
at = "2s"
kind = "chaos"
fault = "kill"
then = "restart"
target = "random"
every = "3s"
count = 6
seed = 42
"#;

    #[test]
    fn chaos_loop_expands_on_schedule_with_seeded_targets() {
        let s = Scenario::parse(Path::new("chaos.toml"), CHAOS).unwrap();
        let a = Plan::new(&s, None);
        let b = Plan::new(&s, None);
        assert_eq!(a.faults.len(), 6);
        assert_eq!(a.targets(), b.targets(), "same seed, same replicas");
        let at: Vec<u64> = a.faults.iter().map(|f| f.at.as_secs()).collect();
        assert_eq!(at, [2, 5, 8, 11, 14, 17]);
        assert!(a
            .faults
            .iter()
            .all(|f| f.chaos.is_none() && s.app.replicas.contains(&f.target)));
        let other = Scenario::parse(Path::new("chaos.toml"), &CHAOS.replace("seed = 42", "seed = 7")).unwrap();
        assert_ne!(
            Plan::new(&other, None).targets(),
            a.targets(),
            "another seed, another draw"
        );
    }
}
