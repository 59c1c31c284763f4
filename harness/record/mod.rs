//! The RunRecord: everything measured in a run, raw, serialisable. Analysis, certification
//! and the reports are pure functions of it, so a saved record can be re-analysed and
//! re-rendered without Docker (`phoenix report <run-dir>`).
//!
//! Times are microseconds on the trial's monotonic clock, whose origin is the start of the
//! load (`origin_unix_us` places it on the wall clock).

mod audit;
mod check;
mod compact;
mod floor;
mod host;
mod invalid;
mod memory;
mod read_only;
mod requests;

pub use audit::{FreshPair, FsFile, FsRead, FsReadWhen, Reply};
pub(crate) use check::at_field;
pub use check::{RecordError, MAX_CLOCK_US};

pub use compact::{compact, new_histogram, record_latency, Compactor};
pub use floor::{FloorPhase, FloorRecord, FloorSample};
pub use host::{CpuTimes, HostRecord, HostSample, MAX_HOST_SAMPLES};
pub use invalid::Invalid;
pub use memory::{MemoryRecord, MemorySeries, MAX_MEMORY_SAMPLES};
pub use read_only::{
    ReadOnlyFailure, ReadOnlyRecord, MAX_READ_ONLY_FAILURES, READ_ONLY_EXCERPT_BYTES, READ_ONLY_OUTPUT_LINES,
};
pub use requests::{EncodedHistogram, HistogramError, OkWindow, RequestLog, Undecodable};

use crate::scenario::{plan::Plan, Action, FaultKind, Scenario};
use serde::{Deserialize, Serialize};

/// Version of the record's layout on disk. 2: successful requests far from any failure are
/// kept per window (`requests.windows`) instead of one by one; a version 1 record (every
/// request raw) still reads, as a log with no windows.
pub(crate) const RECORD_VERSION: u32 = 2;

/// One run of a scenario: one or more trials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub record_version: u32,
    pub run_id: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub scenario: Scenario,
    pub plan: Plan,
    pub environment: Environment,
    pub trials: Vec<TrialRecord>,
    /// False while the run is going, or when it died midway.
    pub complete: bool,
    /// Why the run stopped early, if it did.
    pub(crate) aborted: Option<Abort>,
    /// The platform floor (docs/certification.md, The platform floor); None in records written before it
    /// existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<FloorRecord>,
}

/// Why a run stopped before its plan was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Abort {
    pub kind: AbortKind,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AbortKind {
    /// SIGINT or SIGTERM.
    Interrupted,
    /// The harness or the engine failed (exit 1).
    Runtime,
    /// The app failed: it never became healthy (exit 3).
    App,
}

impl Abort {
    pub fn new(kind: AbortKind, reason: impl Into<String>) -> Abort {
        Abort {
            kind,
            reason: reason.into(),
        }
    }
}

/// Where the run happened.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Environment {
    pub(crate) phoenix_version: String,
    pub backend: String,
    pub(crate) engine_version: String,
    pub host: String,
    /// Image name -> image id.
    pub images: Vec<(String, String)>,
}

/// One fresh deployment, its load, its faults and what was seen.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrialRecord {
    pub index: u32,
    /// Wall-clock time of the clock's origin (start of load), µs since the Unix epoch.
    pub origin_unix_us: i64,
    /// Deployment to first healthy probe of every replica, µs.
    pub deploy_us: i64,
    pub requests: RequestLog,
    /// How late the load sent its requests after their intended times.
    #[serde(default)]
    pub load_slip: Slip,
    pub probes: Vec<ProbeLog>,
    pub faults: Vec<FaultRecord>,
    pub lifecycle: Vec<LifecycleEvent>,
    pub logs: Vec<InstanceLog>,
    /// State-survival checks.
    pub checks: Vec<CheckRecord>,
    /// Problems that did not stop the trial (e.g. a restart that failed).
    pub errors: Vec<String>,
    /// Old versus fresh: sample requests sent around each replacement.
    #[serde(default)]
    pub fresh: Vec<FreshPair>,
    /// Memory of the replicas during the load.
    #[serde(default)]
    pub memory: MemoryRecord,
    /// The read-only trial after the load, when the scenario asks for it.
    #[serde(default)]
    pub read_only: Option<ReadOnlyRecord>,
    /// The host's CPU pressure, steal and load while the load ran.
    #[serde(default)]
    pub host: HostRecord,
}

