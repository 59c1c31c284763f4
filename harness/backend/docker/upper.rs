//! The writable layer read from the engine's own storage, when the engine runs on this
//! machine, keeps each container's changes in a directory of their own (overlay2,
//! fuse-overlayfs: `GraphDriver.Data.UpperDir`) and this process may read it (root): a walk
//! of that directory, milliseconds. `docker diff` gives the same list but, where the kernel's
//! overlay cannot say what changed (fuse-overlayfs, overlay2 without native diff), compares
//! the container's whole root filesystem with its image: 2.1–2.4 s per read of a 228 MB PHP
//! image here, engine CPU spent while the load runs. Anything else falls back to it
//! (`audit.rs`); `tests/docker/layer_reads.rs` checks the two lists agree.

use crate::backend::MAX_FS_FILES;
use crate::record::FsFile;
use bollard::query_parameters::InspectContainerOptions;
use bollard::Docker;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Storage drivers whose `UpperDir` holds exactly the container's changes.
const DRIVERS: [&str; 2] = ["overlay2", "fuse-overlayfs"];

/// The container's changed files (leaves, directories left out, deletions left out) and
/// whether the list was cut at [`MAX_FS_FILES`]; None when the fast path does not apply.
pub(super) async fn read(docker: &Docker, id: &str) -> Option<(Vec<FsFile>, bool)> {
    let dir = upper_dir(docker, id).await?;
    tokio::task::spawn_blocking(move || walk(&dir)).await.ok()?
}

/// The container's upper directory, if its engine is this machine's and it is readable.
async fn upper_dir(docker: &Docker, id: &str) -> Option<PathBuf> {
    // a remote engine's paths are not this machine's
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    if !(host.is_empty() || host.starts_with("unix://")) {
        return None;
    }
    let c = docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .ok()?;
    let driver = c.graph_driver?;
    if !DRIVERS.contains(&driver.name.as_str()) {
        return None;
    }
    let dir = PathBuf::from(driver.data.get("UpperDir")?);
    std::fs::read_dir(&dir).ok()?;
    Some(dir)
}

/// Walks `root` without following links, in name order: everything but directories is a
/// change; whiteouts (a 0:0 character device, or a `.wh.` name) are deletions. A path the
/// app removed while it was walked is skipped; any other error gives the read up (None).
fn walk(root: &Path) -> Option<(Vec<FsFile>, bool)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) => continue,
            Err(_) => return None,
        };
        let kind = entry.file_type();
        let whiteout = (kind.is_char_device() && is_zero_device(entry.path()))
            || entry.file_name().to_string_lossy().starts_with(".wh.");
        if kind.is_dir() || whiteout {
            continue;
        }
        if files.len() == MAX_FS_FILES {
            return Some((sorted(files), true));
        }
        let rel = entry.path().strip_prefix(root).ok()?;
        // a link's size is its target's length, as the archive stat call gives it
        let bytes = (kind.is_file() || kind.is_symlink())
            .then(|| entry.metadata().ok().map(|m| m.len()))
            .flatten();
        files.push(FsFile {
            path: format!("/{}", rel.to_string_lossy()),
            bytes,
        });
    }
    Some((sorted(files), false))
}

fn is_zero_device(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.rdev() == 0)
}

fn sorted(mut files: Vec<FsFile>) -> Vec<FsFile> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

#[cfg(test)]
mod tests {
    use super::walk;

    #[test]
    fn files_and_links_are_changes_directories_and_whiteouts_are_not() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        std::fs::create_dir_all(p.join("var/lib/app/uploads")).unwrap();
        std::fs::write(p.join("var/lib/app/uploads/a"), b"12345").unwrap();
        std::fs::write(p.join("tmp.marker"), b"").unwrap();
        std::os::unix::fs::symlink("/nowhere", p.join("link")).unwrap();
        std::fs::write(p.join(".wh.deleted"), b"").unwrap();
        std::fs::create_dir(p.join("empty")).unwrap();
        let (files, truncated) = walk(p).unwrap();
        let got: Vec<(&str, Option<u64>)> = files.iter().map(|f| (f.path.as_str(), f.bytes)).collect();
        assert_eq!(
            got,
            [
                ("/link", Some(8)),
                ("/tmp.marker", Some(0)),
                ("/var/lib/app/uploads/a", Some(5))
            ]
        );
        assert!(!truncated);
    }
}
