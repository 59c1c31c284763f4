//! Compose keys -> the scenario's `[app]` and `[[service]]` tables. Each service's keys
//! are checked against what is mapped (or read by the lint) before the typed parse;
//! anything else is refused at its line, never dropped.

use super::{lint, Compose, MAX_COMPOSE_SERVICES};
use crate::scenario::error::did_you_mean;
use crate::scenario::file::ScenarioFile;
use docker_compose_types as dct;
use serde_path_to_error::Segment;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

/// Top-level keys understood (plus any `x-` extension).
const TOP: &[&str] = &["version", "name", "services", "volumes"];
/// Keys of the app service: mapped, or read by the lint only.
const APP_KEYS: &[&str] = &[
    "image",
    "build",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "deploy",
    "stop_grace_period",
    "depends_on",
    "healthcheck",
    "restart",
    "container_name",
    "hostname",
    "x-phoenix",
];
/// Keys of a dependency service.
const DEP_KEYS: &[&str] = &[
    "image",
    "command",
    "volumes",
    "environment",
    "env_file",
    "depends_on",
    "ports",
    "expose",
    "healthcheck",
    "restart",
    "container_name",
    "hostname",
    "x-phoenix",
];

/// Why a key the mapping does not carry is refused, and what to do.
fn refusal(key: &str, app: bool) -> (String, String) {
    let (why, fix) = match key {
        "command" | "entrypoint" if app => (
            "the Docker backend runs the image's own ENTRYPOINT and CMD",
            "bake the command into the image (ENTRYPOINT/CMD in its Dockerfile) and remove this key",
        ),
        "entrypoint" => (
            "a dependency's command is mapped (it replaces the image's CMD), its entrypoint is not",
            "put the program and its arguments in command, or bake the entrypoint into the image",
        ),
        "build" if !app => (
            "dependency images are built by a recipe, not a Dockerfile",
            "set image and x-phoenix.recipe (a folder with build.sh <image>)",
        ),
        "networks" | "network_mode" | "links" => (
            "every service runs on the run's own network, reachable by its service name",
            "remove it; services reach each other by name",
        ),
        _ => (
            "the compose mapping does not carry it",
            "remove it, or describe the stack in [app] and [[service]]",
        ),
    };
    (format!("`{key}` is not supported: {why}"), fix.into())
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct XPhoenix {
    /// App: run before the image build, from the compose file's folder.
    pub(super) build_command: Option<Vec<String>>,
    /// App: named volumes declared shared (e.g. backed by network storage in production).
    #[serde(default)]
    pub(super) shared: Vec<String>,
    /// Dependency: recipe folder (relative to the compose file) building its image.
    pub(super) recipe: Option<String>,
    /// Dependency: the line it prints once ready.
    pub(super) ready_log: Option<String>,
}

impl Compose<'_> {
    pub(super) fn map(&mut self, app: &str, raw: &mut ScenarioFile) -> Vec<String> {
        let Some(mut value) = self.parse() else {
            return Vec::new();
        };
        self.interpolate(&mut value, &mut Vec::new());
        let Some(top) = value.as_mapping() else {
            self.problem(&[], "is not a mapping of keys", "a compose file starts with services:");
            return Vec::new();
        };
        let Some(services) = self.top_level(top, app) else {
            return Vec::new();
        };
        self.service_keys(&services, app);
        // the mapping goes on after refused keys, so one pass lists every problem
        let Some(typed) = self.typed::<dct::Compose>(&value, &[]) else {
            return Vec::new();
        };
        let declared: Vec<String> = typed.volumes.0.keys().cloned().collect();
        let mut deps = self.dependencies(&typed, &services, app, &declared);
        let Some(Some(s)) = typed.services.0.get(app) else {
            self.problem(&["services", app], "is empty", "give it an image");
            return Vec::new();
        };
        let x = self.x_phoenix(&services, app);
        self.service_values(app, s);
        self.shared(app, &x.shared, &declared);
        let mut warnings = lint::lint(self, app, s, &x.shared);
        self.project_name = top.get("name").and_then(Value::as_str).map(str::to_string);
        self.app(app, s, x, &declared, raw, &mut warnings);
        // harmless, so accepted with a word rather than refused
        for (name, s) in &typed.services.0 {
            if s.as_ref().is_some_and(|s| s.hostname.is_some()) {
                self.warn(
                    &mut warnings,
                    &["services", name, "hostname"],
                    "not applied: phoenix names each container itself; services reach each other by their service name",
                );
            }
        }
        for d in &deps {
            if raw.services.iter().any(|o| o.name == d.name) {
                self.problem(
                    &["services", &d.name],
                    format!("\"{}\" is also a [[service]] of the scenario", d.name),
                    "describe it in one place",
                );
            }
        }
        self.origins.set_deps(deps.len());
        deps.append(&mut raw.services);
        raw.services = deps;
        warnings
    }

    /// The top-level keys and volumes, and the services: some, not too many, the app's
    /// among them; their mapping, or None after saying why there is nothing to map.
    fn top_level(&mut self, top: &Mapping, app: &str) -> Option<Mapping> {
        for k in keys(top) {
            if !TOP.contains(&k.as_str()) && !k.starts_with("x-") {
                let (m, h) = refusal(&k, true);
                self.problem(&[&k], m, h);
            }
        }
        if let Some(volumes) = top.get("volumes").and_then(Value::as_mapping) {
            self.top_volumes(volumes);
        }
        let names: Vec<String> = top
            .get("services")
            .and_then(Value::as_mapping)
            .map(keys)
            .unwrap_or_default();
        if names.is_empty() {
            self.problem(
                &["services"],
                "has no services",
                "Compose v1 files without services: are not read; add version: \"3\" and services:",
            );
            return None;
        }
        if names.len() > MAX_COMPOSE_SERVICES {
            self.problem(
                &["services"],
                format!("{} services, over the limit of {MAX_COMPOSE_SERVICES}", names.len()),
                "describe only the stack under test",
            );
            return None;
        }
        if !names.iter().any(|n| n == app) {
            let hint = match did_you_mean(app, names.iter().map(String::as_str)) {
                Some(m) => format!("did you mean \"{m}\"? services are {}", names.join(", ")),
                None => format!("services are {}", names.join(", ")),
            };
            self.problem(&["services"], format!("has no service \"{app}\" (app.service)"), hint);
            return None;
        }
        Some(
            top.get("services")
                .and_then(Value::as_mapping)
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// The file as a YAML value, built by the budget's one pass (serde_yaml would build
    /// whatever aliases expand to), or by serde_yaml once the pass found the file within
    /// the budget but left it a construct; None after recording why not.
    fn parse(&mut self) -> Option<Value> {
        let (field, at, message, hint) = match super::budget::load(self.text) {
            Err(e) => (e.field, e.at, e.message, e.hint),
            Ok(Some(v)) => return Some(v),
            Ok(None) => match serde_yaml::from_str(self.text) {
                Ok(v) => return Some(v),
                Err(e) => (
                    String::new(),
                    e.location().map_or((1, 1), |l| (l.line(), l.column())),
                    format!("not YAML: {e}"),
                    "a compose file is YAML; check the indentation".to_string(),
                ),
            },
        };
        self.problems.push(crate::scenario::Problem {
            field,
            file: None,
            location: Some(at),
            message,
            hint: Some(hint),
        });
        None
    }

    /// Refuses each service key the mapping does not carry, at its line.
    fn service_keys(&mut self, services: &Mapping, app: &str) {
        for (name, s) in services {
            let name = name.as_str().unwrap_or("?");
            let allowed = if name == app { APP_KEYS } else { DEP_KEYS };
            for k in s.as_mapping().map(keys).unwrap_or_default() {
                if !allowed.contains(&k.as_str()) {
                    let (m, h) = refusal(&k, name == app);
                    self.problem(&["services", name, &k], m, h);
                }
            }
            if let Some(d) = s.get("deploy").and_then(Value::as_mapping) {
                for k in keys(d).into_iter().filter(|k| k != "replicas") {
                    self.problem(
                        &["services", name, "deploy", &k],
                        format!("`deploy.{k}` is not supported: only deploy.replicas is mapped"),
                        "remove it",
                    );
                }
            }
        }
    }

    /// The top-level `volumes:`: phoenix creates each named volume itself (local driver,
    /// no options, its own name), so any setting that would change that is refused rather
    /// than dropped: `driver_opts` (an NFS share), `external` (a production volume), ...
    fn top_volumes(&mut self, volumes: &Mapping) {
        for (name, v) in volumes {
            let name = name.as_str().unwrap_or("?");
            let Some(settings) = v.as_mapping() else { continue };
            for k in keys(settings) {
                let local = k == "driver" && settings.get("driver").and_then(Value::as_str) == Some("local");
                if !local {
                    self.problem(
                        &["volumes", name, &k],
                        format!("`{k}` is not supported: phoenix creates each named volume itself, with the local driver and no options, for the run only"),
                        format!("remove it: phoenix never mounts an existing or external volume; declare it as {name}: {{}}"),
                    );
                }
            }
        }
    }

    /// A service's `x-phoenix` settings (none: the defaults).
    pub(super) fn x_phoenix(&mut self, services: &Mapping, name: &str) -> XPhoenix {
        let Some(v) = services.get(name).and_then(|s| s.get("x-phoenix")) else {
            return XPhoenix::default();
        };
        self.typed(v, &["services", name, "x-phoenix"]).unwrap_or_default()
    }

    /// `v` (at the key path `base`) as a `T`; a type error is refused at the key serde
    /// stopped at, unless a problem already stands at or above it.
    fn typed<T: serde::de::DeserializeOwned>(&mut self, v: &Value, base: &[&str]) -> Option<T> {
        let e = match serde_path_to_error::deserialize(v) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let mut path: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        for seg in e.path().iter() {
            match seg {
                Segment::Seq { index } => path.push(index.to_string()),
                Segment::Map { key } => path.push(key.clone()),
                Segment::Enum { .. } => {}
                Segment::Unknown => break,
            }
        }
        let field = path.join(".");
        let covered = self.problems.iter().any(|p| {
            field
                .strip_prefix(&p.field)
                .is_some_and(|r| r.is_empty() || r.starts_with('.'))
        });
        if !covered {
            let key = path.last().map_or("the file", String::as_str).to_string();
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            self.value_problem(
                &p,
                format!("`{key}` is not what Compose takes there: {}", e.inner()),
                "check its type against the Compose file reference, e.g. ports: [\"8080\"], environment: {A: \"1\"}",
            );
        }
        None
    }

    pub(super) fn env(&mut self, name: &str, s: &dct::Service) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let files = match &s.env_file {
            None => Vec::new(),
            Some(dct::StringOrList::Simple(f)) => vec![f.clone()],
            Some(dct::StringOrList::List(l)) => l.clone(),
        };
        if files.len() > super::MAX_ENV_FILES {
            self.problem(
                &["services", name, "env_file"],
                format!("{} env files, over the limit of {}", files.len(), super::MAX_ENV_FILES),
                "merge them into fewer files",
            );
            return env;
        }
        for f in files {
            let rel = self.rel(&f);
            match self.env_file(&rel, &["services", name, "env_file"]) {
                Ok(vars) => env.extend(vars),
                Err(e) => {
                    let (m, h) = (e.to_string(), "fix the env file".to_string());
                    self.problem(&["services", name, "env_file"], m, h);
                }
            }
        }
        match &s.environment {
            dct::Environment::List(l) => {
                for item in l {
                    match item.split_once('=') {
                        Some((k, v)) => _ = env.insert(k.into(), v.into()),
                        // `- NAME` passes the variable through from the environment
                        None => self.pass_through(name, item, &mut env),
                    }
                }
            }
            dct::Environment::KvPair(m) => {
                for (k, v) in m {
                    match v {
                        Some(v) => _ = env.insert(k.clone(), v.to_string()),
                        None => self.pass_through(name, k, &mut env),
                    }
                }
            }
        }
        env
    }

    /// `- NAME` or `NAME:` in `environment`: the variable's value, when it is known (the
    /// same rule as interpolation: `.env` or an allowed environment variable).
    fn pass_through(&mut self, name: &str, var: &str, env: &mut BTreeMap<String, String>) {
        match self.vars.get(var) {
            Ok(Some(v)) => _ = env.insert(var.to_string(), v.clone()),
            Ok(None) => {}
            Err((m, h)) => self.problem(&["services", name, "environment"], m, h),
        }
    }
}

/// The string keys of a mapping, in file order.
pub(super) fn keys(m: &Mapping) -> Vec<String> {
    m.keys()
        .map(|k| k.as_str().map_or_else(|| format!("{k:?}"), str::to_string))
        .collect()
}
