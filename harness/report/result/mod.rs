//! The result.json contract (schema_version 1): the figures users quote and scripts read.
//! `schema/result.schema.json` describes it; a test checks the two agree. [`ResultJson::read`]
//! (`read.rs`) is the one reader of a written result.json: compare, nightly and the history
//! page all go through it.

use super::Report;
use crate::analysis::audit::{Audit, Finding, FreshDiff, WriteGroup};
use crate::analysis::{DurationSummary, LatencySummary, Lost};
use crate::certify::Component;
use serde::{Deserialize, Serialize};

mod read;
#[cfg(test)]
mod tests;

pub use read::{Invalid, ReadError, MAX_RESULT_BYTES};

pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultJson {
    pub schema_version: u32,
    pub scenario: String,
    pub(crate) scenario_file: String,
    pub run_id: String,
    pub started_at: String,
    pub trials: u32,
    pub complete: bool,
    pub(crate) aborted: Option<String>,
    pub certification: CertificationJson,
    pub load: LoadJson,
    pub faults: Vec<FaultJson>,
    pub time_to_healthy_ms: TthJson,
    pub phases: Vec<PhaseJson>,
    pub checks: Vec<CheckJson>,
    pub audit: AuditJson,
    pub environment: EnvironmentJson,
    /// Health-probe traffic per replica and trial (empty in results written before it).
    #[serde(default)]
    pub probes: Vec<crate::analysis::ProbeLoad>,
    /// What was found before the run (the compose lint), each `file:line:col: key: why`
    /// (empty in results written before it).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The host during the loads: CPU pressure, steal, load, slip, and `contended` (none
    /// sampled in results written before it).
    #[serde(default)]
    pub host: crate::analysis::contention::Contention,
    /// The platform floor (docs/certification.md, The platform floor); null when the run measured none
    /// (and in results written before it).
    #[serde(default)]
    pub floor: Option<crate::analysis::floor::Floor>,
    /// The app's share of time to healthy over the faults that have one.
    #[serde(default)]
    pub app_share_ms: DurationSummary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificationJson {
    pub level: String,
    pub score: f64,
    pub required: String,
    pub passed: bool,
    pub reasons: Vec<String>,
    /// What the run did not measure that a level above `untested` needs. (Results written
    /// before it existed read back with none, like the other keys marked `serde(default)`:
    /// the history page and `phoenix compare` still read them.)
    #[serde(default)]
    pub unmeasured: Vec<String>,
    pub components: Vec<Component>,
    /// Why a shortfall is no verdict on the app (a contended host); None otherwise.
    #[serde(default)]
    pub inconclusive: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadJson {
    pub rate: f64,
    pub duration_ms: f64,
    pub planned: u64,
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    pub failed_by_class: crate::analysis::ClassCounts,
    pub latency_ms: LatencySummary,
    #[serde(default)]
    pub slip_ms: crate::analysis::SlipMs,
    /// Why the load's figures are the generator's rather than the app's (null: they are the app's).
    #[serde(default)]
    pub(crate) untrustworthy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultJson {
    pub kind: String,
    pub target: String,
    pub action: String,
    pub trial: u32,
    pub at_ms: f64,
    /// `recovered`, `not_recovered` or `not_observed`; always written, None only when read
    /// from a result written before it existed.
    #[serde(default)]
    pub recovery: Option<crate::analysis::RecoveryStatus>,
    pub time_to_healthy_ms: Option<f64>,
    /// How late `time_to_healthy_ms` can be, at most (the probe loop's resolution at this
    /// recovery); None when not recovered, and in results written before it existed.
    #[serde(default)]
    pub time_to_healthy_resolution_ms: Option<f64>,
    /// The platform floor p50 of this fault's action, and time to healthy minus it (at
    /// least 0); null without a floor for the action (and in results written before it).
    #[serde(default)]
    pub floor_ms: Option<f64>,
    #[serde(default)]
    pub app_share_ms: Option<f64>,
    /// Always written; None only when read from a result written before it existed.
    #[serde(default)]
    pub(crate) requests_in_disruption: Option<u64>,
    pub(crate) time_to_first_success_ms: Option<f64>,
    pub time_to_steady_ms: Option<f64>,
    pub lost_requests: u64,
    pub lost_by_class: Lost,
    pub breakdown_ms: crate::analysis::Breakdown,
    pub error: Option<String>,
    pub notes: Vec<String>,
    /// A burn's own figures (null for any other fault, and in results written before it).
    #[serde(default)]
    pub burn: Option<crate::analysis::burn::BurnRecovery>,
    /// A fault on a service: its return and the app's (null for a fault on the app, and in
    /// results written before it).
    #[serde(default)]
    pub dependency: Option<crate::analysis::DependencyRecovery>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TthJson {
    pub count: u64,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    /// 95 % bootstrap confidence interval of the median (seeded), with 2+ values.
    pub median_ci95: Option<(f64, f64)>,
    /// Mean time to healthy per trial.
    pub by_trial: Vec<f64>,
}

impl TthJson {
    fn new(d: DurationSummary, a: &crate::analysis::Analysis) -> Self {
        TthJson {
            count: d.count,
            p50: d.p50,
            p99: d.p99,
            max: d.max,
            median_ci95: a.time_to_healthy_median_ci95_ms,
            by_trial: a.time_to_healthy_by_trial_ms.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseJson {
    pub phase: String,
    pub latency_ms: LatencySummary,
}

/// A state check: `lost = set_up − verified`.
pub(crate) type CheckJson = crate::analysis::CheckSummary;

/// The statelessness audit (`analysis::audit`): findings, the files instances wrote to
/// their own filesystems by kind, and old-versus-fresh differences; `memory_growth`: per
/// replica, how its memory grew over the steady load (a hint, not a cap), and
/// `memory_not_measured` says why it is empty; `read_only_trial`: which requests failed on
/// an extra replica with a read-only root filesystem. Keys whose shape changed read
/// back leniently, so an older result.json still lists in the history.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditJson {
    /// Some instance's filesystem was read at boot and later, or some sample compared.
    pub measured: bool,
    #[serde(default, deserialize_with = "lenient")]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub instances_read: u64,
    #[serde(default)]
    pub instances_unread: u64,
    /// Written while serving, outside ephemeral paths, caches and logs.
    #[serde(default, deserialize_with = "lenient")]
    pub local_writes: Vec<WriteGroup>,
    #[serde(default, deserialize_with = "lenient")]
    pub boot_writes: Vec<WriteGroup>,
    #[serde(default, deserialize_with = "lenient")]
    pub ephemeral_writes: Vec<WriteGroup>,
    #[serde(default, deserialize_with = "lenient")]
    pub log_writes: Vec<WriteGroup>,
    #[serde(default)]
    pub fresh_compared: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub fresh_diff: Vec<FreshDiff>,
    #[serde(default, deserialize_with = "lenient")]
    pub memory_growth: Vec<crate::analysis::memory::MemoryGrowth>,
    #[serde(default)]
    pub memory_not_measured: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub read_only_trial: Option<crate::analysis::ReadOnlySummary>,
}

/// Reads a value of the current shape, or its default when an older result wrote another.
fn lenient<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned + Default>(d: D) -> Result<T, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

impl AuditJson {
    fn of(
        a: &Audit,
        memory: &crate::analysis::memory::MemoryAudit,
        ro: &crate::analysis::ReadOnlySummary,
    ) -> AuditJson {
        AuditJson {
            measured: a.instances_read > 0 || a.fresh_compared > 0,
            findings: a.findings.clone(),
            instances_read: a.instances_read,
            instances_unread: a.instances_unread,
            local_writes: a.load_writes.clone(),
            boot_writes: a.boot_writes.clone(),
            ephemeral_writes: a.ephemeral_writes.clone(),
            log_writes: a.log_writes.clone(),
            fresh_compared: a.fresh_compared,
            fresh_diff: a.fresh_diff.clone(),
            memory_growth: memory.replicas.iter().map(rounded).collect(),
            memory_not_measured: memory.not_measured.clone(),
            read_only_trial: Some(ro.clone()),
        }
    }
}

/// Memory figures to the KiB (3 decimals of MiB), so result.json stays short.
fn rounded(g: &crate::analysis::memory::MemoryGrowth) -> crate::analysis::memory::MemoryGrowth {
    let r = |v: f64| (v * 1000.0).round() / 1000.0;
    crate::analysis::memory::MemoryGrowth {
        steady_s: r(g.steady_s),
        first_mib: r(g.first_mib),
        last_mib: r(g.last_mib),
        peak_mib: r(g.peak_mib),
        growth_mib: r(g.growth_mib),
        mib_per_1000_requests: g.mib_per_1000_requests.map(r),
        ..g.clone()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvironmentJson {
    pub(crate) phoenix_version: String,
    pub backend: String,
    pub(crate) engine_version: String,
    pub host: String,
    pub images: Vec<ImageJson>,
    pub replicas: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageJson {
    pub image: String,
    pub id: String,
}

impl ResultJson {
    pub(crate) fn from_report(r: &Report) -> ResultJson {
        let rec = &r.record;
        let a = &r.analysis;
        let c = &r.certification;
        ResultJson {
            schema_version: SCHEMA_VERSION,
            scenario: rec.scenario.name.clone(),
            scenario_file: rec.scenario.source.display().to_string(),
            run_id: rec.run_id.clone(),
            started_at: rec.started_at.clone(),
            trials: rec.trials.len() as u32,
            complete: rec.complete,
            aborted: rec.aborted.as_ref().map(|a| a.reason.clone()),
            certification: CertificationJson {
                level: c.level.to_string(),
                score: c.score,
                required: c.required.to_string(),
                passed: c.passed,
                reasons: c.reasons.clone(),
                unmeasured: c.unmeasured.clone(),
                components: c.components.clone(),
                inconclusive: c.inconclusive.clone(),
            },
            load: LoadJson {
                rate: rec.scenario.load.rate,
                duration_ms: rec.scenario.load.duration.as_secs_f64() * 1000.0,
                planned: a.load.planned,
                sent: a.load.sent,
                ok: a.load.ok,
                failed: a.load.failed,
                failed_by_class: a.load.failed_by_class.clone(),
                latency_ms: a.load.latency_ms,
                slip_ms: a.load.slip_ms,
                untrustworthy: a.load.untrustworthy(),
            },
            faults: a
                .faults
                .iter()
                .map(|f| FaultJson {
                    kind: f.kind.clone(),
                    target: f.target.clone(),
                    action: f.action.clone(),
                    trial: f.trial,
                    at_ms: f.at_ms,
                    recovery: Some(f.recovery),
                    time_to_healthy_ms: f.time_to_healthy_ms,
                    time_to_healthy_resolution_ms: f.time_to_healthy_resolution_ms,
                    floor_ms: f.floor_ms,
                    app_share_ms: f.app_share_ms,
                    requests_in_disruption: Some(f.requests_in_disruption),
                    time_to_first_success_ms: f.time_to_first_success_ms,
                    time_to_steady_ms: f.time_to_steady_ms,
                    lost_requests: f.lost.total,
                    lost_by_class: f.lost.clone(),
                    breakdown_ms: f.breakdown.clone(),
                    error: f.error.clone(),
                    notes: f.notes.clone(),
                    burn: a
                        .burns
                        .iter()
                        .find(|b| b.trial == f.trial && b.index == f.index)
                        .cloned(),
                    dependency: f.dependency.clone(),
                })
                .collect(),
            time_to_healthy_ms: TthJson::new(a.time_to_healthy_ms, a),
            phases: a
                .phases
                .iter()
                .map(|p| PhaseJson {
                    phase: p.phase.as_str().into(),
                    latency_ms: p.latency_ms,
                })
                .collect(),
            checks: a.checks.clone(),
            probes: a.probes.clone(),
            audit: AuditJson::of(&a.audit, &a.memory, &a.read_only),
            environment: EnvironmentJson {
                phoenix_version: rec.environment.phoenix_version.clone(),
                backend: rec.environment.backend.clone(),
                engine_version: rec.environment.engine_version.clone(),
                host: rec.environment.host.clone(),
                images: rec
                    .environment
                    .images
                    .iter()
                    .map(|(i, id)| ImageJson {
                        image: i.clone(),
                        id: id.clone(),
                    })
                    .collect(),
                replicas: rec.scenario.app.replicas.len(),
            },
            warnings: rec.scenario.warnings.clone(),
            host: a.contention.clone(),
            floor: a.floor.clone(),
            app_share_ms: a.app_share_ms,
        }
    }
}
