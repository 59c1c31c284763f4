//! Scenarios: what to deploy, what load to put on it, which faults to inject, and what
//! level it must reach. A scenario file is untrusted input: `read.rs` reads it within
//! bounds, `file.rs` is what the user wrote, `compose/` maps a docker-compose file it names
//! into the same tables, `validate/` checks it and resolves defaults
//! into the `Scenario` below, and `plan.rs` lays it on a timeline.

mod body;
pub mod checks;
mod compose;
mod duration;
mod error;
mod faults;
mod file;
mod kinds;
pub use kinds::{Action, FaultKind};
pub mod http;
mod level;
pub mod plan;
mod read;
mod template;
mod toxics;
mod validate;
pub mod zero_config;

pub use checks::{Body, Capture, Check, Expect, Step, Upload};
pub use compose::declared_replicas;
pub use duration::{format_duration, parse_duration};
/// The text in a process's arguments and environment values that becomes the replica's
/// port on 127.0.0.1.
pub const PORT_PLACEHOLDER: &str = "{port}";

pub use error::{did_you_mean, escape, line_col, locate, Problem, ScenarioError, MAX_LISTED};
pub use level::Level;
pub use read::MAX_FILE_BYTES;
pub(crate) use validate::bounds::*;
pub use validate::{MAX_ENV, MAX_ENV_VALUE_BYTES, MAX_IMAGE_NAME, READ_ONLY_DEFAULT_DURATION};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A validated scenario with every default resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The file it came from.
    pub source: PathBuf,
    /// The file's text, kept for the report.
    pub text: String,
    /// Lowest level that exits 0.
    pub require: Level,
    pub trials: u32,
    pub app: App,
    pub load: Load,
    pub faults: Vec<Fault>,
    pub services: Vec<Service>,
    /// State-survival checks.
    pub checks: Vec<Check>,
    pub certify: CertifyParams,
    /// A load balancer in front of the replicas (None: the harness spreads the load).
    pub front: Option<Front>,
    /// Warnings found before the run (the compose lint), each `file:line:col: key: why`.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The statelessness audit's settings.
    #[serde(default)]
    pub audit: AuditParams,
}

/// `[audit]`: whether the statelessness audit runs, and what it may ignore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditParams {
    /// Off: no filesystem read, no sample (to measure what the audit costs).
    #[serde(default = "on")]
    pub(crate) enabled: bool,
    /// Absolute paths whose files are scratch by design (e.g. `/tmp`): listed apart, never a
    /// finding.
    pub ephemeral: Vec<String>,
    /// JSON fields that may differ between an old and a fresh instance: `$.a.b` (a path from
    /// the root) or `key` (that key at any depth).
    pub(crate) volatile: Vec<String>,
    /// The read-only trial and how long its load runs; None: not run (records written
    /// before it had none).
    #[serde(default)]
    pub read_only_trial: Option<ReadOnlyTrial>,
}

/// After the main load of a trial, one extra replica with a read-only root filesystem
/// (and a small tmpfs at /tmp) gets the load's request mix for `duration` at `rate`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReadOnlyTrial {
    pub duration: Duration,
    /// The load's rate, capped at [`READ_ONLY_MAX_RATE`].
    pub rate: f64,
}

/// An HAProxy in front of the replicas.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Front {
    pub image: String,
    /// Folder holding `build.sh`, absolute.
    pub recipe: Option<PathBuf>,
    pub(crate) check_interval: Duration,
    pub fall: u32,
    pub(crate) retries: u32,
    pub(crate) redispatch: bool,
}

/// Where the replicas run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// Containers on the local Docker engine.
    #[default]
    Docker,
    /// Local processes started from `app.command`.
    Process,
    /// A Docker Swarm service per replica slot; the platform can replace failed tasks.
    Swarm,
}

impl BackendKind {
    pub(crate) const NAMES: [&'static str; 3] = ["docker", "process", "swarm"];

    pub fn as_str(&self) -> &'static str {
        match self {
            BackendKind::Docker => "docker",
            BackendKind::Process => "process",
            BackendKind::Swarm => "swarm",
        }
    }

    /// Whether replicas are containers from an image (docker and swarm).
    pub(crate) fn runs_images(&self) -> bool {
        matches!(self, BackendKind::Docker | BackendKind::Swarm)
    }
}

