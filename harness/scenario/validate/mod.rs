//! Raw scenario file -> validated `Scenario`. Every problem is collected (not just the
//! first) and comes with what was expected; the first [`MAX_LISTED`] are located in the
//! file, from one parse of it. Split by concern: `syntax` (what serde refuses), `app`
//! (app, services, front), `load` (load, certify), `paths` (what a scenario may name on
//! the host), `docker` (images, env, volumes), `process` and `swarm`
//! (what those backends need and refuse), `bounds` (resource limits); faults and
//! checks live next door in `faults.rs` and `checks.rs`.

mod app;
mod audit;
pub(super) mod bounds;
pub(super) mod docker;
mod load;
pub(super) mod paths;
mod process;
mod swarm;
mod syntax;

pub use audit::READ_ONLY_DEFAULT_DURATION;
pub(crate) use bounds::*;
pub use docker::{MAX_ENV, MAX_ENV_VALUE_BYTES, MAX_IMAGE_NAME};
pub(crate) use syntax::field_on_line;

use super::duration::parse_duration;
use super::error::{did_you_mean, Locator, Problem, ScenarioError, MAX_LISTED};
use super::file::*;
use super::*;
use paths::Project;

pub(super) fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let invalid = |problems| ScenarioError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    // the same bound as for a file, for text that did not come from `Scenario::load`
    let limit = super::read::MAX_FILE_BYTES;
    if text.len() as u64 > limit {
        return Err(invalid(vec![Problem {
            field: String::new(),
            file: None,
            location: Some((1, 1)),
            message: format!(
                "the text is {} bytes, over the limit of {limit} bytes (1 MiB) for a scenario",
                text.len()
            ),
            hint: Some("a scenario is a short TOML file; split it, or remove generated content".into()),
        }]));
    }
    if let Some(p) = syntax::nesting_problem(text) {
        return Err(invalid(vec![p]));
    }
    let mut raw: ScenarioFile = toml::from_str(text).map_err(|e| invalid(vec![syntax::parse_problem(text, &e)]))?;
    // a compose file's build command sees the variables its allowlist names (apply takes it)
    let compose_env = raw.app.compose_env.clone();
    let compose = super::compose::apply(path, text, &Project::of(path), &mut raw)?;
    let mut v = Validator {
        text,
        problems: Vec::new(),
        project: Project::of(path),
        load_known: true,
    };
    let mut scenario = v.scenario(raw, path);
    if v.problems.is_empty() {
        scenario.warnings = compose.warnings;
        // a run without a fault is at most `untested` (certify.rs): said before it runs
        if scenario.faults.is_empty() && scenario.require > Level::Untested {
            let (line, col) = Locator::new(text).locate("require").unwrap_or((1, 1));
            scenario.warnings.push(format!(
                "{}:{line}:{col}: require: no [[fault]], so the run ends `untested` at best and `require = \"{}\"` is never met (exit 3); add a [[fault]], or require \"untested\"",
                super::escape(&path.display().to_string()),
                scenario.require
            ));
        }
        if let (Some(folder), Some(b)) = (compose.folder, scenario.app.build.as_mut()) {
            b.workdir = folder;
            b.env = compose_env;
        }
        return Ok(scenario);
    }
    let locator = Locator::new(text);
    for p in v.problems.iter_mut().take(MAX_LISTED) {
        if compose.origins.place(p) {
            continue;
        }
        // a missing key is located at its table when it is recorded
        p.location = p.location.or_else(|| locator.locate(&p.field));
    }
    Err(invalid(v.problems))
}

pub(super) struct Validator<'t> {
    text: &'t str,
    problems: Vec<Problem>,
    project: Project,
    /// False once `load.duration` is refused: faults are then not compared with a made-up
    /// end of the load (one mistake, one problem).
    pub(super) load_known: bool,
}

