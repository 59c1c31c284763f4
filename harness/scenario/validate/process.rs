//! `backend` and what each backend needs and refuses. The process backend runs the app's
//! replicas as local programs: it needs `command` (a program inside the project) and a
//! `{port}` for each replica's address, and refuses what only containers have — an image,
//! a build, a container port, volumes, services, a front, and a network to disconnect.

use super::super::error::{did_you_mean, locate, Problem};
use super::super::file::AppFile;
use super::super::BackendKind;
use super::syntax::example;
use super::Validator;
use crate::scenario::PORT_PLACEHOLDER;
use std::collections::BTreeMap;
use std::path::{Component, Path};

const COMMAND_HINT: &str = "e.g. command = [\"../target/debug/phoenix-demo\"] (the program relative to the \
     scenario file's folder, then its arguments) with env = { LISTEN = \"127.0.0.1:{port}\" }";
const PROCESS: &str = "backend = \"process\"";

impl Validator<'_> {
    /// `app.backend`, docker when absent.
    pub(super) fn backend_kind(&mut self, written: Option<&str>) -> BackendKind {
        let Some(w) = written else {
            return BackendKind::Docker;
        };
        match BackendKind::NAMES.iter().position(|n| *n == w) {
            Some(0) => BackendKind::Docker,
            Some(1) => BackendKind::Process,
            Some(_) => BackendKind::Swarm,
            None => {
                let hint = match did_you_mean(w, BackendKind::NAMES) {
                    Some(s) => format!("did you mean \"{s}\"? backends are docker, process and swarm"),
                    None => "use docker (containers, the default), process (local programs) or swarm (a Docker Swarm service per replica)".into(),
                };
                self.problem("app.backend", format!("unknown backend \"{w}\""), Some(hint));
                BackendKind::Docker
            }
        }
    }

    /// A required key missing from `table`, located at the table as the parser would.
    pub(super) fn missing(&mut self, table: &str, key: &str) {
        let location = locate(self.text, table).map(|(line, col)| {
            // `[app]`: point at the bracket, where the table starts
            let opens = self.text.lines().nth(line - 1).and_then(|l| l.chars().nth(col - 2)) == Some('[');
            if col > 1 && opens {
                (line, col - 1)
            } else {
                (line, col)
            }
        });
        self.problems.push(Problem {
            field: format!("{table}.{key}"),
            file: None,
            location,
            message: format!("missing field `{key}`"),
            hint: Some(format!("add {} (see scenarios/kill-restart.toml)", example(key))),
        });
    }

    /// With the Docker backend: `command` does not apply.
    pub(super) fn docker_app(&mut self, raw: &AppFile) {
        if raw.command.is_some() {
            self.problem(
                "app.command",
                "only applies to backend = \"process\"",
                Some("add backend = \"process\" to [app] to run a local program, or remove command (a Docker replica runs its image)".into()),
            );
        }
    }

    /// With the process backend: refuses the container fields and checks `command`; returns
    /// the program (absolute) and its arguments.
    pub(super) fn process_app(&mut self, raw: &AppFile) -> Option<Vec<String>> {
        let image_hint = "a process replica runs app.command, not an image: remove it, or use backend = \"docker\"";
        for (field, present, hint) in [
            ("app.image", raw.image.is_some(), image_hint),
            ("app.build", raw.build.is_some(), image_hint),
            (
                "app.port",
                raw.port.is_some(),
                "the harness picks each replica's 127.0.0.1 port and passes it through {port} in app.env or \
                 app.command: remove app.port",
            ),
            (
                "app.volumes",
                !raw.volumes.is_empty(),
                "a local process has no mounts (each instance's working folder is its own disk): remove \
                 app.volumes, or use backend = \"docker\"",
            ),
        ] {
            if present {
                self.problem(field, format!("does not apply to {PROCESS}"), Some(hint.into()));
            }
        }
        let Some(cmd) = &raw.command else {
            self.missing("app", "command");
            return None;
        };
        let Some((program, args)) = cmd.split_first() else {
            self.problem("app.command", "is empty", Some(COMMAND_HINT.into()));
            return None;
        };
        if cmd.iter().any(|a| a.contains('\0')) {
            self.problem(
                "app.command",
                "an argument contains a NUL character",
                Some("no program argument can hold NUL; remove it".into()),
            );
            return None;
        }
        self.at_most("app.command", cmd.len(), 256, "arguments");
        if !mentions_port(args, &raw.env) {
            self.problem(
                "app.command",
                format!("no {PORT_PLACEHOLDER} in app.command or app.env: every replica would listen on the same address"),
                Some(format!(
                    "tell the app its address, e.g. env = {{ LISTEN = \"127.0.0.1:{PORT_PLACEHOLDER}\" }} or an argument \"--port={PORT_PLACEHOLDER}\""
                )),
            );
        }
        let program = self.program(program)?;
        Some(std::iter::once(program).chain(args.iter().cloned()).collect())
    }

    /// The program, relative to the scenario file's folder and inside its project. It may
    /// not exist yet (a build product): the run then fails naming it.
    fn program(&mut self, written: &str) -> Option<String> {
        let field = "app.command";
        let rel = Path::new(written);
        if written.trim().is_empty() {
            self.problem(
                field,
                "names no program (its first element is empty)",
                Some(COMMAND_HINT.into()),
            );
            return None;
        }
        if rel.is_absolute() {
            self.problem(
                field,
                format!("\"{written}\" is an absolute path"),
                Some(format!(
                    "the program must be inside the scenario's project; {COMMAND_HINT}"
                )),
            );
            return None;
        }
        let Some(root) = self.project.root.clone() else {
            self.problem(
                field,
                format!(
                    "the scenario's folder {} cannot be resolved",
                    self.project.base.display()
                ),
                Some("run phoenix on a scenario file that exists on disk".into()),
            );
            return None;
        };
        let Ok(base) = self.project.base.canonicalize() else {
            return None;
        };
        // `..` is resolved against the path as written, then symlinks are followed as far as
        // the path exists: both must stay inside the project
        let lexical = normalize(&base.join(rel));
        let existing = lexical
            .ancestors()
            .find_map(|a| a.canonicalize().ok().map(|c| (a.to_path_buf(), c)));
        // the first part that did not resolve must not exist at all (a build product to
        // come): a link there is dangling, or loops, and may point anywhere once created
        let dangling = existing.as_ref().is_some_and(|(a, c)| {
            let first = lexical.strip_prefix(a).ok().and_then(|r| r.components().next());
            first.is_some_and(|f| std::fs::symlink_metadata(c.join(f)).is_ok())
        });
        let real = existing.map(|(a, c)| match lexical.strip_prefix(&a) {
            Ok(rest) if !rest.as_os_str().is_empty() => c.join(rest),
            _ => c,
        });
        let inside = |p: &Path| p.starts_with(&root) && !p.strip_prefix(&root).is_ok_and(in_git);
        match real {
            Some(_) if dangling => {
                self.problem(
                    field,
                    format!("\"{written}\" is (or goes through) a symbolic link whose target does not exist or loops"),
                    Some(format!(
                        "name the program itself, inside the project, or fix the link; {COMMAND_HINT}"
                    )),
                );
                None
            }
            Some(real) if inside(&lexical) && inside(&real) => self.program_file(written, real),
            _ => {
                self.problem(
                    field,
                    format!("\"{written}\" is outside the project {} (or in its .git)", root.display()),
                    Some(format!(
                        "a scenario may only run a program inside its project (the nearest folder above it holding .git); {COMMAND_HINT}"
                    )),
                );
                None
            }
        }
    }

    /// The program once resolved inside the project: a regular file, or nothing yet (a build
    /// product); a folder, FIFO, socket or device is refused (running one would hang or fail
    /// at run time, after the deployment started).
    fn program_file(&mut self, written: &str, real: std::path::PathBuf) -> Option<String> {
        let what = match std::fs::metadata(&real) {
            Err(_) => None,
            Ok(m) if m.is_dir() => Some(("a folder", "name the program file")),
            Ok(m) if !m.is_file() => Some((
                "not a regular file (a FIFO, socket or device)",
                "name the program's executable file",
            )),
            Ok(_) => None,
        };
        if let Some((what, hint)) = what {
            self.problem("app.command", format!("\"{written}\" is {what}"), Some(hint.into()));
            return None;
        }
        Some(real.to_string_lossy().into_owned())
    }

    /// What the process backend cannot deploy besides the app: services and a front.
    pub(super) fn process_scenario(&mut self, services: usize, front: bool) {
        if services > 0 {
            self.problem(
                "service[0]",
                format!("services are not supported with {PROCESS}"),
                Some("the process backend runs only the app's replicas: remove the [[service]] entries, or use backend = \"docker\"".into()),
            );
        }
        if front {
            self.problem(
                "front",
                format!("a front is not supported with {PROCESS}"),
                Some(
                    "remove [front] (the harness spreads the load over the replicas), or use backend = \"docker\""
                        .into(),
                ),
            );
        }
    }
}

fn mentions_port(args: &[String], env: &BTreeMap<String, String>) -> bool {
    args.iter().chain(env.values()).any(|s| s.contains(PORT_PLACEHOLDER))
}

fn in_git(p: &Path) -> bool {
    p.components().any(|c| c == Component::Normal(".git".as_ref()))
}

/// `a/b/../c` → `a/c`, without touching the filesystem.
fn normalize(p: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dot_dot_lexically() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        assert_eq!(normalize(Path::new("/a/../../x")), Path::new("/x"));
    }

    #[test]
    fn a_port_placeholder_in_args_or_env_is_found() {
        let env = BTreeMap::from([("LISTEN".to_string(), "127.0.0.1:{port}".to_string())]);
        assert!(mentions_port(&[], &env));
        assert!(mentions_port(&["--port={port}".into()], &BTreeMap::new()));
        assert!(!mentions_port(&["--port=80".into()], &BTreeMap::new()));
    }
}
