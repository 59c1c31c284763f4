//! A docker-compose file as the scenario's stack: `[app] compose = "docker-compose.yml"`
//! and `service = "web"`. The file is untrusted input like a scenario file: read within
//! the same bounds, inside the project, interpolated (`interpolate.rs`), checked key by
//! key against what the mapping supports (`map.rs`: anything else is refused, located at
//! file:line:col) and mapped into the scenario's own `[app]` and `[[service]]` tables, so
//! one validation and one code path follow. `lint.rs` says what would keep the app service
//! from being a phoenix server.

mod app;
pub(crate) mod budget;
mod checks;
mod deps;
mod interpolate;
mod lint;
mod map;
mod origins;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_env_deps;
mod value;

use super::error::{Problem, ScenarioError};
use super::file::ScenarioFile;
use super::validate::paths::{Project, Want};
use interpolate::Vars;
pub(crate) use origins::Origins;
use serde_yaml::Value;
use std::path::{Path, PathBuf};

/// Most services read from one compose file.
pub(crate) const MAX_COMPOSE_SERVICES: usize = 32;
/// Most `env_file` entries of one service (each is a file read).
pub(crate) const MAX_ENV_FILES: usize = 16;

/// What mapping a compose file leaves for the validated scenario.
#[derive(Default)]
pub(super) struct Applied {
    /// The lint's warnings.
    pub warnings: Vec<String>,
    /// The compose file's folder: `x-phoenix.build_command` runs there, as its paths are
    /// relative to the compose file like every other path it names.
    pub folder: Option<PathBuf>,
    /// Which scenario fields the compose file filled, to show their problems there.
    pub(crate) origins: Origins,
}

