//! Fowler's drill on Docker: every container of the run killed at once, then the whole set
//! created again from images and named volumes — services first, in order, each awaiting
//! its ready line; then the replicas on their fixed ports; then the front on its own.
//! The network and the named volumes are the platform's and stay.

use super::{bounded, Container, DockerBackend, State, CALL_TIMEOUT};
use crate::backend::{BackendError, Deployment, RebuiltService, Result};
use crate::clock::unix_now_us;
use bollard::query_parameters::{KillContainerOptions, RenameContainerOptions};

impl DockerBackend {
    /// SIGKILL to every replica, service and the front, all calls at once.
    pub(super) async fn burn_all(&self) -> Result<()> {
        let state = self.state.lock().await;
        let targets: Vec<(String, String)> = state
            .replicas
            .iter()
            .filter_map(|(name, r)| r.container.as_ref().map(|c| (name.clone(), c.id().to_string())))
            .chain(
                state
                    .services
                    .iter()
                    .map(|(name, c)| (name.clone(), c.id().to_string())),
            )
            .collect();
        let kills = targets.iter().map(|(name, id)| {
            let opts = KillContainerOptions {
                signal: "SIGKILL".into(),
            };
            bounded("kill", name, CALL_TIMEOUT, self.docker.kill_container(id, Some(opts)))
        });
        let results = futures::future::join_all(kills).await;
        results.into_iter().find_map(|r| r.err()).map_or(Ok(()), Err)
    }

    /// Creates the burnt set again, in order, then retires the dead containers (off the
    /// recovery's path, as a replacement does). Returns each service's return.
    pub(super) async fn rebuild_all(&self) -> Result<Vec<RebuiltService>> {
        let mut state = self.state.lock().await;
        let d = state.deployment.clone().ok_or_else(|| BackendError::Op {
            op: "rebuild",
            what: "the deployment".into(),
            reason: "nothing was deployed".into(),
        })?;
        // the dead give up their names (replicas and front keep fixed names, so a balancer
        // and the probes find the new ones); they are removed once the new set runs
        let mut dead: Vec<(String, Container)> = Vec::new();
        for (name, r) in state.replicas.iter_mut() {
            if let Some(c) = r.container.take() {
                dead.push((name.clone(), c));
            }
        }
        dead.append(&mut state.services);
        let mut result = Ok(Vec::new());
        for (name, c) in &dead {
            let fixed = state.replicas.contains_key(name) || name == "front";
            if fixed {
                let id = c.id().to_string();
                let retired = format!("{}-burnt-{}", self.container_name(name), &id[..id.len().min(12)]);
                let rename = self
                    .docker
                    .rename_container(&id, RenameContainerOptions { name: retired });
                if let Err(e) = bounded("rename", name, CALL_TIMEOUT, rename).await {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() {
            // a replica scaled down before the burn stays down (its `add` brings it back)
            let burnt: Vec<String> = dead
                .iter()
                .map(|(n, _)| n.clone())
                .filter(|n| state.replicas.contains_key(n))
                .collect();
            result = self.start_set(&mut state, &d, &burnt).await;
        }
        // the dead are read (replicas) and removed on tasks of their own, as a replacement's
        for (name, c) in dead {
            let replica = state.replicas.contains_key(&name).then_some(name.as_str());
            self.retire(&mut state, replica, c);
        }
        result
    }

    /// Services in order (each ready before the next), replicas, then the front.
    async fn start_set(&self, state: &mut State, d: &Deployment, burnt: &[String]) -> Result<Vec<RebuiltService>> {
        let mut out = Vec::new();
        for s in &d.services {
            let mut kept = true;
            for v in &s.volumes {
                let name = self.volume_name(&v.name);
                let found = bounded("inspect volume", &name, CALL_TIMEOUT, self.docker.inspect_volume(&name)).await;
                if found.is_err() {
                    // gone (someone removed it): made again, labelled, and said so
                    kept = false;
                    state.volumes.retain(|n| *n != name);
                    self.create_volume(state, &v.name).await?;
                }
            }
            let c = self.start_service(state, s).await?;
            state.services.push((s.name.clone(), c));
            out.push(RebuiltService {
                name: s.name.clone(),
                ready_unix_us: unix_now_us(),
                volumes: s.volumes.iter().map(|v| v.name.clone()).collect(),
                volumes_kept: kept && !s.volumes.is_empty(),
            });
        }
        let replicas: Vec<(String, u16)> = state
            .replicas
            .iter()
            .filter(|(n, _)| burnt.contains(n))
            .map(|(n, r)| (n.clone(), r.port))
            .collect();
        for (name, port) in replicas {
            let c = self.start_replica(state, d, &name, port).await?;
            if let Some(r) = state.replicas.get_mut(&name) {
                r.container = Some(c);
            }
        }
        if let (Some(f), Some(port)) = (&d.front, state.front_port) {
            let c = self.start_front(state, f, port).await?;
            state.services.push(("front".into(), c));
        }
        Ok(out)
    }
}
