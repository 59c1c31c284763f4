//! `[app]`, `[[service]]` and `[front]`: what runs, how it is built, what it is given.
//! Build contexts, Dockerfiles and recipes must stay inside the project (see `paths.rs`).

use super::super::file::{AppFile, BuildFile, FrontFile, HealthFile, ServiceFile};
use super::super::http;
use super::super::{App, Build, Front, Health, Service, VolumeMount};
use super::bounds::{HEALTH_INTERVAL, HEALTH_SLOW_INTERVAL, MAX_REPLICAS, MAX_SERVICES, MAX_VOLUMES, START_TIMEOUT};
use super::docker::{self, MAX_ENV, MAX_ENV_VALUE_BYTES};
use super::paths::Want;
use super::{valid_name, Validator};
use crate::scenario::error::did_you_mean;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Largest Dockerfile read, in bytes.
const MAX_DOCKERFILE_BYTES: u64 = 1024 * 1024;
/// Largest recipe `build.sh`, in bytes.
const MAX_RECIPE_BYTES: u64 = 1024 * 1024;
const RECIPE_HINT: &str = "a recipe is a folder with an executable build.sh that takes the image tag";
/// Most arguments of a service's command.
const MAX_COMMAND_ARGS: usize = 256;
const COMMAND_HINT: &str =
    "a list, the program then its arguments, e.g. command = [\"redis-server\", \"--appendonly\", \"yes\"]; leave it out to run the image's own command";

