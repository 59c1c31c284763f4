//! Backends deploy the app and its services, inject faults and report lifecycle events.
//! The trait speaks of replicas, instances and endpoints, not containers, so a Kubernetes
//! backend can implement it later; `docker/` runs containers, `process/` runs the app as
//! local processes. No type from the scenario file or from an engine crate crosses the
//! trait: the scenario side maps a scenario to a [`Deployment`] and [`ImageSpec`]s
//! (`crate::execute::deployment`).

pub mod clean;
pub mod front;

pub mod docker;
pub mod labels;
pub mod process;
pub mod swarm;
// the execute stage's unit tests and the contract suite's fake platform, never in `phoenix`
#[cfg(any(test, feature = "test-support"))]
pub mod fake;

use crate::record::{FsFile, FsReadWhen, LifecycleKind};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// What to deploy for one trial.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The app's image (Docker); empty when `process` says what to run.
    pub image: String,
    /// Port the app listens on inside its instance (Docker).
    pub port: u16,
    pub env: BTreeMap<String, String>,
    pub volumes: Vec<Volume>,
    pub replicas: Vec<String>,
    pub services: Vec<ServiceSpec>,
    /// A load balancer in front of the replicas.
    pub front: Option<FrontDeploy>,
    /// A local program to run as each instance instead of an image (the process backend).
    pub process: Option<ProcessSpec>,
    /// When the platform replaces a failed instance by itself, after this delay (its
    /// restart policy; swarm only). None: the harness restarts or replaces.
    pub platform_delay: Option<Duration>,
    /// Read the instances' filesystems for the statelessness audit (off: no read at all).
    pub audit: bool,
}
pub use crate::scenario::PORT_PLACEHOLDER;

/// A program started once per instance, in the instance's own working folder. Every
/// [`PORT_PLACEHOLDER`] in `args` and in the deployment's env values is replaced by the
/// replica's port, so each replica listens on a loopback port of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSpec {
    /// Absolute path of the program.
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// A named volume that outlives instances, and where each instance mounts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    pub name: String,
    pub path: String,
}

/// A balancer to start after the replicas.
#[derive(Debug, Clone)]
pub struct FrontDeploy {
    pub image: String,
    pub(crate) options: crate::backend::front::HaproxyOptions,
}

/// Where a deployment can be reached.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub replicas: Vec<Endpoint>,
    /// The balancer, when there is one: where the load goes.
    pub front: Option<Endpoint>,
}

/// A dependency, reachable from the app by `name`.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub name: String,
    pub image: String,
    pub env: BTreeMap<String, String>,
    /// Wait for this output line before going on.
    pub ready_log: Option<String>,
    /// Named volumes mounted into the service; they outlive its containers (a burn).
    pub volumes: Vec<Volume>,
    /// Replaces the image's command.
    pub command: Option<Vec<String>>,
    /// The port the app reaches it on, when a network fault targets its link: a proxy
    /// ([`PROXY_IMAGE`]) then answers for its name on that port and forwards to it.
    pub proxied_port: Option<u16>,
}

/// The proxy put in front of a service whose link takes network faults: phoenix-proxy
/// (`scenarios/apps/proxy`), Toxiproxy's HTTP API on [`PROXY_API_PORT`].
pub const PROXY_IMAGE: &str = "phoenix-proxy:latest";
/// Toxiproxy's API port, inside the proxy's container.
pub const PROXY_API_PORT: u16 = 8474;

/// A service started again: by the rebuild after a burn, or after a fault of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuiltService {
    pub name: String,
    /// When it was ready again (its `ready_log` seen, else started), µs since the epoch.
    pub(crate) ready_unix_us: i64,
    /// The named volumes it mounts, as the scenario names them.
    pub volumes: Vec<String>,
    /// Every one of them still existed when it started again: it came back from them.
    pub(crate) volumes_kept: bool,
}

/// A Toxiproxy toxic, as the proxy's API takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToxicSpec {
    /// Toxiproxy's type: latency, bandwidth, timeout, reset_peer, slow_close, limit_data.
    pub kind: String,
    /// `upstream` or `downstream`.
    pub stream: String,
    pub toxicity: f64,
    /// In Toxiproxy's names and units (ms, KB/s, bytes).
    pub attributes: BTreeMap<String, u64>,
}

