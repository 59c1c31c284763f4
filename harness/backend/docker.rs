//! The Docker backend: testcontainers creates and starts containers (image, env, labels,
//! network, mounts, fixed 127.0.0.1 port); bollard does what testcontainers has no call
//! for (kill with a signal, restart in place, network aliases, the events stream, logs,
//! cleanup by label). Every call has a timeout so no engine hiccup can hang a run.

use super::images;
use super::labels;
use super::{
    Backend, BackendError, Deployed, Deployment, Endpoint, FrontDeploy, RawLifecycle, RawLog, Removed, Result,
};
use crate::front::{haproxy_config, CONFIG_PATH, LISTEN_PORT};
use crate::record::LifecycleKind;
use crate::scenario::Scenario;
use async_trait::async_trait;
use bollard::models::{
    EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest, PortBinding,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    EventsOptions, KillContainerOptions, ListContainersOptions, ListNetworksOptions, ListVolumesOptions, LogsOptions,
    RemoveContainerOptions, RenameContainerOptions, StopContainerOptions,
};
use bollard::Docker;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use testcontainers::core::{ContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::sync::{mpsc, Mutex};

/// Bound for one engine call (create, start, kill, remove...).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound for one removal (or listing) while tearing down.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(15);
/// Bound for a whole teardown, whatever the engine does.
pub const TEARDOWN_DEADLINE: Duration = Duration::from_secs(45);
/// Bound for reaching the engine at all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
/// Lines of output kept per container.
const LOG_TAIL: &str = "500";

/// Runs an engine call with a timeout, naming the operation in errors.
async fn bounded<T, E: std::fmt::Display>(
    op: &'static str,
    what: &str,
    after: Duration,
    fut: impl Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(after, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(BackendError::Op {
            op,
            what: what.into(),
            reason: e.to_string(),
        }),
        Err(_) => Err(BackendError::Timeout {
            op,
            what: what.into(),
            after,
        }),
    }
}

/// Where the engine is expected, for error messages.
pub fn socket_description() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// Connects to the local engine (DOCKER_HOST or the default socket) and negotiates the
/// API version (Debian's engine speaks 1.41).
pub async fn connect() -> Result<Docker> {
    let socket = socket_description();
    let unreachable = |e: String| BackendError::Unreachable {
        socket: socket.clone(),
        reason: if e.contains("ermission denied") {
            format!("{e} (this user may not use the socket: add it to the `docker` group, or use sudo)")
        } else {
            e
        },
    };
    let docker = Docker::connect_with_defaults().map_err(|e| unreachable(e.to_string()))?;
    let docker = match tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return Err(unreachable(e.to_string())),
        Err(_) => return Err(unreachable(format!("no answer within {CONNECT_TIMEOUT:?}"))),
    };
    Ok(docker)
}

struct Replica {
    port: u16,
    container: Option<ContainerAsync<GenericImage>>,
}

#[derive(Default)]
struct State {
    network: Option<String>,
    replicas: BTreeMap<String, Replica>,
    services: Vec<(String, ContainerAsync<GenericImage>)>,
    volumes: Vec<String>,
    logs: Vec<RawLog>,
    deployment: Option<Deployment>,
    /// Instances started so far, to give each container a unique name.
    started: usize,
}

