//! The app service: image or build, environment, container port, named volumes,
//! replicas and stop grace period, into `[app]` (the scenario's own keys win where both
//! say something, so a scenario can override one value of a shared compose file).

use super::map::XPhoenix;
use super::Compose;
use crate::scenario::file::{BuildFile, ScenarioFile};
use docker_compose_types as dct;

impl Compose<'_> {
    pub(super) fn app(
        &mut self,
        name: &str,
        s: &dct::Service,
        x: XPhoenix,
        declared: &[String],
        raw: &mut ScenarioFile,
        warnings: &mut Vec<String>,
    ) {
        let at = |k: &'static str| ["services", name, k];
        if x.recipe.is_some() || x.ready_log.is_some() {
            self.problem(
                &at("x-phoenix"),
                "recipe and ready_log are for dependency services",
                "the app takes build_command and shared",
            );
        }
        if raw.app.image.is_some() || raw.app.build.is_some() || !raw.app.volumes.is_empty() {
            self.problem(
                &at("image"),
                "[app] also sets image, build or volumes",
                "say them in one place: remove them from [app], or remove app.compose",
            );
        }
        raw.app.image = s.image.clone();
        self.origins
            .add("app.image", &at(if s.image.is_some() { "image" } else { "build" }));
        if let Some(b) = &s.build_ {
            self.app_build(name, s, b, x.build_command, raw, warnings);
        } else if x.build_command.is_some() {
            self.problem(
                &at("x-phoenix"),
                "build_command without build",
                "add build: (context) or remove build_command",
            );
        }
        if raw.app.image.is_none() && s.build_.is_none() {
            self.problem(
                &["services", name],
                "has neither image nor build",
                "add image: (and build: to build it)",
            );
        }
        let env = self.env(name, s);
        for (k, v) in env {
            if let std::collections::btree_map::Entry::Vacant(e) = raw.app.env.entry(k) {
                self.origins.add(
                    format!("app.env.{}", e.key()),
                    &["services", name, "environment", e.key()],
                );
                e.insert(v);
            }
        }
        self.app_port(name, s, raw);
        let volumes = self.volumes(name, s, declared, true);
        raw.app.volumes.extend(volumes);
        self.origins.add("app.volumes", &at("volumes"));
        self.app_replicas(name, s, raw);
        // Compose's stop grace is how long SIGTERM may take: the default of stop faults
        if let Some(g) = s.stop_grace_period.as_deref().and_then(|g| self.grace(name, g)) {
            for f in raw.faults.iter_mut().filter(|f| f.kind == "stop" && f.grace.is_none()) {
                f.grace = Some(g.clone());
            }
        }
    }

    /// `build:` into `app.build` (a context and a Dockerfile only); without `image:`, the
    /// image is named as Compose names it.
    fn app_build(
        &mut self,
        name: &str,
        s: &dct::Service,
        b: &dct::BuildStep,
        command: Option<Vec<String>>,
        raw: &mut ScenarioFile,
        warnings: &mut Vec<String>,
    ) {
        let (context, dockerfile) = match b {
            dct::BuildStep::Simple(c) => (c.clone(), None),
            dct::BuildStep::Advanced(a) => {
                let extra = [
                    ("args", a.args.is_some()),
                    ("dockerfile_inline", a.dockerfile_inline.is_some()),
                    ("target", a.target.is_some()),
                    ("network", a.network.is_some()),
                    ("shm_size", a.shm_size.is_some()),
                    ("cache_from", !a.cache_from.is_empty()),
                    ("labels", !a.labels.is_empty()),
                ];
                for (k, set) in extra {
                    if set {
                        self.problem(
                            &["services", name, "build", k],
                            format!(
                                "`build.{k}` is not supported: phoenix builds with a context and a Dockerfile only"
                            ),
                            "bake it into the Dockerfile, or build the image beforehand and name it in image",
                        );
                    }
                }
                (a.context.clone(), a.dockerfile.clone())
            }
        };
        if s.image.is_none() {
            self.built_image(name, raw, warnings);
        }
        self.origins.add("app.build", &["services", name, "build"]);
        raw.app.build = Some(BuildFile {
            context: self.rel(&context),
            dockerfile,
            command,
        });
    }

    /// Compose's own name for a built image: <project>_<service>, the project being the
    /// top-level name: or the compose file's folder.
    fn built_image(&mut self, name: &str, raw: &mut ScenarioFile, warnings: &mut Vec<String>) {
        let folder = self
            .file
            .parent()
            .and_then(|p| p.file_name())
            .map(|f| f.to_string_lossy().into_owned());
        let project: String = self
            .project_name
            .clone()
            .or(folder)
            .unwrap_or_default()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
            .collect();
        let at = ["services", name, "build"];
        if project.is_empty() {
            self.problem(
                &at,
                "build without image, and no project name to name the image after",
                "add image: myapp:latest (the tag phoenix builds and runs)",
            );
        } else {
            let image = format!("{project}_{name}");
            self.warn(
                warnings,
                &at,
                &format!(
                    "no image: phoenix builds and runs it as {image}, the name Compose gives it; set image: to choose"
                ),
            );
            raw.app.image = Some(image);
        }
    }

    /// The app's one container port into `app.port`, unless the scenario gives it.
    fn app_port(&mut self, name: &str, s: &dct::Service, raw: &mut ScenarioFile) {
        let ports = self.container_ports(name, s);
        if raw.app.port.is_some() {
            return;
        }
        match ports.as_slice() {
            [] => self.problem(
                &["services", name],
                "names no container port (ports: or expose:)",
                "add expose: [\"8080\"], or port = 8080 in [app]",
            ),
            [p] => {
                raw.app.port = Some(*p as i64);
                let key = if s.expose.is_empty() { "ports" } else { "expose" };
                self.origins.add("app.port", &["services", name, key]);
            }
            many => self.problem(
                &["services", name, "ports"],
                format!("names several container ports {many:?}"),
                "say which one the app serves: port = N in [app]",
            ),
        }
    }

    /// `deploy.replicas` into `app.replicas`, unless the scenario gives it.
    fn app_replicas(&mut self, name: &str, s: &dct::Service, raw: &mut ScenarioFile) {
        let Some(r) = s.deploy.as_ref().and_then(|d| d.replicas) else {
            return;
        };
        let max = crate::scenario::validate::bounds::MAX_REPLICAS;
        if !(1..=i64::from(max)).contains(&r) {
            // refused even when [app] replicas wins: the file says what cannot run
            self.value_problem(
                &["services", name, "deploy", "replicas"],
                format!("{r} replicas: out of range"),
                format!("from 1 to {max}"),
            );
        } else if raw.app.replicas.is_none() {
            raw.app.replicas = Some(r);
            self.origins
                .add("app.replicas", &["services", name, "deploy", "replicas"]);
        }
    }

    /// A service's named volumes as `"name:/path"` (short or long syntax); bind mounts,
    /// anonymous and undeclared volumes are refused (a host folder is never mounted), and
    /// so is any mode or option but read-write (the scenario's volumes are read-write,
    /// mounted as they are), each at its entry.
    pub(super) fn volumes(&mut self, name: &str, s: &dct::Service, declared: &[String], app: bool) -> Vec<String> {
        let mut out = Vec::new();
        for (i, v) in s.volumes.iter().enumerate() {
            let idx = i.to_string();
            match mount(v, declared, app) {
                Ok(m) => out.push(m),
                Err((m, h)) => self.value_problem(&["services", name, "volumes", &idx], m, h),
            }
        }
        out
    }

    /// Container ports named by `ports` (short and long syntax) and `expose`, each checked,
    /// deduplicated: the app's must be single TCP ports.
    fn container_ports(&mut self, name: &str, s: &dct::Service) -> Vec<u16> {
        let mut out: Vec<u16> = Vec::new();
        for (key, i, shown, p) in self.port_specs(name, s) {
            if p.first != p.last || p.proto != "tcp" {
                let idx = i.to_string();
                self.value_problem(
                    &["services", name, key, &idx],
                    format!("\"{shown}\" is not one TCP container port"),
                    "write \"8080\", \"8080:8080\" or \"127.0.0.1:8080:8080\"; ranges and UDP are not supported",
                );
            } else if !out.contains(&p.first) {
                out.push(p.first);
            }
        }
        out
    }
}

