//! The Docker Swarm backend: each replica slot is a swarm service of one task, published in
//! host mode on a fixed port, so a task the platform (or the harness, through a forced
//! service update) replaces comes back on the same 127.0.0.1 endpoint. Faults hit the
//! current task's container through the engine; `then = "platform"` leaves the replacement
//! to the service's restart policy and measures it. Images, container events and output
//! come through the Docker backend's own code (the containers are ordinary containers).
//!
//! Why not one service of R replicas: with the routing mesh gone (this kernel has no
//! ip_vs) a replicated service's host-mode ports are either dynamic (a new port for each
//! replacement task) or fixed and shared (two tasks cannot sit on one node). One service
//! per slot gives each slot a port of its own that survives replacements.
//!
//! # Layout
//! - `mod.rs`: state, swarm mode (initialised when inactive, left only if this backend
//!   initialised it), the trait impl.
//! - [`spec`]: the service spec of a slot.
//! - [`front`]: HAProxy as a container on the run's overlay network.
//! - [`services`]: the scenario's dependencies, as services on that network.
//! - [`tasks`]: reading a slot's tasks; deploy, faults and recovery actions.
//! - [`teardown`]: services, then containers, network and volumes by label; swarm left.

mod front;
mod services;
mod spec;
mod tasks;
mod teardown;

pub use teardown::{labelled_objects, labelled_services, remove_run};

use super::docker::DockerBackend;
use super::{
    bounded, BackendError, Deployed, Deployment, ImageSpec, Inspect, Lifecycle, RawLifecycle, RawLog, Removed, Result,
    Updated,
};
use async_trait::async_trait;
use bollard::models::LocalNodeState;
use bollard::Docker;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

/// Bound for one engine call.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound for a slot's task to be running after a deploy, an update or a failure.
const RUNNING_WITHIN: Duration = Duration::from_secs(60);
/// How often a slot's tasks are read while waiting.
const POLL: Duration = Duration::from_millis(25);

/// Whether this process put the engine in swarm mode and has not left it yet: the forced
/// cleanup of an interrupted run reads it.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// An interrupted run's last resort: removes the services and objects labelled `label`
/// and leaves swarm mode if this process entered it.
pub(crate) async fn forced_cleanup(docker: &Docker, label: &str) {
    let _ = remove_run(docker, label).await;
    if ENTERED.swap(false, Ordering::SeqCst) {
        let opts = bollard::query_parameters::LeaveSwarmOptions { force: true };
        let _ = tokio::time::timeout(CALL_TIMEOUT, docker.leave_swarm(Some(opts))).await;
    }
}

/// One replica slot: its service, its fixed port, and every container it has had.
struct Slot {
    service: String,
    port: u16,
    /// Container ids of the slot's tasks in the order they ran; the last is current.
    seen: Vec<String>,
}

#[derive(Default)]
struct State {
    network: Option<String>,
    slots: BTreeMap<String, Slot>,
    deployment: Option<Deployment>,
}

/// Docker Swarm through bollard.
pub struct SwarmBackend {
    docker: Docker,
    /// Images, the container event stream and output lines: the same as on Docker.
    containers: DockerBackend,
    run_id: String,
    state: Mutex<State>,
    /// Whether this backend put the engine in swarm mode, and so must leave it.
    initialised: AtomicBool,
}

impl SwarmBackend {
    /// Connects to the engine for run `run_id`; swarm mode is entered at the deploy.
    pub async fn connect(run_id: &str) -> Result<SwarmBackend> {
        Ok(SwarmBackend {
            docker: super::docker::connect().await?,
            containers: DockerBackend::connect(run_id).await?,
            run_id: run_id.to_string(),
            state: Mutex::new(State::default()),
            initialised: AtomicBool::new(false),
        })
    }

    /// A short name for this run's objects (a hash of the run id).
    fn short_run(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.run_id.hash(&mut h);
        format!("{:010x}", h.finish() & 0xff_ffff_ffff)
    }

    fn object_name(&self, member: &str) -> String {
        format!("phoenix-{}-{member}", self.short_run())
    }

    /// Puts the engine in swarm mode if it is not, remembering that this backend did.
    async fn ensure_swarm(&self) -> Result<()> {
        let info = bounded(
            "read the state of",
            "the Docker engine",
            CALL_TIMEOUT,
            self.docker.info(),
        )
        .await?;
        let swarm = info.swarm.unwrap_or_default();
        match swarm.local_node_state {
            Some(LocalNodeState::ACTIVE) if swarm.control_available == Some(true) => Ok(()),
            Some(LocalNodeState::ACTIVE) => Err(BackendError::Op {
                op: "deploy on",
                what: "this swarm".into(),
                reason: "this engine is a swarm worker; services can only be created on a manager".into(),
            }),
            Some(LocalNodeState::INACTIVE) | None => {
                let req = bollard::models::SwarmInitRequest {
                    // the cluster port only on loopback: this swarm is this machine's alone
                    listen_addr: Some("127.0.0.1:2377".into()),
                    advertise_addr: Some("127.0.0.1".into()),
                    ..Default::default()
                };
                bounded(
                    "initialise swarm mode on",
                    "the Docker engine",
                    CALL_TIMEOUT,
                    self.docker.init_swarm(req),
                )
                .await?;
                self.initialised.store(true, Ordering::SeqCst);
                ENTERED.store(true, Ordering::SeqCst);
                Ok(())
            }
            Some(other) => Err(BackendError::Op {
                op: "deploy on",
                what: "this swarm".into(),
                reason: format!(
                    "the engine's swarm state is {other:?}; wait for it to settle or fix it (`docker info`)"
                ),
            }),
        }
    }

