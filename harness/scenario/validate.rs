//! Raw scenario file -> validated `Scenario`. Every problem is collected (not just the
//! first), located in the file, and comes with what was expected.

use super::duration::parse_duration;
use super::error::{did_you_mean, field_at, line_col, locate, Problem, ScenarioError};
use super::file::*;
use super::*;
use toml::de::DeTable;

/// Highest load rate accepted, requests per second (a 2-core load generator's ceiling).
pub const MAX_RATE: f64 = 20_000.0;
/// Longest load accepted.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Most replicas accepted.
pub const MAX_REPLICAS: u32 = 16;
/// Most trials accepted.
pub const MAX_TRIALS: u32 = 100;
const MAX_IN_FLIGHT: i64 = 10_000;
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

pub(super) fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let raw: ScenarioFile = toml::from_str(text).map_err(|e| ScenarioError::Invalid {
        path: path.to_path_buf(),
        problems: vec![parse_problem(text, &e)],
    })?;
    let mut v = Validator {
        text,
        problems: Vec::new(),
    };
    let base = path
        .parent()
        .map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p })
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let scenario = v.scenario(raw, path, &base);
    if v.problems.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioError::Invalid {
            path: path.to_path_buf(),
            problems: v.problems,
        })
    }
}

/// Keys of every table, to say where a key that is unknown here belongs.
const TABLE_KEYS: [(&str, &[&str]); 11] = [
    (
        "the top level",
        &[
            "name",
            "description",
            "require",
            "trials",
            "app",
            "load",
            "fault",
            "service",
            "check",
            "certify",
        ],
    ),
    (
        "[app]",
        &[
            "image",
            "build",
            "port",
            "replicas",
            "env",
            "health",
            "start_timeout",
            "volumes",
        ],
    ),
    ("app.build", &["context", "dockerfile", "command"]),
    ("app.health", &["path", "status", "interval", "timeout"]),
    (
        "[load]",
        &[
            "rate",
            "duration",
            "timeout",
            "window",
            "max_in_flight",
            "keep_alive",
            "requests",
        ],
    ),
    ("[[fault]]", &["at", "kind", "then", "target", "delay", "grace"]),
    ("[[service]]", &["name", "image", "recipe", "env"]),
    (
        "[certify]",
        &["time_to_healthy_target", "steady_window", "steady_p99_tolerance"],
    ),
    ("[[check]]", &["name", "journeys", "setup", "verify"]),
    (
        "a check step",
        &[
            "method",
            "path",
            "headers",
            "body",
            "form",
            "json",
            "json_text",
            "multipart",
            "status",
            "capture",
            "body_contains",
            "body_equals",
            "json_equals",
            "body_equals_upload",
        ],
    ),
    ("a capture", &["cookie", "json", "header", "regex"]),
];

/// Fields written as durations (strings with a unit).
const DURATION_KEYS: [&str; 10] = [
    "duration",
    "timeout",
    "window",
    "at",
    "delay",
    "grace",
    "interval",
    "start_timeout",
    "time_to_healthy_target",
    "steady_window",
];

/// An example of a required field, for "add it" hints.
fn example(field: &str) -> String {
    match field {
        "name" => "name = \"kill-restart\"".into(),
        "app" => "an [app] table with image and port".into(),
        "load" => "a [load] table with rate and duration".into(),
        "image" => "image = \"phoenix-demo:latest\"".into(),
        "port" => "port = 8080".into(),
        "rate" => "rate = 200".into(),
        "duration" => "duration = \"20s\"".into(),
        "at" => "at = \"5s\"".into(),
        "kind" => "kind = \"kill\"".into(),
        "target" => "target = \"app-0\"".into(),
        "path" => "path = \"/\"".into(),
        "context" => "context = \"apps/demo\"".into(),
        other => format!("{other} = ..."),
    }
}

