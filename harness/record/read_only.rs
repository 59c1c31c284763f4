//! What the read-only trial of one trial saw: an extra replica with a read-only root
//! filesystem got the load's request mix for a short time, and these requests failed.

use super::Outcome;
use serde::{Deserialize, Serialize};

/// Most distinct failures kept per trial (method, path, status or class); the rest are
/// counted in `failed` only.
pub const MAX_READ_ONLY_FAILURES: usize = 20;
/// Bytes of a response body kept as an excerpt.
pub const READ_ONLY_EXCERPT_BYTES: usize = 200;
/// Output lines of the read-only instance kept.
pub const READ_ONLY_OUTPUT_LINES: usize = 10;

/// The read-only trial of one trial.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadOnlyRecord {
    /// Planned length of its load, µs.
    pub(crate) duration_us: i64,
    /// Requests per second.
    pub rate: f64,
    /// Why it could not run (the instance did not start); None when it ran.
    pub error: Option<String>,
    /// The instance answered its health probe within `app.start_timeout`.
    pub healthy: bool,
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    /// Failed requests grouped by what they were and how they failed.
    pub failures: Vec<ReadOnlyFailure>,
    /// The instance's last output lines (its own words on what it could not write).
    pub output: Vec<String>,
}

/// Requests of one kind that failed the same way on the read-only replica.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadOnlyFailure {
    pub method: String,
    pub path: String,
    /// The HTTP status, when the app answered.
    pub status: Option<u16>,
    /// The failure class, named as in `load.failed_by_class` (`http_5xx`, `reset`, ...).
    pub class: String,
    pub count: u64,
    /// The start of the first such response's body (lossy UTF-8), empty without an answer.
    pub excerpt: String,
}

impl ReadOnlyRecord {
    /// Counts one failed request, grouping it with the same method, path, status and class.
    pub fn fail(&mut self, method: &str, path: &str, status: Option<u16>, class: Outcome, excerpt: &str) {
        self.failed += 1;
        let class = class.as_str();
        let same =
            |f: &&mut ReadOnlyFailure| f.method == method && f.path == path && f.status == status && f.class == class;
        if let Some(f) = self.failures.iter_mut().find(same) {
            f.count += 1;
        } else if self.failures.len() < MAX_READ_ONLY_FAILURES {
            self.failures.push(ReadOnlyFailure {
                method: method.into(),
                path: path.into(),
                status,
                class: class.into(),
                count: 1,
                excerpt: excerpt.into(),
            });
        }
    }
}
