//! What the process backend lets the audit and the report read: each instance's output
//! and the files it wrote in its own working folder, and the replicas' anonymous memory.

use super::ProcessBackend;
use crate::backend::{BackendError, Inspect, RawFsRead, RawLog, Result};
use crate::record::FsReadWhen;
use async_trait::async_trait;

#[async_trait]
impl Inspect for ProcessBackend {
    async fn logs(&self) -> Vec<RawLog> {
        let state = self.state();
        // a retired instance's folder is kept, unchanged since it died, until the teardown
        let retired = state.retired.iter().map(|i| (i, FsReadWhen::Replaced));
        let current = state
            .replicas
            .values()
            .filter_map(|r| r.current.as_ref())
            .map(|i| (i, FsReadWhen::End));
        retired
            .chain(current)
            .map(|(i, when)| RawLog {
                replica: i.replica.clone(),
                instance: i.id.clone(),
                lines: i.lines(),
                writes: i.writes(),
                reads: vec![i.fs_read(when)],
            })
            .collect()
    }

    async fn read_changes(&self, replica: &str, when: FsReadWhen) -> Result<Option<(String, RawFsRead)>> {
        let state = self.state();
        let i = state
            .replicas
            .get(replica)
            .and_then(|r| r.current.as_ref())
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        Ok(Some((i.id.clone(), i.fs_read(when))))
    }

    async fn memory(&self) -> Result<Vec<crate::backend::MemoryReading>> {
        let state = self.state();
        let current = state.replicas.values().filter_map(|r| r.current.as_ref());
        Ok(current
            .filter_map(|i| {
                Some(crate::backend::MemoryReading {
                    replica: i.replica.clone(),
                    instance: i.id.clone(),
                    unix_us: crate::backend::unix_now_us(),
                    bytes: i.proc.as_ref()?.rss_anon()?,
                })
            })
            .collect())
    }
}