/// The application under test.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    /// Where it runs (records written before there was a choice ran on Docker).
    #[serde(default)]
    pub backend: BackendKind,
    /// The image (Docker); empty for the process backend.
    pub image: String,
    pub build: Option<Build>,
    /// Container port the app listens on (Docker); 0 for the process backend, whose
    /// replicas are told their port through `{port}`.
    pub port: u16,
    /// The process backend's program (absolute) and its arguments.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Replica names, `app-0`, `app-1`, ...
    pub replicas: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub health: Health,
    pub start_timeout: Duration,
    /// Named volumes mounted into every replica.
    pub volumes: Vec<VolumeMount>,
}

/// How to build an image that is not present locally.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Build {
    /// Absolute build context directory.
    pub context: PathBuf,
    /// Dockerfile path inside the context.
    pub(crate) dockerfile: String,
    /// Run first, from the scenario file's directory.
    pub command: Option<Vec<String>>,
    /// Directory the command runs in.
    pub(crate) workdir: PathBuf,
    /// The variables of phoenix's environment the command may see besides PATH, HOME and
    /// LANG: a compose file's allowlist (`compose_env`); none for a scenario's own build.
    #[serde(default)]
    pub env: Vec<String>,
}

/// A named volume and where it is mounted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VolumeMount {
    pub name: String,
    pub path: String,
}

/// The health probe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub path: String,
    pub status: u16,
    /// Fast probing: until the first healthy probe, and from each fault until healthy.
    pub interval: Duration,
    /// Slow probing, the rest of the run.
    pub slow_interval: Duration,
    pub timeout: Duration,
}

/// Open-loop load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Load {
    /// Requests per second.
    pub rate: f64,
    pub duration: Duration,
    pub timeout: Duration,
    pub window: Duration,
    pub(crate) max_in_flight: usize,
    pub keep_alive: bool,
    pub requests: Vec<RequestSpec>,
}

impl Load {
    /// The number of requests the run will send: rate × duration, rounded down.
    pub(crate) fn planned_requests(&self) -> u64 {
        (self.rate * self.duration.as_secs_f64()).floor() as u64
    }
}

/// One kind of request in the load mix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestSpec {
    pub method: String,
    /// May hold `{{n}}`, the request's number.
    pub path: String,
    /// Text, form and JSON string values may hold `{{n}}`.
    #[serde(deserialize_with = "body::body_or_text")]
    pub body: Body,
    /// Values may hold `{{n}}`.
    pub headers: BTreeMap<String, String>,
    pub(crate) weight: u32,
    /// The bytes of `multipart.file`, read once at validation (at most `MAX_UPLOAD`) so the
    /// load engine does no file I/O; not kept in the record.
    #[serde(skip)]
    pub upload: Option<bytes::Bytes>,
}

impl RequestSpec {
    /// A request with no body and no headers.
    pub fn plain(method: &str, path: &str) -> RequestSpec {
        RequestSpec {
            method: method.into(),
            path: path.into(),
            body: Body::None,
            headers: BTreeMap::new(),
            weight: 1,
            upload: None,
        }
    }
}

/// The fault target meaning every replica in turn (a rolling fault).
pub const ALL: &str = "all";
/// The chaos target: a replica drawn at random (seeded) each time.
pub(crate) const RANDOM: &str = "random";

/// A chaos loop: `count` faults, one every `every`, each on a replica drawn with `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Chaos {
    pub every: Duration,
    pub count: u32,
    pub(crate) seed: u64,
}

/// One scheduled fault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    /// Offset from the start of the load.
    pub at: Duration,
    pub kind: FaultKind,
    pub action: Action,
    /// Replica name, `all` for each replica in turn, `random` in a chaos loop, or a
    /// service's name (`dependency`).
    pub target: String,
    /// Time from the fault to the action: the orchestrator's reaction delay (kill, stop)
    /// or how long the fault lasts (pause, disconnect, remove).
    pub delay: Duration,
    /// For `stop`: time between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Set for a chaos loop, which the plan expands into single faults.
    pub chaos: Option<Chaos>,
    /// The target is a `[[service]]` (a dependency of the app), not a replica.
    #[serde(default)]
    pub dependency: bool,
    /// A network fault's toxic (None for any other kind).
    #[serde(default)]
    pub toxic: Option<Toxic>,
}