/// Docker through testcontainers and bollard.
pub struct DockerBackend {
    docker: Docker,
    run_id: String,
    state: Mutex<State>,
    watcher: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl DockerBackend {
    /// Connects to the engine for run `run_id`.
    pub async fn connect(run_id: &str) -> Result<DockerBackend> {
        Ok(DockerBackend {
            docker: connect().await?,
            run_id: run_id.to_string(),
            state: Mutex::new(State::default()),
            watcher: std::sync::Mutex::new(None),
        })
    }

    /// A short name for this run's objects: a hash of the whole run id, so two runs of
    /// the same scenario never share container or network names.
    fn short_run(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.run_id.hash(&mut h);
        format!("{:010x}", h.finish() & 0xff_ffff_ffff)
    }

    async fn ensure_image(
        &self,
        image: &str,
        build: Option<&crate::scenario::Build>,
        recipe: Option<&std::path::Path>,
        rebuild: bool,
    ) -> Result<String> {
        if !rebuild {
            if let Some(id) = images::local_id(&self.docker, image).await {
                return Ok(id);
            }
        }
        // one build at a time on this machine; another process may have built it meanwhile
        let _lock = images::BuildLock::acquire(image).await?;
        if !rebuild {
            if let Some(id) = images::local_id(&self.docker, image).await {
                return Ok(id);
            }
        }
        match (build, recipe) {
            (Some(b), _) => images::build(&self.docker, image, b).await?,
            (None, Some(r)) => images::build_recipe(image, r).await?,
            (None, None) => images::pull(&self.docker, image).await?,
        }
        images::local_id(&self.docker, image)
            .await
            .ok_or_else(|| BackendError::ImageMissing { image: image.into() })
    }

    /// A container request with this run's labels and name.
    fn request(
        &self,
        image: &str,
        member: &str,
        role: &str,
        n: Option<usize>,
        exposed: Option<u16>,
        ready_log: Option<&str>,
    ) -> testcontainers::ContainerRequest<GenericImage> {
        let (name, tag) = images::split_image(image);
        let mut image = GenericImage::new(name, tag);
        if let Some(port) = exposed {
            // the port must be exposed for its binding to apply
            image = image.with_exposed_port(ContainerPort::Tcp(port));
        }
        if let Some(line) = ready_log {
            image = image.with_wait_for(WaitFor::message_on_either_std(line));
        }
        image
            .with_labels(labels::for_member(&self.run_id, member, role))
            .with_container_name(match n {
                Some(n) => format!("{}-{n}", self.container_name(member)),
                None => self.container_name(member),
            })
            .with_startup_timeout(CALL_TIMEOUT)
    }

    async fn start_replica(
        &self,
        state: &mut State,
        d: &Deployment,
        replica: &str,
        port: u16,
    ) -> Result<ContainerAsync<GenericImage>> {
        state.started += 1;
        let mut req = self.request(&d.image, replica, "app", None, Some(d.port), None);
        if let Some(net) = &state.network {
            req = req.with_network(net.clone());
        }
        for (k, v) in &d.env {
            req = req.with_env_var(k.clone(), v.clone());
        }
        for v in &d.volumes {
            req = req.with_mount(Mount::volume_mount(self.volume_name(&v.name), v.path.clone()));
        }
        let req = Self::publish(req, d.port, port);
        bounded(
            "start replica",
            replica,
            CALL_TIMEOUT + Duration::from_secs(5),
            req.start(),
        )
        .await
    }

    /// The container name of a member; a replica keeps it across replacements (the old
    /// container is removed first), so a balancer finds it by name through Docker's DNS.
    fn container_name(&self, member: &str) -> String {
        format!("phoenix-{}-{member}", self.short_run())
    }

    /// Binds `container_port` to a fixed `127.0.0.1:host_port`.
    fn publish(
        req: testcontainers::ContainerRequest<GenericImage>,
        container_port: u16,
        host_port: u16,
    ) -> testcontainers::ContainerRequest<GenericImage> {
        let key = format!("{container_port}/tcp");
        req.with_host_config_modifier(move |hc| {
            hc.publish_all_ports = Some(false);
            hc.privileged = Some(false);
            hc.port_bindings = Some(HashMap::from([(
                key.clone(),
                Some(vec![PortBinding {
                    host_ip: Some(Ipv4Addr::LOCALHOST.to_string()),
                    host_port: Some(host_port.to_string()),
                }]),
            )]));
        })
    }

    async fn start_front(&self, state: &State, f: &FrontDeploy, port: u16) -> Result<ContainerAsync<GenericImage>> {
        let servers: Vec<(String, String)> = state
            .replicas
            .keys()
            .map(|r| (r.clone(), self.container_name(r)))
            .collect();
        let port_in_app = state.deployment.as_ref().map_or(8080, |d| d.port);
        let config = haproxy_config(&servers, port_in_app, &f.options);
        let mut req = self
            .request(&f.image, "front", "front", None, Some(LISTEN_PORT), None)
            .with_copy_to(CONFIG_PATH, config.into_bytes());
        if let Some(net) = &state.network {
            req = req.with_network(net.clone());
        }
        let req = Self::publish(req, LISTEN_PORT, port);
        bounded(
            "start front",
            "haproxy",
            CALL_TIMEOUT + Duration::from_secs(5),
            req.start(),
        )
        .await
    }

    fn volume_name(&self, name: &str) -> String {
        format!("phoenix-{}-{name}", self.short_run())
    }

    fn replica_id(state: &State, replica: &str) -> Result<String> {
        state
            .replicas
            .get(replica)
            .and_then(|r| r.container.as_ref())
            .map(|c| c.id().to_string())
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))
    }

    async fn fetch_logs(&self, replica: &str, id: &str) -> RawLog {
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            timestamps: true,
            tail: LOG_TAIL.into(),
            ..Default::default()
        };
        let mut stream = self.docker.logs(id, Some(options));
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
        RawLog {
            replica: replica.into(),
            instance: id.into(),
            lines,
            writes: self.fetch_writes(id).await,
        }
    }

    /// Files the container added to its own filesystem (`docker diff`), leaves only.
    async fn fetch_writes(&self, id: &str) -> Vec<String> {
        let changes = match tokio::time::timeout(Duration::from_secs(5), self.docker.container_changes(id)).await {
            Ok(Ok(Some(c))) => c,
            _ => return Vec::new(),
        };
        let added: Vec<String> = changes
            .into_iter()
            .filter(|c| c.kind == bollard::models::ChangeType::_1)
            .map(|c| c.path)
            .collect();
        added
            .iter()
            .filter(|p| {
                !added
                    .iter()
                    .any(|q| q.len() > p.len() && q.starts_with(p.as_str()) && q.as_bytes()[p.len()] == b'/')
            })
            .cloned()
            .collect()
    }

    /// Removes every object labelled with this run, whatever created it.
    async fn remove_by_label(&self) -> Removed {
        remove_labelled(&self.docker, &format!("{}={}", labels::RUN, self.run_id)).await
    }
}