impl Validator<'_> {
    pub(super) fn app(&mut self, mut raw: AppFile) -> App {
        let backend = self.backend_kind(raw.backend.as_deref());
        // swarm replicas are containers too: the same image, port, build and volumes
        let docker = backend.runs_images();
        let command = if docker {
            self.docker_app(&raw);
            None
        } else {
            // the container fields are refused there, and not checked again below
            let command = self.process_app(&raw);
            (raw.build, raw.volumes) = (None, Vec::new());
            command
        };
        match &raw.image {
            Some(image) if docker => self.image("app.image", image),
            None if docker => self.missing("app", "image"),
            _ => {}
        }
        let port = self.app_port(raw.port, docker);
        let replicas = self.int("app.replicas", raw.replicas, 1, 1, MAX_REPLICAS as i64);
        let build = raw.build.map(|b| self.build(b));
        let health = self.health(raw.health);
        let start_timeout = self.duration(
            "app.start_timeout",
            raw.start_timeout.as_deref(),
            Duration::from_secs(30),
            *START_TIMEOUT.start(),
            *START_TIMEOUT.end(),
        );
        self.env("app.env", &raw.env);
        let volumes = self.volumes("app.volumes", &raw.volumes);
        App {
            backend,
            image: if docker {
                raw.image.unwrap_or_default()
            } else {
                String::new()
            },
            build,
            port,
            command,
            replicas: (0..replicas).map(|i| format!("app-{i}")).collect(),
            env: raw.env,
            health,
            start_timeout,
            volumes,
        }
    }

    /// `app.port`: the container port the app listens on (none for a local process).
    fn app_port(&mut self, port: Option<i64>, docker: bool) -> u16 {
        match port.map(u16::try_from) {
            _ if !docker => 0,
            None => {
                self.missing("app", "port");
                8080
            }
            Some(Ok(p)) if p > 0 => p,
            Some(_) => {
                self.problem(
                    "app.port",
                    format!("{} is not a TCP port", port.unwrap_or_default()),
                    Some("use the container port the app listens on, 1 to 65535".into()),
                );
                8080
            }
        }
    }

    /// `app.build`: a context folder inside the project with its Dockerfile inside it, and
    /// the command run before the build, if any.
    fn build(&mut self, b: BuildFile) -> Build {
        let dockerfile = b.dockerfile.unwrap_or_else(|| "Dockerfile".into());
        let context = match self.project.resolve(&b.context, Want::Dir) {
            Ok(r) => {
                let max_bytes = MAX_DOCKERFILE_BYTES;
                match self
                    .project
                    .resolve_from(&r.path, &dockerfile, Want::File { max_bytes })
                {
                    Err((m, h)) => self.problem("app.build.dockerfile", m, Some(h)),
                    Ok(d) if !d.path.starts_with(&r.path) => self.problem(
                        "app.build.dockerfile",
                        format!("\"{dockerfile}\" is outside the build context {}", r.path.display()),
                        Some("the Dockerfile is a path inside app.build.context".into()),
                    ),
                    Ok(_) => {}
                }
                r.path
            }
            Err((m, h)) => {
                self.problem("app.build.context", m, Some(h));
                self.project.base.join(&b.context)
            }
        };
        if let Some(cmd) = &b.command {
            self.build_command(cmd);
        }
        Build {
            context,
            dockerfile,
            command: b.command,
            workdir: self.project.base.clone(),
            env: Vec::new(),
        }
    }

    /// `app.build.command`: a program and its arguments, without NUL.
    fn build_command(&mut self, cmd: &[String]) {
        match cmd.first() {
            None => self.problem(
                "app.build.command",
                "is empty",
                Some("remove it, or name a program and its arguments".into()),
            ),
            Some(p) if p.trim().is_empty() => self.problem(
                "app.build.command",
                "names no program (its first element is empty)",
                Some("e.g. command = [\"bash\", \"apps/demo/build.sh\"]".into()),
            ),
            _ => {}
        }
        if cmd.iter().any(|a| a.contains('\0')) {
            self.problem(
                "app.build.command",
                "an argument contains a NUL character",
                Some("no program argument can hold NUL; remove it".into()),
            );
        }
        self.at_most("app.build.command", cmd.len(), 256, "arguments");
    }

    /// `app.health`: the path probed (sent as written, so no template), the status it must
    /// answer and the probes' pace.
    fn health(&mut self, raw: Option<HealthFile>) -> Health {
        let h = raw.unwrap_or(HealthFile {
            path: None,
            status: None,
            interval: None,
            slow_interval: None,
            timeout: None,
        });
        let path = h.path.unwrap_or_else(|| "/health".into());
        if let Some(why) = http::target_problem(&path) {
            self.problem("app.health.path", why, Some(http::TARGET_HINT.into()));
        } else if path.contains("{{") {
            // the probe sends its path as written: `{{n}}` would reach the app literally
            self.problem(
                "app.health.path",
                format!("\"{path}\" uses a `{{{{…}}}}` template, which the health probe does not render"),
                Some("write the path the probe should send as it is, e.g. path = \"/health\"".into()),
            );
        }
        let status = self.int("app.health.status", h.status, 200, 200, 399) as u16;
        let interval = self.duration(
            "app.health.interval",
            h.interval.as_deref(),
            Duration::from_millis(1),
            *HEALTH_INTERVAL.start(),
            *HEALTH_INTERVAL.end(),
        );
        let slow_interval = self.duration(
            "app.health.slow_interval",
            h.slow_interval.as_deref(),
            Duration::from_secs(1),
            *HEALTH_SLOW_INTERVAL.start(),
            *HEALTH_SLOW_INTERVAL.end(),
        );
        let timeout = self.duration(
            "app.health.timeout",
            h.timeout.as_deref(),
            Duration::from_millis(50),
            Duration::from_millis(1),
            Duration::from_secs(10),
        );
        Health {
            path,
            status,
            interval,
            slow_interval,
            timeout,
        }
    }

    /// Named volumes, `"name:/path"`: the path normalised, kernel folders refused, each path
    /// mounted once, at most [`MAX_VOLUMES`]. Host paths are never mounted.
    pub(super) fn volumes(&mut self, field: &str, raw: &[String]) -> Vec<VolumeMount> {
        let mut volumes: Vec<VolumeMount> = Vec::new();
        let n = self.at_most(field, raw.len(), MAX_VOLUMES, "volumes");
        for (i, v) in raw.iter().take(n).enumerate() {
            let at = format!("{field}[{i}]");
            let Some((name, path)) = v.split_once(':').filter(|(name, _)| valid_name(name)) else {
                self.problem(&at, format!("\"{v}\" is not \"name:/path\""), Some("a named volume and an absolute path inside the container, e.g. \"uploads:/shared\"; host paths are not mounted".into()));
                continue;
            };
            match docker::volume_target(path) {
                Err(why) => self.problem(
                    &at,
                    why,
                    Some("mount volumes on a folder of the container's own, e.g. \"uploads:/shared\"; /, /proc, /sys and /dev are refused".into()),
                ),
                Ok(path) => {
                    if let Some(j) = volumes.iter().position(|o| o.path == path) {
                        self.problem(
                            &at,
                            format!("\"{path}\" is already mounted by {field}[{j}]"),
                            Some("mount each path once".into()),
                        );
                    }
                    volumes.push(VolumeMount { name: name.into(), path })
                }
            }
        }
        volumes
    }

    /// A service's command: a non-empty list of at most [`MAX_COMMAND_ARGS`] arguments
    /// without NUL, each at most [`MAX_ENV_VALUE_BYTES`] bytes; the engine runs it as a
    /// list (no shell), so nothing in it is interpreted on the host.
    fn service_command(&mut self, field: &str, cmd: Option<Vec<String>>) -> Option<Vec<String>> {
        let cmd = cmd?;
        if cmd.is_empty() {
            self.problem(field, "is empty", Some(COMMAND_HINT.into()));
            return None;
        }
        // the engine would accept [""] and the container would then fail to start with an
        // exec error, blamed on the service rather than on the file
        if cmd[0].trim().is_empty() {
            self.problem(
                field,
                "names no program (its first element is empty)",
                Some(COMMAND_HINT.into()),
            );
            return None;
        }
        let n = self.at_most(field, cmd.len(), MAX_COMMAND_ARGS, "arguments");
        for (i, a) in cmd.iter().take(n).enumerate() {
            if a.contains('\0') {
                self.problem(
                    &format!("{field}[{i}]"),
                    "contains a NUL character",
                    Some("no program argument can hold NUL; remove it".into()),
                );
                return None;
            }
            self.bytes_at_most(&format!("{field}[{i}]"), a, MAX_ENV_VALUE_BYTES);
        }
        Some(cmd)
    }

    pub(super) fn image(&mut self, field: &str, image: &str) {
        if let Some(why) = docker::image_problem(image) {
            self.problem(field, why, Some(docker::IMAGE_HINT.into()));
        }
    }

    /// POSIX names, values without NUL, at most [`MAX_ENV`] of them.
    pub(super) fn env(&mut self, field: &str, env: &BTreeMap<String, String>) {
        let n = self.at_most(field, env.len(), MAX_ENV, "variables");
        for (k, v) in env.iter().take(n) {
            if !docker::env_name_ok(k) {
                self.problem(
                    &format!("{field}.{k}"),
                    format!("\"{k}\" is not a valid variable name"),
                    Some(
                        "use a POSIX name: a letter or '_', then letters, digits and '_', e.g. STARTUP_DELAY_MS".into(),
                    ),
                );
            } else if let Some(why) = docker::env_value_problem(v) {
                self.problem(
                    &format!("{field}.{k}"),
                    why,
                    Some("environment values are text without NUL".into()),
                );
            }
        }
    }

    /// A recipe folder inside the project with a `build.sh` inside the project.
    fn recipe(&mut self, field: &str, written: Option<String>) -> Option<PathBuf> {
        let written = written?;
        let folder = match self.project.resolve(&written, Want::Dir) {
            Ok(r) => r.path,
            Err((m, h)) => {
                self.problem(field, m, Some(format!("{h}; {RECIPE_HINT}")));
                return None;
            }
        };
        let max_bytes = MAX_RECIPE_BYTES;
        if let Err((m, _)) = self.project.resolve_from(&folder, "build.sh", Want::File { max_bytes }) {
            self.problem(field, format!("{written}/build.sh: {m}"), Some(RECIPE_HINT.into()));
        }
        Some(folder)
    }

    pub(super) fn services(&mut self, raw: Vec<ServiceFile>, replicas: &[String]) -> Vec<Service> {
        let mut services: Vec<Service> = Vec::new();
        let n = self.at_most("service", raw.len(), MAX_SERVICES, "services");
        for (i, s) in raw.into_iter().take(n).enumerate() {
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
            } else if replicas.contains(&s.name) {
                self.problem(
                    &format!("{field}.name"),
                    format!("\"{}\" is also the name of an app replica", s.name),
                    Some(format!(
                        "replicas are named {}; pick another name, e.g. \"{}-db\"",
                        replicas.join(", "),
                        s.name
                    )),
                );
            }
            self.image(&format!("{field}.image"), &s.image);
            self.env(&format!("{field}.env"), &s.env);
            if let Some(line) = &s.ready_log {
                if line.trim().is_empty() {
                    // an empty line is found in the service's first output, or before it:
                    // the app would start without waiting for the service to be ready
                    self.problem(
                        &format!("{field}.ready_log"),
                        "is empty, so it matches the service's first output and waits for nothing",
                        Some("the line the service prints once it serves, e.g. ready_log = \"Ready to accept connections\"; or leave it out".into()),
                    );
                } else if line.chars().any(|c| c.is_control() && c != '\t') {
                    // the log is matched one line at a time, so a line break never matches
                    self.problem(
                        &format!("{field}.ready_log"),
                        "holds a line break or control character: the log is read line by line, so it never matches and the run waits for the service in vain",
                        Some("the text of one line the service prints once it serves, e.g. ready_log = \"Ready to accept connections\"".into()),
                    );
                }
                self.bytes_at_most(&format!("{field}.ready_log"), line, 1024);
            }
            let recipe = self.recipe(&format!("{field}.recipe"), s.recipe);
            let volumes = self.volumes(&format!("{field}.volumes"), &s.volumes);
            let command = self.service_command(&format!("{field}.command"), s.command);
            let port = s
                .port
                .map(|p| self.int(&format!("{field}.port"), Some(p), 0, 1, 65535) as u16);
            services.push(Service {
                name: s.name,
                image: s.image,
                recipe,
                env: s.env,
                ready_log: s.ready_log,
                volumes,
                command,
                port,
            });
        }
        services
    }

    /// `[front]`; `health_path` is the app's, which the front's checks request.
    pub(super) fn front(&mut self, raw: FrontFile, health_path: &str) -> Option<Front> {
        match raw.kind.as_str() {
            "none" => {
                self.front_none(&raw);
                return None;
            }
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
        // haproxy.cfg's grammar reads quotes and '\\' (target_problem refuses the rest)
        if let Some(c) = health_path.chars().find(|c| matches!(c, '"' | '\'' | '\\')) {
            self.problem(
                "app.health.path",
                format!("holds '{c}', which the front's HAProxy configuration would read as quoting or escaping"),
                Some("percent-encode it (e.g. %22 for '\"'), or use a plain path such as \"/health\"".into()),
            );
        }
        let recipe = self.recipe("front.recipe", raw.recipe);
        let image = raw.image.unwrap_or_else(|| "phoenix/haproxy:bookworm".into());
        self.image("front.image", &image);
        Some(Front {
            image,
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

    /// `kind = "none"` has no front to configure: any other key is a mistake (perhaps a
    /// kind mistyped as none), refused at its line rather than ignored unread.
    fn front_none(&mut self, raw: &FrontFile) {
        let set = [
            ("image", raw.image.is_some()),
            ("recipe", raw.recipe.is_some()),
            ("check_interval", raw.check_interval.is_some()),
            ("fall", raw.fall.is_some()),
            ("retries", raw.retries.is_some()),
            ("redispatch", raw.redispatch.is_some()),
        ];
        for (key, _) in set.iter().filter(|(_, present)| *present) {
            self.problem(
                &format!("front.{key}"),
                "does not apply to kind = \"none\" (there is no front)",
                Some(format!(
                    "remove {key}, or set kind = \"haproxy\" to put a load balancer in front"
                )),
            );
        }
    }
}