/// Turns a TOML/serde error into a located problem with a hint.
fn parse_problem(text: &str, e: &toml::de::Error) -> Problem {
    let message = e.message().trim().to_string();
    let span = e.span();
    let offset = span.as_ref().map(|s| s.start);
    // serde reports a field missing at the top level with an empty span at 0.
    let at_root = span.as_ref().is_none_or(|s| s.is_empty() && s.start == 0);
    let mut location = offset.map(|o| line_col(text, o));
    let syntax = DeTable::parse(text).is_err();
    let mut field = if syntax {
        offset.and_then(|o| field_on_line(text, o)).unwrap_or_default()
    } else if at_root {
        String::new()
    } else {
        offset.and_then(|o| field_at(text, o)).unwrap_or_default()
    };
    let last = field.rsplit('.').next().unwrap_or("").to_string();
    let last = last.split('[').next().unwrap_or("").to_string();
    let hint;
    if syntax {
        hint = Some(syntax_hint(&message));
    } else if let Some(unknown) = between(&message, "unknown field `", "`") {
        let expected: Vec<&str> = message
            .split("expected ")
            .nth(1)
            .map(|s| {
                s.split(['`', ',', ' '])
                    .filter(|w| !w.is_empty() && *w != "one" && *w != "of" && *w != "or")
                    .collect()
            })
            .unwrap_or_default();
        let home = TABLE_KEYS
            .iter()
            .find(|(_, keys)| keys.contains(&unknown) && !expected.iter().any(|e| keys.contains(e)));
        hint = Some(match (did_you_mean(unknown, expected.iter().copied()), home) {
            (Some(s), _) => format!("did you mean `{s}`?"),
            (None, Some((table, _))) => format!(
                "`{unknown}` belongs in {table}, not here; valid keys here: {}",
                expected.join(", ")
            ),
            (None, None) => format!("remove `{unknown}`; valid keys here: {}", expected.join(", ")),
        });
    } else if let Some(missing) = between(&message, "missing field `", "`") {
        field = if field.is_empty() {
            missing.to_string()
        } else {
            format!("{field}.{missing}")
        };
        if at_root {
            location = Some((1, 1));
        }
        hint = Some(format!("add {} (see scenarios/kill-restart.toml)", example(missing)));
    } else if message.contains("invalid type") || message.contains("invalid value") {
        let wants = message.split("expected ").nth(1).unwrap_or("");
        hint = Some(if DURATION_KEYS.contains(&last.as_str()) {
            format!("durations are strings with a unit, e.g. {last} = \"5s\"")
        } else if wants.contains("f64") || wants.contains("i64") || wants.contains("integer") {
            format!(
                "write a number without quotes, e.g. {} = 10",
                if last.is_empty() { "rate" } else { &last }
            )
        } else if wants.contains("string") {
            format!(
                "put the value in quotes, e.g. {} = \"...\"",
                if last.is_empty() { "name" } else { &last }
            )
        } else if wants.contains("bool") {
            "write true or false, without quotes".into()
        } else {
            format!("this field expects {wants}")
        });
    } else {
        hint = Some("see scenarios/kill-restart.toml for a complete example".into());
    }
    Problem {
        field,
        location,
        message,
        hint,
    }
}

/// For a syntax error: a hint that names the usual cause.
fn syntax_hint(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    let cause = if m.contains("string") {
        "a string is not closed: end it with a quote on the same line (or use \"\"\" for several lines)"
    } else if m.contains("table") || m.contains("array") && m.contains("]") {
        "a table header is not closed: write it as [load] or [[fault]]"
    } else if m.contains("duplicate") {
        "a key may appear only once in a table"
    } else {
        "the file is not valid TOML"
    };
    format!("{cause}; see https://toml.io for the syntax")
}