/// Schedule slip of a load: how late requests were sent after their intended time
/// (pacer wake-up plus waiting for a free worker), over every request sent, µs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Slip {
    pub count: u64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) max_us: u64,
}

impl Slip {
    pub fn of(h: &hdrhistogram::Histogram<u64>) -> Slip {
        if h.is_empty() {
            return Slip::default();
        }
        Slip {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// Connection refused.
    Refused,
    /// Connection reset or closed before a response.
    Reset,
    /// No response within the request timeout.
    Timeout,
    /// A 5xx status.
    Http5xx,
    /// Anything else: 4xx, a protocol error.
    Other,
    /// Never sent: the load generator had no free connection within the request timeout
    /// of its intended time. The generator's failure, not the app's.
    ClientOverload,
}

impl Outcome {
    /// Every failure class, in report order.
    pub(crate) const FAILURES: [Outcome; 6] = [
        Outcome::Refused,
        Outcome::Reset,
        Outcome::Timeout,
        Outcome::Http5xx,
        Outcome::Other,
        Outcome::ClientOverload,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Reset => "reset",
            Outcome::Timeout => "timeout",
            Outcome::Http5xx => "http_5xx",
            Outcome::Other => "other",
            Outcome::ClientOverload => "client_overload",
        }
    }

    pub fn is_ok(&self) -> bool {
        *self == Outcome::Ok
    }

    /// A failure of the app (as opposed to success, or the generator's own overload).
    pub(crate) fn is_app_failure(&self) -> bool {
        !matches!(self, Outcome::Ok | Outcome::ClientOverload)
    }
}

/// What one health probe saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// The expected status.
    Healthy,
    /// The app answered, with another status.
    Unhealthy,
    /// Connection refused.
    Refused,
    /// Connected, but closed or reset before an HTTP answer (e.g. Docker's proxy while the
    /// app has not bound its port yet).
    NoAnswer,
    Timeout,
}

impl ProbeOutcome {
    /// The app itself answered (any status): its port accepts connections.
    pub(crate) fn app_answered(&self) -> bool {
        matches!(self, ProbeOutcome::Healthy | ProbeOutcome::Unhealthy)
    }
}

/// A change of probe outcome for one replica.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbeTransition {
    /// When the probe that saw the new outcome was sent, µs.
    pub sent_us: i64,
    /// When the harness first learnt the new outcome: the earliest completion among the
    /// probes of this run of equal outcomes (probes overlap, so a later-sent one can
    /// answer first), µs.
    pub done_us: i64,
    pub outcome: ProbeOutcome,
    /// When the probe sent just before `sent_us` was sent (it saw the previous outcome), µs:
    /// the change happened between it and `done_us`, so a time to healthy read at `done_us`
    /// is at most `done_us − prev_sent_us` late. None for a log's first transition, and in
    /// records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_sent_us: Option<i64>,
}

/// The health probe loop of one replica, as transitions only.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProbeLog {
    pub replica: String,
    /// Interval of fast probing (around a fault and the first boot), µs.
    pub interval_us: i64,
    /// Interval of slow probing (while nothing is expected to change), µs.
    #[serde(default)]
    pub slow_interval_us: i64,
    /// Probes sent.
    pub sent: u64,
    /// Probes sent while probing fast.
    #[serde(default)]
    pub fast_sent: u64,
    /// Spans of fast probing, `[start, end]` in µs on the trial clock.
    #[serde(default)]
    pub fast_spans: Vec<[i64; 2]>,
    /// When the probe loop started and stopped, `[start, end]` in µs on the trial clock
    /// (`[0, 0]` in records written before it existed).
    #[serde(default)]
    pub probing_us: [i64; 2],
    pub transitions: Vec<ProbeTransition>,
}

