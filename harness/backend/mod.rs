//! Backends deploy the app and its services, inject faults and report lifecycle events.
//! The trait speaks of replicas, instances and endpoints, not containers, so a Kubernetes
//! backend can implement it later; `docker/` is the one implementation today.

mod context;
pub mod docker;
mod dockerignore;
pub(crate) mod images;
pub mod labels;

use crate::record::LifecycleKind;
use crate::scenario::{Scenario, VolumeMount};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;

/// What to deploy for one trial.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub image: String,
    /// Port the app listens on inside its instance.
    pub port: u16,
    pub env: BTreeMap<String, String>,
    pub volumes: Vec<VolumeMount>,
    pub replicas: Vec<String>,
    pub services: Vec<ServiceSpec>,
    /// A load balancer in front of the replicas.
    pub front: Option<FrontDeploy>,
}

/// A balancer to start after the replicas.
#[derive(Debug, Clone)]
pub struct FrontDeploy {
    pub image: String,
    pub options: crate::front::HaproxyOptions,
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
}

impl Deployment {
    pub fn of(scenario: &Scenario) -> Deployment {
        Deployment {
            image: scenario.app.image.clone(),
            port: scenario.app.port,
            env: scenario.app.env.clone(),
            volumes: scenario.app.volumes.clone(),
            replicas: scenario.app.replicas.clone(),
            services: scenario
                .services
                .iter()
                .map(|s| ServiceSpec {
                    name: s.name.clone(),
                    image: s.image.clone(),
                    env: s.env.clone(),
                    ready_log: s.ready_log.clone(),
                })
                .collect(),
            front: scenario.front.as_ref().map(|f| FrontDeploy {
                image: f.image.clone(),
                options: crate::front::HaproxyOptions {
                    check_interval: f.check_interval,
                    fall: f.fall,
                    retries: f.retries,
                    redispatch: f.redispatch,
                    server_timeout: scenario.load.timeout,
                    health_path: scenario.app.health.path.clone(),
                    health_status: scenario.app.health.status,
                },
            }),
        }
    }
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
}

/// What a teardown removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Removed {
    pub containers: usize,
    pub networks: usize,
    pub volumes: usize,
}

/// Errors from a backend; each names the operation and the object.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach the Docker engine at {socket}: {reason}\n  hint: start Docker (e.g. `sudo systemctl start docker`), or point DOCKER_HOST at a running engine")]
    Unreachable { socket: String, reason: String },
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

/// A place to run the app.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Backend name and engine version, for the report.
    async fn describe(&self) -> Result<(String, String)>;
    /// Makes every image the scenario needs available locally (building when missing or
    /// when `rebuild`), returning (image, id) pairs.
    async fn ensure_images(&self, scenario: &Scenario, rebuild: bool) -> Result<Vec<(String, String)>>;
    /// Starts delivering lifecycle events of this run's instances.
    async fn watch(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>>;
    /// Starts services, then replicas; returns the replicas' endpoints.
    async fn deploy(&self, deployment: &Deployment) -> Result<Deployed>;
    /// Ends the replica abruptly (SIGKILL).
    async fn kill(&self, replica: &str) -> Result<()>;
    /// Asks the replica to stop (SIGTERM), then kills it after `grace`.
    async fn stop(&self, replica: &str, grace: Duration) -> Result<()>;
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
    /// Scales down: stops the replica (SIGTERM, then SIGKILL after `grace`) and removes it;
    /// its endpoint stays reserved.
    async fn remove(&self, replica: &str, grace: Duration) -> Result<()>;
    /// Scales up: starts a fresh instance from the image on the replica's endpoint.
    async fn add(&self, replica: &str) -> Result<()>;
    /// Output of every instance so far, including replaced ones.
    async fn logs(&self) -> Vec<RawLog>;
    /// Removes everything this run created, in order: instances, networks, volumes.
    async fn teardown(&self) -> Result<Removed>;
}
