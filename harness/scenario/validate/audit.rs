//! `[audit]`: the statelessness audit's optional parts. The read-only trial needs a
//! container (a read-only root filesystem is an engine feature), so only the Docker backend
//! runs it; on the others it is refused here rather than silently skipped.

use super::super::file::AuditFile;
use super::super::{Audit, BackendKind, ReadOnlyTrial};
use super::bounds::{READ_ONLY_MAX_DURATION, READ_ONLY_MAX_RATE};
use super::Validator;
use std::time::Duration;

/// How long the read-only trial's load runs when the scenario does not say.
pub const READ_ONLY_DEFAULT_DURATION: Duration = Duration::from_secs(3);

impl Validator<'_> {
    pub(super) fn audit(&mut self, raw: Option<AuditFile>, backend: BackendKind, rate: f64) -> Audit {
        let Some(raw) = raw else {
            return Audit::default();
        };
        let duration = self.duration(
            "audit.read_only_duration",
            raw.read_only_duration.as_deref(),
            READ_ONLY_DEFAULT_DURATION,
            Duration::from_millis(500),
            READ_ONLY_MAX_DURATION,
        );
        if raw.read_only_trial != Some(true) {
            return Audit::default();
        }
        if backend != BackendKind::Docker {
            self.problem(
                "audit.read_only_trial",
                format!(
                    "needs backend = \"docker\" (this scenario runs on {}): a read-only root filesystem is a container's",
                    backend.as_str()
                ),
                Some("remove read_only_trial, or set it to false, or run the app on the docker backend".into()),
            );
            return Audit::default();
        }
        Audit {
            read_only_trial: Some(ReadOnlyTrial {
                duration,
                rate: rate.min(READ_ONLY_MAX_RATE),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{Scenario, ScenarioError};
    use std::path::Path;

    fn with_audit(file: &str, audit: &str) -> Result<Scenario, ScenarioError> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        Scenario::parse(&path, &format!("{text}\n[audit]\n{audit}\n"))
    }

    #[test]
    fn the_read_only_trial_is_off_unless_asked_and_capped() {
        let s = with_audit("scenarios/kill-restart.toml", "read_only_trial = false").unwrap();
        assert_eq!(s.audit.read_only_trial, None);
        let s = with_audit("scenarios/kill-restart.toml", "read_only_trial = true").unwrap();
        let ro = s.audit.read_only_trial.unwrap();
        // kill-restart's load runs at 400 req/s; the trial is capped
        assert_eq!((ro.duration, ro.rate), (super::READ_ONLY_DEFAULT_DURATION, 200.0));
        let e = with_audit(
            "scenarios/kill-restart.toml",
            "read_only_trial = true\nread_only_duration = \"5m\"",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("audit.read_only_duration") && e.contains("at most 30s"),
            "{e}"
        );
    }

    #[test]
    fn the_process_backend_refuses_the_read_only_trial_naming_the_field() {
        let e = with_audit("tests/scenarios/process-kill-restart.toml", "read_only_trial = true")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("audit.read_only_trial") && e.contains("needs backend = \"docker\""),
            "{e}"
        );
        // located in the file: the key's line (the file's own 37 lines come first)
        assert!(
            e.contains("process-kill-restart.toml:38:1:") && e.contains("hint"),
            "{e}"
        );
    }
}