/// A fault on a service, a dependency of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceFault {
    /// SIGKILL.
    Kill,
    /// SIGTERM, then SIGKILL after `grace`.
    Stop { grace: Duration },
    /// Every process frozen.
    Pause,
    /// Cut off the run's network: the app's connections to it hang, then fail.
    Disconnect,
    /// A toxic on the proxy in front of it: the app's link degraded, the service untouched.
    Toxic(ToxicSpec),
}

/// What ends a service's fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ServiceAction {
    /// The same container started again (its own filesystem kept).
    Restart,
    /// A fresh container from the image, with the service's named volumes only.
    Replace,
    Unpause,
    Reconnect,
    /// The toxic removed from the link.
    Heal,
}

/// An image a deployment needs, and how to make it when it is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSpec {
    /// `name[:tag]`.
    pub reference: String,
    pub source: ImageSource,
    /// Make it again even when present.
    pub rebuild: bool,
}

/// How to make a missing image.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    /// A command, then a build context.
    Build(BuildSpec),
    /// A folder holding `build.sh`, run as `build.sh <image>`.
    Recipe(PathBuf),
    /// No way given: fetch it (the last resort, there may be no registry).
    Fetch,
}

/// Building an image from a context folder.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSpec {
    /// Absolute build context directory.
    pub context: PathBuf,
    /// Build file path inside the context.
    pub(crate) dockerfile: String,
    /// Run first, in `workdir`.
    pub command: Option<Vec<String>>,
    /// Directory the command runs in.
    pub(crate) workdir: PathBuf,
    /// Variables the command may see besides `images::HOST_ENV` (`images::host_env`).
    pub env: Vec<String>,
}

/// Where a replica can be reached: always a 127.0.0.1 address that stays the same across
/// restarts and replacements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub replica: String,
    pub addr: SocketAddr,
}

/// A lifecycle event with the backend's own wall-clock timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct RawLifecycle {
    pub unix_us: i64,
    pub replica: String,
    pub instance: String,
    pub kind: LifecycleKind,
}

/// Output lines of one instance with wall-clock timestamps, and the files it added to its
/// own filesystem.
#[derive(Debug, Clone, Default)]
pub struct RawLog {
    pub replica: String,
    pub instance: String,
    pub lines: Vec<(i64, String)>,
    pub writes: Vec<String>,
    /// The instance's last read of its filesystem changes (when replaced, or now).
    pub reads: Vec<RawFsRead>,
}

/// Paths kept per read of an instance's filesystem changes.
pub(crate) const MAX_FS_FILES: usize = 2000;
/// Files whose size one read asks for (each one engine call on Docker).
pub(crate) const MAX_FS_STATS: usize = 256;
/// Bytes of a sample answer read by the old-versus-fresh comparison.
pub(crate) const MAX_SAMPLE_BODY: usize = 64 * 1024;
/// Bytes of a sample answer kept as text.
pub(crate) const MAX_SAMPLE_TEXT: usize = 4096;

/// One read of an instance's own filesystem changes, with the backend's wall clock.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFsRead {
    pub unix_us: i64,
    pub when: FsReadWhen,
    pub files: Vec<FsFile>,
    pub(crate) truncated: bool,
}

/// What a platform's update did ([`Backend::update`]), µs since the epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Updated {
    /// When the platform scheduled the fresh instance.
    pub scheduled_us: i64,
    /// When the old instance had stopped, if the engine tells.
    pub old_stopped_us: Option<i64>,
}

/// One reading of the memory of a replica's current instance.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryReading {
    pub replica: String,
    pub instance: String,
    /// Wall clock of the reading, µs since the epoch.
    pub unix_us: i64,
    /// Anonymous resident memory (heap and stacks, no page cache), bytes.
    pub bytes: u64,
}

/// What a teardown removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Removed {
    /// Instances: containers, or the process backend's processes (each with its folder).
    pub containers: usize,
    pub networks: usize,
    pub volumes: usize,
}