/// Whether an engine error says the object no longer exists (someone removed it first).
fn already_gone(e: &BackendError) -> bool {
    matches!(e, BackendError::Op { reason, .. } if reason.contains("404") || reason.contains("No such"))
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
        let ids: Vec<String> = cs.into_iter().filter_map(|c| c.id).collect();
        let removals = ids.iter().map(|id| {
            let opts = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            bounded(
                "remove container",
                id,
                REMOVE_TIMEOUT,
                docker.remove_container(id, Some(opts)),
            )
        });
        removed.containers += futures::future::join_all(removals)
            .await
            .into_iter()
            .filter(|r| r.is_ok())
            .count();
    }
    let nets = ListNetworksOptions {
        filters: Some(filters.clone()),
    };
    if let Ok(Ok(ns)) = tokio::time::timeout(REMOVE_TIMEOUT, docker.list_networks(Some(nets))).await {
        for n in ns {
            let Some(id) = n.id else { continue };
            if bounded("remove network", &id, REMOVE_TIMEOUT, docker.remove_network(&id))
                .await
                .is_ok()
            {
                removed.networks += 1;
            }
        }
    }
    let vols = ListVolumesOptions { filters: Some(filters) };
    if let Ok(Ok(vs)) = tokio::time::timeout(REMOVE_TIMEOUT, docker.list_volumes(Some(vols))).await {
        for v in vs.volumes.unwrap_or_default() {
            let opts = bollard::query_parameters::RemoveVolumeOptions { force: true };
            if bounded(
                "remove volume",
                &v.name,
                REMOVE_TIMEOUT,
                docker.remove_volume(&v.name, Some(opts)),
            )
            .await
            .is_ok()
            {
                removed.volumes += 1;
            }
        }
    }
    removed
}

fn parse_rfc3339_us(ts: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1000) as i64)
}

/// A free TCP port on 127.0.0.1, chosen by the kernel.
fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| BackendError::Op {
        op: "find a free port",
        what: "127.0.0.1".into(),
        reason: e.to_string(),
    })?;
    Ok(l.local_addr().map(|a| a.port()).unwrap_or(0))
}

#[async_trait]
impl Backend for DockerBackend {
    async fn describe(&self) -> Result<(String, String)> {
        let v = bounded(
            "read the version of",
            "the Docker engine",
            CALL_TIMEOUT,
            self.docker.version(),
        )
        .await?;
        Ok((
            "docker".into(),
            format!(
                "{} (API {})",
                v.version.unwrap_or_default(),
                v.api_version.unwrap_or_default()
            ),
        ))
    }

