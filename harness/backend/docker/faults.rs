//! Faults on a replica (kill, stop, pause, disconnect, scale down) and the orchestrator's
//! answers (restart in place, replace with a fresh container, unpause, reconnect, scale up).

use super::{bounded, DockerBackend, CALL_TIMEOUT};
use crate::backend::{BackendError, Result};
use bollard::models::{NetworkConnectRequest, NetworkDisconnectRequest};
use bollard::query_parameters::{KillContainerOptions, RenameContainerOptions, StopContainerOptions};
use std::time::Duration;

impl DockerBackend {
    pub(super) async fn kill_replica(&self, replica: &str) -> Result<()> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        let opts = KillContainerOptions {
            signal: "SIGKILL".into(),
        };
        bounded(
            "kill",
            replica,
            CALL_TIMEOUT,
            self.docker.kill_container(&id, Some(opts)),
        )
        .await
    }

    pub(super) async fn stop_replica(&self, replica: &str, grace: Duration) -> Result<()> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        let secs = grace.as_secs_f64().ceil() as i32;
        // no `signal` field: API 1.41 rejects it; the image's stop signal (SIGTERM) is used
        let opts = StopContainerOptions {
            t: Some(secs),
            signal: None,
        };
        bounded(
            "stop",
            replica,
            grace + CALL_TIMEOUT,
            self.docker.stop_container(&id, Some(opts)),
        )
        .await
    }

    pub(super) async fn restart_replica(&self, replica: &str) -> Result<()> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        bounded(
            "restart",
            replica,
            CALL_TIMEOUT,
            self.docker
                .start_container(&id, None::<bollard::query_parameters::StartContainerOptions>),
        )
        .await
    }

    pub(super) async fn replace_replica(&self, replica: &str) -> Result<()> {
        let mut state = self.state.lock().await;
        let d = state
            .deployment
            .clone()
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        let (port, old) = {
            let r = state
                .replicas
                .get_mut(replica)
                .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
            (r.port, r.container.take())
        };
        // the fresh container comes first: the old one (dead, its port free) only gives up
        // its name, and its logs and `docker diff` are read after, off the recovery's path
        if let Some(id) = old.as_ref().map(|c| c.id().to_string()) {
            let retired = format!("{}-replaced-{}", self.container_name(replica), &id[..id.len().min(12)]);
            let rename = self
                .docker
                .rename_container(&id, RenameContainerOptions { name: retired });
            if let Err(e) = bounded("rename", replica, CALL_TIMEOUT, rename).await {
                // not replaced: the old container stays the replica's
                if let Some(r) = state.replicas.get_mut(replica) {
                    r.container = old;
                }
                return Err(e);
            }
        }
        let started = self.start_replica(&mut state, &d, replica, port).await;
        let started = started.map(|c| {
            if let Some(r) = state.replicas.get_mut(replica) {
                r.container = Some(c);
            }
        });
        // the fresh container is the replica's now: the old one is read and removed on a
        // task of its own, so the next fault does not wait for the audit's reads
        if let Some(old) = old {
            self.retire(&mut state, Some(replica), old);
        }
        started
    }

    pub(super) async fn pause_replica(&self, replica: &str) -> Result<()> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        bounded("pause", replica, CALL_TIMEOUT, self.docker.pause_container(&id)).await
    }

    pub(super) async fn unpause_replica(&self, replica: &str) -> Result<()> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        bounded("unpause", replica, CALL_TIMEOUT, self.docker.unpause_container(&id)).await
    }

    pub(super) async fn disconnect_replica(&self, replica: &str) -> Result<()> {
        let state = self.state.lock().await;
        let id = Self::replica_id(&state, replica)?;
        let net = state.network.clone().unwrap_or_default();
        let req = NetworkDisconnectRequest {
            container: id,
            force: Some(true),
        };
        bounded(
            "disconnect",
            replica,
            CALL_TIMEOUT,
            self.docker.disconnect_network(&net, req),
        )
        .await
    }

    pub(super) async fn reconnect_replica(&self, replica: &str) -> Result<()> {
        let state = self.state.lock().await;
        let id = Self::replica_id(&state, replica)?;
        let net = state.network.clone().unwrap_or_default();
        let req = NetworkConnectRequest {
            container: id,
            endpoint_config: None,
        };
        bounded(
            "reconnect",
            replica,
            CALL_TIMEOUT,
            self.docker.connect_network(&net, req),
        )
        .await
    }

    pub(super) async fn remove_replica(&self, replica: &str, grace: Duration) -> Result<()> {
        let mut state = self.state.lock().await;
        let old = state
            .replicas
            .get_mut(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?
            .container
            .take();
        let Some(old) = old else { return Ok(()) };
        // the replica is out of the state: stopping and reading the old one need no lock,
        // and memory samples and other faults must not wait on them
        drop(state);
        if !grace.is_zero() {
            let opts = StopContainerOptions {
                t: Some(grace.as_secs_f64().ceil() as i32),
                signal: None,
            };
            let _ = bounded(
                "stop",
                replica,
                grace + CALL_TIMEOUT,
                self.docker.stop_container(old.id(), Some(opts)),
            )
            .await;
        }
        self.retire(&mut *self.state.lock().await, Some(replica), old);
        Ok(())
    }

    pub(super) async fn add_replica(&self, replica: &str) -> Result<()> {
        let mut state = self.state.lock().await;
        let d = state
            .deployment
            .clone()
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        let port = state
            .replicas
            .get(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?
            .port;
        let c = self.start_replica(&mut state, &d, replica, port).await?;
        if let Some(r) = state.replicas.get_mut(replica) {
            r.container = Some(c);
        }
        Ok(())
    }
}
