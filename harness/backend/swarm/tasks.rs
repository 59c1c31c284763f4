//! A slot's tasks: deploying the slots, finding the current task's container, faults on it,
//! and waiting for the next task — made by the harness (a forced update, a scale) or by the
//! platform (the restart policy) — to run.

use super::spec::{self, SlotSpec};
use super::{bounded, Slot, SwarmBackend, CALL_TIMEOUT, POLL, RUNNING_WITHIN};
use crate::backend::{free_port, labels, BackendError, Deployed, Deployment, Endpoint, Result, Updated};
use bollard::models::{NetworkCreateRequest, Task, TaskState, VolumeCreateRequest};
use bollard::query_parameters::{
    InspectContainerOptions, InspectServiceOptions, KillContainerOptions, ListTasksOptions, StopContainerOptions,
    UpdateServiceOptions,
};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// Swarm's own stop grace period, for a forced update that names none.
const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(10);

/// A running task's container id.
fn running_container(t: &Task) -> Option<String> {
    let status = t.status.as_ref()?;
    (status.state == Some(TaskState::RUNNING))
        .then(|| status.container_status.as_ref()?.container_id.clone())
        .flatten()
}

/// When the task was created (the platform's decision to run it), µs since the epoch.
/// Read through JSON: the date's Rust type depends on bollard's features.
fn created_us(t: &Task) -> Option<i64> {
    let v = serde_json::to_value(t).ok()?;
    let s = v.get("CreatedAt")?.as_str()?;
    let d = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some((d.unix_timestamp_nanos() / 1000) as i64)
}

/// The state and error of a task, for messages.
fn describe(t: &Task) -> String {
    let s = t.status.clone().unwrap_or_default();
    format!(
        "{:?}{}",
        s.state.unwrap_or(TaskState::NEW),
        s.err.map(|e| format!(" ({e})")).unwrap_or_default()
    )
}

impl SwarmBackend {
    async fn tasks(&self, service: &str) -> Result<Vec<Task>> {
        let filters = HashMap::from([("service".to_string(), vec![service.to_string()])]);
        let opts = ListTasksOptions { filters: Some(filters) };
        bounded(
            "list the tasks of",
            service,
            CALL_TIMEOUT,
            self.docker.list_tasks(Some(opts)),
        )
        .await
    }

    /// Waits until the service runs a task whose container is not in `old`; returns its
    /// container id and when the task was created (µs since the epoch).
    pub(super) async fn wait_running(&self, service: &str, old: &[String]) -> Result<(String, i64)> {
        self.wait_running_within(service, old, RUNNING_WITHIN).await
    }

    /// [`Self::wait_running`], bounded by `within`.
    async fn wait_running_within(&self, service: &str, old: &[String], within: Duration) -> Result<(String, i64)> {
        let start = Instant::now();
        let mut last = String::from("no task");
        while start.elapsed() < within {
            let mut tasks = self.tasks(service).await?;
            tasks.sort_by_key(|t| std::cmp::Reverse(created_us(t)));
            for t in &tasks {
                if let Some(id) = running_container(t).filter(|id| !old.contains(id)) {
                    return Ok((id, created_us(t).unwrap_or_else(crate::clock::unix_now_us)));
                }
            }
            if let Some(t) = tasks.first() {
                last = describe(t);
            }
            tokio::time::sleep(POLL).await;
        }
        Err(BackendError::Op {
            op: "wait for a running task of",
            what: service.into(),
            reason: format!("none within {within:?}; the newest task is {last}"),
        })
    }

