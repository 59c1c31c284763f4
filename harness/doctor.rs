//! `phoenix doctor`: is this machine ready to run the scenarios? One line per check —
//! `ok`, `problem` with its fix, or `info` — and exit status 0 when there is no problem,
//! 1 otherwise. With `--build` it also builds every missing image it can (concurrently;
//! the per-image build lock keeps parallel runs from building one image twice), the same
//! way `phoenix run` would on first use.

use crate::backend::docker::{connect, images, socket_description};
use crate::backend::BackendError;
use crate::exit::{EXIT_OK, EXIT_RUNTIME};
use crate::scenario::{Build, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The oldest engine API the harness speaks (Docker 20.10).
pub const MIN_API: (u32, u32) = (1, 41);
/// Less free disk than this, in the Docker root or the working folder, is a problem.
pub const MIN_FREE_BYTES: u64 = 5 << 30;

/// One result line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Ok,
    Problem,
    Info,
}

struct Report {
    problems: usize,
}

impl Report {
    fn line(&mut self, status: Status, what: &str, detail: &str, fix: Option<&str>) {
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

/// Control characters from files and the engine are shown escaped, one check per line.
fn escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let esc: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            esc
        })
        .collect()
}

/// How a missing image would be made.
enum Way {
    Build(Build),
    Recipe(PathBuf),
    Nothing,
}