/// A volume entry as `name:/path`, or why phoenix cannot mount it and the fix.
fn mount(v: &dct::Volumes, declared: &[String], app: bool) -> Result<String, (String, String)> {
    let (source, target) = match v {
        dct::Volumes::Simple(t) => short_volume(t)?,
        dct::Volumes::Advanced(a) => long_volume(a, app)?,
    };
    let bind = source.as_deref().is_some_and(|s| s.starts_with(['.', '/', '~']));
    match source {
        _ if bind => Err(bind_refusal(&target, app)),
        None => Err((
            format!(
                "an anonymous volume on {target} is per container: what one replica writes, its replacement never sees"
            ),
            "name it (name:/path) and declare it under the top-level volumes:".into(),
        )),
        Some(src) if !declared.contains(&src) => Err((
            format!("named volume \"{src}\" is not declared under the top-level volumes:"),
            format!("add volumes: {{ {src}: {{}} }} at the top level"),
        )),
        Some(src) => Ok(format!("{src}:{target}")),
    }
}

/// `[source:]target[:mode]`: the source (None: anonymous) and the target.
fn short_volume(t: &str) -> Result<(Option<String>, String), (String, String)> {
    let parts: Vec<&str> = t.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, None),
        [src, target] => (Some(*src), *target, None),
        [src, target, mode] => (Some(*src), *target, Some(*mode)),
        _ => {
            return Err((
                format!("\"{t}\" is not name:/path"),
                "write name:/path, e.g. data:/data".into(),
            ))
        }
    };
    if target.is_empty() || source.is_some_and(str::is_empty) {
        return Err((
            format!("\"{t}\" is not name:/path"),
            "write name:/path, e.g. data:/data".into(),
        ));
    }
    if let Some(o) = mode.into_iter().flat_map(|m| m.split(',')).find(|o| *o != "rw") {
        return Err(option_refusal(&format!(":{o}"), o == "ro"));
    }
    Ok((source.map(str::to_string), target.to_string()))
}

