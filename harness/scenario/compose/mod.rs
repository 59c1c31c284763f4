//! A docker-compose file as the scenario's stack: `[app] compose = "docker-compose.yml"`
//! and `service = "web"`. The file is untrusted input like a scenario file: read within
//! the same bounds, inside the project, interpolated (`interpolate.rs`), checked key by
//! key against what the mapping supports (`map.rs`: anything else is refused, located at
//! file:line:col) and mapped into the scenario's own `[app]` and `[[service]]` tables, so
//! one validation and one code path follow. `lint.rs` says what would keep the app service
//! from being a phoenix server.

mod app;
pub(crate) mod budget;
mod interpolate;
mod lint;
mod map;
mod origins;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_env_deps;

use super::error::{Problem, ScenarioError};
use super::file::ScenarioFile;
use super::validate::paths::{Project, Want};
use interpolate::Vars;
pub(crate) use origins::Origins;
use serde_yaml::Value;
use std::path::{Path, PathBuf};

/// Most services read from one compose file.
pub const MAX_COMPOSE_SERVICES: usize = 32;
/// Most `env_file` entries of one service (each is a file read).
pub const MAX_ENV_FILES: usize = 16;

/// What mapping a compose file leaves for the validated scenario.
#[derive(Default)]
pub(super) struct Applied {
    /// The lint's warnings.
    pub warnings: Vec<String>,
    /// The compose file's folder: `x-phoenix.build_command` runs there, as its paths are
    /// relative to the compose file like every other path it names.
    pub folder: Option<PathBuf>,
    /// Which scenario fields the compose file filled, to show their problems there.
    pub origins: Origins,
}

/// Replaces `raw.app.compose` by what the compose file says.
pub(super) fn apply(
    scenario: &Path,
    scenario_text: &str,
    project: &Project,
    raw: &mut ScenarioFile,
) -> Result<Applied, ScenarioError> {
    let allowed = std::mem::take(&mut raw.app.compose_env);
    let Some(written) = raw.app.compose.take() else {
        if !allowed.is_empty() {
            return Err(scenario_problem(
                scenario,
                scenario_text,
                "app.compose_env",
                "allows variables into a compose file, but there is no app.compose",
                "add compose = \"docker-compose.yml\", or remove compose_env",
            ));
        }
        if raw.app.service.is_some() {
            return Err(scenario_problem(
                scenario,
                scenario_text,
                "app.service",
                "names a compose service, but there is no app.compose",
                "add compose = \"docker-compose.yml\", or remove service",
            ));
        }
        return Ok(Applied::default());
    };
    let Some(service) = raw.app.service.take() else {
        return Err(scenario_problem(
            scenario,
            scenario_text,
            "app",
            "app.compose needs app.service: the compose service to replicate, kill and load",
            "e.g. service = \"web\"",
        ));
    };
    if let Some(bad) = allowed.iter().find(|n| !super::validate::docker::env_name_ok(n)) {
        return Err(scenario_problem(
            scenario,
            scenario_text,
            "app.compose_env",
            &format!("\"{bad}\" is not a variable name"),
            "letters, digits and '_', not starting with a digit, e.g. compose_env = [\"TAG\"]",
        ));
    }
    if allowed.len() > super::MAX_ENV {
        return Err(scenario_problem(
            scenario,
            scenario_text,
            "app.compose_env",
            &format!("{} names, at most {}", allowed.len(), super::MAX_ENV),
            "allow only what the compose file reads",
        ));
    }
    let max_bytes = super::read::MAX_FILE_BYTES;
    let file = project
        .resolve(&written, Want::File { max_bytes })
        .map_err(|(m, h)| scenario_problem(scenario, scenario_text, "app.compose", &m, &h))?
        .path;
    let text = super::read::read_bounded(&file)?;
    // paths the compose file names are relative to its folder; they are handed to the
    // scenario's validation relative to the scenario's folder, which checks them again
    let dir = Path::new(&written).parent().unwrap_or(Path::new("")).to_path_buf();
    let mut c = Compose {
        file: file.clone(),
        text: &text,
        dir,
        project,
        problems: Vec::new(),
        vars: Vars::default(),
        project_name: None,
        origins: Origins::new(file.clone(), &text),
    };
    let dotenv = c.dir.join(".env");
    if project.base.join(&dotenv).exists() {
        for (k, v) in c.env_file(&dotenv.to_string_lossy(), &[])? {
            c.vars.known.insert(k, v);
        }
    }
    // an allowed variable of the environment wins over .env, as in Compose; the names of
    // the others are kept only to refuse a reference to one (interpolate.rs says why)
    for (k, v) in std::env::vars_os() {
        let Some(k) = k.to_str() else { continue };
        if allowed.iter().any(|a| a == k) {
            c.vars.known.insert(k.to_string(), v.to_string_lossy().into_owned());
        } else if !c.vars.known.contains_key(k) {
            c.vars.withheld.insert(k.to_string());
        }
    }
    let warnings = c.map(&service, raw);
    if c.problems.is_empty() {
        Ok(Applied {
            warnings,
            folder: Some(project.base.join(&c.dir)),
            origins: c.origins,
        })
    } else {
        Err(ScenarioError::Invalid {
            path: file,
            problems: c.problems,
        })
    }
}