    /// Leaves swarm mode if this backend entered it; a swarm it found is never left.
    async fn leave_if_ours(&self) -> Result<()> {
        if !self.initialised.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        ENTERED.store(false, Ordering::SeqCst);
        let opts = bollard::query_parameters::LeaveSwarmOptions { force: true };
        bounded(
            "leave swarm mode on",
            "the Docker engine",
            CALL_TIMEOUT,
            self.docker.leave_swarm(Some(opts)),
        )
        .await
    }

    fn slot<'a>(state: &'a State, replica: &str) -> Result<&'a Slot> {
        state
            .slots
            .get(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))
    }
}

#[async_trait]
impl Lifecycle for SwarmBackend {
    async fn describe(&self) -> Result<(String, String)> {
        let (_, version) = self.containers.describe().await?;
        Ok(("swarm".into(), version))
    }

    async fn ensure_images(&self, images: &[ImageSpec]) -> Result<Vec<(String, String)>> {
        // a single-node swarm runs the node's local images: nothing is pushed or pulled
        self.containers.ensure_images(images).await
    }

    async fn watch(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>> {
        // task containers carry the run's labels, so the container events are the same
        self.containers.watch().await
    }

    async fn deploy(&self, d: &Deployment) -> Result<Deployed> {
        self.deploy_all(d).await
    }

    async fn kill(&self, replica: &str) -> Result<()> {
        self.signal(replica, "SIGKILL").await
    }

    async fn stop(&self, replica: &str, grace: Duration) -> Result<()> {
        self.stop_task(replica, grace).await
    }

    async fn restart(&self, replica: &str) -> Result<()> {
        // a swarm task never runs twice: the harness's restart is a forced update, a new task
        self.force_update(replica).await
    }

    async fn replace(&self, replica: &str) -> Result<()> {
        self.force_update(replica).await
    }

    fn updates(&self) -> bool {
        true
    }

    async fn update(&self, replica: &str, grace: Duration) -> Result<Updated> {
        self.rolling_update(replica, grace).await
    }

    async fn platform(&self, replica: &str) -> Result<i64> {
        self.await_replacement(replica).await
    }

    async fn pause(&self, replica: &str) -> Result<()> {
        let id = self.current(replica).await?;
        bounded("pause", replica, CALL_TIMEOUT, self.docker.pause_container(&id)).await
    }

    async fn unpause(&self, replica: &str) -> Result<()> {
        let id = self.current(replica).await?;
        bounded("unpause", replica, CALL_TIMEOUT, self.docker.unpause_container(&id)).await
    }

    async fn disconnect(&self, replica: &str) -> Result<()> {
        Err(unsupported("disconnect", replica))
    }

    async fn reconnect(&self, replica: &str) -> Result<()> {
        Err(unsupported("reconnect", replica))
    }

    async fn remove(&self, replica: &str, grace: Duration) -> Result<()> {
        self.scale(replica, 0, grace).await
    }

    async fn add(&self, replica: &str) -> Result<()> {
        self.scale(replica, 1, Duration::ZERO).await
    }

    async fn teardown(&self) -> Result<Removed> {
        self.teardown_all().await
    }
}

#[async_trait]
impl Inspect for SwarmBackend {
    async fn logs(&self) -> Vec<RawLog> {
        let seen: Vec<(String, String)> = {
            let state = self.state.lock().await;
            state
                .slots
                .iter()
                .flat_map(|(r, s)| s.seen.iter().map(move |id| (r.clone(), id.clone())))
                .collect()
        };
        let mut out = Vec::new();
        for (replica, id) in seen {
            out.push(
                self.containers
                    .fetch_logs(&replica, &id, crate::record::FsReadWhen::End)
                    .await,
            );
        }
        out
    }
}

/// A disconnect is refused: a host-mode published port does not go through the overlay
/// network, so cutting the task off it would not cut it off its clients.
fn unsupported(op: &'static str, replica: &str) -> BackendError {
    BackendError::Op {
        op,
        what: replica.into(),
        reason: "not supported with backend = \"swarm\" (a host-mode port does not pass the overlay network)".into(),
    }
}
