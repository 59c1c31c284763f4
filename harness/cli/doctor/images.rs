//! The images the scenarios name: present, or buildable the way the scenario says, and
//! built with `--build`.

use super::host::find_program;
use super::{Report, Status, Way};
use crate::backend::docker::images;
use crate::scenario::Build;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Each wanted image: present, or how it will be built (or why it cannot be). Returns the
/// images to build and whether a recipe (debootstrap) may have to run.
pub(super) async fn check(
    r: &mut Report,
    docker: Option<&bollard::Docker>,
    wanted: &BTreeMap<String, (Way, PathBuf)>,
) -> (Vec<String>, bool) {
    let mut missing = Vec::new();
    let mut need_debootstrap = false;
    for (image, (way, from)) in wanted {
        let what = format!("image {image}");
        let Some(docker) = docker else {
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
    (missing, need_debootstrap)
}

/// Whether a build section can run here: its context and Dockerfile exist, its command's
/// program is found. Ok holds how it will be built; Err the reason and the fix.
pub(super) fn buildable(b: &Build) -> Result<String, (String, String)> {
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

/// Builds the missing images concurrently, each the way its scenario says.
pub(super) async fn build_missing(
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
                Way::Build(b) => images::build(docker, image, &crate::execute::deployment::build(b)).await,
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
