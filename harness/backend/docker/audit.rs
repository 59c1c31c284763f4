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
/// with their sizes. None when the engine did not answer in time.
pub(super) async fn read_fs(docker: &Docker, id: &str, when: FsReadWhen) -> Option<RawFsRead> {
    let unix_us = crate::backend::unix_now_us();
    let work = async {
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
        Some(RawFsRead {
            unix_us,
            when,
            files,
            truncated,
        })
    };
    tokio::time::timeout(READ_BUDGET, work).await.ok().flatten()
}
