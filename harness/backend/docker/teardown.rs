//! Removing what a run created: the one container-removal routine (used by retirement,
//! teardown and the sweep by label), the teardown of a trial, and
//! [`remove_labelled`] for `phoenix clean` and the signal handler. "Already gone" is decided
//! in one place, from the engine's status code.

use super::{Container, DockerBackend, REMOVE_TIMEOUT};
use crate::backend::{labels, BackendError, Removed, Result};
use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, ListVolumesOptions, RemoveContainerOptions, RemoveVolumeOptions,
};
use bollard::Docker;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use testcontainers::core::error::{ClientError, TestcontainersError};

/// Bound for a whole teardown, whatever the engine does.
pub const TEARDOWN_DEADLINE: Duration = Duration::from_secs(45);

/// A container to remove: one this backend started (its testcontainers handle), or one
/// found by label (its id).
pub(super) enum Target {
    Handle(Box<Container>),
    Id(String),
}

/// How one removal ended.
enum Removal {
    Done,
    /// The object no longer exists: someone removed it first.
    Gone,
    Failed(BackendError),
}

/// What removing a batch of containers came to.
#[derive(Default)]
pub(super) struct Tally {
    pub removed: usize,
    pub(crate) first_error: Option<BackendError>,
}

impl Tally {
    fn add(&mut self, r: Removal) {
        match r {
            Removal::Done => self.removed += 1,
            Removal::Gone => {}
            Removal::Failed(e) => {
                self.first_error.get_or_insert(e);
            }
        }
    }
}

/// Whether the engine answered "no such object" (404).
fn is_gone(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }
    )
}

/// Runs one removal call within [`REMOVE_TIMEOUT`], telling "already gone" apart by status
/// code.
async fn remove_one<T, E: std::fmt::Display>(
    op: &'static str,
    what: &str,
    gone: impl Fn(&E) -> bool,
    fut: impl Future<Output = std::result::Result<T, E>>,
) -> Removal {
    match tokio::time::timeout(REMOVE_TIMEOUT, fut).await {
        Ok(Ok(_)) => Removal::Done,
        Ok(Err(e)) if gone(&e) => Removal::Gone,
        Ok(Err(e)) => Removal::Failed(BackendError::Op {
            op,
            what: what.into(),
            reason: e.to_string(),
        }),
        Err(_) => Removal::Failed(BackendError::Timeout {
            op,
            what: what.into(),
            after: REMOVE_TIMEOUT,
        }),
    }
}

/// The one container-removal routine: removes every target concurrently, each bounded by
/// [`REMOVE_TIMEOUT`]. A container this backend started is removed through its handle's own
/// `rm`, as testcontainers intends (a handle dropped instead removes its container by
/// blocking a thread with no time bound); each removal runs on a task of its own, so a
/// bounded wait that gives up leaves it finishing in the background instead of dropping
/// the handle mid-call. A container found by label is removed by id through bollard.
pub(super) async fn remove_containers(docker: &Docker, targets: Vec<Target>) -> Tally {
    let removals = targets.into_iter().map(|t| {
        let docker = docker.clone();
        let id = match &t {
            Target::Handle(c) => c.id().to_string(),
            Target::Id(id) => id.clone(),
        };
        let task = tokio::spawn(async move {
            match t {
                Target::Handle(c) => (*c).rm().await.map_err(|e| match e {
                    TestcontainersError::Client(ClientError::RemoveContainer(e)) => RemoveFailure::Engine(e),
                    other => RemoveFailure::Other(other.to_string()),
                }),
                Target::Id(id) => {
                    let opts = RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    };
                    docker
                        .remove_container(&id, Some(opts))
                        .await
                        .map_err(RemoveFailure::Engine)
                }
            }
        });
        async move {
            let joined = async { task.await.unwrap_or_else(|e| Err(RemoveFailure::Other(e.to_string()))) };
            let gone = |e: &RemoveFailure| matches!(e, RemoveFailure::Engine(e) if is_gone(e));
            remove_one("remove container", &id, gone, joined).await
        }
    });
    let mut tally = Tally::default();
    for r in futures::future::join_all(removals).await {
        tally.add(r);
    }
    tally
}

/// Why a container removal failed: the engine's answer, or another failure's text.
enum RemoveFailure {
    Engine(bollard::errors::Error),
    Other(String),
}

impl std::fmt::Display for RemoveFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoveFailure::Engine(e) => e.fmt(f),
            RemoveFailure::Other(s) => f.write_str(s),
        }
    }
}

