//! The scenario file exactly as the user wrote it (serde, unknown keys rejected).
//! Nothing here is checked beyond types; `validate.rs` turns it into a `Scenario`.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Top level of a scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Lowest certification level that exits 0.
    pub require: Option<String>,
    /// Fresh deployments to run, one after another.
    pub trials: Option<i64>,
    pub app: AppFile,
    pub load: LoadFile,
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultFile>,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceFile>,
    pub certify: Option<CertifyFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFile {
    pub image: String,
    pub build: Option<BuildFile>,
    pub port: i64,
    pub replicas: Option<i64>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub health: Option<HealthFile>,
    /// How long a fresh deployment may take to become healthy.
    pub start_timeout: Option<String>,
    /// Named volumes mounted into every replica: `"name:/path"`.
    #[serde(default)]
    pub volumes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildFile {
    /// Build context directory, relative to the scenario file.
    pub context: String,
    /// Dockerfile inside the context.
    pub dockerfile: Option<String>,
    /// A command run before the image build, from the scenario file's directory.
    pub command: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthFile {
    pub path: Option<String>,
    pub status: Option<i64>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadFile {
    /// Requests per second, open loop.
    pub rate: f64,
    pub duration: String,
    /// Per-request timeout.
    pub timeout: Option<String>,
    /// Width of a latency window.
    pub window: Option<String>,
    /// Requests allowed in flight at once; beyond it a request is counted as failed (other).
    pub max_in_flight: Option<i64>,
    /// Reuse connections (keep-alive). Off by default so every request is a fresh
    /// connection and no client-side retry can hide a failure.
    pub keep_alive: Option<bool>,
    #[serde(default)]
    pub requests: Vec<RequestFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFile {
    pub method: Option<String>,
    pub path: String,
    pub body: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub weight: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    /// Offset from the start of the load.
    pub at: String,
    pub kind: String,
    /// What the orchestrator does afterwards: restart | replace.
    pub then: Option<String>,
    pub target: String,
    /// Reaction delay before the restart or replacement.
    pub delay: Option<String>,
    /// For `stop`: how long SIGTERM may take before SIGKILL.
    pub grace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    pub name: String,
    pub image: String,
    /// Folder with an executable `build.sh <image>` that builds the image when missing.
    pub recipe: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifyFile {
    pub time_to_healthy_target: Option<String>,
    pub steady_window: Option<String>,
    pub steady_p99_tolerance: Option<f64>,
}
