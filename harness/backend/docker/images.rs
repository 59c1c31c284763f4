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
pub(crate) struct BuildLock {
    _file: std::fs::File,
}

impl BuildLock {
    pub(crate) async fn acquire(image: &str) -> Result<BuildLock> {
        let name: String = image
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let base = std::env::temp_dir();
        let step = format!("locking {}", base.join(lock_dir_name()).display());
        let fail = |e: std::io::Error| BackendError::BuildFailed {
            image: image.into(),
            step: step.clone(),
            tail: e.to_string(),
        };
        let file = open_lock(&base, &format!("phoenix-bench-build-{name}.lock")).map_err(fail)?;
        let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(|e| fail(std::io::Error::other(e.to_string())))?
            .map_err(fail)?;
        Ok(BuildLock { _file: file })
    }
}

/// The locks' folder in the temporary folder: one per user, so no other user can plant a
/// link where phoenix opens a lock (a shared /tmp name could be a link to any file).
fn lock_dir_name() -> String {
    // SAFETY: geteuid has no preconditions and cannot fail
    format!("phoenix-bench-{}", unsafe { libc::geteuid() })
}

/// Opens (creating it) the lock file `name` in our own folder under `base`: the folder is
/// made 0700, or must already be a real folder (not a link) owned by us and closed to
/// others; the file is opened without following a link.
fn open_lock(base: &Path, name: &str) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
    let dir = base.join(lock_dir_name());
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        other => other?,
    }
    let m = std::fs::symlink_metadata(&dir)?;
    // SAFETY: geteuid has no preconditions and cannot fail
    let mine = m.uid() == unsafe { libc::geteuid() };
    if !m.file_type().is_dir() || !mine || m.mode() & 0o077 != 0 {
        return Err(std::io::Error::other(format!(
            "{} is not a folder of ours closed to others (a link, or another user's): remove it",
            dir.display()
        )));
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir.join(name))
}

/// The local image's id, if there is one.
pub(crate) async fn local_id(docker: &Docker, image: &str) -> Option<String> {
    docker.inspect_image(image).await.ok().and_then(|i| i.id)
}

/// The variables every host command sees (if set): what finds programs, the user's files,
/// the language of messages, and where temporary files and caches go (a recipe caches its
/// rootfs under XDG_CACHE_HOME: `.ci/run` empties it to rebuild from nothing). Anything
/// else of phoenix's environment (tokens, cloud keys) is withheld unless the file's
/// allowlist names it.
pub(crate) const HOST_ENV: [&str; 5] = ["PATH", "HOME", "LANG", "TMPDIR", "XDG_CACHE_HOME"];

/// Most bytes of a build step's output kept (the end of it): a step printing gigabytes
/// costs no memory, and its failure shows its last lines only.
const TAIL_BYTES: usize = 16 * 1024;

/// Gives `cmd` a clean environment: [`HOST_ENV`] and the names in `allow`, as phoenix has
/// them; nothing else.
pub(crate) fn host_env(cmd: &mut tokio::process::Command, allow: &[String]) {
    cmd.env_clear();
    let names = HOST_ENV.iter().copied().chain(allow.iter().map(String::as_str));
    for name in names {
        if let Some(v) = std::env::var_os(name) {
            cmd.env(name, v);
        }
    }
}

/// Runs a build step in a clean environment (`host_env`), returning the tail of its output
/// on failure, escaped for the terminal.
pub(crate) async fn run_step(image: &str, program: &str, args: &[String], dir: &Path, allow: &[String]) -> Result<()> {
    let step = crate::scenario::escape(&format!("`{} {}` in {}", program, args.join(" "), dir.display())).into_owned();
    tracing::info!("building {image}: {step}");
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    host_env(&mut cmd, allow);
    let fail = |step: String, tail: String| BackendError::BuildFailed {
        image: image.into(),
        step,
        tail,
    };
    let mut child = cmd.spawn().map_err(|e| fail(step.clone(), e.to_string()))?;
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let waited = tokio::time::timeout(BUILD_TIMEOUT, async {
        let (out, err) = tokio::join!(keep_tail(out), keep_tail(err));
        let status = child.wait().await;
        (out, err, status)
    })
    .await;
    let (out, err, status) = waited.map_err(|_| fail(step.clone(), format!("timed out after {BUILD_TIMEOUT:?}")))?;
    let status = status.map_err(|e| fail(step.clone(), e.to_string()))?;
    if status.success() {
        return Ok(());
    }
    let text = format!("{}{}", String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    Err(fail(format!("{step} exited with {status}"), tail(&text)))
}

/// Reads `pipe` to its end, keeping its last [`TAIL_BYTES`] bytes.
async fn keep_tail<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let (Some(mut pipe), mut kept) = (pipe, Vec::new()) else {
        return Vec::new();
    };
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 2 * TAIL_BYTES {
            kept.drain(..kept.len() - TAIL_BYTES);
        }
    }
    let from = kept.len().saturating_sub(TAIL_BYTES);
    kept.split_off(from)
}