/// Removes a network, bounded; "already gone" by status code.
async fn remove_network(docker: &Docker, net: &str) -> Removal {
    remove_one("remove network", net, is_gone, docker.remove_network(net)).await
}

/// Removes a volume, bounded; "already gone" by status code.
async fn remove_volume(docker: &Docker, volume: &str) -> Removal {
    let opts = RemoveVolumeOptions { force: true };
    remove_one(
        "remove volume",
        volume,
        is_gone,
        docker.remove_volume(volume, Some(opts)),
    )
    .await
}

/// Removes containers, then networks, then volumes carrying `label` (`key=value`).
/// Containers go concurrently; every call is bounded, so this ends within a few bounds
/// whatever the engine does. Objects already gone count as removed by someone else.
pub async fn remove_labelled(docker: &Docker, label: &str) -> Removed {
    let filters = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let mut removed = Removed::default();
    let list = ListContainersOptions {
        all: true,
        filters: Some(filters.clone()),
        ..Default::default()
    };
    if let Ok(Ok(cs)) = tokio::time::timeout(REMOVE_TIMEOUT, docker.list_containers(Some(list))).await {
        let targets = cs.into_iter().filter_map(|c| c.id).map(Target::Id).collect();
        removed.containers += remove_containers(docker, targets).await.removed;
    }
    let nets = ListNetworksOptions {
        filters: Some(filters.clone()),
    };
    if let Ok(Ok(ns)) = tokio::time::timeout(REMOVE_TIMEOUT, docker.list_networks(Some(nets))).await {
        for n in ns {
            let Some(id) = n.id else { continue };
            if let Removal::Done = remove_network(docker, &id).await {
                removed.networks += 1;
            }
        }
    }
    let vols = ListVolumesOptions { filters: Some(filters) };
    if let Ok(Ok(vs)) = tokio::time::timeout(REMOVE_TIMEOUT, docker.list_volumes(Some(vols))).await {
        for v in vs.volumes.unwrap_or_default() {
            if let Removal::Done = remove_volume(docker, &v.name).await {
                removed.volumes += 1;
            }
        }
    }
    removed
}

impl DockerBackend {
    /// Removes every object labelled with this run, whatever created it.
    async fn remove_by_label(&self) -> Removed {
        remove_labelled(&self.docker, &format!("{}={}", labels::RUN, self.run_id)).await
    }

    pub(super) async fn teardown_all(&self) -> Result<Removed> {
        if let Some(w) = self.watcher.lock().expect("watcher lock").take() {
            w.abort();
        }
        let work = async {
            // retirements still under way (a fault just before a stop) end first, bounded
            self.settle_retiring(REMOVE_TIMEOUT).await;
            // Take the handles out of the state without awaiting anything else. If the
            // state is still held (an engine call stuck elsewhere), the sweep by label below
            // removes everything anyway.
            let (handles, network, volumes) = match tokio::time::timeout(REMOVE_TIMEOUT, self.state.lock()).await {
                Ok(mut state) => {
                    state.logs.clear();
                    let services = std::mem::take(&mut state.services);
                    let read_only = state.read_only.take().into_iter().chain(super::proxy::take(&mut state));
                    let handles: Vec<Target> = state
                        .replicas
                        .values_mut()
                        .filter_map(|r| r.container.take())
                        .chain(read_only)
                        .chain(services.into_iter().map(|(_, c)| c))
                        .map(|c| Target::Handle(Box::new(c)))
                        .collect();
                    state.replicas.clear();
                    state.deployment = None;
                    (handles, state.network.take(), std::mem::take(&mut state.volumes))
                }
                Err(_) => (Vec::new(), None, Vec::new()),
            };
            let tally = remove_containers(&self.docker, handles).await;
            let mut removed = Removed {
                containers: tally.removed,
                ..Default::default()
            };
            let mut rest = Tally::default();
            if let Some(net) = network {
                let r = remove_network(&self.docker, &net).await;
                removed.networks += usize::from(matches!(r, Removal::Done));
                rest.add(r);
            }
            for v in volumes {
                let r = remove_volume(&self.docker, &v).await;
                removed.volumes += usize::from(matches!(r, Removal::Done));
                rest.add(r);
            }
            let first_error = tally.first_error.or(rest.first_error);
            // anything else with the run label (e.g. a container whose start failed, or one
            // whose removal above timed out)
            let swept = self.remove_by_label().await;
            removed.containers += swept.containers;
            removed.networks += swept.networks;
            removed.volumes += swept.volumes;
            match first_error {
                Some(e) if swept == Removed::default() => Err(e),
                _ => Ok(removed),
            }
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
