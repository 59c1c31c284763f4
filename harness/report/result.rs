//! The result.json contract (schema_version 1): the figures users quote and scripts read.
//! `schema/result.schema.json` describes it; a test checks the two agree.

use super::Report;
use crate::analysis::{DurationSummary, LatencySummary, Lost};
use crate::certify::Component;
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultJson {
    pub schema_version: u32,
    pub scenario: String,
    pub scenario_file: String,
    pub run_id: String,
    pub started_at: String,
    pub trials: u32,
    pub complete: bool,
    pub aborted: Option<String>,
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
    pub untrustworthy: Option<String>,
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
    /// Always written; None only when read from a result written before it existed.
    #[serde(default)]
    pub requests_in_disruption: Option<u64>,
    pub time_to_first_success_ms: Option<f64>,
    pub time_to_steady_ms: Option<f64>,
    pub lost_requests: u64,
    pub lost_by_class: Lost,
    pub breakdown_ms: crate::analysis::Breakdown,
    pub error: Option<String>,
    pub notes: Vec<String>,
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
pub type CheckJson = crate::analysis::CheckSummary;

/// Statelessness audit. `local_writes`: files instances added to their own filesystem
/// (a replacement will not have them). `memory_growth`, `read_only_trial` and `fresh_diff`
/// are not measured yet and stay empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditJson {
    pub measured: bool,
    pub local_writes: Vec<String>,
    pub memory_growth: Vec<String>,
    pub read_only_trial: Option<bool>,
    pub fresh_diff: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvironmentJson {
    pub phoenix_version: String,
    pub backend: String,
    pub engine_version: String,
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
    pub fn from_report(r: &Report) -> ResultJson {
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
                    requests_in_disruption: Some(f.requests_in_disruption),
                    time_to_first_success_ms: f.time_to_first_success_ms,
                    time_to_steady_ms: f.time_to_steady_ms,
                    lost_requests: f.lost.total,
                    lost_by_class: f.lost.clone(),
                    breakdown_ms: f.breakdown.clone(),
                    error: f.error.clone(),
                    notes: f.notes.clone(),
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
            audit: AuditJson {
                measured: !rec.trials.is_empty(),
                local_writes: a.local_writes.clone(),
                ..Default::default()
            },
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use serde_json::Value;

    fn schema() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/result.schema.json");
        let text = std::fs::read_to_string(path).expect("schema/result.schema.json is committed");
        serde_json::from_str(&text).expect("the schema is JSON")
    }

    fn validate(instance: &Value) -> Vec<String> {
        let validator = jsonschema::validator_for(&schema()).expect("the schema is a valid JSON Schema");
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    #[test]
    fn generated_result_json_matches_the_committed_schema() {
        for names in [fixture::Names::default(), fixture::Names::hostile("<x>\"'")] {
            let report = Report::build(fixture::record_with(&names));
            let json: Value = serde_json::from_slice(&crate::report::json::result(&report).unwrap()).unwrap();
            let errors = validate(&json);
            assert!(errors.is_empty(), "result.json does not match the schema: {errors:#?}");
        }
        // an incomplete run with no trial at all (nulls everywhere) matches too
        let mut rec = fixture::record();
        rec.trials.clear();
        rec.complete = false;
        let json = serde_json::to_value(ResultJson::from_report(&Report::build(rec))).unwrap();
        let errors = validate(&json);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn a_run_without_a_fault_reads_untested_with_every_component_not_measured() {
        let report = Report::build(fixture::record_without_faults());
        let json = serde_json::to_value(ResultJson::from_report(&report)).unwrap();
        let errors = validate(&json);
        assert!(errors.is_empty(), "{errors:#?}");
        let c = &json["certification"];
        assert_eq!(c["level"], "untested");
        assert_eq!(c["passed"], false);
        assert!(c["unmeasured"][0].as_str().unwrap().contains("no fault"));
        for comp in c["components"].as_array().unwrap() {
            assert_eq!(comp["measured"], false, "{comp}");
            assert!(comp["value"].is_null() && comp["reason"].is_string(), "{comp}");
            assert_eq!(comp["effective_weight"], 0.0);
        }
    }

    #[test]
    fn a_check_no_verification_ran_for_reads_verified_zero_and_the_reason() {
        let report = Report::build(fixture::record_without_verifications());
        let json = serde_json::to_value(ResultJson::from_report(&report)).unwrap();
        assert!(validate(&json).is_empty());
        let check = &json["checks"][0];
        assert_eq!(check["verifications"], 0);
        assert_eq!(check["verified"], 0, "never 20 of 20 with 0 verifications");
        assert_eq!(check["unverified"], 20);
        assert_eq!(check["lost"], 0, "not verified is not lost either");
        assert!(check["unverified_reason"]
            .as_str()
            .unwrap()
            .starts_with("trials 1, 2: no verification ran"));
        assert_eq!(json["certification"]["level"], "not-certified");
        let reasons = json["certification"]["reasons"].to_string();
        assert!(
            reasons.contains("never verified, so state survival is unknown"),
            "{reasons}"
        );
    }

    #[test]
    fn a_result_written_before_the_not_measured_keys_still_reads_back() {
        // the history page lists old runs from their result.json: the keys added with the
        // untested level must not turn them into "broken" runs
        let mut json = serde_json::to_value(ResultJson::from_report(&Report::build(fixture::record()))).unwrap();
        json["certification"].as_object_mut().unwrap().remove("unmeasured");
        for c in json["certification"]["components"].as_array_mut().unwrap() {
            for k in ["effective_weight", "measured", "reason"] {
                c.as_object_mut().unwrap().remove(k);
            }
        }
        for f in json["faults"].as_array_mut().unwrap() {
            f.as_object_mut().unwrap().remove("recovery");
            f.as_object_mut().unwrap().remove("requests_in_disruption");
        }
        for c in json["checks"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("unverified");
            c.as_object_mut().unwrap().remove("unverified_reason");
        }
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("result.json"), json.to_string()).unwrap();
        let entry = crate::report::history::read_entry(tmp.path());
        let r = entry.result().expect("an old result.json is not a broken run");
        assert!(r.certification.components.iter().all(|c| c.measured));
        assert_eq!(r.faults[0].recovery, None);
    }

    #[test]
    fn result_json_without_any_measured_recovery_reads_back() {
        // the history page and `phoenix compare` read result.json back: no NaN may reach it
        let mut rec = fixture::record();
        rec.trials.clear();
        rec.complete = false;
        let bytes = crate::report::json::result(&Report::build(rec)).unwrap();
        let back: Result<ResultJson, _> = serde_json::from_slice(&bytes);
        assert!(back.is_ok(), "{back:?}");
    }

    #[test]
    fn schema_rejects_a_result_missing_a_contract_key() {
        let report = Report::build(fixture::record());
        let mut json = serde_json::to_value(ResultJson::from_report(&report)).unwrap();
        json.as_object_mut().unwrap().remove("certification");
        assert!(!validate(&json).is_empty());
    }

    #[test]
    fn schema_keys_are_exactly_the_serialised_keys() {
        let schema = schema();
        let json = serde_json::to_value(ResultJson::from_report(&Report::build(fixture::record()))).unwrap();
        // every object of the schema that lists properties must list exactly the keys the
        // struct writes at the same place, and require them all
        fn check(schema: &Value, json: &Value, root: &Value, at: &str) {
            let schema = match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => root
                    .pointer(r.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("dangling $ref {r}")),
                None => schema,
            };
            match json {
                Value::Object(map) => {
                    let props = schema["properties"]
                        .as_object()
                        .unwrap_or_else(|| panic!("no properties at {at}"));
                    let mut declared: Vec<&String> = props.keys().collect();
                    let mut written: Vec<&String> = map.keys().collect();
                    declared.sort();
                    written.sort();
                    assert_eq!(
                        declared, written,
                        "schema properties differ from result.json keys at {at}"
                    );
                    let mut required: Vec<&str> = schema["required"]
                        .as_array()
                        .unwrap_or_else(|| panic!("no required at {at}"))
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    required.sort();
                    assert_eq!(
                        required,
                        written.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                        "required keys at {at}"
                    );
                    for (k, v) in map {
                        check(&props[k], v, root, &format!("{at}/{k}"));
                    }
                }
                Value::Array(items) if schema.get("items").is_some_and(Value::is_object) => {
                    for (i, v) in items.iter().enumerate() {
                        check(&schema["items"], v, root, &format!("{at}/{i}"));
                    }
                }
                _ => {}
            }
        }
        check(&schema, &json, &schema, "");
    }
}