/// Errors from a backend; each names the operation and the object.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach {engine} at {at}: {reason}\n  hint: {hint}")]
    Unreachable {
        /// What was to be reached, e.g. "the Docker engine".
        engine: String,
        /// Where it was expected.
        at: String,
        reason: String,
        /// How to fix it.
        hint: String,
    },
    #[error("image '{image}' is not present locally and the scenario says no way to build it\n  hint: add [app.build] (a Dockerfile context) or a service `recipe`, or build it yourself first")]
    ImageMissing { image: String },
    #[error("building image '{image}' failed: {step}\n--- last lines of the build output ---\n{tail}")]
    BuildFailed { image: String, step: String, tail: String },
    #[error("failed to {op} '{what}': {reason}")]
    Op {
        op: &'static str,
        what: String,
        reason: String,
    },
    #[error("{op} '{what}' did not finish within {after:?}")]
    Timeout {
        op: &'static str,
        what: String,
        after: Duration,
    },
    #[error("no replica named '{0}'")]
    UnknownReplica(String),
}

pub type Result<T> = std::result::Result<T, BackendError>;

/// A backend that runs no services was asked to fault one (validation refuses it first).
fn no_services(service: &str) -> BackendError {
    BackendError::Op {
        op: "fault the service",
        what: service.into(),
        reason: "this backend does not fault services: use backend = \"docker\"".into(),
    }
}

pub(crate) use crate::clock::unix_now_us;

/// A free TCP port on 127.0.0.1, chosen by the kernel.
pub(crate) fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| BackendError::Op {
        op: "find a free port",
        what: "127.0.0.1".into(),
        reason: e.to_string(),
    })?;
    Ok(l.local_addr().map(|a| a.port()).unwrap_or(0))
}

/// A place to run the app: its lifecycle and faults ([`Lifecycle`]), and what the audit and
/// the report read of its instances ([`Inspect`]). Every backend implements both; callers
/// hold a `&dyn Backend` and import the half they use.
pub trait Backend: Lifecycle + Inspect {}

impl<T: Lifecycle + Inspect + ?Sized> Backend for T {}

/// What the execute stage drives: deploying, watching, the faults and their actions, the
/// burn and its rebuild, the teardown.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Backend name and engine version, for the report.
    async fn describe(&self) -> Result<(String, String)>;
    /// Makes every image available locally (made when missing, or when it says `rebuild`),
    /// returning (image, id) pairs in the order given.
    async fn ensure_images(&self, images: &[ImageSpec]) -> Result<Vec<(String, String)>>;
    /// Starts delivering lifecycle events of this run's instances.
    async fn watch(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>>;
    /// Starts services, then replicas; returns the replicas' endpoints.
    async fn deploy(&self, deployment: &Deployment) -> Result<Deployed>;
    /// Ends the replica abruptly (SIGKILL).
    async fn kill(&self, replica: &str) -> Result<()>;
    /// Asks the replica to stop (SIGTERM), then kills it after `grace`.
    async fn stop(&self, replica: &str, grace: Duration) -> Result<()>;
    /// Waits until the platform has replaced a failed instance by itself (an orchestrator's
    /// restart policy) and the replacement runs; returns when the platform scheduled it, in
    /// µs since the epoch. Only a backend with a platform does this.
    async fn platform(&self, replica: &str) -> Result<i64> {
        Err(BackendError::Op {
            op: "wait for the platform to replace",
            what: replica.into(),
            reason: "this backend has no platform of its own: use then = \"restart\" or \"replace\"".into(),
        })
    }
    /// Whether `then = "replace"` goes through the platform's own update
    /// ([`Backend::update`]) rather than [`Backend::replace`].
    fn updates(&self) -> bool {
        false
    }
    /// Replaces the instance through the platform's own rolling update: the platform stops
    /// the old instance if it still runs (SIGTERM, then SIGKILL after `grace`) and starts a
    /// fresh one on the same endpoint. Returns once the fresh one runs, with when the
    /// platform scheduled it and when the old one had stopped. Only a backend with a
    /// platform does this.
    async fn update(&self, replica: &str, grace: Duration) -> Result<Updated> {
        let _ = grace;
        Err(BackendError::Op {
            op: "update",
            what: replica.into(),
            reason: "this backend has no platform update of its own: the harness replaces".into(),
        })
    }
    /// Starts the same instance again.
    async fn restart(&self, replica: &str) -> Result<()>;
    /// Removes the instance and starts a fresh one from the image on the same endpoint.
    async fn replace(&self, replica: &str) -> Result<()>;
    /// Freezes every process of the replica.
    async fn pause(&self, replica: &str) -> Result<()>;
    /// Thaws a paused replica.
    async fn unpause(&self, replica: &str) -> Result<()>;
    /// Cuts the replica off the run's network.
    async fn disconnect(&self, replica: &str) -> Result<()>;
    /// Connects a cut-off replica again.
    async fn reconnect(&self, replica: &str) -> Result<()>;
    /// Faults a service of the deployment. Only a backend that runs services does.
    async fn fault_service(&self, service: &str, fault: ServiceFault) -> Result<()> {
        let _ = fault;
        Err(no_services(service))
    }
    /// Ends a service's fault and returns once the service is ready again (its ready line
    /// printed after the action, else running or connected again).
    async fn recover_service(&self, service: &str, action: ServiceAction) -> Result<RebuiltService> {
        let _ = action;
        Err(no_services(service))
    }
    /// Scales down: stops the replica (SIGTERM, then SIGKILL after `grace`) and removes it;
    /// its endpoint stays reserved.
    async fn remove(&self, replica: &str, grace: Duration) -> Result<()>;
    /// Scales up: starts a fresh instance from the image on the replica's endpoint.
    async fn add(&self, replica: &str) -> Result<()>;
    /// Fowler's drill, first half: kills every container of the deployment at once
    /// (replicas, services, front) with SIGKILL. Named volumes stay.
    async fn burn(&self) -> Result<()> {
        Err(BackendError::Op {
            op: "burn",
            what: "the deployment".into(),
            reason: "this backend cannot burn a deployment (validation refuses kind = \"burn\" here)".into(),
        })
    }
    /// The second half: every container created again from its image — services first, in
    /// order, each waiting for its ready line and mounting its named volumes, then the
    /// replicas on their endpoints, then the front on its own. Returns the services.
    async fn rebuild(&self) -> Result<Vec<RebuiltService>> {
        Err(BackendError::Op {
            op: "rebuild",
            what: "the deployment".into(),
            reason: "this backend cannot rebuild a deployment after a burn".into(),
        })
    }
    /// Removes everything this run created, in order: instances, networks, volumes.
    async fn teardown(&self) -> Result<Removed>;
}