/// The long syntax (`type: volume`, `source:`, `target:`) as the short one.
fn long_volume(a: &dct::AdvancedVolumes, app: bool) -> Result<(Option<String>, String), (String, String)> {
    match a._type.as_str() {
        "volume" | "bind" => {}
        other => {
            return Err((
                format!("a {other} mount is not supported"),
                "use a named volume (type: volume) declared under the top-level volumes:".into(),
            ))
        }
    }
    if a._type == "bind" {
        // a bind's source is a host path, whatever it looks like
        return Err(bind_refusal(&a.target, app));
    }
    let settings = [
        ("read_only", a.read_only),
        ("volume:", a.volume.is_some()),
        ("bind:", a.bind.is_some()),
        ("tmpfs:", a.tmpfs.is_some()),
    ];
    if let Some((k, _)) = settings.iter().find(|(_, set)| *set) {
        return Err(option_refusal(k, *k == "read_only"));
    }
    Ok((a.source.clone(), a.target.clone()))
}

fn option_refusal(what: &str, read_only: bool) -> (String, String) {
    if read_only {
        return ("read-only volumes are not supported".into(), format!("remove {what}"));
    }
    (
        format!("`{what}` is not supported: phoenix mounts a named volume read-write as it is (no SELinux relabel, copy, subpath or propagation option)"),
        format!("remove {what}"),
    )
}

fn bind_refusal(target: &str, app: bool) -> (String, String) {
    let why = if app {
        lint::BIND_WHY
    } else {
        "phoenix mounts no host path into a service"
    };
    let fix = if app {
        "keep state in a named volume declared shared, or in a service (Redis, a database, object storage); a source folder mounted for development (the image holds the code) belongs in docker-compose.override.yml, which phoenix does not read"
    } else {
        "use a named volume declared under the top-level volumes:, or bake the files into the image"
    };
    (format!("mounts the host folder onto {target}: {why}"), fix.into())
}

use super::lint;