/// Replaces `raw.app.compose` by what the compose file says.
pub(super) fn apply(
    scenario: &Path,
    scenario_text: &str,
    project: &Project,
    raw: &mut ScenarioFile,
) -> Result<Applied, ScenarioError> {
    let allowed = std::mem::take(&mut raw.app.compose_env);
    let problem =
        |field: &str, message: &str, hint: &str| scenario_problem(scenario, scenario_text, field, message, hint);
    let Some(written) = raw.app.compose.take() else {
        return no_compose(&allowed, raw, &problem).map(|()| Applied::default());
    };
    let Some(service) = raw.app.service.take() else {
        return Err(problem(
            "app",
            "app.compose needs app.service: the compose service to replicate, kill and load",
            "e.g. service = \"web\"",
        ));
    };
    allowed_names(&allowed, &problem)?;
    let max_bytes = super::read::MAX_FILE_BYTES;
    let file = project
        .resolve(&written, Want::File { max_bytes })
        .map_err(|(m, h)| problem("app.compose", &m, &h))?
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

/// Without `app.compose`, the fields that only make sense with one are refused.
fn no_compose(
    allowed: &[String],
    raw: &ScenarioFile,
    problem: &dyn Fn(&str, &str, &str) -> ScenarioError,
) -> Result<(), ScenarioError> {
    if !allowed.is_empty() {
        return Err(problem(
            "app.compose_env",
            "allows variables into a compose file, but there is no app.compose",
            "add compose = \"docker-compose.yml\", or remove compose_env",
        ));
    }
    if raw.app.service.is_some() {
        return Err(problem(
            "app.service",
            "names a compose service, but there is no app.compose",
            "add compose = \"docker-compose.yml\", or remove service",
        ));
    }
    Ok(())
}

/// `app.compose_env`: variable names, and not too many.
fn allowed_names(allowed: &[String], problem: &dyn Fn(&str, &str, &str) -> ScenarioError) -> Result<(), ScenarioError> {
    if let Some(bad) = allowed.iter().find(|n| !super::validate::docker::env_name_ok(n)) {
        return Err(problem(
            "app.compose_env",
            &format!("\"{bad}\" is not a variable name"),
            "letters, digits and '_', not starting with a digit, e.g. compose_env = [\"TAG\"]",
        ));
    }
    if allowed.len() > super::MAX_ENV {
        return Err(problem(
            "app.compose_env",
            &format!("{} names, at most {}", allowed.len(), super::MAX_ENV),
            "allow only what the compose file reads",
        ));
    }
    Ok(())
}

/// The `deploy.replicas` of `service` in the compose file at `file`, when it says a plain
/// number from 1 to the scenario's bound: `phoenix certify --compose` lays out one fault
/// per replica before the file is mapped. Anything unreadable, over the budget or out of
/// range is None here, so the default scenario takes its own replicas and the mapping
/// reports the value at its line (an out-of-range `deploy.replicas` even when the
/// scenario's own `replicas` wins).
pub fn declared_replicas(file: &Path, service: &str) -> Option<u32> {
    let text = super::read::read_bounded(file).ok()?;
    let v: Value = match budget::load(&text).ok()? {
        Some(v) => v,
        None => serde_yaml::from_str(&text).ok()?,
    };
    let r = v
        .get("services")?
        .get(service)?
        .get("deploy")?
        .get("replicas")?
        .as_u64()?;
    let max = super::validate::bounds::MAX_REPLICAS;
    u32::try_from(r).ok().filter(|r| (1..=max).contains(r))
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
        self.push(path, message.into(), hint.into(), locate);
    }

    /// A problem of the value at `path`: located at the value when it is on the key's line.
    fn value_problem(&mut self, path: &[&str], message: impl Into<String>, hint: impl Into<String>) {
        self.push(path, message.into(), hint.into(), locate_value);
    }

    fn push(&mut self, path: &[&str], message: String, hint: String, at: fn(&str, &[&str]) -> (usize, usize)) {
        let shown = self.problems.len() < super::error::MAX_LISTED;
        self.problems.push(Problem {
            field: path.join("."),
            file: None,
            location: Some(if shown { at(self.text, path) } else { (1, 1) }),
            message,
            hint: Some(hint),
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

    /// Interpolates every string in `v` (keys are left as written, as Compose does) and
    /// refuses one with stray spaces.
    fn interpolate(&mut self, v: &mut Value, path: &mut Vec<String>) {
        match v {
            Value::String(s) => match interpolate::interpolate(s, &self.vars) {
                Ok(done) => {
                    self.spaces(&done, path);
                    *s = done;
                }
                Err((m, h)) => {
                    let p: Vec<&str> = path.iter().map(String::as_str).collect();
                    self.problem(&p, m, h);
                }
            },
            Value::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    path.push(i.to_string());
                    self.interpolate(item, path);
                    path.pop();
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
/// a deeper key of the same name is another key); a number is the n-th `- ` item of a
/// block list, whose first key may follow its dash on the same line. The deepest key found
/// is returned (1:1 when not even the first is). Linear in the text.
pub(crate) fn locate(text: &str, path: &[&str]) -> (usize, usize) {
    locate_in(text, path).0
}

/// As [`locate`], but at the value when it stands on the found key's own line (what a
/// refusal of the value points at).
pub(crate) fn locate_value(text: &str, path: &[&str]) -> (usize, usize) {
    match locate_in(text, path) {
        ((l, c), Some(v)) => (l, c + v),
        (at, None) => at,
    }
}

/// The location and, when the whole path was found and its value follows on the same
/// line, the value's offset from the key.
fn locate_in(text: &str, path: &[&str]) -> ((usize, usize), Option<usize>) {
    let mut best = ((1, 1), None);
    let mut segs = path.iter();
    let Some(mut seg) = segs.next() else { return best };
    let (mut parent, mut child, mut items) = (-1isize, None, 0usize);
    for (i, line) in text.lines().enumerate() {
        let mut rest = line.trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        let mut indent = (line.len() - rest.len()) as isize;
        // each node of the line: its dashes (`- - key: v`), then what follows them
        loop {
            if indent <= parent {
                return best;
            }
            let dash = rest == "-" || rest.starts_with("- ");
            if *child.get_or_insert(indent) == indent {
                let hit = if dash {
                    items += 1;
                    seg.parse::<usize>().ok() == Some(items - 1)
                } else {
                    key_is(rest, seg)
                };
                if hit {
                    best = ((i + 1, indent as usize + 1), None);
                    (parent, child, items) = (indent, None, 0);
                    match segs.next() {
                        Some(s) => seg = s,
                        None => return (best.0, value_offset(rest, dash)),
                    }
                }
            }
            let after = rest.strip_prefix('-').filter(|_| dash).map(str::trim_start);
            match after {
                Some(a) if !a.is_empty() && !a.starts_with('#') => {
                    indent += (rest.len() - a.len()) as isize;
                    rest = a;
                }
                _ => break,
            }
        }
    }
    best
}

/// `key:`, `"key":` or `'key':` at the start of `t`.
fn key_is(t: &str, seg: &str) -> bool {
    let bare = t.strip_prefix(['"', '\'']).unwrap_or(t);
    bare.strip_prefix(seg)
        .is_some_and(|r| r.starts_with(':') || r.starts_with("\":") || r.starts_with("':"))
}

/// Where the value of the node `t` starts within it, when on the same line.
fn value_offset(t: &str, dash: bool) -> Option<usize> {
    let colon = if dash {
        1
    } else {
        t.find(": ").or_else(|| t.find(':'))? + 1
    };
    let v = t[colon..].trim_start();
    (!v.is_empty() && !v.starts_with('#')).then(|| t.len() - v.len())
}
