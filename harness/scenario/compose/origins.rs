//! Where the compose file said what the scenario's own rules then refuse. Mapping turns
//! `services.db.command` into `service[0].command`; a problem the validator finds there
//! is shown at the compose file's line, under the compose key, not at line 1 of a
//! scenario that never wrote it. The scenario's own `[[service]]` tables come after the
//! compose dependencies, so their problems are renumbered back to what the file says.

use super::locate;
use crate::scenario::error::Problem;
use std::path::PathBuf;

/// Scenario fields the compose file filled, each with the compose key it came from.
#[derive(Default)]
pub(crate) struct Origins {
    file: PathBuf,
    text: String,
    /// (scenario field or field prefix, compose key path), most specific last.
    fields: Vec<(String, Vec<String>)>,
    /// How many `[[service]]` entries the compose file put before the scenario's own.
    deps: usize,
}

impl Origins {
    pub(super) fn new(file: PathBuf, text: &str) -> Origins {
        Origins {
            file,
            text: text.to_string(),
            ..Origins::default()
        }
    }

    /// Records that the scenario's `field` (and everything under it) came from `key`.
    pub(super) fn add(&mut self, field: impl Into<String>, key: &[&str]) {
        self.fields
            .push((field.into(), key.iter().map(|s| s.to_string()).collect()));
    }

    pub(super) fn set_deps(&mut self, n: usize) {
        self.deps = n;
    }

    /// Moves `p` to the compose file when its field came from there, or renumbers a
    /// scenario service shifted by the compose dependencies; true when it located it.
    pub(crate) fn place(&self, p: &mut Problem) -> bool {
        let under = |f: &str| {
            p.field == f
                || p.field
                    .strip_prefix(f)
                    .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
        };
        if let Some((_, key)) = self
            .fields
            .iter()
            .filter(|(f, _)| under(f))
            .max_by_key(|(f, _)| f.len())
        {
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
            p.file = Some(self.file.clone());
            p.location = Some(locate(&self.text, &key));
            p.message = format!("{} (scenario field {})", p.message, p.field);
            p.field = key.join(".");
            return true;
        }
        if self.deps > 0 {
            if let Some((i, rest)) = p
                .field
                .strip_prefix("service[")
                .and_then(|r| r.split_once(']'))
                .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)))
            {
                if i >= self.deps {
                    p.field = format!("service[{}]{rest}", i - self.deps);
                }
            }
        }
        false
    }
}
