//! The Docker backend: testcontainers creates and starts containers (image, env, labels,
//! network, mounts, fixed 127.0.0.1 port); bollard does what testcontainers has no call
//! for (kill with a signal, restart in place, network aliases, the events stream, logs,
//! cleanup by label). Every call has a timeout so no engine hiccup can hang a run.
//!
//! # Layout
//! - `mod.rs`: the engine connection, this backend's state and names, the trait impl.
//! - [`deploy`]: images, container requests, the network, volumes, services, replicas, front.
//! - [`faults`]: kill, stop, pause, disconnect, remove, and the recovery actions.
//! - [`dependency`]: faults on a service (kill, stop, pause, disconnect) and its return.
//! - [`proxy`]: the proxy in front of services whose links take network faults.
//! - [`burn`]: Fowler's drill — every container killed at once, then rebuilt in order.
//! - [`read_only`]: the read-only trial's extra instance.
//! - [`retire`]: a container that left the run, read and removed off the fault's path.
//! - [`events`]: the lifecycle event stream and output lines.
//! - [`audit`]: the files a container wrote (`docker diff` and the archive stat call), or
//!   [`upper`]: read from the engine's own storage directory where it can be.
//! - [`teardown`]: the one container-removal routine, teardown, and removal by label.
//! - [`images`]: making images available without a registry; `context` and `dockerignore`
//!   pack a build context as the docker CLI does.

mod audit;
mod burn;
mod context;
mod dependency;
mod deploy;
mod dockerignore;
mod events;
mod faults;
pub(crate) mod images;
mod memory;
mod proxy;
mod read_only;
mod retire;
mod teardown;
mod upper;

pub use audit::changed_files;
pub use teardown::{remove_labelled, TEARDOWN_DEADLINE};

use super::{
    bounded, free_port, BackendError, Deployed, Deployment, ImageSpec, Inspect, Lifecycle, RawFsRead, RawLifecycle,
    RawLog, RebuiltService, Removed, Result,
};
use crate::record::FsReadWhen;
use async_trait::async_trait;
use bollard::Docker;
use std::collections::BTreeMap;
use std::time::Duration;
use testcontainers::{ContainerAsync, GenericImage};
use tokio::sync::{mpsc, Mutex};

/// Bound for one engine call (create, start, kill, remove...).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound for one removal (or listing) while tearing down.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(15);
/// Bound for reaching the engine at all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

/// A container this backend started, as testcontainers hands it back.
type Container = ContainerAsync<GenericImage>;

/// How to make an unreachable engine answer.
pub(crate) const UNREACHABLE_HINT: &str =
    "start Docker (e.g. `sudo systemctl start docker`), or point DOCKER_HOST at a running engine";

/// Where the engine is expected, for error messages.
pub(crate) fn socket_description() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// Connects to the local engine (DOCKER_HOST or the default socket) and negotiates the
/// API version (Debian's engine speaks 1.41).
pub async fn connect() -> Result<Docker> {
    let socket = socket_description();
    let unreachable = |e: String| BackendError::Unreachable {
        engine: "the Docker engine".into(),
        at: socket.clone(),
        hint: UNREACHABLE_HINT.into(),
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
    container: Option<Container>,
}

#[derive(Default)]
struct State {
    network: Option<String>,
    replicas: BTreeMap<String, Replica>,
    services: Vec<(String, Container)>,
    /// The proxy in front of services whose links take network faults, and its API's
    /// 127.0.0.1 port.
    proxy: Option<(Container, u16)>,
    /// The read-only trial's extra instance, while it runs.
    read_only: Option<Container>,
    volumes: Vec<String>,
    /// The front's fixed 127.0.0.1 port, which its rebuild after a burn binds again.
    front_port: Option<u16>,
    /// Logs of this trial's retired containers, once their retirement is settled; taken
    /// by the trial's logs, cleared by the teardown.
    logs: Vec<RawLog>,
    /// Retirements under way.
    retiring: Vec<retire::Retiring>,
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
    /// The deployment asked for the audit's filesystem reads.
    audit: std::sync::atomic::AtomicBool,
}

impl DockerBackend {
    /// Connects to the engine for run `run_id`.
    pub async fn connect(run_id: &str) -> Result<DockerBackend> {
        Ok(DockerBackend {
            docker: connect().await?,
            run_id: run_id.to_string(),
            state: Mutex::new(State::default()),
            watcher: std::sync::Mutex::new(None),
            audit: std::sync::atomic::AtomicBool::new(true),
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

    /// The container name of a member; a replica keeps it across replacements (the old
    /// container is removed first), so a balancer finds it by name through Docker's DNS.
    fn container_name(&self, member: &str) -> String {
        format!("phoenix-{}-{member}", self.short_run())
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
}

#[async_trait]
impl Lifecycle for DockerBackend {
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

    async fn ensure_images(&self, images: &[ImageSpec]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for i in images {
            out.push((i.reference.clone(), self.ensure_image(i).await?));
        }
        Ok(out)
    }

    async fn watch(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>> {
        self.watch_events()
    }

    async fn deploy(&self, d: &Deployment) -> Result<Deployed> {
        self.deploy_all(d).await
    }

    async fn kill(&self, replica: &str) -> Result<()> {
        self.kill_replica(replica).await
    }

    async fn stop(&self, replica: &str, grace: Duration) -> Result<()> {
        self.stop_replica(replica, grace).await
    }

    async fn restart(&self, replica: &str) -> Result<()> {
        self.restart_replica(replica).await
    }

    async fn replace(&self, replica: &str) -> Result<()> {
        self.replace_replica(replica).await
    }

    async fn pause(&self, replica: &str) -> Result<()> {
        self.pause_replica(replica).await
    }

    async fn unpause(&self, replica: &str) -> Result<()> {
        self.unpause_replica(replica).await
    }

    async fn disconnect(&self, replica: &str) -> Result<()> {
        self.disconnect_replica(replica).await
    }

    async fn reconnect(&self, replica: &str) -> Result<()> {
        self.reconnect_replica(replica).await
    }

    async fn remove(&self, replica: &str, grace: Duration) -> Result<()> {
        self.remove_replica(replica, grace).await
    }

    async fn add(&self, replica: &str) -> Result<()> {
        self.add_replica(replica).await
    }

    async fn fault_service(&self, service: &str, fault: super::ServiceFault) -> Result<()> {
        self.fault_a_service(service, fault).await
    }

    async fn recover_service(&self, service: &str, action: super::ServiceAction) -> Result<RebuiltService> {
        self.recover_a_service(service, action).await
    }

    async fn burn(&self) -> Result<()> {
        self.burn_all().await
    }

    async fn rebuild(&self) -> Result<Vec<RebuiltService>> {
        self.rebuild_all().await
    }

    async fn teardown(&self) -> Result<Removed> {
        self.teardown_all().await
    }
}

#[async_trait]
impl Inspect for DockerBackend {
    async fn start_read_only(&self, tmp_bytes: u64) -> Result<super::Endpoint> {
        self.start_read_only_instance(tmp_bytes).await
    }

    async fn stop_read_only(&self) -> Vec<(i64, String)> {
        self.stop_read_only_instance().await
    }

    async fn logs(&self) -> Vec<RawLog> {
        self.all_logs().await
    }

    async fn read_changes(&self, replica: &str, when: FsReadWhen) -> Result<Option<(String, RawFsRead)>> {
        let id = Self::replica_id(&*self.state.lock().await, replica)?;
        Ok(self.read_fs(&id, when).await.map(|r| (id, r)))
    }

    async fn memory(&self) -> Result<Vec<super::MemoryReading>> {
        self.read_memory().await
    }
}