/// Runs every check on `scenarios` (default: `scenarios/*.toml`); returns the exit status.
pub async fn doctor(scenarios: &[PathBuf], build: bool) -> u8 {
    let mut r = Report { problems: 0 };
    let docker = engine(&mut r).await;

    // every image any scenario names, with the first way to make it that a scenario gives
    let mut wanted: BTreeMap<String, (Way, PathBuf)> = BTreeMap::new();
    for path in scenario_files(scenarios, &mut r) {
        match Scenario::load(&path) {
            Ok(s) => {
                r.line(Status::Ok, &format!("scenario {}", path.display()), "valid", None);
                // a process scenario runs a local program: no image to check
                let docker = s.app.backend.runs_images();
                let app = (
                    s.app.image.clone(),
                    s.app.build.clone().map_or(Way::Nothing, Way::Build),
                );
                let mut ways: Vec<(String, Way)> = docker.then_some(app).into_iter().collect();
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

    let mut missing = Vec::new();
    let mut need_debootstrap = false;
    for (image, (way, from)) in &wanted {
        let what = format!("image {image}");
        let Some(docker) = &docker else {
            r.line(Status::Info, &what, "not checked: no engine", None);
            // presence unknown: a recipe may have to run
            need_debootstrap |= matches!(way, Way::Recipe(_));
            continue;
        };
        if let Some(id) = images::local_id(docker, image).await {
            let short = id.trim_start_matches("sha256:").chars().take(12).collect::<String>();
            r.line(Status::Ok, &what, &format!("present ({short})"), None);
            continue;
        }
        match way {
            Way::Build(b) => match buildable(b) {
                Ok(how) => {
                    r.line(Status::Ok, &what, &format!("missing; built on first use {how}"), None);
                    missing.push(image.clone());
                }
                Err((why, fix)) => r.line(Status::Problem, &what, &format!("missing, and {why}"), Some(&fix)),
            },
            Way::Recipe(dir) => {
                let script = dir.join("build.sh");
                if script.is_file() {
                    let how = format!("by the recipe {} (debootstrap, as root)", script.display());
                    r.line(Status::Ok, &what, &format!("missing; built on first use {how}"), None);
                    need_debootstrap = true;
                    missing.push(image.clone());
                } else {
                    r.line(
                        Status::Problem,
                        &what,
                        &format!("missing, and its recipe has no {}", script.display()),
                        Some("point `recipe` at a folder holding build.sh (see scenarios/images/)"),
                    );
                }
            }
            Way::Nothing => r.line(
                Status::Problem,
                &what,
                &format!(
                    "missing, and {} says no way to build it (no registry is used)",
                    from.display()
                ),
                Some("build or `docker load` it, or add [app.build] or a service `recipe`"),
            ),
        }
    }

    check_debootstrap(&mut r, need_debootstrap);
    let root_dir = match &docker {
        Some(d) => d.info().await.ok().and_then(|i| i.docker_root_dir),
        None => None,
    };
    if let Some(dir) = root_dir {
        check_disk(&mut r, "Docker root", Path::new(&dir));
    }
    check_disk(&mut r, "working folder", Path::new("."));
    check_chromium(&mut r);

    if build {
        if let Some(docker) = &docker {
            build_missing(&mut r, docker, &wanted, &missing).await;
        }
    }
    if r.problems == 0 {
        EXIT_OK
    } else {
        println!("{} problem(s)", r.problems);
        EXIT_RUNTIME
    }
}

/// Reaches the engine and checks its API version.
async fn engine(r: &mut Report) -> Option<bollard::Docker> {
    let fix_unreachable = crate::backend::docker::UNREACHABLE_HINT;
    let docker = match connect().await {
        Ok(d) => d,
        Err(BackendError::Unreachable { at: socket, reason, .. }) => {
            r.line(
                Status::Problem,
                "engine",
                &format!("cannot reach {socket}: {reason}"),
                Some(fix_unreachable),
            );
            return None;
        }
        Err(e) => {
            r.line(Status::Problem, "engine", &e.to_string(), Some(fix_unreachable));
            return None;
        }
    };
    match docker.version().await {
        Ok(v) => {
            let api = v.api_version.unwrap_or_default();
            let detail = format!(
                "Docker {}, API {api} at {}",
                v.version.unwrap_or_else(|| "?".into()),
                socket_description()
            );
            match parse_api(&api) {
                Some(got) if got >= MIN_API => r.line(Status::Ok, "engine", &detail, None),
                _ => r.line(
                    Status::Problem,
                    "engine",
                    &format!("{detail}: API {}.{} or newer is needed", MIN_API.0, MIN_API.1),
                    Some("upgrade the engine to Docker 20.10 or newer"),
                ),
            }
            Some(docker)
        }
        Err(e) => {
            r.line(
                Status::Problem,
                "engine",
                &format!("no version from {}: {e}", socket_description()),
                Some(fix_unreachable),
            );
            None
        }
    }
}

/// "1.41" -> (1, 41).
fn parse_api(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
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

/// Whether a build section can run here: its context and Dockerfile exist, its command's
/// program is found. Ok holds how it will be built; Err the reason and the fix.
fn buildable(b: &Build) -> Result<String, (String, String)> {
    if !b.context.is_dir() {
        return Err((
            format!("its build context {} is not a folder", b.context.display()),
            "point `build.context` at the folder holding the Dockerfile".into(),
        ));
    }
    let dockerfile = b.context.join(&b.dockerfile);
    if !dockerfile.is_file() {
        return Err((
            format!("there is no Dockerfile at {}", dockerfile.display()),
            "add it, or set `build.dockerfile` to its path inside the context".into(),
        ));
    }
    let Some(cmd) = &b.command else {
        return Ok(format!("from {}", b.context.display()));
    };
    if find_program(&cmd[0]).is_none() && !b.workdir.join(&cmd[0]).is_file() {
        return Err((
            format!("its build command's program `{}` is not found", cmd[0]),
            format!("install `{}`, or fix `build.command`", cmd[0]),
        ));
    }
    Ok(format!("from {} after `{}`", b.context.display(), cmd.join(" ")))
}

/// A program on the PATH (and in the sbin folders, where Debian puts debootstrap).
fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| name.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn check_debootstrap(r: &mut Report, needed: bool) {
    if !needed {
        r.line(
            Status::Ok,
            "debootstrap",
            "not needed (no recipe image is missing)",
            None,
        );
        return;
    }
    let fix = "run `sudo .ci/setup` (installs debootstrap), and build as root";
    match (find_program("debootstrap"), is_root()) {
        (Some(p), true) => r.line(
            Status::Ok,
            "debootstrap",
            &format!("{} (recipes build as root)", p.display()),
            None,
        ),
        (None, _) => r.line(
            Status::Problem,
            "debootstrap",
            "not installed; the recipes of missing images need it",
            Some(fix),
        ),
        (Some(_), false) => r.line(
            Status::Problem,
            "debootstrap",
            "present, but recipes need root and this is not root",
            Some(fix),
        ),
    }
}

/// Whether this process runs as root (the effective uid in /proc/self/status).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Uid:"))?.to_string();
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// Free bytes of the file system holding `dir`, from `df -Pk` (POSIX output).
fn free_bytes(dir: &Path) -> Option<u64> {
    let out = std::process::Command::new("df").arg("-Pk").arg(dir).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: u64 = text.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib * 1024)
}

fn check_disk(r: &mut Report, label: &str, dir: &Path) {
    let what = format!("disk ({label})");
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    match free_bytes(dir) {
        Some(free) if free >= MIN_FREE_BYTES => r.line(
            Status::Ok,
            &what,
            &format!("{:.1} GiB free in {}", gib(free), dir.display()),
            None,
        ),
        Some(free) => r.line(
            Status::Problem,
            &what,
            &format!(
                "{:.1} GiB free in {}, under {:.0} GiB (image builds and reports need room)",
                gib(free),
                dir.display(),
                gib(MIN_FREE_BYTES)
            ),
            Some("free space: `docker image prune`, old folders under reports/, target/"),
        ),
        None => r.line(
            Status::Info,
            &what,
            &format!("cannot measure {} on this machine", dir.display()),
            None,
        ),
    }
}

fn check_chromium(r: &mut Report) {
    let version = std::process::Command::new("chromium").arg("--version").output();
    let detail = match version {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => "not installed: only tests/browser.rs needs it (`sudo .ci/setup` installs it)".into(),
    };
    r.line(Status::Info, "chromium", &detail, None);
}

/// Builds the missing images concurrently, each the way its scenario says.
async fn build_missing(
    r: &mut Report,
    docker: &bollard::Docker,
    wanted: &BTreeMap<String, (Way, PathBuf)>,
    missing: &[String],
) {
    let builds = missing.iter().map(|image| async move {
        let started = Instant::now();
        let result = async {
            let _lock = images::BuildLock::acquire(image).await?;
            if images::local_id(docker, image).await.is_some() {
                return Ok(());
            }
            match &wanted[image].0 {
                Way::Build(b) => images::build(docker, image, &crate::deployment::build(b)).await,
                Way::Recipe(dir) => images::build_recipe(image, dir).await,
                Way::Nothing => Ok(()),
            }
        }
        .await;
        (image, started.elapsed(), result)
    });
    for image in missing {
        println!("building {image} …");
    }
    for (image, took, result) in futures::future::join_all(builds).await {
        let what = format!("image {image}");
        match result {
            Ok(()) => r.line(
                Status::Ok,
                &what,
                &format!("built in {:.1} s", took.as_secs_f64()),
                None,
            ),
            Err(e) => r.line(
                Status::Problem,
                &what,
                &format!("build failed after {:.1} s: {e}", took.as_secs_f64()),
                Some("read the build output above; `phoenix run` would fail the same way"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_compare_numerically() {
        assert_eq!(parse_api("1.41"), Some((1, 41)));
        assert!(parse_api("1.41").unwrap() >= MIN_API);
        assert!(parse_api("1.43").unwrap() >= MIN_API);
        assert!(parse_api("1.9").unwrap() < MIN_API, "1.9 is older than 1.41");
        assert!(parse_api("1.40").unwrap() < MIN_API);
        assert_eq!(parse_api("banana"), None);
        assert_eq!(parse_api(""), None);
    }

    #[test]
    fn control_characters_are_escaped_in_lines() {
        assert_eq!(escape("a\u{1b}[2Kok\nb"), "a\\u{1b}[2Kok\\nb");
        assert_eq!(escape("plain — text"), "plain — text");
    }

    #[test]
    fn a_missing_context_or_dockerfile_is_not_buildable() {
        let tmp = tempfile::tempdir().unwrap();
        let b = |context: PathBuf, command: Option<Vec<String>>| Build {
            context,
            dockerfile: "Dockerfile".into(),
            command,
            workdir: tmp.path().into(),
        };
        let (why, _) = buildable(&b(tmp.path().join("nope"), None)).unwrap_err();
        assert!(why.contains("not a folder"), "{why}");
        let (why, _) = buildable(&b(tmp.path().into(), None)).unwrap_err();
        assert!(why.contains("no Dockerfile"), "{why}");
        std::fs::write(tmp.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        assert!(buildable(&b(tmp.path().into(), None)).is_ok());
        let (why, fix) = buildable(&b(tmp.path().into(), Some(vec!["no-such-program-xyz".into()]))).unwrap_err();
        assert!(why.contains("no-such-program-xyz") && fix.contains("install"), "{why}");
        assert!(buildable(&b(tmp.path().into(), Some(vec!["bash".into(), "x.sh".into()]))).is_ok());
    }
}
