//! Faults on a service (a dependency of the app: its store, its cache) and what brings it
//! back: the same container started again, a fresh one from the image with only its named
//! volumes, unpaused, or connected again under its name. Each returns once the service is
//! ready again: its ready line printed after the action, by the engine's clock.

use super::events::parse_rfc3339_us;
use super::{bounded, Container, DockerBackend, State, CALL_TIMEOUT};
use crate::backend::{BackendError, RebuiltService, Result, ServiceAction, ServiceFault, ServiceSpec};
use crate::clock::unix_now_us;
use bollard::models::{EndpointSettings, NetworkConnectRequest, NetworkDisconnectRequest};
use bollard::query_parameters::{KillContainerOptions, LogsOptions, StartContainerOptions, StopContainerOptions};
use futures::StreamExt;
use std::time::Duration;

/// Longest wait for a restarted service's ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

impl DockerBackend {
    /// The service's current container, and its spec.
    fn service(state: &State, service: &str) -> Result<(String, ServiceSpec)> {
        let unknown = || BackendError::Op {
            op: "find the service",
            what: service.into(),
            reason: "the deployment has no service of that name".into(),
        };
        let spec = state
            .deployment
            .as_ref()
            .and_then(|d| d.services.iter().find(|s| s.name == service))
            .cloned()
            .ok_or_else(unknown)?;
        let id = state
            .services
            .iter()
            .find(|(n, _)| n == service)
            .map(|(_, c)| c.id().to_string())
            .ok_or_else(unknown)?;
        Ok((id, spec))
    }

    pub(super) async fn fault_a_service(&self, service: &str, fault: ServiceFault) -> Result<()> {
        let state = self.state.lock().await;
        let (id, _) = Self::service(&state, service)?;
        let d = &self.docker;
        match fault {
            ServiceFault::Kill => {
                let opts = KillContainerOptions {
                    signal: "SIGKILL".into(),
                };
                bounded("kill", service, CALL_TIMEOUT, d.kill_container(&id, Some(opts))).await
            }
            ServiceFault::Stop { grace } => {
                // no `signal` field: API 1.41 rejects it
                let opts = StopContainerOptions {
                    t: Some(grace.as_secs_f64().ceil() as i32),
                    signal: None,
                };
                let call = d.stop_container(&id, Some(opts));
                bounded("stop", service, grace + CALL_TIMEOUT, call).await
            }
            ServiceFault::Pause => bounded("pause", service, CALL_TIMEOUT, d.pause_container(&id)).await,
            ServiceFault::Toxic(t) => self.add_toxic(&state, service, &t).await,
            ServiceFault::Disconnect => {
                let net = state.network.clone().unwrap_or_default();
                let req = NetworkDisconnectRequest {
                    container: id,
                    force: Some(true),
                };
                bounded("disconnect", service, CALL_TIMEOUT, d.disconnect_network(&net, req)).await
            }
        }
    }

    pub(super) async fn recover_a_service(&self, service: &str, action: ServiceAction) -> Result<RebuiltService> {
        let mut state = self.state.lock().await;
        let (id, spec) = Self::service(&state, service)?;
        let ready_unix_us = match action {
            ServiceAction::Restart => self.restart_service(&id, &spec).await?,
            ServiceAction::Replace => self.replace_service(&mut state, &spec).await?,
            ServiceAction::Unpause => {
                bounded("unpause", service, CALL_TIMEOUT, self.docker.unpause_container(&id)).await?;
                unix_now_us()
            }
            ServiceAction::Reconnect => {
                let net = state.network.clone().unwrap_or_default();
                self.connect_service(&net, &id, &super::proxy::upstream_alias(&spec))
                    .await?;
                unix_now_us()
            }
            // the link is whole again the moment the toxic is gone
            ServiceAction::Heal => {
                self.heal(&state, service).await?;
                unix_now_us()
            }
        };
        let volumes: Vec<String> = spec.volumes.iter().map(|v| v.name.clone()).collect();
        Ok(RebuiltService {
            name: service.into(),
            ready_unix_us,
            // a restart keeps the container's own filesystem; a replacement only the volumes
            volumes_kept: !volumes.is_empty(),
            volumes,
        })
    }

    /// The same container started again; ready when it prints its ready line again.
    async fn restart_service(&self, id: &str, spec: &ServiceSpec) -> Result<i64> {
        let since_us = unix_now_us();
        let start = self.docker.start_container(id, None::<StartContainerOptions>);
        bounded("restart", &spec.name, CALL_TIMEOUT, start).await?;
        match &spec.ready_log {
            Some(line) => self.ready_line_after(id, &spec.name, line, since_us).await,
            None => Ok(unix_now_us()),
        }
    }

    /// A fresh container from the image, on the network under the service's name; the dead
    /// one is removed off the recovery's path. Ready when `start_service` has seen its line.
    async fn replace_service(&self, state: &mut State, spec: &ServiceSpec) -> Result<i64> {
        let at = state.services.iter().position(|(n, _)| *n == spec.name);
        let old: Option<Container> = at.map(|i| state.services.remove(i).1);
        let fresh = self.start_service(state, spec).await;
        if let Some(old) = old {
            self.retire(state, None, old);
        }
        state.services.push((spec.name.clone(), fresh?));
        Ok(unix_now_us())
    }

    async fn connect_service(&self, net: &str, id: &str, alias: &str) -> Result<()> {
        let req = NetworkConnectRequest {
            container: id.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: Some(vec![alias.to_string()]),
                ..Default::default()
            }),
        };
        bounded("reconnect", alias, CALL_TIMEOUT, self.docker.connect_network(net, req)).await
    }

    /// The engine's timestamp of the first output line holding `line` at or after
    /// `since_us` (the earlier run of the same container printed it too).
    async fn ready_line_after(&self, id: &str, service: &str, line: &str, since_us: i64) -> Result<i64> {
        let options = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            timestamps: true,
            // whole seconds: the lines of that second before the restart are skipped below
            since: (since_us / 1_000_000) as i32,
            ..Default::default()
        };
        let mut stream = self.docker.logs(id, Some(options));
        let find = async {
            while let Some(Ok(chunk)) = stream.next().await {
                for text in String::from_utf8_lossy(&chunk.into_bytes()).lines() {
                    let Some((ts, rest)) = text.split_once(' ') else {
                        continue;
                    };
                    match parse_rfc3339_us(ts) {
                        Some(us) if us >= since_us && rest.contains(line) => return Some(us),
                        _ => {}
                    }
                }
            }
            None
        };
        match tokio::time::timeout(READY_TIMEOUT, find).await {
            Ok(Some(us)) => Ok(us),
            Ok(None) => Err(BackendError::Op {
                op: "wait for the ready line of",
                what: service.into(),
                reason: format!("its output ended without {line:?}"),
            }),
            Err(_) => Err(BackendError::Timeout {
                op: "wait for the ready line of",
                what: service.into(),
                after: READY_TIMEOUT,
            }),
        }
    }
}