    pub(super) async fn deploy_all(&self, d: &Deployment) -> Result<Deployed> {
        let mut state = self.state.lock().await;
        self.ensure_swarm().await?;
        let net = self.object_name("net");
        let req = NetworkCreateRequest {
            name: net.clone(),
            driver: Some("overlay".into()),
            attachable: Some(true),
            labels: Some(labels::for_run(&self.run_id)),
            ..Default::default()
        };
        bounded("create network", &net, CALL_TIMEOUT, self.docker.create_network(req)).await?;
        state.network = Some(net.clone());
        // one namespace of volume names per run: the app's and the services' volumes alike
        let mut created: Vec<String> = Vec::new();
        for v in d.volumes.iter().chain(d.services.iter().flat_map(|s| &s.volumes)) {
            let name = self.object_name(&v.name);
            if created.contains(&name) {
                continue;
            }
            let req = VolumeCreateRequest {
                name: Some(name.clone()),
                labels: Some(labels::for_run(&self.run_id)),
                ..Default::default()
            };
            bounded("create volume", &name, CALL_TIMEOUT, self.docker.create_volume(req)).await?;
            created.push(name);
        }
        let volumes: Vec<(String, String)> = d
            .volumes
            .iter()
            .map(|v| (self.object_name(&v.name), v.path.clone()))
            .collect();
        // dependencies first: the app's tasks find them by name as they start
        self.start_dependencies(d, &net).await?;
        for replica in &d.replicas {
            let port = free_port()?;
            let service = self.object_name(replica);
            let s = SlotSpec {
                run_id: &self.run_id,
                replica,
                service: &service,
                network: &net,
                port,
                volumes: volumes.clone(),
            };
            let create = self.docker.create_service(spec::service(d, &s), None);
            bounded("create service", &service, CALL_TIMEOUT, create).await?;
            let slot = Slot {
                service,
                port,
                seen: Vec::new(),
            };
            state.slots.insert(replica.clone(), slot);
        }
        state.deployment = Some(d.clone());
        let mut endpoints = Vec::new();
        for (replica, slot) in state.slots.iter_mut() {
            let (id, _) = self.wait_running(&slot.service, &[]).await?;
            slot.seen.push(id);
            endpoints.push(Endpoint {
                replica: replica.clone(),
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, slot.port)),
            });
        }
        let front = match &d.front {
            Some(f) => Some(self.start_front(f, &d.replicas, d.port, &net).await?),
            None => None,
        };
        Ok(Deployed {
            replicas: endpoints,
            front,
        })
    }

    /// The container of the replica's running task (or of its last one), recorded as seen.
    pub(super) async fn current(&self, replica: &str) -> Result<String> {
        let (service, last) = {
            let state = self.state.lock().await;
            let slot = Self::slot(&state, replica)?;
            (slot.service.clone(), slot.seen.last().cloned())
        };
        let running = self.tasks(&service).await?.iter().find_map(running_container);
        match running.or(last) {
            Some(id) => {
                self.note(replica, &id).await;
                Ok(id)
            }
            None => Err(BackendError::Op {
                op: "find the task of",
                what: replica.into(),
                reason: "the service has no task".into(),
            }),
        }
    }

    /// Records a container of the replica's slot.
    async fn note(&self, replica: &str, id: &str) {
        let mut state = self.state.lock().await;
        if let Some(slot) = state.slots.get_mut(replica) {
            if !slot.seen.iter().any(|s| s == id) {
                slot.seen.push(id.to_string());
            }
        }
    }

    /// The container a fault hits: the last one the backend saw for the slot, which is the
    /// running one unless the platform replaced it unseen; `fresh` reads the task list.
    async fn target(&self, replica: &str, fresh: bool) -> Result<String> {
        if !fresh {
            let state = self.state.lock().await;
            if let Some(id) = Self::slot(&state, replica)?.seen.last() {
                return Ok(id.clone());
            }
        }
        self.current(replica).await
    }

    pub(super) async fn signal(&self, replica: &str, signal: &str) -> Result<()> {
        // the last container seen first, so the fault's instant is not spent listing tasks;
        // if it is not running (replaced unseen), the running task's, read from the list
        let mut result = Ok(());
        for fresh in [false, true] {
            let id = self.target(replica, fresh).await?;
            let opts = KillContainerOptions { signal: signal.into() };
            let kill = self.docker.kill_container(&id, Some(opts));
            result = bounded("kill", replica, CALL_TIMEOUT, kill).await;
            if result.is_ok() {
                break;
            }
        }
        result
    }

    pub(super) async fn stop_task(&self, replica: &str, grace: Duration) -> Result<()> {
        let id = self.current(replica).await?;
        // no `signal`: API 1.41 rejects it; the image's stop signal (SIGTERM) is used
        let opts = StopContainerOptions {
            t: Some(grace.as_secs_f64().ceil() as i32),
            signal: None,
        };
        let stop = self.docker.stop_container(&id, Some(opts));
        bounded("stop", replica, grace + CALL_TIMEOUT, stop).await
    }

    /// The slot's service and the containers it has had.
    async fn slot_of(&self, replica: &str) -> Result<(String, Vec<String>)> {
        let state = self.state.lock().await;
        let slot = Self::slot(&state, replica)?;
        Ok((slot.service.clone(), slot.seen.clone()))
    }

    /// Changes the slot's service spec (read, edited, written back at its version).
    async fn update(&self, service: &str, edit: impl FnOnce(&mut bollard::models::ServiceSpec)) -> Result<()> {
        let inspect = self.docker.inspect_service(service, None::<InspectServiceOptions>);
        let svc = bounded("inspect service", service, CALL_TIMEOUT, inspect).await?;
        let version = svc.version.and_then(|v| v.index).unwrap_or(0);
        let mut spec = svc.spec.unwrap_or_default();
        edit(&mut spec);
        let opts = UpdateServiceOptions {
            version: version as i32,
            ..Default::default()
        };
        let update = self.docker.update_service(service, spec, opts, None);
        bounded("update service", service, CALL_TIMEOUT, update)
            .await
            .map(|_| ())
    }

    /// A fresh task for the slot now (`docker service update --force`), waited for.
    pub(super) async fn force_update(&self, replica: &str) -> Result<()> {
        self.rolling_update(replica, DEFAULT_STOP_GRACE).await.map(|_| ())
    }

    /// The slot's forced update (the spec's update config: stop-first), with `grace` as the
    /// old task's stop grace period: Swarm stops the old task if it still runs, then starts
    /// the new one. Returns, once the new one runs, when Swarm created it and when the old
    /// task's container had stopped (its `FinishedAt`).
    pub(super) async fn rolling_update(&self, replica: &str, grace: Duration) -> Result<Updated> {
        let (service, seen) = self.slot_of(replica).await?;
        self.update(&service, |spec| {
            if let Some(t) = spec.task_template.as_mut() {
                t.force_update = Some(t.force_update.unwrap_or(0) + 1);
                if let Some(c) = t.container_spec.as_mut() {
                    c.stop_grace_period = Some(grace.as_nanos() as i64);
                }
            }
        })
        .await?;
        // the old task may take its whole grace period to stop before the new one starts
        let (id, created) = self
            .wait_running_within(&service, &seen, grace + RUNNING_WITHIN)
            .await?;
        self.note(replica, &id).await;
        let old_stopped_us = match seen.last() {
            Some(old) => self.finished_us(old).await,
            None => None,
        };
        Ok(Updated {
            scheduled_us: created,
            old_stopped_us,
        })
    }

    /// When the container stopped, µs since the epoch; None if it runs or is unknown.
    async fn finished_us(&self, id: &str) -> Option<i64> {
        let inspect = self.docker.inspect_container(id, None::<InspectContainerOptions>);
        let c = tokio::time::timeout(CALL_TIMEOUT, inspect).await.ok()?.ok()?;
        let at = c.state?.finished_at?;
        let t = time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok()?;
        // a container that never stopped says year 1
        (t.year() > 1970).then(|| (t.unix_timestamp_nanos() / 1000) as i64)
    }

    /// Waits for the platform's own replacement of the slot's task; returns when the
    /// platform created it (µs since the epoch).
    pub(super) async fn await_replacement(&self, replica: &str) -> Result<i64> {
        let (service, seen) = self.slot_of(replica).await?;
        let (id, created) = self.wait_running(&service, &seen).await?;
        self.note(replica, &id).await;
        Ok(created)
    }

    /// Scales the slot to `replicas` (0 or 1); scaling down stops its task with `grace`.
    pub(super) async fn scale(&self, replica: &str, replicas: i64, grace: Duration) -> Result<()> {
        let (service, seen) = self.slot_of(replica).await?;
        if replicas == 0 {
            self.current(replica).await?;
        }
        self.update(&service, |spec| {
            if let Some(r) = spec.mode.as_mut().and_then(|m| m.replicated.as_mut()) {
                r.replicas = Some(replicas);
            }
            if let Some(c) = spec.task_template.as_mut().and_then(|t| t.container_spec.as_mut()) {
                if replicas == 0 {
                    c.stop_grace_period = Some(grace.as_nanos() as i64);
                }
            }
        })
        .await?;
        if replicas > 0 {
            let (id, _) = self.wait_running(&service, &seen).await?;
            self.note(replica, &id).await;
            return Ok(());
        }
        let start = Instant::now();
        while start.elapsed() < grace + RUNNING_WITHIN {
            if !self
                .tasks(&service)
                .await?
                .iter()
                .any(|t| running_container(t).is_some())
            {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
        Err(BackendError::Timeout {
            op: "scale down",
            what: replica.into(),
            after: grace + RUNNING_WITHIN,
        })
    }
}
