//! Memory of the replicas from the engine's container stats, one-shot (`stream=false`,
//! `one-shot=true`, API 1.41): one answer per call, without the engine's second CPU cycle.
//! The figure is the cgroup's anonymous resident memory (`total_rss` on cgroup v1, `anon`
//! on v2): the heap and stacks of the app, not the page cache, so files it writes to disk
//! do not count as memory it keeps.

use super::DockerBackend;
use crate::backend::{MemoryReading, Result};
use bollard::query_parameters::StatsOptionsBuilder;
use futures::StreamExt;
use std::time::Duration;

/// Bound for one stats call: a replica that does not answer in time is left out of the
/// sample rather than delaying the others.
const STATS_TIMEOUT: Duration = Duration::from_secs(2);

impl DockerBackend {
    pub(super) async fn read_memory(&self) -> Result<Vec<MemoryReading>> {
        // the ids first: the state lock is not held across engine calls (faults need it)
        let ids: Vec<(String, String)> = {
            let state = self.state.lock().await;
            state
                .replicas
                .iter()
                .filter_map(|(name, r)| r.container.as_ref().map(|c| (name.clone(), c.id().to_string())))
                .collect()
        };
        // every replica at once: a stats call can take a second on a busy engine, and one
        // round of samples should cost the slowest call, not their sum
        let reads = ids.into_iter().map(|(replica, id)| async move {
            let options = StatsOptionsBuilder::new().stream(false).one_shot(true).build();
            let mut stream = self.docker.stats(&id, Some(options));
            let Ok(Some(Ok(stats))) = tokio::time::timeout(STATS_TIMEOUT, stream.next()).await else {
                return None;
            };
            let unix_us = crate::backend::unix_now_us();
            let bytes = stats.memory_stats.as_ref().and_then(anonymous)?;
            Some(MemoryReading {
                replica,
                instance: id,
                unix_us,
                bytes,
            })
        });
        let out: Vec<MemoryReading> = futures::future::join_all(reads).await.into_iter().flatten().collect();
        Ok(out)
    }
}

/// Anonymous memory from a stats answer; None for a container that is not running (the
/// engine then reports no usage).
fn anonymous(m: &bollard::models::ContainerMemoryStats) -> Option<u64> {
    m.usage?;
    let stats = m.stats.as_ref()?;
    ["total_rss", "anon", "rss"].iter().find_map(|k| stats.get(*k).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_memory_comes_from_v1_or_v2_fields_and_a_stopped_container_has_none() {
        let mut m = bollard::models::ContainerMemoryStats {
            usage: Some(10),
            stats: Some([("total_rss".to_string(), 7), ("cache".to_string(), 3)].into()),
            ..Default::default()
        };
        assert_eq!(anonymous(&m), Some(7));
        m.stats = Some([("anon".to_string(), 5), ("file".to_string(), 5)].into());
        assert_eq!(anonymous(&m), Some(5));
        m.usage = None;
        assert_eq!(anonymous(&m), None);
    }
}