/// A Toxiproxy toxic on the link to a service: its direction, the share of connections it
/// applies to, and its attributes in Toxiproxy's names and units (ms, KB/s, bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toxic {
    /// `upstream` (app → service) or `downstream` (service → app).
    pub stream: String,
    /// In [0, 1]: the probability that a connection gets the toxic.
    pub toxicity: f64,
    pub attributes: BTreeMap<String, u64>,
}

/// A dependency container next to the app, reachable by its name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub image: String,
    /// Folder holding `build.sh`, absolute.
    pub recipe: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    /// A line the service prints once ready (stdout or stderr).
    pub ready_log: Option<String>,
    /// Named volumes mounted into the service (what a burn brings it back with).
    #[serde(default)]
    pub volumes: Vec<VolumeMount>,
    /// Replaces the image's command (CMD), e.g. to turn a store's persistence on.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// The TCP port the app reaches it on: what a network fault's proxy listens on.
    #[serde(default)]
    pub port: Option<u16>,
}

fn on() -> bool {
    true
}

impl Default for AuditParams {
    fn default() -> Self {
        AuditParams {
            enabled: true,
            ephemeral: Vec::new(),
            volatile: Vec::new(),
            read_only_trial: None,
        }
    }
}

/// Parameters of the analysis and certification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertifyParams {
    pub time_to_healthy_target: Duration,
    pub(crate) steady_window: Duration,
    pub steady_p99_tolerance: f64,
    /// Cycles of the platform floor per fault action, before the trials and after them
    /// each (0: no floor). 0 in records written before it existed.
    #[serde(default)]
    pub floor_cycles: u32,
    /// Which time to healthy `time_to_healthy_target` applies to.
    #[serde(default)]
    pub time_to_healthy_of: TthOf,
}

/// Most floor cycles a scenario may ask for, before and after each.
pub(crate) const MAX_FLOOR_CYCLES: u32 = 10;
/// Floor cycles when the scenario does not say.
pub(crate) const DEFAULT_FLOOR_CYCLES: u32 = 2;

/// Which time to healthy the target applies to: the total (what the service's users feel,
/// the default) or the app's share (the total minus the platform floor of the same action).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TthOf {
    #[default]
    Total,
    App,
}

impl Scenario {
    /// Reads, parses and validates a scenario file.
    /// A FIFO, a device or a folder is refused before it is opened, a file over
    /// [`MAX_FILE_BYTES`] before it is read.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = read::read_bounded(path)?;
        Self::parse(path, &text)
    }

    /// The commands this scenario runs on the host (not in a container), each with the
    /// folder it runs in: the app's build command and every recipe's `build.sh`. They
    /// run only when the image is missing (or with `--rebuild`).
    pub fn host_commands(&self) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        if let Some(cmd) = &self.app.command {
            // started once per instance, each in a working folder of its own
            out.push((shell_words(cmd), std::env::temp_dir().join("phoenix-<run>/<instance>")));
        }
        if let Some(Build {
            command: Some(cmd),
            workdir,
            ..
        }) = &self.app.build
        {
            out.push((shell_words(cmd), workdir.clone()));
        }
        let recipes = self
            .services
            .iter()
            .map(|s| (&s.recipe, &s.image))
            .chain(self.front.iter().map(|f| (&f.recipe, &f.image)));
        // recipes are resolved (absolute): shown from the current folder when inside it
        let here = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
        for (recipe, image) in recipes {
            if let Some(r) = recipe {
                let r = here
                    .as_ref()
                    .and_then(|h| r.strip_prefix(h).ok())
                    .map_or_else(|| r.clone(), Path::to_path_buf);
                let script = format!("{}/build.sh", r.display());
                out.push((shell_words(&["bash".into(), script, image.clone()]), r));
            }
        }
        out
    }

    /// Parses and validates scenario text; `path` names it in errors and anchors
    /// relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        validate::parse(path, text)
    }
}

/// `args` as a shell would need them typed: quoted where a space or a shell character would
/// change their meaning, so `["echo", "a; rm -rf ~"]` (one argument, no shell) reads
/// differently from `["bash", "-c", "echo a; rm -rf ~"]`.
fn shell_words(args: &[String]) -> String {
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
}

#[cfg(test)]
mod dependency_tests;
