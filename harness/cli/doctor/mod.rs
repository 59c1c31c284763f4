//! `phoenix doctor`: is this machine ready to run the scenarios? One line per check —
//! `ok`, `problem` with its fix, or `info` — and exit status 0 when there is no problem,
//! 1 otherwise. With `--build` it also builds every missing image it can (concurrently;
//! the per-image build lock keeps parallel runs from building one image twice), the same
//! way `phoenix run` would on first use. A scenario on the process backend needs no engine
//! and no image: its program and loopback ports are checked instead.
//!
//! - `mod.rs`: the report lines and the order of the checks; `engine.rs`: the engine and
//!   its API; `images.rs`: each image present, buildable, built with `--build`;
//!   `process.rs`: a process scenario's program and ports; `host.rs`: debootstrap, disk,
//!   chromium.

mod engine;
mod host;
mod images;
mod process;
#[cfg(test)]
mod tests;

pub use engine::MIN_API;
pub use host::MIN_FREE_BYTES;

use crate::cli::error::CommandError;
use crate::cli::exit::Exit;
use crate::scenario::{Build, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One result line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Status {
    Ok,
    Problem,
    Info,
}

pub(super) struct Report {
    problems: usize,
}

impl Report {
    pub(super) fn line(&mut self, status: Status, what: &str, detail: &str, fix: Option<&str>) {
        let word = match status {
            Status::Ok => "ok",
            Status::Problem => {
                self.problems += 1;
                "problem"
            }
            Status::Info => "info",
        };
        let mut line = format!("{word:<8}{}: {}", escape(what), escape(detail));
        if let (Status::Problem, Some(fix)) = (status, fix) {
            line.push_str(" — fix: ");
            line.push_str(&escape(fix));
        }
        println!("{line}");
    }
}

/// Control and invisible formatting characters from files and the engine are shown
/// escaped, one check per line: the scenario's own escaping, so a bidi override cannot
/// reorder a doctor line either.
pub(super) use crate::scenario::escape;

/// How a missing image would be made.
pub(super) enum Way {
    Build(Build),
    Recipe(PathBuf),
    Nothing,
}

/// Runs every check on `scenarios` (default: `scenarios/*.toml`); its problems are its
/// own lines, so a doctor that found any ends [`Exit::Problems`], never in an error.
pub async fn doctor(scenarios: &[PathBuf], build: bool) -> Result<Exit, CommandError> {
    let mut r = Report { problems: 0 };
    let loaded: Vec<_> = scenario_files(scenarios, &mut r)
        .into_iter()
        .map(|p| {
            let s = Scenario::load(&p);
            (p, s)
        })
        .collect();
    // only the process backend runs without an engine: a file that does not load says
    // nothing, so the engine is checked for it as before
    let needs_engine = loaded.is_empty()
        || loaded
            .iter()
            .any(|(_, s)| s.as_ref().map_or(true, |s| s.app.backend.runs_images()));
    let docker = if needs_engine {
        engine::check(&mut r).await
    } else {
        r.line(
            Status::Info,
            "engine",
            "not needed: every scenario runs on the process backend",
            None,
        );
        None
    };

    // every image any scenario names, with the first way to make it that a scenario gives
    let mut wanted: BTreeMap<String, (Way, PathBuf)> = BTreeMap::new();
    for (path, loaded) in &loaded {
        match loaded {
            Ok(s) => {
                r.line(Status::Ok, &format!("scenario {}", path.display()), "valid", None);
                if !s.app.backend.runs_images() {
                    // a process scenario runs a local program: no image, its program instead
                    process::check(&mut r, path, s);
                    continue;
                }
                let app = (
                    s.app.image.clone(),
                    s.app.build.clone().map_or(Way::Nothing, Way::Build),
                );
                let mut ways: Vec<(String, Way)> = vec![app];
                for svc in &s.services {
                    ways.push((svc.image.clone(), svc.recipe.clone().map_or(Way::Nothing, Way::Recipe)));
                }
                if let Some(f) = &s.front {
                    ways.push((f.image.clone(), f.recipe.clone().map_or(Way::Nothing, Way::Recipe)));
                }
                for (image, way) in ways {
                    let known = wanted.get(&image).map(|(w, _)| !matches!(w, Way::Nothing));
                    if known != Some(true) {
                        wanted.insert(image, (way, path.clone()));
                    }
                }
            }
            Err(e) => {
                let first = e.to_string().lines().next().unwrap_or_default().to_string();
                r.line(
                    Status::Problem,
                    &format!("scenario {}", path.display()),
                    &first,
                    Some(&format!("`phoenix validate {}` shows every problem", path.display())),
                );
            }
        }
    }

    let (missing, need_debootstrap) = images::check(&mut r, docker.as_ref(), &wanted).await;
    host::check_debootstrap(&mut r, need_debootstrap);
    let root_dir = match &docker {
        Some(d) => d.info().await.ok().and_then(|i| i.docker_root_dir),
        None => None,
    };
    if let Some(dir) = root_dir {
        host::check_disk(&mut r, "Docker root", Path::new(&dir));
    }
    host::check_disk(&mut r, "working folder", Path::new("."));
    host::check_chromium(&mut r);

    if build {
        if let Some(docker) = &docker {
            images::build_missing(&mut r, docker, &wanted, &missing).await;
        }
    }
    if r.problems == 0 {
        Ok(Exit::Ok)
    } else {
        println!("{} problem(s)", r.problems);
        Ok(Exit::Problems)
    }
}

/// The files to check: those given, else `scenarios/*.toml` in name order.
fn scenario_files(given: &[PathBuf], r: &mut Report) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("scenarios")
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    if found.is_empty() {
        r.line(
            Status::Problem,
            "scenarios",
            "none given and scenarios/*.toml matched nothing here",
            Some("run from the repository root, or name scenario files: `phoenix doctor my.toml`"),
        );
    }
    found
}
