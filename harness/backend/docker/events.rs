//! What the engine tells about the run's containers: the lifecycle event stream, each
//! container's output lines with their timestamps, and the files it wrote (`audit.rs`).

use super::DockerBackend;
use crate::backend::{labels, RawLifecycle, RawLog, Result};
use crate::record::{FsReadWhen, LifecycleKind};
use bollard::query_parameters::{EventsOptions, LogsOptions};
use bollard::Docker;
use futures::StreamExt;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// Lines of output kept per container.
const LOG_TAIL: &str = "500";

impl DockerBackend {
    pub(super) fn watch_events(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let filters = HashMap::from([
            ("label".to_string(), vec![format!("{}={}", labels::RUN, self.run_id)]),
            ("type".to_string(), vec!["container".to_string()]),
        ]);
        let options = EventsOptions {
            filters: Some(filters),
            ..Default::default()
        };
        let docker = self.docker.clone();
        let handle = tokio::spawn(async move {
            let mut stream = docker.events(Some(options));
            while let Some(Ok(ev)) = stream.next().await {
                let kind = match ev.action.as_deref() {
                    Some("create") => LifecycleKind::Created,
                    Some("start") => LifecycleKind::Started,
                    Some("die") => LifecycleKind::Exited,
                    Some("destroy") => LifecycleKind::Removed,
                    _ => continue,
                };
                let actor = ev.actor.unwrap_or_default();
                let attrs = actor.attributes.unwrap_or_default();
                let raw = RawLifecycle {
                    unix_us: ev.time_nano.unwrap_or(0) / 1000,
                    replica: attrs.get(labels::MEMBER).cloned().unwrap_or_default(),
                    instance: actor.id.unwrap_or_default(),
                    kind,
                };
                if tx.send(raw).is_err() {
                    break;
                }
            }
        });
        if let Some(old) = self.watcher.lock().expect("watcher lock").replace(handle) {
            old.abort();
        }
        Ok(rx)
    }

    pub(super) async fn all_logs(&self) -> Vec<RawLog> {
        // each retirement is bounded (two 5 s reads, a 15 s removal); this bound only
        // keeps a stuck task from holding the trial
        self.settle_retiring(Duration::from_secs(30)).await;
        let (mut out, live) = {
            let mut state = self.state.lock().await;
            let live: Vec<(String, String)> = state
                .replicas
                .iter()
                .filter_map(|(name, r)| Some((name.clone(), r.container.as_ref()?.id().to_string())))
                .collect();
            // the trial's own: a backend serves every trial of a run
            (std::mem::take(&mut state.logs), live)
        };
        // the replicas' reads (each up to its 5 s budget) at once, without the state's lock
        let reads = live.iter().map(|(name, id)| self.fetch_logs(name, id, FsReadWhen::End));
        out.extend(futures::future::join_all(reads).await);
        out
    }

    /// The container's last output lines and, read now, the files it wrote (`when` says
    /// why it is read: replaced, or the end of the trial).
    pub(crate) async fn fetch_logs(&self, replica: &str, id: &str, when: FsReadWhen) -> RawLog {
        fetch_logs(&self.docker, self.audit_on(), replica, id, when).await
    }

    /// The container's last output lines, each with its timestamp (µs since the epoch).
    pub(crate) async fn fetch_lines(&self, id: &str) -> Vec<(i64, String)> {
        fetch_lines(&self.docker, id).await
    }
}

/// [`DockerBackend::fetch_logs`] without the backend, for a task of its own (`retire.rs`);
/// `audit` says whether the files are read.
pub(super) async fn fetch_logs(docker: &Docker, audit: bool, replica: &str, id: &str, when: FsReadWhen) -> RawLog {
    let lines = fetch_lines(docker, id).await;
    let reads: Vec<_> = if audit {
        super::audit::read_fs(docker, id, when).await.into_iter().collect()
    } else {
        Vec::new()
    };
    RawLog {
        replica: replica.into(),
        instance: id.into(),
        lines,
        writes: reads
            .iter()
            .flat_map(|r| r.files.iter().map(|f| f.path.clone()))
            .collect(),
        reads,
    }
}

/// The container's last output lines, each with its timestamp (µs since the epoch).
async fn fetch_lines(docker: &Docker, id: &str) -> Vec<(i64, String)> {
    let options = LogsOptions {
        stdout: true,
        stderr: true,
        timestamps: true,
        tail: LOG_TAIL.into(),
        ..Default::default()
    };
    let mut stream = docker.logs(id, Some(options));
    let mut lines = Vec::new();
    let read = async {
        while let Some(Ok(chunk)) = stream.next().await {
            for line in String::from_utf8_lossy(&chunk.into_bytes()).lines() {
                if let Some((ts, text)) = line.split_once(' ') {
                    if let Some(us) = parse_rfc3339_us(ts) {
                        lines.push((us, text.to_string()));
                    }
                }
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), read).await;
    lines
}

pub(super) fn parse_rfc3339_us(ts: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1000) as i64)
}
