//! Finding and removing what dead runs left behind. A resource is an orphan when its owner
//! labels name a process of this host, boot and pid namespace that no longer exists (see
//! [`labels::owner_is_dead`]); resources of live runs (in another terminal, a parallel CI
//! job, a container sharing the engine) and of other hosts are never touched.

use crate::backend::docker::connect;
use crate::backend::labels;
use crate::backend::BackendError;
use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, ListServicesOptions, ListVolumesOptions, RemoveContainerOptions,
    RemoveVolumeOptions,
};
use bollard::Docker;
use std::collections::HashMap;
use std::time::Duration;

const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Something a dead run left.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    /// `service`, `container`, `network` or `volume` (the removal order).
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub run: String,
    pub owner: String,
}

/// Lists orphans: swarm services, containers, then networks, then volumes.
pub async fn find(docker: &Docker) -> Result<Vec<Orphan>, BackendError> {
    let filters = HashMap::from([("label".to_string(), vec![labels::RUN.to_string()])]);
    let fail = |what: &str, e: String| BackendError::Op {
        op: "list",
        what: what.into(),
        reason: e,
    };
    let mut out = Vec::new();
    let push = |out: &mut Vec<Orphan>, kind, id: String, name: String, l: &HashMap<String, String>| {
        let owner = l.get(labels::OWNER).cloned().unwrap_or_default();
        if labels::owner_is_dead(l) {
            out.push(Orphan {
                kind,
                id,
                name,
                run: l.get(labels::RUN).cloned().unwrap_or_default(),
                owner,
            });
        }
    };
    // swarm services first: while one exists, swarm would start its task again. An engine
    // that is not a swarm manager has none (and answers the listing with an error)
    let services = docker.list_services(Some(ListServicesOptions {
        filters: Some(filters.clone()),
        ..Default::default()
    }));
    if let Ok(Ok(ss)) = tokio::time::timeout(CALL_TIMEOUT, services).await {
        for s in ss {
            let spec = s.spec.unwrap_or_default();
            let name = spec.name.unwrap_or_default();
            push(
                &mut out,
                "service",
                s.id.unwrap_or_default(),
                name,
                &spec.labels.unwrap_or_default(),
            );
        }
    }
    let cs = tokio::time::timeout(
        CALL_TIMEOUT,
        docker.list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters.clone()),
            ..Default::default()
        })),
    )
    .await
    .map_err(|_| fail("containers", "timed out".into()))?
    .map_err(|e| fail("containers", e.to_string()))?;
    for c in cs {
        let name = c.names.unwrap_or_default().join(",");
        push(
            &mut out,
            "container",
            c.id.unwrap_or_default(),
            name,
            &c.labels.unwrap_or_default(),
        );
    }
    let ns = tokio::time::timeout(
        CALL_TIMEOUT,
        docker.list_networks(Some(ListNetworksOptions {
            filters: Some(filters.clone()),
        })),
    )
    .await
    .map_err(|_| fail("networks", "timed out".into()))?
    .map_err(|e| fail("networks", e.to_string()))?;
    for n in ns {
        push(
            &mut out,
            "network",
            n.id.unwrap_or_default(),
            n.name.unwrap_or_default(),
            &n.labels.unwrap_or_default(),
        );
    }
    let vs = tokio::time::timeout(
        CALL_TIMEOUT,
        docker.list_volumes(Some(ListVolumesOptions { filters: Some(filters) })),
    )
    .await
    .map_err(|_| fail("volumes", "timed out".into()))?
    .map_err(|e| fail("volumes", e.to_string()))?;
    for v in vs.volumes.unwrap_or_default() {
        push(&mut out, "volume", v.name.clone(), v.name, &v.labels);
    }
    Ok(out)
}

/// Whether a removal succeeded; an object that is already gone (another reaper, or the
/// engine's auto-removal, got there first) counts as removed.
fn gone(r: Result<Result<(), bollard::errors::Error>, tokio::time::error::Elapsed>) -> bool {
    matches!(
        r,
        Ok(Ok(()))
            | Ok(Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                ..
            }))
    )
}

/// Removes orphans in order; returns how many went.
pub async fn remove(docker: &Docker, orphans: &[Orphan]) -> usize {
    let mut n = 0;
    for o in orphans {
        let done = match o.kind {
            "container" => {
                let opts = RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                };
                gone(tokio::time::timeout(CALL_TIMEOUT, docker.remove_container(&o.id, Some(opts))).await)
            }
            "service" => gone(tokio::time::timeout(CALL_TIMEOUT, docker.delete_service(&o.id)).await),
            "network" => gone(tokio::time::timeout(CALL_TIMEOUT, docker.remove_network(&o.id)).await),
            _ => gone(
                tokio::time::timeout(
                    CALL_TIMEOUT,
                    docker.remove_volume(&o.id, Some(RemoveVolumeOptions { force: true })),
                )
                .await,
            ),
        };
        n += usize::from(done);
    }
    n
}

/// Connects and removes every orphan (the reaper at the start of each run).
pub async fn reap() -> Result<usize, BackendError> {
    let docker = connect().await?;
    let orphans = find(&docker).await?;
    Ok(remove(&docker, &orphans).await)
}