/// A fault as it was carried out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRecord {
    pub index: usize,
    pub kind: FaultKind,
    pub action: Action,
    pub target: String,
    /// Planned offset from the start of the load, µs.
    pub planned_us: i64,
    /// When the fault was issued (t_f), µs.
    pub issued_us: i64,
    /// When the kill/stop call returned, µs.
    pub fault_done_us: Option<i64>,
    /// When the restart or replacement was issued, µs.
    pub action_issued_us: Option<i64>,
    /// When the restart or replacement call returned, µs.
    pub action_done_us: Option<i64>,
    /// When the old instance had stopped, µs, where the platform stops it itself after the
    /// action was issued (a swarm service update): no answer before it is a recovery, as
    /// the old instance may still give it. None: nothing answers for the old one after the
    /// action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_stopped_us: Option<i64>,
    pub error: Option<String>,
    /// After a burn: each service as the rebuild brought it back; after a fault on a
    /// service: that service when it was ready again (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceBack>,
    /// The target is a service (a dependency of the app), not a replica.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dependency: bool,
    /// When the state checks' verification after this fault ended, µs (None: none ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_us: Option<i64>,
    /// The fault's reaction delay (its `delay`), µs: what the platform floor matches it
    /// by, with its kind and action. 0 in records written before it existed.
    #[serde(default)]
    pub delay_us: i64,
}

/// A service started again: by the rebuild after a burn, or after its own fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceBack {
    pub name: String,
    /// When it was ready again (its ready line seen, else started), µs on the trial clock.
    pub(crate) ready_us: i64,
    /// The named volumes it mounts.
    pub volumes: Vec<String>,
    /// It mounts named volumes and each had outlived the burn: it came back from them.
    pub from_volume: bool,
}

/// A lifecycle event of a replica's instance, as the backend reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleEvent {
    /// On the trial clock, from the backend's own timestamp, µs.
    pub at_us: i64,
    pub replica: String,
    /// Backend instance id (a container id for Docker).
    pub instance: String,
    pub kind: LifecycleKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleKind {
    Created,
    Started,
    Exited,
    Removed,
}

/// What one instance of a replica left: its last output lines and the files it wrote to
/// its own filesystem (outside volumes), which a replacement will not have.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstanceLog {
    pub replica: String,
    pub instance: String,
    /// (time on the trial clock in µs, line).
    pub lines: Vec<(i64, String)>,
    /// Paths added to the instance's own filesystem.
    #[serde(default)]
    pub writes: Vec<String>,
    /// Reads of its filesystem changes (boot, replaced, end), oldest first.
    #[serde(default)]
    pub reads: Vec<FsRead>,
}

/// One state check in one trial.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckRecord {
    pub name: String,
    pub journeys: u32,
    /// Journeys whose setup steps all passed.
    pub set_up: u64,
    /// Set-up journeys that passed their control and every verification.
    pub verified: u64,
    pub(crate) verifications: Vec<Verification>,
    /// The first concrete failures (at most 5).
    pub failures: Vec<CheckFailure>,
    /// Setup failures, counted.
    pub(crate) setup_failed: u64,
    /// Set-up journeys that failed their control (verified once on their own replica right
    /// after setup, before any fault): the check or the app is wrong, so they are left out
    /// of every verification and never counted as lost. (Records written before the control
    /// existed read back as 0.)
    #[serde(default)]
    pub broken: u64,
}

/// Verifying every set-up journey against every replica at one moment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Verification {
    /// The fault it follows, in words (None: after the load, no fault).
    pub after: Option<String>,
    pub at_us: i64,
    pub replicas: Vec<String>,
    pub passed: u64,
    pub failed: u64,
}

/// Concrete failures kept per check: the runtime (`check.rs`) stops recording after this
/// many and the analysis keeps at most this many when it sums trials.
pub(crate) const MAX_FAILURES: usize = 5;

/// A concrete failed step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckFailure {
    pub journey: u32,
    /// `setup`, `control` (the verification right after setup, before any fault) or
    /// `verify`.
    pub phase: String,
    /// `METHOD path`.
    pub step: String,
    pub replica: String,
    /// The fault the verification followed.
    pub after: Option<String>,
    pub expected: String,
    pub got: String,
    /// The start of the response body.
    pub excerpt: String,
}

impl RunRecord {
    /// A record for a run that is about to start.
    pub fn new(run_id: String, started_at: String, scenario: Scenario, plan: Plan) -> RunRecord {
        RunRecord {
            record_version: RECORD_VERSION,
            run_id,
            started_at,
            scenario,
            plan,
            environment: Environment::default(),
            trials: Vec::new(),
            complete: false,
            aborted: None,
            floor: None,
        }
    }
}