impl Validator<'_> {
    /// Records a problem; it is located once validation ends (only those listed are).
    pub(super) fn problem(&mut self, field: &str, message: impl Into<String>, hint: impl Into<Option<String>>) {
        self.problems.push(Problem {
            field: field.to_string(),
            file: None,
            location: None,
            message: message.into(),
            hint: hint.into(),
        });
    }

    pub(super) fn duration(
        &mut self,
        field: &str,
        value: Option<&str>,
        default: Duration,
        min: Duration,
        max: Duration,
    ) -> Duration {
        let Some(text) = value else { return default };
        match parse_duration(text) {
            Ok(d) if d < min => {
                self.problem(
                    field,
                    format!("{text} is too short"),
                    Some(format!("use at least {}", human(min))),
                );
                default
            }
            Ok(d) if d > max => {
                self.problem(
                    field,
                    format!("{text} is too long"),
                    Some(format!("use at most {}", human(max))),
                );
                default
            }
            Ok(d) => d,
            Err(e) => {
                let hint = if e.contains("too long") {
                    format!("use at most {}", human(max))
                } else {
                    "write a number and a unit: \"250ms\", \"5s\", \"2m\"".to_string()
                };
                self.problem(field, e, Some(hint));
                default
            }
        }
    }

    pub(super) fn int(&mut self, field: &str, value: Option<i64>, default: i64, min: i64, max: i64) -> i64 {
        match value {
            None => default,
            Some(n) if n < min || n > max => {
                self.problem(
                    field,
                    format!("{n} is out of range"),
                    Some(format!("use a whole number from {min} to {max}")),
                );
                default
            }
            Some(n) => n,
        }
    }

    /// The `[[fault]]` entries, each validated against the app, the load and the services
    /// (a fault may target one), with their index in the file.
    fn faults(&mut self, raw: Vec<FaultFile>, app: &App, load: &Load, services: &[Service]) -> Vec<(usize, Fault)> {
        let service_names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let mut faults: Vec<(usize, Fault)> = Vec::new();
        let n = self.at_most("fault", raw.len(), MAX_FAULT_ENTRIES, "faults");
        for (i, f) in raw.into_iter().take(n).enumerate() {
            let Some(f) = self.fault(i, f, app, load, &service_names) else {
                continue;
            };
            if let Some((j, _)) = faults.iter().find(|(_, o)| o.target == f.target && o.at == f.at) {
                self.problem(
                    &format!("fault[{i}].at"),
                    format!(
                        "{} already has a fault at {} (fault[{j}])",
                        f.target,
                        format_duration(f.at)
                    ),
                    Some("a replica can take one fault at a time; move one of them".into()),
                );
            }
            let portless = services.iter().find(|s| s.name == f.target && s.port.is_none());
            if let (Some(_), Some(s)) = (&f.toxic, portless) {
                self.problem(
                    &format!("fault[{i}].target"),
                    format!(
                        "a network fault on service \"{}\" needs the port the app reaches it on",
                        s.name
                    ),
                    Some(format!(
                        "add port = 6379 (its port) to the [[service]] named \"{}\"",
                        s.name
                    )),
                );
            }
            faults.push((i, f));
        }
        faults
    }

    fn scenario(&mut self, raw: ScenarioFile, path: &Path) -> Scenario {
        let bad_name = raw.name.trim().is_empty()
            || raw.name.contains(['/', '\\'])
            || raw.name.chars().any(super::error::needs_escape)
            || raw.name == "."
            || raw.name == "..";
        if bad_name {
            self.problem(
                "name",
                format!("{:?} cannot name a report folder", raw.name),
                Some("use a short name without slashes or control characters, e.g. name = \"kill-restart\"".into()),
            );
        } else if raw.name.len() > MAX_NAME_BYTES {
            self.problem(
                "name",
                format!("is {} bytes, over the limit of {MAX_NAME_BYTES} bytes", raw.name.len()),
                Some("use a short name, e.g. name = \"kill-restart\"".into()),
            );
        }
        self.bytes_at_most("description", &raw.description, MAX_DESCRIPTION_BYTES);
        if raw
            .description
            .chars()
            .any(|c| c != '\n' && c != '\t' && super::error::needs_escape(c))
        {
            self.problem(
                "description",
                "contains control or invisible formatting characters",
                Some("write plain text; line breaks and tabs are allowed".into()),
            );
        }
        let require = match raw.require.as_deref() {
            None => Level::Resilient,
            Some(s) => Level::parse(s).unwrap_or_else(|| {
                let hint = match did_you_mean(s, Level::NAMES) {
                    Some(m) => format!("did you mean \"{m}\"? levels are {}", Level::NAMES.join(", ")),
                    None => format!("use one of {}", Level::NAMES.join(", ")),
                };
                self.problem("require", format!("unknown level \"{s}\""), Some(hint));
                Level::Resilient
            }),
        };
        let trials = self.int("trials", raw.trials, 1, 1, MAX_TRIALS as i64) as u32;
        let app = self.app(raw.app);
        let before = self.problems.len();
        let load = self.load(raw.load);
        self.load_known = !self.problems[before..].iter().any(|p| p.field == "load.duration");
        self.request_budget(&load, trials);
        let services = self.services(raw.services, &app.replicas);
        let faults = self.faults(raw.faults, &app, &load, &services);
        if self.load_known {
            self.fault_timeline(&faults, &app.replicas, &load);
        }
        if app.backend == BackendKind::Process {
            let front = raw.front.as_ref().is_some_and(|f| f.kind != "none");
            self.process_scenario(services.len(), front);
        }
        if app.backend == BackendKind::Swarm {
            self.swarm_scenario(&faults);
        }
        let checks = self.checks(raw.checks);
        let certify = self.certify(raw.certify);
        // a fault on a replica has its app share from the floor; one on a service from the
        // service's own return
        let on_replicas = faults.iter().any(|(_, f)| !f.dependency);
        if certify.time_to_healthy_of == TthOf::App && certify.floor_cycles == 0 && on_replicas {
            self.problem(
                "certify.time_to_healthy_of",
                "\"app\" needs the platform floor, and certify.floor_cycles is 0",
                Some("set certify.floor_cycles to 1 or more, or time_to_healthy_of = \"total\"".into()),
            );
        }
        let front = raw.front.and_then(|f| self.front(f, &app.health.path));
        let audit = self.audit(raw.audit, app.backend, load.rate);
        Scenario {
            name: raw.name,
            description: raw.description,
            source: path.to_path_buf(),
            text: self.text.to_string(),
            require,
            trials,
            app,
            load,
            faults: faults.into_iter().map(|(_, f)| f).collect(),
            services,
            checks,
            certify,
            front,
            warnings: Vec::new(),
            audit,
        }
    }

    /// The `[[check]]` entries, with uploads resolved inside the project and bounded.
    fn checks(&mut self, raw: Vec<CheckFile>) -> Vec<Check> {
        let n = self.at_most("check", raw.len(), MAX_CHECKS, "checks");
        let mut found = Vec::new();
        let checks = checks::validate(raw.into_iter().take(n).collect(), &self.project, &mut |f, m, h| {
            found.push((f, m, h))
        });
        for (f, m, h) in found {
            self.problem(&f, m, h);
        }
        let sizes = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        self.upload_budget(&checks, &sizes);
        checks
    }
}

