//! Removing a run from the swarm: its services first (so the platform stops replacing
//! tasks), then whatever carries the run's label — task containers, the overlay network,
//! volumes — through the Docker backend's sweep, repeated while swarm still detaches the
//! tasks from the network; then swarm mode is left if this backend entered it.

use super::{bounded, SwarmBackend, CALL_TIMEOUT};
use crate::backend::docker::{remove_labelled, TEARDOWN_DEADLINE};
use crate::backend::{labels, BackendError, Lifecycle, Removed, Result};
use bollard::query_parameters::{ListContainersOptions, ListNetworksOptions, ListServicesOptions, ListVolumesOptions};
use bollard::Docker;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long the sweep is repeated while objects of the run remain.
const SETTLE: Duration = Duration::from_secs(20);

/// Services carrying `label` (`key=value`), by id.
pub async fn labelled_services(docker: &Docker, label: &str) -> Result<Vec<String>> {
    let filters = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let opts = ListServicesOptions {
        filters: Some(filters),
        ..Default::default()
    };
    let list = bounded("list services", label, CALL_TIMEOUT, docker.list_services(Some(opts))).await?;
    Ok(list.into_iter().filter_map(|s| s.id).collect())
}

async fn labelled_containers(docker: &Docker, label: &str) -> Result<usize> {
    let filters = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let cs = ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    let cs = bounded("list containers", label, CALL_TIMEOUT, docker.list_containers(Some(cs))).await?;
    Ok(cs.len())
}

/// Containers, networks and volumes still carrying `label`.
pub async fn labelled_objects(docker: &Docker, label: &str) -> Result<usize> {
    let filters = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let cs = labelled_containers(docker, label).await?;
    let ns = ListNetworksOptions {
        filters: Some(filters.clone()),
    };
    let ns = bounded("list networks", label, CALL_TIMEOUT, docker.list_networks(Some(ns))).await?;
    let vs = ListVolumesOptions { filters: Some(filters) };
    let vs = bounded("list volumes", label, CALL_TIMEOUT, docker.list_volumes(Some(vs))).await?;
    Ok(cs + ns.len() + vs.volumes.map_or(0, |v| v.len()))
}

/// Removes the services carrying `label`, then sweeps its containers, networks and
/// volumes until none is left or [`SETTLE`] has passed. Returns what was removed and how
/// many objects remain.
pub async fn remove_run(docker: &Docker, label: &str) -> Result<(Removed, usize)> {
    // the task containers, counted before swarm removes most of them itself
    let containers = labelled_containers(docker, label).await?;
    let services = labelled_services(docker, label).await.unwrap_or_default();
    for id in &services {
        // 404: someone removed it first
        match tokio::time::timeout(CALL_TIMEOUT, docker.delete_service(id)).await {
            Ok(Ok(())) | Ok(Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })) => {}
            Ok(Err(e)) => {
                return Err(BackendError::Op {
                    op: "remove service",
                    what: id.clone(),
                    reason: e.to_string(),
                })
            }
            Err(_) => {
                return Err(BackendError::Timeout {
                    op: "remove service",
                    what: id.clone(),
                    after: CALL_TIMEOUT,
                })
            }
        }
    }
    let mut removed = Removed::default();
    let start = Instant::now();
    loop {
        let r = remove_labelled(docker, label).await;
        removed.containers += r.containers;
        removed.networks += r.networks;
        removed.volumes += r.volumes;
        let left = labelled_objects(docker, label).await?;
        if left == 0 {
            removed.containers = removed.containers.max(containers);
            return Ok((removed, left));
        }
        if start.elapsed() > SETTLE {
            return Ok((removed, left));
        }
        // swarm removes a deleted service's tasks and detaches them in the background
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

impl SwarmBackend {
    pub(super) async fn teardown_all(&self) -> Result<Removed> {
        let label = format!("{}={}", labels::RUN, self.run_id);
        let work = async {
            {
                let mut state = self.state.lock().await;
                state.slots.clear();
                state.network = None;
                state.deployment = None;
            }
            // the services first, so the platform stops replacing tasks
            let swept = remove_run(&self.docker, &label).await;
            // stops the event watcher; its own sweep by label finds nothing left
            let _ = self.containers.teardown().await;
            let left = self.leave_if_ours().await;
            let (removed, remaining) = swept?;
            left?;
            if remaining > 0 {
                return Err(BackendError::Op {
                    op: "tear down",
                    what: format!("run {}", self.run_id),
                    reason: format!("{remaining} object(s) with its label remain"),
                });
            }
            Ok(removed)
        };
        match tokio::time::timeout(TEARDOWN_DEADLINE, work).await {
            Ok(r) => r,
            Err(_) => Err(BackendError::Timeout {
                op: "tear down",
                what: format!("run {} (run `phoenix clean` once this process has exited)", self.run_id),
                after: TEARDOWN_DEADLINE,
            }),
        }
    }
}
