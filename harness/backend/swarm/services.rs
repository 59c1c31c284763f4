//! The scenario's dependencies (`[[service]]`) on swarm: each a service of one task on the
//! run's overlay network, where the app's tasks reach it by its name, started and ready
//! (its task running and, when it says one, its ready line printed) before any replica.

use super::spec;
use super::{bounded, SwarmBackend, CALL_TIMEOUT};
use crate::backend::{BackendError, Deployment, Result};
use bollard::query_parameters::LogsOptions;
use futures::StreamExt;
use std::time::Duration;

/// Bound for a dependency to print its ready line once its task runs (the Docker backend
/// allows as long).
const READY_WITHIN: Duration = Duration::from_secs(35);
/// Most bytes of an unfinished output line kept while looking for the ready line.
const KEEP: usize = 64 * 1024;

impl SwarmBackend {
    /// Creates every dependency of `d` on `net`, then waits for each to be ready.
    pub(super) async fn start_dependencies(&self, d: &Deployment, net: &str) -> Result<()> {
        let mut created = Vec::new();
        for s in &d.services {
            let service = self.object_name(&s.name);
            let mounts: Vec<(String, String)> = s
                .volumes
                .iter()
                .map(|v| (self.object_name(&v.name), v.path.clone()))
                .collect();
            let create = self
                .docker
                .create_service(spec::dependency(&self.run_id, s, &service, net, &mounts), None);
            bounded("create service", &s.name, CALL_TIMEOUT, create).await?;
            created.push((s, service));
        }
        for (s, service) in created {
            let (id, _) = self.wait_running(&service, &[]).await?;
            if s.ready_log.is_some() {
                self.wait_ready_line(&s.name, &id, s.ready_log.as_deref().unwrap_or_default())
                    .await?;
            }
        }
        Ok(())
    }

    /// Follows the container's output (stdout and stderr, from its start) until a line
    /// holds `line`. The line is never echoed: it comes from the scenario file.
    async fn wait_ready_line(&self, name: &str, container: &str, line: &str) -> Result<()> {
        let opts = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            ..Default::default()
        };
        let mut stream = self.docker.logs(container, Some(opts));
        // output arrives in chunks that may split a line: keep the unfinished tail
        let mut pending = String::new();
        let found = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| e.to_string())?;
                pending.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
                if pending.contains(line) {
                    return Ok(true);
                }
                // keep only the unfinished line, and of a runaway line only its tail
                if let Some(cut) = pending.rfind('\n') {
                    pending.drain(..=cut);
                }
                if pending.len() > KEEP + line.len() {
                    let mut cut = pending.len() - line.len();
                    while !pending.is_char_boundary(cut) {
                        cut += 1;
                    }
                    pending.drain(..cut);
                }
            }
            Ok::<bool, String>(false)
        };
        match tokio::time::timeout(READY_WITHIN, found).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(BackendError::Op {
                op: "wait for the ready line of",
                what: name.into(),
                reason: "its task ended before printing its ready_log line".into(),
            }),
            Ok(Err(reason)) => Err(BackendError::Op {
                op: "read the output of",
                what: name.into(),
                reason,
            }),
            Err(_) => Err(BackendError::Timeout {
                op: "wait for the ready_log line of",
                what: name.into(),
                after: READY_WITHIN,
            }),
        }
    }
}