/// What the audit and the report read of the instances: their output, the files they wrote
/// to their own filesystem, their memory, and the read-only trial's extra instance.
#[async_trait]
pub trait Inspect: Send + Sync {
    /// Starts one extra instance of the deployed app beside the replicas, no fault's
    /// target: its root filesystem read-only, a tmpfs of `tmp_bytes` at /tmp, the
    /// deployment's env, volumes and network, on a 127.0.0.1 port of its own. Only a
    /// backend whose instances are containers can.
    async fn start_read_only(&self, tmp_bytes: u64) -> Result<Endpoint> {
        let _ = tmp_bytes;
        Err(BackendError::Op {
            op: "start a read-only instance on",
            what: "this backend".into(),
            reason: "only the docker backend can give an instance a read-only root filesystem".into(),
        })
    }
    /// Removes the read-only instance, returning its output lines (µs since the epoch,
    /// line). Nothing to do when there is none.
    async fn stop_read_only(&self) -> Vec<(i64, String)> {
        Vec::new()
    }
    /// Output of every instance so far, including replaced ones.
    async fn logs(&self) -> Vec<RawLog>;
    /// Reads the files the replica's current instance wrote to its own filesystem (volumes
    /// excluded); returns its instance id with the read. `Ok(None)`: this backend cannot.
    async fn read_changes(&self, replica: &str, when: FsReadWhen) -> Result<Option<(String, RawFsRead)>> {
        let _ = (replica, when);
        Ok(None)
    }

    /// Reads the anonymous resident memory of every replica's running instance (a replica
    /// that is down is left out). Err: this backend cannot measure it, and why.
    async fn memory(&self) -> Result<Vec<MemoryReading>> {
        Err(BackendError::Op {
            op: "read memory",
            what: "the replicas".into(),
            reason: "this backend does not measure memory".into(),
        })
    }
}

/// Runs an engine call (Docker or Swarm) with a timeout, naming the operation in errors.
pub(crate) async fn bounded<T, E: std::fmt::Display>(
    op: &'static str,
    what: &str,
    after: Duration,
    fut: impl std::future::Future<Output = std::result::Result<T, E>>,
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