    async fn ensure_images(&self, scenario: &Scenario, rebuild: bool) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let id = self
            .ensure_image(&scenario.app.image, scenario.app.build.as_ref(), None, rebuild)
            .await?;
        out.push((scenario.app.image.clone(), id));
        for s in &scenario.services {
            let id = self.ensure_image(&s.image, None, s.recipe.as_deref(), false).await?;
            out.push((s.image.clone(), id));
        }
        if let Some(f) = &scenario.front {
            let id = self.ensure_image(&f.image, None, f.recipe.as_deref(), false).await?;
            out.push((f.image.clone(), id));
        }
        Ok(out)
    }

    async fn watch(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>> {
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

    async fn deploy(&self, d: &Deployment) -> Result<Deployed> {
        let mut state = self.state.lock().await;
        let net_name = format!("phoenix-{}", self.short_run());
        let req = NetworkCreateRequest {
            name: net_name.clone(),
            labels: Some(labels::for_run(&self.run_id)),
            ..Default::default()
        };
        bounded(
            "create network",
            &net_name,
            CALL_TIMEOUT,
            self.docker.create_network(req),
        )
        .await?;
        state.network = Some(net_name.clone());
        for v in &d.volumes {
            let name = self.volume_name(&v.name);
            if state.volumes.contains(&name) {
                continue;
            }
            let req = VolumeCreateRequest {
                name: Some(name.clone()),
                labels: Some(labels::for_run(&self.run_id)),
                ..Default::default()
            };
            bounded("create volume", &name, CALL_TIMEOUT, self.docker.create_volume(req)).await?;
            state.volumes.push(name);
        }
        for s in &d.services {
            state.started += 1;
            let mut req = self.request(
                &s.image,
                &s.name,
                "service",
                Some(state.started),
                None,
                s.ready_log.as_deref(),
            );
            for (k, v) in &s.env {
                req = req.with_env_var(k.clone(), v.clone());
            }
            let req = req.with_host_config_modifier(|hc| {
                hc.publish_all_ports = Some(false);
                hc.port_bindings = Some(HashMap::new());
                hc.privileged = Some(false);
            });
            let c = bounded(
                "start service",
                &s.name,
                CALL_TIMEOUT + Duration::from_secs(5),
                req.start(),
            )
            .await?;
            let connect = NetworkConnectRequest {
                container: c.id().to_string(),
                endpoint_config: Some(EndpointSettings {
                    aliases: Some(vec![s.name.clone()]),
                    ..Default::default()
                }),
            };
            let connected = bounded(
                "connect service",
                &s.name,
                CALL_TIMEOUT,
                self.docker.connect_network(&net_name, connect),
            )
            .await;
            state.services.push((s.name.clone(), c));
            connected?;
        }
        let mut endpoints = Vec::new();
        for r in &d.replicas {
            let port = free_port()?;
            let c = self.start_replica(&mut state, d, r, port).await?;
            state.replicas.insert(
                r.clone(),
                Replica {
                    port,
                    container: Some(c),
                },
            );
            endpoints.push(Endpoint {
                replica: r.clone(),
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            });
        }
        state.deployment = Some(d.clone());
        let front = match &d.front {
            Some(f) => {
                let port = free_port()?;
                let c = self.start_front(&state, f, port).await?;
                state.services.push(("front".into(), c));
                Some(Endpoint {
                    replica: "front".into(),
                    addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                })
            }
            None => None,
        };
        Ok(Deployed {
            replicas: endpoints,
            front,
        })
    }

    async fn kill(&self, replica: &str) -> Result<()> {
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

    async fn stop(&self, replica: &str, grace: Duration) -> Result<()> {
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

    async fn restart(&self, replica: &str) -> Result<()> {
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

    async fn replace(&self, replica: &str) -> Result<()> {
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
        let old_id = old.map(|c| {
            let id = c.id().to_string();
            // a dropped testcontainers handle removes its container without a time bound
            std::mem::forget(c);
            id
        });
        if let Some(id) = &old_id {
            let retired = format!("{}-replaced-{}", self.container_name(replica), &id[..id.len().min(12)]);
            let rename = self
                .docker
                .rename_container(id, RenameContainerOptions { name: retired });
            bounded("rename", replica, CALL_TIMEOUT, rename).await?;
        }
        let started = self.start_replica(&mut state, &d, replica, port).await;
        if let Some(id) = &old_id {
            let log = self.fetch_logs(replica, id).await;
            state.logs.push(log);
            let opts = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            match bounded(
                "remove",
                replica,
                REMOVE_TIMEOUT,
                self.docker.remove_container(id, Some(opts)),
            )
            .await
            {
                Err(e) if !already_gone(&e) => return Err(e),
                _ => {}
            }
        }
        let c = started?;
        if let Some(r) = state.replicas.get_mut(replica) {
            r.container = Some(c);
        }
        Ok(())
    }

    async fn pause(&self, replica: &str) -> Result<()> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        bounded("pause", replica, CALL_TIMEOUT, self.docker.pause_container(&id)).await
    }

    async fn unpause(&self, replica: &str) -> Result<()> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        bounded("unpause", replica, CALL_TIMEOUT, self.docker.unpause_container(&id)).await
    }

    async fn disconnect(&self, replica: &str) -> Result<()> {
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

    async fn reconnect(&self, replica: &str) -> Result<()> {
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

    async fn remove(&self, replica: &str, grace: Duration) -> Result<()> {
        let mut state = self.state.lock().await;
        let old = state
            .replicas
            .get_mut(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?
            .container
            .take();
        let Some(old) = old else { return Ok(()) };
        let id = old.id().to_string();
        // a dropped testcontainers handle removes its container without a time bound:
        // forget it and remove the container here, bounded
        std::mem::forget(old);
        if !grace.is_zero() {
            let opts = StopContainerOptions {
                t: Some(grace.as_secs_f64().ceil() as i32),
                signal: None,
            };
            let _ = bounded(
                "stop",
                replica,
                grace + CALL_TIMEOUT,
                self.docker.stop_container(&id, Some(opts)),
            )
            .await;
        }
        let log = self.fetch_logs(replica, &id).await;
        state.logs.push(log);
        let opts = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        match bounded(
            "remove",
            replica,
            REMOVE_TIMEOUT,
            self.docker.remove_container(&id, Some(opts)),
        )
        .await
        {
            Err(e) if !already_gone(&e) => Err(e),
            _ => Ok(()),
        }
    }

    async fn add(&self, replica: &str) -> Result<()> {
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

    async fn logs(&self) -> Vec<RawLog> {
        let state = self.state.lock().await;
        let mut out = state.logs.clone();
        for (name, r) in &state.replicas {
            if let Some(c) = &r.container {
                out.push(self.fetch_logs(name, c.id()).await);
            }
        }
        out
    }

    async fn teardown(&self) -> Result<Removed> {
        if let Some(w) = self.watcher.lock().expect("watcher lock").take() {
            w.abort();
        }
        let work = async {
            // Take the handles out of the state without awaiting anything else. A
            // testcontainers handle that is dropped removes its container by blocking the
            // thread with no time bound, so each handle is forgotten here and its container
            // removed below through bollard, bounded. If the state is still held (an engine
            // call stuck elsewhere), the sweep by label below removes everything anyway.
            let (ids, network, volumes) = match tokio::time::timeout(REMOVE_TIMEOUT, self.state.lock()).await {
                Ok(mut state) => {
                    let services = std::mem::take(&mut state.services);
                    let handles: Vec<ContainerAsync<GenericImage>> = state
                        .replicas
                        .values_mut()
                        .filter_map(|r| r.container.take())
                        .chain(services.into_iter().map(|(_, c)| c))
                        .collect();
                    let ids: Vec<String> = handles.iter().map(|c| c.id().to_string()).collect();
                    for c in handles {
                        std::mem::forget(c);
                    }
                    state.replicas.clear();
                    state.deployment = None;
                    (ids, state.network.take(), std::mem::take(&mut state.volumes))
                }
                Err(_) => (Vec::new(), None, Vec::new()),
            };
            let mut removed = Removed::default();
            let mut first_error = None;
            let removals = ids.iter().map(|id| {
                let opts = RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                };
                bounded(
                    "remove container",
                    id,
                    REMOVE_TIMEOUT,
                    self.docker.remove_container(id, Some(opts)),
                )
            });
            for r in futures::future::join_all(removals).await {
                match r {
                    Ok(()) => removed.containers += 1,
                    Err(e) if already_gone(&e) => {}
                    Err(e) => first_error = first_error.or(Some(e)),
                }
            }
            if let Some(net) = network {
                match bounded("remove network", &net, REMOVE_TIMEOUT, self.docker.remove_network(&net)).await {
                    Ok(()) => removed.networks += 1,
                    Err(e) if already_gone(&e) => {}
                    Err(e) => first_error = first_error.or(Some(e)),
                }
            }
            for v in volumes {
                let opts = bollard::query_parameters::RemoveVolumeOptions { force: true };
                match bounded(
                    "remove volume",
                    &v,
                    REMOVE_TIMEOUT,
                    self.docker.remove_volume(&v, Some(opts)),
                )
                .await
                {
                    Ok(()) => removed.volumes += 1,
                    Err(e) if already_gone(&e) => {}
                    Err(e) => first_error = first_error.or(Some(e)),
                }
            }
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
