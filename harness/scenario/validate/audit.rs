//! `[audit]`: the paths the statelessness audit treats as scratch and the JSON fields an old
//! and a fresh instance may answer differently. Bounded in count and length; every entry a
//! plain absolute path or a dotted key, so nothing odd reaches a report unescaped.

use super::super::file::AuditFile;
use super::super::AuditParams;
use super::Validator;

/// Most entries in each list.
pub const MAX_AUDIT_ENTRIES: usize = 32;
/// Longest entry, bytes.
pub const MAX_AUDIT_ENTRY_BYTES: usize = 256;

impl Validator<'_> {
    pub(super) fn audit(&mut self, raw: Option<AuditFile>) -> AuditParams {
        let Some(raw) = raw else { return AuditParams::default() };
        let mut out = AuditParams {
            enabled: raw.enabled.unwrap_or(true),
            ..Default::default()
        };
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
