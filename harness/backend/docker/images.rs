//! Making images available without a registry: use the local image if present, else
//! build it (a scenario's build command and Dockerfile context, or a recipe script), and
//! pull only as the last resort.

use crate::backend::{BackendError, BuildSpec, Result};
use bollard::query_parameters::{BuildImageOptions, BuilderVersion, CreateImageOptions};
use bollard::Docker;
use futures::StreamExt;
use std::path::Path;
use std::time::Duration;

const BUILD_TIMEOUT: Duration = Duration::from_secs(1800);
const TAIL_LINES: usize = 25;

/// An exclusive lock on this machine for building one image, so parallel runs and tests
/// do not build the same image at once. Released on drop.
pub struct BuildLock {
    _file: std::fs::File,
}

impl BuildLock {
    pub async fn acquire(image: &str) -> Result<BuildLock> {
        let name: String = image
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = std::env::temp_dir().join(format!("phoenix-bench-build-{name}.lock"));
        let fail = |e: std::io::Error| BackendError::BuildFailed {
            image: image.into(),
            step: format!("locking {}", path.display()),
            tail: e.to_string(),
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(fail)?;
        let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(|e| fail(std::io::Error::other(e.to_string())))?
            .map_err(fail)?;
        Ok(BuildLock { _file: file })
    }
}

/// The local image's id, if there is one.
pub async fn local_id(docker: &Docker, image: &str) -> Option<String> {
    docker.inspect_image(image).await.ok().and_then(|i| i.id)
}

/// Runs a build step, returning the tail of its output on failure.
pub async fn run_step(image: &str, program: &str, args: &[String], dir: &Path) -> Result<()> {
    let step = format!("`{} {}` in {}", program, args.join(" "), dir.display());
    tracing::info!("building {image}: {step}");
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null());
    let out = tokio::time::timeout(BUILD_TIMEOUT, cmd.output())
        .await
        .map_err(|_| BackendError::BuildFailed {
            image: image.into(),
            step: step.clone(),
            tail: format!("timed out after {BUILD_TIMEOUT:?}"),
        })?
        .map_err(|e| BackendError::BuildFailed {
            image: image.into(),
            step: step.clone(),
            tail: e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Err(BackendError::BuildFailed {
        image: image.into(),
        step: format!("{step} exited with {}", out.status),
        tail: tail(&text),
    })
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// Builds `image` from a scenario's build section: the command, then the Dockerfile
/// context through the engine's classic builder (BuildKit sessions need a newer API),
/// packed as the docker CLI packs it (`context.rs`).
pub async fn build(docker: &Docker, image: &str, b: &BuildSpec) -> Result<()> {
    if let Some(cmd) = &b.command {
        run_step(image, &cmd[0], &cmd[1..], &b.workdir).await?;
    }
    let context = pack_context(image, b).await?;
    let options = BuildImageOptions {
        dockerfile: b.dockerfile.clone(),
        t: Some(image.to_string()),
        rm: true,
        forcerm: true,
        version: BuilderVersion::BuilderV1,
        ..Default::default()
    };
    let mut output = String::new();
    let mut stream = docker.build_image(options, None, Some(bollard::body_try_stream(context)));
    let result = tokio::time::timeout(BUILD_TIMEOUT, async {
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(s) = info.stream {
                        output.push_str(&s);
                    }
                    if let Some(e) = info.error_detail.and_then(|d| d.message) {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    })
    .await;
    let fail = |why: String, output: &str| BackendError::BuildFailed {
        image: image.into(),
        step: format!("docker build of {} ({})", b.context.display(), b.dockerfile),
        tail: format!("{}\n{why}", tail(output)),
    };
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(fail(e, &output)),
        Err(_) => Err(fail(format!("timed out after {BUILD_TIMEOUT:?}"), &output)),
    }
}

/// Runs `<recipe>/build.sh <image>` from the recipe's folder.
pub async fn build_recipe(image: &str, recipe: &Path) -> Result<()> {
    // absolute, since the script runs from the recipe's own folder
    let recipe = recipe.canonicalize().map_err(|e| BackendError::BuildFailed {
        image: image.into(),
        step: format!("finding the recipe {}", recipe.display()),
        tail: e.to_string(),
    })?;
    let script = recipe.join("build.sh");
    run_step(
        image,
        "bash",
        &[script.display().to_string(), image.to_string()],
        &recipe,
    )
    .await
}

/// Pulls `image` (the last resort: there may be no registry).
pub async fn pull(docker: &Docker, image: &str) -> Result<()> {
    let (name, tag) = split_image(image);
    let options = CreateImageOptions {
        from_image: Some(name),
        tag: Some(tag),
        ..Default::default()
    };
    let mut stream = docker.create_image(Some(options), None, None);
    let res = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(item) = stream.next().await {
            item.map_err(|e| e.to_string())?;
        }
        Ok::<(), String>(())
    })
    .await;
    match res {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(_) => Err(BackendError::ImageMissing { image: image.into() }),
    }
}

/// Packs the build context (see `context.rs`) off the async threads, into an unnamed
/// temporary file, and streams it in chunks: a large context never sits in memory.
async fn pack_context(
    image: &str,
    b: &BuildSpec,
) -> Result<impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static> {
    let (dir, dockerfile) = (b.context.clone(), b.dockerfile.clone());
    let packed = tokio::task::spawn_blocking(move || super::context::pack_to_temp(&dir, &dockerfile))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let (file, bytes) = packed.map_err(|tail| BackendError::BuildFailed {
        image: image.into(),
        step: format!("packing the context {}", b.context.display()),
        tail,
    })?;
    tracing::info!(
        "building {image}: context {} ({bytes} bytes of tar)",
        b.context.display()
    );
    let file = tokio::fs::File::from_std(file);
    Ok(futures::stream::try_unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut chunk = vec![0u8; 256 * 1024];
        let n = file.read(&mut chunk).await?;
        chunk.truncate(n);
        Ok((n > 0).then(|| (bytes::Bytes::from(chunk), file)))
    }))
}

/// `name:tag` -> (name, tag); a registry port (`host:5000/app`) is not a tag.
pub(super) fn split_image(image: &str) -> (String, String) {
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn a_registry_port_is_not_a_tag() {
        assert_eq!(
            split_image("phoenix-demo:latest"),
            ("phoenix-demo".into(), "latest".into())
        );
        assert_eq!(split_image("phoenix/redis"), ("phoenix/redis".into(), "latest".into()));
        assert_eq!(
            split_image("localhost:5000/app"),
            ("localhost:5000/app".into(), "latest".into())
        );
        assert_eq!(
            split_image("localhost:5000/app:v2"),
            ("localhost:5000/app".into(), "v2".into())
        );
    }
}
