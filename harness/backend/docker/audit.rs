//! The writable-layer read of the statelessness audit: the container's changes (`docker
//! diff`) with each file's size from the archive stat call (`HEAD /containers/{id}/archive`,
//! API 1.41), which also says which leaves are directories. Bounded: at most
//! [`MAX_FS_FILES`] paths kept and [`MAX_FS_STATS`] stat calls, 8 at a time, within
//! [`READ_BUDGET`].

use super::DockerBackend;
use crate::backend::{RawFsRead, MAX_FS_FILES, MAX_FS_STATS};
use crate::record::{FsFile, FsReadWhen};
use bollard::query_parameters::ContainerArchiveInfoOptions;
use bollard::Docker;
use futures::{stream, StreamExt};
use std::time::Duration;

/// Bound for one whole read (the diff and every stat call).
const READ_BUDGET: Duration = Duration::from_secs(5);
/// Go's `os.ModeDir`, as the stat call reports the mode.
const GO_MODE_DIR: u32 = 1 << 31;

impl DockerBackend {
    /// Whether the deployment asked for the audit's filesystem reads.
    pub(super) fn audit_on(&self) -> bool {
        self.audit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Reads the files container `id` added or changed, when the audit is on.
    pub(crate) async fn read_fs(&self, id: &str, when: FsReadWhen) -> Option<RawFsRead> {
        if !self.audit_on() {
            return None;
        }
        read_fs(&self.docker, id, when).await
    }
}

/// Reads the files container `id` added or changed (leaves only, directories left out),
/// with their sizes: from the engine's storage where it can (`upper.rs`), else through the
/// API. None when the engine did not answer in time.
pub(super) async fn read_fs(docker: &Docker, id: &str, when: FsReadWhen) -> Option<RawFsRead> {
    let unix_us = crate::backend::unix_now_us();
    let read = async {
        let (files, truncated) = match super::upper::read(docker, id).await {
            Some(fast) => fast,
            None => diff(docker, id).await?,
        };
        Some(RawFsRead {
            unix_us,
            when,
            files,
            truncated,
        })
    };
    tokio::time::timeout(READ_BUDGET, read).await.ok().flatten()
}

/// The container's changed files as the engine's API gives them (`docker diff`, then a
/// stat call per file for its size), and whether the list was cut.
async fn diff(docker: &Docker, id: &str) -> Option<(Vec<FsFile>, bool)> {
    let changes = docker.container_changes(id).await.ok()?.unwrap_or_default();
    // added (1) or modified (0); a deleted image file (2) is no state of the app
    let mut paths: Vec<String> = changes
        .into_iter()
        .filter(|c| c.kind != bollard::models::ChangeType::_2)
        .map(|c| c.path)
        .collect();
    paths.sort();
    // a path that is the parent of the next one is a directory
    let leaves: Vec<String> = paths
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            paths
                .get(i + 1)
                .is_none_or(|q| !(q.starts_with(p.as_str()) && q.as_bytes().get(p.len()) == Some(&b'/')))
        })
        .map(|(_, p)| p.clone())
        .collect();
    let truncated = leaves.len() > MAX_FS_FILES;
    let stats = stream::iter(leaves.into_iter().take(MAX_FS_FILES).enumerate())
        .map(|(i, path)| async move {
            if i >= MAX_FS_STATS {
                return Some(FsFile { path, bytes: None });
            }
            let opts = ContainerArchiveInfoOptions { path: path.clone() };
            match docker.get_container_archive_info(id, Some(opts)).await {
                Ok(s) if s.file_mode & GO_MODE_DIR != 0 => None,
                Ok(s) => Some(FsFile {
                    path,
                    bytes: u64::try_from(s.size).ok(),
                }),
                Err(_) => Some(FsFile { path, bytes: None }),
            }
        })
        .buffered(8);
    let files: Vec<FsFile> = stats.filter_map(|f| async { f }).collect().await;
    Some((files, truncated))
}

/// A container's changed files (path, bytes) read the fast way (`upper.rs`; None where it
/// does not apply) or through the API: the test that the two agree calls both.
#[doc(hidden)]
pub async fn changed_files(docker: &Docker, id: &str, fast: bool) -> Option<Vec<(String, Option<u64>)>> {
    let (files, _) = match fast {
        true => super::upper::read(docker, id).await?,
        false => diff(docker, id).await?,
    };
    Some(files.into_iter().map(|f| (f.path, f.bytes)).collect())
}
