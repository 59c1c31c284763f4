//! The scenario file exactly as the user wrote it (serde, unknown keys rejected).
//! Nothing here is checked beyond types; `validate/` turns it into a `Scenario`.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Top level of a scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioFile {
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
    #[serde(default, rename = "check")]
    pub checks: Vec<CheckFile>,
    pub certify: Option<CertifyFile>,
    pub front: Option<FrontFile>,
    pub audit: Option<AuditFile>,
}

/// `[audit]`: paths and JSON fields the statelessness audit ignores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditFile {
    pub(crate) enabled: Option<bool>,
    #[serde(default)]
    pub ephemeral: Vec<String>,
    #[serde(default)]
    pub(crate) volatile: Vec<String>,
    /// After the load, one extra replica with a read-only root filesystem gets the mix.
    pub read_only_trial: Option<bool>,
    /// How long the read-only trial's load runs (default 3 s).
    pub(crate) read_only_duration: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppFile {
    /// Where the replicas run: `docker` (the default) or `process`.
    pub backend: Option<String>,
    /// A docker-compose file (relative to the scenario file) describing the stack; its
    /// `service` is the app, every other service a dependency (see `compose/`).
    pub compose: Option<String>,
    /// The compose service to replicate, kill and load.
    pub service: Option<String>,
    /// Environment variables the compose file may read (by name); any other is withheld.
    #[serde(default)]
    pub(crate) compose_env: Vec<String>,
    /// Required with the Docker backend (validation says so, located at `[app]`).
    pub image: Option<String>,
    pub build: Option<BuildFile>,
    /// Required with the Docker backend.
    pub port: Option<i64>,
    /// For `backend = "process"`: the program, relative to the scenario file, and its
    /// arguments; `{port}` in them (and in `env` values) becomes the replica's port.
    pub command: Option<Vec<String>>,
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
pub(crate) struct BuildFile {
    /// Build context directory, relative to the scenario file.
    pub context: String,
    /// Dockerfile inside the context.
    pub(crate) dockerfile: Option<String>,
    /// A command run before the image build, from the scenario file's directory.
    pub command: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HealthFile {
    pub path: Option<String>,
    pub status: Option<i64>,
    pub interval: Option<String>,
    pub slow_interval: Option<String>,
    pub timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoadFile {
    /// Requests per second, open loop.
    pub rate: f64,
    pub duration: String,
    /// Per-request timeout.
    pub timeout: Option<String>,
    /// Width of a latency window.
    pub window: Option<String>,
    /// Requests allowed in flight at once; beyond it a request is counted as failed (other).
    pub(crate) max_in_flight: Option<i64>,
    /// Reuse connections (keep-alive). Off by default so every request is a fresh
    /// connection and no client-side retry can hide a failure.
    pub keep_alive: Option<bool>,
    #[serde(default)]
    pub requests: Vec<RequestFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestFile {
    pub method: Option<String>,
    pub path: String,
    /// Raw text body.
    pub body: Option<String>,
    /// URL-encoded form body.
    pub form: Option<BTreeMap<String, String>>,
    /// JSON body, written as TOML.
    pub json: Option<toml::Value>,
    /// JSON body, written as JSON text.
    pub json_text: Option<String>,
    pub multipart: Option<MultipartFile>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub(crate) weight: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultFile {
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
    /// With `then = "replace"` on swarm: the service update's order (`stop-first` only).
    pub order: Option<String>,
    /// For `pause`, `disconnect` and `remove`: how long the fault lasts.
    #[serde(rename = "for")]
    pub(crate) for_: Option<String>,
    /// For `chaos`: the fault to inject each time.
    pub fault: Option<String>,
    /// For `chaos`: time between two faults.
    pub every: Option<String>,
    /// For `chaos`: how many faults.
    pub count: Option<i64>,
    /// For `chaos`: seed of the random choice of replicas (same seed, same replicas).
    pub(crate) seed: Option<i64>,
    /// For a network fault: `upstream` or `downstream` (Toxiproxy's stream).
    pub stream: Option<String>,
    /// For a network fault: the share of connections it applies to, in [0, 1].
    pub toxicity: Option<f64>,
    /// For a network fault: the toxic's attributes, in Toxiproxy's names and units.
    pub attributes: Option<BTreeMap<String, i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceFile {
    pub name: String,
    pub image: String,
    /// Folder with an executable `build.sh <image>` that builds the image when missing.
    pub recipe: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A line the service prints once it is ready; the app starts after it.
    pub ready_log: Option<String>,
    /// Named volumes, `"name:/path"`, as for the app.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Replaces the image's command: `["program", "arg", ...]`.
    pub command: Option<Vec<String>>,
    /// The TCP port the app reaches it on (needed by a network fault on its link).
    pub port: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CertifyFile {
    pub time_to_healthy_target: Option<String>,
    pub(crate) steady_window: Option<String>,
    pub steady_p99_tolerance: Option<f64>,
    /// Platform floor cycles per fault action, before and after the trials each.
    pub floor_cycles: Option<i64>,
    /// `total` (default) or `app`: which time to healthy the target applies to.
    pub time_to_healthy_of: Option<String>,
}

/// A state-survival check: journeys set up before the faults and verified after.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckFile {
    pub name: String,
    /// Independent journeys to set up (e.g. 50 users logging in).
    pub journeys: Option<i64>,
    /// Missing is reported by validation ("has no steps"), located at the check.
    #[serde(default)]
    pub setup: Vec<StepFile>,
    #[serde(default)]
    pub verify: Vec<StepFile>,
}

/// One HTTP request of a journey and what it must return.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepFile {
    pub method: Option<String>,
    pub path: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Raw text body.
    pub body: Option<String>,
    /// URL-encoded form body.
    pub form: Option<BTreeMap<String, String>>,
    /// JSON body, written as TOML.
    pub json: Option<toml::Value>,
    /// JSON body, written as JSON text.
    pub json_text: Option<String>,
    pub multipart: Option<MultipartFile>,
    /// Expected status (default 200).
    pub status: Option<i64>,
    #[serde(default)]
    pub capture: BTreeMap<String, CaptureFile>,
    pub body_contains: Option<String>,
    pub(crate) body_equals: Option<String>,
    /// JSON pointer -> expected value (templated).
    pub(crate) json_equals: Option<BTreeMap<String, String>>,
    /// The body must be exactly the bytes this journey uploaded.
    pub(crate) body_equals_upload: Option<bool>,
}

/// A multipart upload of one file part.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MultipartFile {
    /// Form field name (default "file").
    pub field: Option<String>,
    pub filename: Option<String>,
    /// A file to upload, relative to the scenario file.
    pub file: Option<String>,
    /// Or this many random bytes, different for every journey.
    pub bytes: Option<i64>,
}

/// Where a captured value comes from (exactly one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaptureFile {
    pub cookie: Option<String>,
    /// JSON pointer into the response body, e.g. "/id".
    pub json: Option<String>,
    pub header: Option<String>,
    /// A regex on the body; the first group (or the whole match) is captured.
    pub regex: Option<String>,
}

/// What stands in front of the replicas.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FrontFile {
    /// `haproxy`, or `none` (the harness spreads the load over the replicas).
    pub kind: String,
    pub image: Option<String>,
    /// Folder with `build.sh <image>`, relative to the scenario file.
    pub recipe: Option<String>,
    /// Health check interval.
    pub(crate) check_interval: Option<String>,
    /// Failed checks before a replica is taken out.
    pub fall: Option<i64>,
    /// Attempts per idempotent request on a failure.
    pub(crate) retries: Option<i64>,
    /// Retry on another replica.
    pub(crate) redispatch: Option<bool>,
}
