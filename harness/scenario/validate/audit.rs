//! `[audit]`: the paths the statelessness audit treats as scratch and the JSON fields an old
//! and a fresh instance may answer differently. Bounded in count and length; every entry a
//! plain absolute path or a dotted key, so nothing odd reaches a report unescaped. The
//! read-only trial needs a container (a read-only root filesystem is an engine feature), so
//! only the Docker backend runs it; on the others it is refused here rather than skipped.

use super::super::file::AuditFile;
use super::super::{AuditParams, BackendKind, ReadOnlyTrial};
use super::bounds::{READ_ONLY_MAX_DURATION, READ_ONLY_MAX_RATE};
use super::Validator;
use std::time::Duration;

/// How long the read-only trial's load runs when the scenario does not say.
pub const READ_ONLY_DEFAULT_DURATION: Duration = Duration::from_secs(3);

/// Most entries in each list.
pub(crate) const MAX_AUDIT_ENTRIES: usize = 32;
/// Longest entry, bytes.
pub(crate) const MAX_AUDIT_ENTRY_BYTES: usize = 256;

impl Validator<'_> {
    pub(super) fn audit(&mut self, raw: Option<AuditFile>, backend: BackendKind, rate: f64) -> AuditParams {
        let Some(raw) = raw else { return AuditParams::default() };
        let mut out = AuditParams {
            enabled: raw.enabled.unwrap_or(true),
            ..Default::default()
        };
        let duration = self.duration(
            "audit.read_only_duration",
            raw.read_only_duration.as_deref(),
            READ_ONLY_DEFAULT_DURATION,
            Duration::from_millis(500),
            READ_ONLY_MAX_DURATION,
        );
        if raw.read_only_trial == Some(true) {
            if backend == BackendKind::Docker {
                out.read_only_trial = Some(ReadOnlyTrial {
                    duration,
                    rate: rate.min(READ_ONLY_MAX_RATE),
                });
            } else {
                self.problem(
                    "audit.read_only_trial",
                    format!(
                        "needs backend = \"docker\" (this scenario runs on {}): a read-only root filesystem is a container's",
                        backend.as_str()
                    ),
                    Some("remove read_only_trial, or set it to false, or run the app on the docker backend".into()),
                );
            }
        }
        let n = self.at_most("audit.ephemeral", raw.ephemeral.len(), MAX_AUDIT_ENTRIES, "paths");
        for (i, p) in raw.ephemeral.into_iter().take(n).enumerate() {
            match path_problem(&p) {
                Some(why) => self.problem(
                    &format!("audit.ephemeral[{i}]"),
                    why,
                    Some("an absolute path inside the replica, e.g. ephemeral = [\"/tmp\", \"/var/cache/app\"]".into()),
                ),
                None => out.ephemeral.push(p.trim_end_matches('/').to_string()),
            }
        }
        let n = self.at_most("audit.volatile", raw.volatile.len(), MAX_AUDIT_ENTRIES, "fields");
        for (i, f) in raw.volatile.into_iter().take(n).enumerate() {
            match field_problem(&f) {
                Some(why) => self.problem(
                    &format!("audit.volatile[{i}]"),
                    why,
                    Some("a JSON key (`time`) or a path from the root (`$.meta.time`), e.g. volatile = [\"$.time\", \"request_id\"]".into()),
                ),
                None => out.volatile.push(f),
            }
        }
        out
    }
}

fn path_problem(p: &str) -> Option<String> {
    if p.len() > MAX_AUDIT_ENTRY_BYTES {
        return Some(format!(
            "is {} bytes, over the limit of {MAX_AUDIT_ENTRY_BYTES}",
            p.len()
        ));
    }
    if !p.starts_with('/') {
        return Some(format!("{:?} is not an absolute path", crate::scenario::escape(p)));
    }
    if p.trim_end_matches('/').is_empty() {
        return Some("\"/\" would make every file scratch and the audit blind".into());
    }
    if p.chars().any(super::super::error::needs_escape) {
        return Some("contains control or invisible formatting characters".into());
    }
    if p.split('/').any(|c| c == ".." || c == ".") {
        return Some(format!("{:?} has a `.` or `..` component", crate::scenario::escape(p)));
    }
    None
}

fn field_problem(f: &str) -> Option<String> {
    if f.len() > MAX_AUDIT_ENTRY_BYTES {
        return Some(format!(
            "is {} bytes, over the limit of {MAX_AUDIT_ENTRY_BYTES}",
            f.len()
        ));
    }
    let keys = f.strip_prefix("$.").unwrap_or(f);
    let ok = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c));
    if !keys.split('.').all(ok) || (!f.starts_with("$.") && f.contains('.')) {
        return Some(format!(
            "{:?} is neither a key nor a `$.`-path of keys (letters, digits, `_`, `-`)",
            crate::scenario::escape(f)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;
    use std::path::Path;

    const BASE: &str = "name = \"a\"\n[app]\nimage = \"x:1\"\nport = 8080\n[load]\nrate = 10\nduration = \"5s\"\n";

    fn parse(audit: &str) -> Result<Scenario, String> {
        Scenario::parse(Path::new("a.toml"), &format!("{BASE}[audit]\n{audit}\n")).map_err(|e| e.to_string())
    }

    #[test]
    fn ephemeral_paths_and_volatile_fields_are_read() {
        let s =
            parse("ephemeral = [\"/tmp/\", \"/var/cache/app\"]\nvolatile = [\"$.meta.time\", \"request_id\"]").unwrap();
        assert_eq!(s.audit.ephemeral, ["/tmp", "/var/cache/app"]);
        assert_eq!(s.audit.volatile, ["$.meta.time", "request_id"]);
    }

    #[test]
    fn bad_entries_are_refused_with_their_place_and_a_fix() {
        for (bad, field, says) in [
            ("ephemeral = [\"tmp\"]", "audit.ephemeral[0]", "not an absolute path"),
            ("ephemeral = [\"/\"]", "audit.ephemeral[0]", "audit blind"),
            ("ephemeral = [\"/a/../etc\"]", "audit.ephemeral[0]", "component"),
            ("ephemeral = [\"/tmp\\u001b[31m\"]", "audit.ephemeral[0]", "control"),
            ("volatile = [\"a b\"]", "audit.volatile[0]", "neither a key"),
            ("volatile = [\"a.b\"]", "audit.volatile[0]", "neither a key"),
            ("volatile = [\"$.\"]", "audit.volatile[0]", "neither a key"),
            ("volume = []", "volume", "audit"),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(field) && e.contains(says), "{bad}: {e}");
            assert!(e.contains("a.toml:"), "located: {e}");
            assert!(!e.contains('\u{1b}'), "escaped: {e}");
        }
    }
}

#[cfg(test)]
mod read_only_tests {
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
