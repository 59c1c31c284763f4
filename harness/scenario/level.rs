//! Certification levels: the vocabulary a scenario's `require` is written in and
//! `certify` grades a run with. It lives with the scenario, the first stage of the
//! pipeline, so that the scenario does not import the certification that comes after it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Certification levels, best first: phoenix > resilient > fragile > untested >
/// not-certified. `untested` sits below every level that certifies a recovery, so no
/// `require` above it is met by a run that measured none, and above `not-certified`,
/// which a run earns by failing (lost state, no recovery, incomplete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    NotCertified = 0,
    Untested = 1,
    Fragile = 2,
    Resilient = 3,
    Phoenix = 4,
}

impl Level {
    pub(crate) const NAMES: [&'static str; 5] = ["phoenix", "resilient", "fragile", "untested", "not-certified"];

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "phoenix" => Some(Level::Phoenix),
            "resilient" => Some(Level::Resilient),
            "fragile" => Some(Level::Fragile),
            "untested" => Some(Level::Untested),
            "not-certified" => Some(Level::NotCertified),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Phoenix => "phoenix",
            Level::Resilient => "resilient",
            Level::Fragile => "fragile",
            Level::Untested => "untested",
            Level::NotCertified => "not-certified",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
