//! The result.json contract against its schema, and results read back.

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
    // a burn's own figures match too
    for names in [fixture::Names::default(), fixture::Names::hostile("<x>\"'")] {
        let report = Report::build(fixture::record_with_burn(&names));
        let json = serde_json::to_value(ResultJson::from_report(&report)).unwrap();
        assert!(json["faults"].as_array().unwrap().iter().any(|f| f["burn"].is_object()));
        let errors = validate(&json);
        assert!(errors.is_empty(), "{errors:#?}");
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
        // a nullable object: its object alternative
        let object = schema["oneOf"]
            .as_array()
            .and_then(|alts| alts.iter().find(|a| a["type"] == "object"));
        let schema = match (json, object) {
            (Value::Object(_), Some(o)) => o,
            _ => schema,
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