/// The `deploy.replicas` of `service` in the compose file at `file`, when it says a plain
/// number: `phoenix certify --compose` lays out one fault per replica before the file is
/// mapped. Anything unreadable, over the budget or out of range is None here; the mapping
/// then reports it at its line (an out-of-range `deploy.replicas` even when the scenario's
/// own `replicas` wins).
pub fn declared_replicas(file: &Path, service: &str) -> Option<u32> {
    let text = super::read::read_bounded(file).ok()?;
    budget::check(&text).ok()?;
    let v: Value = serde_yaml::from_str(&text).ok()?;
    let r = v
        .get("services")?
        .get(service)?
        .get("deploy")?
        .get("replicas")?
        .as_u64()?;
    u32::try_from(r).ok()
}

/// A problem of the scenario file's own `[app]` keys, located in its text (the one being
/// parsed: certify's generated text is on no disk).
fn scenario_problem(scenario: &Path, text: &str, field: &str, message: &str, hint: &str) -> ScenarioError {
    ScenarioError::Invalid {
        path: scenario.to_path_buf(),
        problems: vec![Problem {
            field: field.into(),
            file: None,
            location: super::error::Locator::new(text).locate(field),
            message: message.into(),
            hint: Some(hint.into()),
        }],
    }
}

/// One compose file being mapped.
pub(crate) struct Compose<'t> {
    file: PathBuf,
    text: &'t str,
    /// The compose file's folder, relative to the scenario's folder.
    dir: PathBuf,
    project: &'t Project,
    problems: Vec<Problem>,
    /// Interpolation variables: `.env` beside the file, then the allowed environment.
    vars: Vars,
    /// The top-level `name:` (Compose's project name), once read.
    project_name: Option<String>,
    /// The scenario fields filled so far, with their compose keys.
    origins: Origins,
}

impl Compose<'_> {
    /// Records a problem at the key `path` (e.g. `["services", "web", "command"]`). Only
    /// the problems shown are located (each location is a scan of the text); the others
    /// are counted.
    fn problem(&mut self, path: &[&str], message: impl Into<String>, hint: impl Into<String>) {
        let shown = self.problems.len() < super::error::MAX_LISTED;
        self.problems.push(Problem {
            field: path.join("."),
            file: None,
            location: Some(if shown { locate(self.text, path) } else { (1, 1) }),
            message: message.into(),
            hint: Some(hint.into()),
        });
    }

    /// `written` (relative to the compose file's folder) relative to the scenario's.
    fn rel(&self, written: &str) -> String {
        if Path::new(written).is_absolute() {
            return written.into(); // refused by the scenario's path checks
        }
        let joined = self.dir.join(written);
        let s = joined.to_string_lossy().into_owned();
        if s.is_empty() {
            ".".into()
        } else {
            s
        }
    }

    /// An env file's variables (bounded, inside the project); `at` locates problems.
    fn env_file(&mut self, written: &str, at: &[&str]) -> Result<Vec<(String, String)>, ScenarioError> {
        let max_bytes = 64 * 1024;
        let path = match self.project.resolve(written, Want::File { max_bytes }) {
            Ok(r) => r.path,
            Err((m, h)) => {
                self.problem(at, format!("env file {written}: {m}"), h);
                return Ok(Vec::new());
            }
        };
        let text = super::read::read_bounded(&path)?;
        match interpolate::parse_env_file(&text) {
            Ok(v) => Ok(v),
            Err((line, why)) => Err(ScenarioError::Invalid {
                path,
                problems: vec![Problem {
                    field: String::new(),
                    file: None,
                    location: Some((line, 1)),
                    message: why,
                    hint: Some("an env file holds KEY=VALUE lines and # comments".into()),
                }],
            }),
        }
    }

    /// Interpolates every string in `v` (keys too are left as written, as Compose does).
    fn interpolate(&mut self, v: &mut Value, path: &mut Vec<String>) {
        match v {
            Value::String(s) => match interpolate::interpolate(s, &self.vars) {
                Ok(done) => *s = done,
                Err((m, h)) => {
                    let p: Vec<&str> = path.iter().map(String::as_str).collect();
                    self.problem(&p, m, h);
                }
            },
            Value::Sequence(items) => {
                for item in items {
                    self.interpolate(item, path);
                }
            }
            Value::Mapping(m) => {
                for (k, item) in m.iter_mut() {
                    path.push(k.as_str().unwrap_or("?").to_string());
                    self.interpolate(item, path);
                    path.pop();
                }
            }
            Value::Tagged(t) => self.interpolate(&mut t.value, path),
            _ => {}
        }
    }
}

/// Line and column (1-based) of the key `path` in block-style YAML: each key is searched
/// among its parent's direct children (the indentation of the parent's first child line:
/// a deeper key of the same name is another key); the deepest key found is returned
/// (1:1 when not even the first is). Linear in the text.
pub(crate) fn locate(text: &str, path: &[&str]) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut best = (1, 1);
    let (mut from, mut parent_indent) = (0usize, -1isize);
    'seg: for seg in path {
        let mut child_indent = None;
        for (i, line) in lines.iter().enumerate().skip(from) {
            let t = line.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let indent = (line.len() - t.len()) as isize;
            if indent <= parent_indent {
                break;
            }
            if *child_indent.get_or_insert(indent) != indent {
                continue;
            }
            let (key, extra) = match t.strip_prefix("- ") {
                Some(k) => (k, 2),
                None => (t, 0),
            };
            let bare = key.strip_prefix(['"', '\'']).unwrap_or(key);
            if bare
                .strip_prefix(seg)
                .is_some_and(|r| r.starts_with(':') || r.starts_with("\":") || r.starts_with("':"))
            {
                best = (i + 1, indent as usize + extra + 1);
                from = i + 1;
                parent_indent = indent;
                continue 'seg;
            }
        }
        break;
    }
    best
}