/// The last [`TAIL_LINES`] lines of a command's output, each escaped: a build prints what
/// it likes, and none of it may drive the terminal.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..]
        .iter()
        .map(|l| crate::scenario::escape(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds `image` from a scenario's build section: the command, then the Dockerfile
/// context through the engine's classic builder (BuildKit sessions need a newer API),
/// packed as the docker CLI packs it (`context.rs`).
pub async fn build(docker: &Docker, image: &str, b: &BuildSpec) -> Result<()> {
    if let Some(cmd) = &b.command {
        run_step(image, &cmd[0], &cmd[1..], &b.workdir, &b.env).await?;
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
pub(crate) async fn build_recipe(image: &str, recipe: &Path) -> Result<()> {
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
        &[],
    )
    .await
}

/// Pulls `image` (the last resort: there may be no registry).
pub(crate) async fn pull(docker: &Docker, image: &str) -> Result<()> {
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
    use super::{lock_dir_name, open_lock, run_step, split_image};
    use crate::backend::BackendError;

    #[test]
    fn a_planted_link_at_a_lock_is_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let (base, victim) = (tmp.path(), tmp.path().join("victim"));
        // the lock file itself a link: not opened, its target not created
        let dir = base.join(lock_dir_name());
        open_lock(base, "a.lock").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join("b.lock")).unwrap();
        assert!(open_lock(base, "b.lock").is_err());
        assert!(!victim.exists(), "the link's target was created");
        // the locks' folder a link to a folder: refused
        let other = tempfile::tempdir().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(other.path(), &dir).unwrap();
        assert!(open_lock(base, "c.lock").is_err());
        assert!(!other.path().join("c.lock").exists());
        // a folder open to others: refused
        std::fs::remove_file(&dir).unwrap();
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        assert!(open_lock(base, "d.lock").is_err());
    }

    /// The failure's tail of `sh -c script` run as a build step.
    async fn failed_tail(script: &str, allow: &[String]) -> String {
        let dir = std::env::temp_dir();
        let args = ["-c".to_string(), script.to_string()];
        match run_step("img", "sh", &args, &dir, allow).await {
            Err(BackendError::BuildFailed { tail, .. }) => tail,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_build_step_sees_path_home_lang_its_cache_and_its_allowlist_only() {
        std::env::set_var("PHOENIX_TEST_CANARY_B41", "canary-value-b41");
        // the cache location goes through: .ci/run empties it so recipes rebuild from nothing
        std::env::set_var("XDG_CACHE_HOME", "/nonexistent/phoenix-cache-b41");
        let script = "echo \"secret=$PHOENIX_TEST_CANARY_B41 path=${PATH:+set} cache=$XDG_CACHE_HOME\"; exit 3";
        let tail = failed_tail(script, &[]).await;
        assert!(!tail.contains("canary-value-b41"), "{tail}");
        assert!(
            tail.contains("secret= path=set cache=/nonexistent/phoenix-cache-b41"),
            "{tail}"
        );
        let allowed = failed_tail(script, &["PHOENIX_TEST_CANARY_B41".to_string()]).await;
        assert!(allowed.contains("secret=canary-value-b41"), "{allowed}");
    }

    #[tokio::test]
    async fn a_build_steps_output_is_escaped_and_cut() {
        let tail = failed_tail("printf 'a\\033[2Jb\\a\\n'; exit 1", &[]).await;
        assert!(tail.contains("a\\x1b[2Jb\\x07"), "{tail}");
        assert!(!tail.chars().any(|c| c.is_control() && c != '\n'), "{tail:?}");
        // one 4 MB line: kept to its last bytes, not held whole
        let tail = failed_tail("head -c 4000000 /dev/zero | tr '\\0' a; exit 1", &[]).await;
        assert!(tail.len() <= 64 * 1024, "{}", tail.len());
    }

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