/// For a syntax error, where the file cannot be parsed: the `table.key` written on the
/// error's line, found from the line's text and the last table header above it.
fn field_on_line(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line.checked_sub(1)?)?.trim_start();
    if this.starts_with('[') {
        return None;
    }
    let (key, _) = this.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
        return None;
    }
    let header = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['));
    let Some(header) = header else {
        return Some(key.to_string());
    };
    let name = header.trim_start_matches('[').split(']').next().unwrap_or("").trim();
    if header.starts_with("[[") {
        let index = lines[..line - 1]
            .iter()
            .filter(|l| {
                let l = l.trim();
                l.starts_with("[[") && l.trim_start_matches('[').split(']').next().map(str::trim) == Some(name)
            })
            .count()
            .saturating_sub(1);
        Some(format!("{name}[{index}].{key}"))
    } else {
        Some(format!("{name}.{key}"))
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

pub(super) struct Validator<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    pub(super) fn problem(&mut self, field: &str, message: impl Into<String>, hint: impl Into<Option<String>>) {
        self.problems.push(Problem {
            field: field.to_string(),
            location: locate(self.text, field),
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

    fn scenario(&mut self, raw: ScenarioFile, path: &Path, base: &Path) -> Scenario {
        if raw.name.trim().is_empty()
            || raw.name.contains(['/', '\\'])
            || raw.name.chars().any(char::is_control)
            || raw.name.chars().count() > 100
            || raw.name == "."
            || raw.name == ".."
        {
            self.problem(
                "name",
                format!("{:?} cannot name a report folder", raw.name),
                Some("use a short name without slashes, e.g. name = \"kill-restart\"".into()),
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
        let app = self.app(raw.app, base);
        let load = self.load(raw.load);
        let mut faults: Vec<Fault> = Vec::new();
        let mut fault_index = Vec::new();
        for (i, f) in raw.faults.into_iter().enumerate() {
            let Some(f) = self.fault(i, f, &app, &load) else {
                continue;
            };
            if let Some(j) = faults.iter().position(|o| o.target == f.target && o.at == f.at) {
                self.problem(
                    &format!("fault[{i}].at"),
                    format!(
                        "{} already has a fault at {} (fault[{}])",
                        f.target,
                        format_duration(f.at),
                        fault_index[j]
                    ),
                    Some("a replica can take one fault at a time; move one of them".into()),
                );
            }
            faults.push(f);
            fault_index.push(i);
        }
        let mut services: Vec<Service> = Vec::new();
        for (i, s) in raw.services.into_iter().enumerate() {
            let field = format!("service[{i}]");
            if !valid_name(&s.name) {
                self.problem(
                    &format!("{field}.name"),
                    format!("\"{}\" is not a valid host name", s.name),
                    Some("use lower-case letters, digits and '-'".into()),
                );
            }
            if let Some(j) = services.iter().position(|o| o.name == s.name) {
                self.problem(
                    &format!("{field}.name"),
                    format!("\"{}\" is already the name of service[{j}]", s.name),
                    Some("give every service its own name".into()),
                );
            } else if app.replicas.contains(&s.name) {
                self.problem(
                    &format!("{field}.name"),
                    format!("\"{}\" is also the name of an app replica", s.name),
                    Some(format!(
                        "replicas are named {}; pick another name, e.g. \"{}-db\"",
                        app.replicas.join(", "),
                        s.name
                    )),
                );
            }
            if s.image.trim().is_empty() {
                self.problem(
                    &format!("{field}.image"),
                    "is empty",
                    Some("name the image, e.g. image = \"postgres:16\"".into()),
                );
            }
            let recipe = s.recipe.map(|r| base.join(r));
            if let Some(r) = &recipe {
                if !r.join("build.sh").is_file() {
                    self.problem(
                        &format!("{field}.recipe"),
                        format!("{} has no build.sh", r.display()),
                        Some("a recipe is a folder with an executable build.sh that takes the image tag".into()),
                    );
                }
            }
            services.push(Service {
                name: s.name,
                image: s.image,
                recipe,
                env: s.env,
                ready_log: s.ready_log,
            });
        }
        let mut found = Vec::new();
        let checks = super::checks::validate(raw.checks, base, &mut |f, m, h| found.push((f, m, h)));
        for (f, m, h) in found {
            self.problems.push(super::checks::to_problem(f, m, h, self.text));
        }
        let certify = self.certify(raw.certify);
        let front = raw.front.and_then(|f| self.front(f, base));
        Scenario {
            name: raw.name,
            description: raw.description,
            source: path.to_path_buf(),
            text: self.text.to_string(),
            require,
            trials,
            app,
            load,
            faults,
            services,
            checks,
            certify,
            front,
        }
    }

    fn app(&mut self, raw: AppFile, base: &Path) -> App {
        if raw.image.trim().is_empty() {
            self.problem(
                "app.image",
                "is empty",
                Some("name the image, e.g. image = \"phoenix-demo:latest\"".into()),
            );
        }
        let port = match u16::try_from(raw.port) {
            Ok(p) if p > 0 => p,
            _ => {
                self.problem(
                    "app.port",
                    format!("{} is not a TCP port", raw.port),
                    Some("use the container port the app listens on, 1 to 65535".into()),
                );
                8080
            }
        };
        let replicas = self.int("app.replicas", raw.replicas, 1, 1, MAX_REPLICAS as i64);
        let build = raw.build.map(|b| {
            let context = base.join(&b.context);
            let dockerfile = b.dockerfile.unwrap_or_else(|| "Dockerfile".into());
            if !context.is_dir() {
                self.problem(
                    "app.build.context",
                    format!("{} is not a directory", context.display()),
                    Some("paths are relative to the scenario file's folder".into()),
                );
            } else if !context.join(&dockerfile).is_file() {
                self.problem(
                    "app.build.dockerfile",
                    format!("{} not found", context.join(&dockerfile).display()),
                    None,
                );
            }
            if let Some(cmd) = &b.command {
                if cmd.is_empty() {
                    self.problem(
                        "app.build.command",
                        "is empty",
                        Some("remove it, or name a program and its arguments".into()),
                    );
                }
            }
            Build {
                context,
                dockerfile,
                command: b.command,
                workdir: base.to_path_buf(),
            }
        });
        let h = raw.health.unwrap_or(HealthFile {
            path: None,
            status: None,
            interval: None,
            slow_interval: None,
            timeout: None,
        });
        let hpath = h.path.unwrap_or_else(|| "/health".into());
        if !hpath.starts_with('/') {
            self.problem(
                "app.health.path",
                format!("\"{hpath}\" must start with '/'"),
                Some("probes go only to the replica's own 127.0.0.1 port; give a path".into()),
            );
        }
        let status = self.int("app.health.status", h.status, 200, 100, 599) as u16;
        let interval = self.duration(
            "app.health.interval",
            h.interval.as_deref(),
            Duration::from_millis(2),
            Duration::from_millis(1),
            Duration::from_secs(10),
        );
        let slow_interval = self.duration(
            "app.health.slow_interval",
            h.slow_interval.as_deref(),
            Duration::from_secs(1),
            Duration::from_millis(1),
            Duration::from_secs(60),
        );
        let timeout = self.duration(
            "app.health.timeout",
            h.timeout.as_deref(),
            Duration::from_millis(50),
            Duration::from_millis(1),
            Duration::from_secs(10),
        );
        let start_timeout = self.duration(
            "app.start_timeout",
            raw.start_timeout.as_deref(),
            Duration::from_secs(30),
            Duration::from_millis(100),
            Duration::from_secs(600),
        );
        for k in raw.env.keys() {
            if k.is_empty() || k.contains(['=', '\0']) {
                self.problem(
                    &format!("app.env.{k}"),
                    format!("\"{k}\" is not a valid variable name"),
                    Some("use letters, digits and '_', e.g. STARTUP_DELAY_MS".into()),
                );
            }
        }
        let mut volumes: Vec<VolumeMount> = Vec::new();
        for (i, v) in raw.volumes.iter().enumerate() {
            match v.split_once(':') {
                Some((name, path)) if valid_name(name) && path.starts_with('/') => {
                    if let Some(j) = volumes.iter().position(|o| o.path == path) {
                        self.problem(
                            &format!("app.volumes[{i}]"),
                            format!("\"{path}\" is already mounted by app.volumes[{j}]"),
                            Some("mount each path once".into()),
                        );
                    }
                    volumes.push(VolumeMount { name: name.into(), path: path.into() })
                }
                _ => self.problem(&format!("app.volumes[{i}]"), format!("\"{v}\" is not \"name:/path\""), Some("a named volume and an absolute path inside the container, e.g. \"uploads:/shared\"; host paths are not mounted".into())),
            }
        }
        App {
            image: raw.image,
            build,
            port,
            replicas: (0..replicas).map(|i| format!("app-{i}")).collect(),
            env: raw.env,
            health: Health {
                path: hpath,
                status,
                interval,
                slow_interval,
                timeout,
            },
            start_timeout,
            volumes,
        }
    }

    fn load(&mut self, raw: LoadFile) -> Load {
        let rate = if !raw.rate.is_finite() || raw.rate <= 0.0 {
            self.problem(
                "load.rate",
                format!("{} is not a positive rate", raw.rate),
                Some("requests per second, e.g. rate = 200".into()),
            );
            1.0
        } else if raw.rate > MAX_RATE {
            self.problem(
                "load.rate",
                format!("{} is above the limit of {MAX_RATE}", raw.rate),
                Some("one load generator process cannot pace more; lower the rate".into()),
            );
            MAX_RATE
        } else {
            raw.rate
        };
        let duration = self.duration(
            "load.duration",
            Some(&raw.duration),
            Duration::from_secs(1),
            Duration::from_secs(1),
            MAX_DURATION,
        );
        let timeout = self.duration(
            "load.timeout",
            raw.timeout.as_deref(),
            Duration::from_secs(2),
            Duration::from_millis(1),
            Duration::from_secs(60),
        );
        let window = self.duration(
            "load.window",
            raw.window.as_deref(),
            Duration::from_millis(100),
            Duration::from_millis(10),
            Duration::from_secs(10),
        );
        let max_in_flight = self.int("load.max_in_flight", raw.max_in_flight, 1000, 1, MAX_IN_FLIGHT) as usize;
        let mut requests = Vec::new();
        for (i, r) in raw.requests.into_iter().enumerate() {
            let field = format!("load.requests[{i}]");
            let method = r.method.unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
            if !METHODS.contains(&method.as_str()) {
                self.problem(
                    &format!("{field}.method"),
                    format!("unknown method \"{method}\""),
                    Some(format!("use one of {}", METHODS.join(", "))),
                );
            }
            if !r.path.starts_with('/') {
                self.problem(&format!("{field}.path"), format!("\"{}\" is not a path", r.path), Some("load goes only to the replicas' published 127.0.0.1 ports: write a path such as \"/\", not a URL or host".into()));
            }
            for (k, v) in &r.headers {
                if let Some(why) = header_problem(k, Some(v)) {
                    self.problem(
                        &format!("{field}.headers.{k}"),
                        why,
                        Some(
                            "header names are tokens (letters, digits, '-'), values are one line of visible text"
                                .into(),
                        ),
                    );
                }
            }
            let weight = self.int(&format!("{field}.weight"), r.weight, 1, 1, 1000) as u32;
            requests.push(RequestSpec {
                method,
                path: r.path,
                body: r.body,
                headers: r.headers,
                weight,
            });
        }
        if requests.is_empty() {
            requests.push(RequestSpec {
                method: "GET".into(),
                path: "/".into(),
                body: None,
                headers: Default::default(),
                weight: 1,
            });
        }
        Load {
            rate,
            duration,
            timeout,
            window,
            max_in_flight,
            keep_alive: raw.keep_alive.unwrap_or(false),
            requests,
        }
    }

    fn front(&mut self, raw: FrontFile, base: &Path) -> Option<Front> {
        match raw.kind.as_str() {
            "none" => return None,
            "haproxy" => {}
            other => {
                let hint = match did_you_mean(other, ["haproxy", "none"]) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => "use haproxy, or none (the harness spreads the load over the replicas)".into(),
                };
                self.problem("front.kind", format!("unknown front \"{other}\""), Some(hint));
                return None;
            }
        }
        let recipe = raw.recipe.map(|r| base.join(r));
        if let Some(r) = &recipe {
            if !r.join("build.sh").is_file() {
                self.problem(
                    "front.recipe",
                    format!("{} has no build.sh", r.display()),
                    Some("a recipe is a folder with an executable build.sh that takes the image tag".into()),
                );
            }
        }
        Some(Front {
            image: raw.image.unwrap_or_else(|| "phoenix/haproxy:bookworm".into()),
            recipe,
            check_interval: self.duration(
                "front.check_interval",
                raw.check_interval.as_deref(),
                Duration::from_millis(100),
                Duration::from_millis(10),
                Duration::from_secs(10),
            ),
            fall: self.int("front.fall", raw.fall, 1, 1, 10) as u32,
            retries: self.int("front.retries", raw.retries, 3, 0, 10) as u32,
            redispatch: raw.redispatch.unwrap_or(true),
        })
    }

    fn certify(&mut self, raw: Option<CertifyFile>) -> CertifyParams {
        let raw = raw.unwrap_or(CertifyFile {
            time_to_healthy_target: None,
            steady_window: None,
            steady_p99_tolerance: None,
        });
        let tol = raw.steady_p99_tolerance.unwrap_or(1.5);
        if !(1.0..=100.0).contains(&tol) {
            self.problem(
                "certify.steady_p99_tolerance",
                format!("{tol} is out of range"),
                Some("a factor of the baseline p99 from 1.0 to 100, e.g. 1.5".into()),
            );
        }
        CertifyParams {
            time_to_healthy_target: self.duration(
                "certify.time_to_healthy_target",
                raw.time_to_healthy_target.as_deref(),
                Duration::from_secs(5),
                Duration::from_millis(1),
                Duration::from_secs(600),
            ),
            steady_window: self.duration(
                "certify.steady_window",
                raw.steady_window.as_deref(),
                Duration::from_secs(1),
                Duration::from_millis(10),
                Duration::from_secs(60),
            ),
            steady_p99_tolerance: tol,
        }
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

/// Why an HTTP header cannot be sent as written (a bad one would fail every request).
pub(super) fn header_problem(name: &str, value: Option<&str>) -> Option<String> {
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Some(format!("\"{name}\" is not a valid header name"));
    }
    match value.map(reqwest::header::HeaderValue::from_str) {
        Some(Err(_)) => Some(format!("the value of {name} is not a valid header value")),
        _ => None,
    }
}
