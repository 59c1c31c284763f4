//! The host: debootstrap for recipes, free disk, chromium for the browser test.

use super::{Report, Status};
use std::path::{Path, PathBuf};

/// Less free disk than this, in the Docker root or the working folder, is a problem.
pub const MIN_FREE_BYTES: u64 = 5 << 30;

/// A program on the PATH (and in the sbin folders, where Debian puts debootstrap).
pub(super) fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| name.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub(super) fn check_debootstrap(r: &mut Report, needed: bool) {
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

pub(super) fn check_disk(r: &mut Report, label: &str, dir: &Path) {
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

pub(super) fn check_chromium(r: &mut Report) {
    let version = std::process::Command::new("chromium").arg("--version").output();
    let detail = match version {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => "not installed: only tests/docker/browser.rs needs it (`sudo .ci/setup` installs it)".into(),
    };
    r.line(Status::Info, "chromium", &detail, None);
}