/// A duration for a hint, in the largest whole unit: `1h`, `10m`, `5s`, `250ms`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_nanos() == 0 && s > 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if d.subsec_nanos() == 0 && s > 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format_duration(d)
    }
}

/// Docker-friendly names: lower-case letters, digits and '-', 1 to 63 characters.
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;
    use std::path::Path;

    const BASE: &str = "name = \"a\"\n[app]\nimage = \"x:1\"\nport = 8080\n[load]\nrate = 10\nduration = \"5s\"\n";

    #[test]
    fn a_scenario_without_a_fault_that_requires_more_than_untested_is_warned_at_its_require() {
        let s = Scenario::parse(Path::new("a.toml"), &format!("require = \"resilient\"\n{BASE}")).unwrap();
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(
            s.warnings[0].starts_with("a.toml:1:1: require: no [[fault]]"),
            "{}",
            s.warnings[0]
        );
        let fine = Scenario::parse(Path::new("a.toml"), &format!("require = \"untested\"\n{BASE}")).unwrap();
        assert!(fine.warnings.is_empty(), "{:?}", fine.warnings);
        let fault = "[[fault]]\nat = \"2s\"\nkind = \"kill\"\nthen = \"restart\"\ntarget = \"app-0\"\n";
        let faulted = Scenario::parse(Path::new("a.toml"), &format!("{BASE}{fault}")).unwrap();
        assert!(faulted.warnings.is_empty(), "{:?}", faulted.warnings);
    }
}
