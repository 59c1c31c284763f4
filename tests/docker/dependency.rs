//! Faults on the app's dependency against real Docker: the demo with its sessions (or its
//! cache) in Redis, and Redis itself killed under load. The app must serve again once Redis
//! is back, without a restart of its own; Redis replaced without a volume loses the sessions;
//! an app that keeps a dead connection never serves again, and the verdict names Redis.

use crate::common;

use common::*;
use serde_json::Value;
use std::sync::Mutex;

/// One Docker scenario at a time: two cores.
static DOCKER: Mutex<()> = Mutex::new(());

/// Runs `scenario` and checks its result.json against the committed schema; returns (exit
/// status, result, record). `run_in_temp` checks that nothing of the run is left in Docker.
fn dependency_run(scenario: &str) -> (Option<i32>, Value, Value) {
    require_docker();
    let _one = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let ran = run_in_temp(scenario, &[]);
    let record = read_json(&ran.path("record.json"));
    let Ran {
        output: o, result: r, ..
    } = ran;
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schema/result.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&r).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "result.json does not match the schema: {errors:#?}");
    (o.status.code(), r, record)
}

/// The one fault, on Redis, with Redis back (its ready line seen after the action).
fn the_redis_fault(r: &Value) -> &Value {
    let faults = r["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{faults:?}");
    let f = &faults[0];
    assert_eq!(f["target"], "redis", "{f}");
    assert!(f["error"].is_null(), "{f}");
    let d = &f["dependency"];
    assert_eq!(d["service"], "redis", "{f}");
    let ready = d["ready_ms"].as_f64().expect("Redis was ready again");
    assert!(ready > 0.0 && ready < 30_000.0, "{f}");
    // the requests went through Redis: clients saw it go
    assert!(f["lost_requests"].as_u64().unwrap() > 0, "{f}");
    f
}

#[test]
fn redis_replaced_with_its_volume_keeps_every_session_and_the_app_serves_again_by_itself() {
    let (code, r, record) = dependency_run("scenarios/redis-restart.toml");
    let f = the_redis_fault(&r);
    assert_eq!(f["recovery"], "recovered", "{f}");
    let d = &f["dependency"];
    let (ready, again) = (d["ready_ms"].as_f64().unwrap(), d["serve_again_ms"].as_f64().unwrap());
    // time to healthy = Redis's own return + the app's, and both are in result.json
    let tth = f["time_to_healthy_ms"].as_f64().unwrap();
    assert!((tth - (ready + again)).abs() < 0.01, "{f}");
    assert_eq!(
        (f["floor_ms"].as_f64(), f["app_share_ms"].as_f64()),
        (Some(ready), Some(again))
    );
    // the app served again by itself: no replica's container exited or started after the
    // deployment, only Redis's
    let events = record["trials"][0]["lifecycle"].as_array().unwrap();
    let app_events: Vec<&Value> = events
        .iter()
        .filter(|e| e["replica"] != "redis" && e["at_us"].as_i64().unwrap() >= 0)
        .collect();
    assert!(app_events.is_empty(), "{app_events:?}");
    assert!(events.iter().any(|e| e["replica"] == "redis" && e["kind"] == "exited"));
    assert_eq!(r["checks"][0]["name"], "sessions");
    assert_eq!(r["checks"][0]["lost"], 0, "{}", r["checks"]);
    assert_verdict_exit(code, 0, &r, "redis-restart");
}

#[test]
fn redis_replaced_without_a_volume_loses_the_sessions_and_is_not_certified() {
    let (code, r, _) = dependency_run("tests/scenarios/redis-replace-ephemeral.toml");
    let f = the_redis_fault(&r);
    // the app serves again (the fresh Redis takes writes): what it lost is the state
    assert_eq!(f["recovery"], "recovered", "{f}");
    assert_eq!(r["checks"][0]["lost"], 10, "{}", r["checks"]);
    let c = &r["certification"];
    assert_eq!(c["level"], "not-certified", "{c}");
    let reasons = c["reasons"].to_string();
    assert!(reasons.contains("sessions"), "{reasons}");
    assert_eq!(code, Some(3), "{c}");
}

#[test]
fn an_app_that_does_not_reconnect_is_not_certified_naming_redis() {
    let (code, r, _) = dependency_run("tests/scenarios/redis-no-reconnect.toml");
    let f = the_redis_fault(&r);
    assert_eq!(f["recovery"], "not_recovered", "{f}");
    assert!(f["dependency"]["serve_again_ms"].is_null(), "{f}");
    let c = &r["certification"];
    assert_eq!(c["level"], "not-certified", "{c}");
    let reasons = c["reasons"].to_string();
    assert!(reasons.contains("after redis was ready again"), "{reasons}");
    assert_eq!(code, Some(3), "{c}");
}

/// The phase's latency p50, ms.
fn p50(r: &Value, phase: &str) -> f64 {
    let p = r["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == phase)
        .unwrap();
    p["latency_ms"]["p50"].as_f64().unwrap()
}

#[test]
fn a_latency_toxic_on_the_redis_link_shows_in_the_disruption_and_is_gone_after_it() {
    let (code, r, _) = dependency_run("scenarios/redis-latency.toml");
    let faults = r["faults"].as_array().unwrap();
    let f = &faults[0];
    assert_eq!(
        (&f["kind"], &f["target"], &f["action"]),
        (&"latency".into(), &"redis".into(), &"heal".into())
    );
    assert!(f["error"].is_null(), "{f}");
    // the link healed when `for` (5 s) was over, and the app served at once
    let d = &f["dependency"];
    let healed = d["ready_ms"].as_f64().unwrap();
    assert!((5_000.0..6_000.0).contains(&healed), "{f}");
    assert_eq!(f["recovery"], "recovered", "{f}");
    // every answer from Redis waited 200 ms: the clients' p50 rose by at least that much,
    // and is back near the baseline once the toxic is gone
    let (base, disrupted, steady) = (p50(&r, "baseline"), p50(&r, "disruption"), p50(&r, "steady"));
    assert!(
        disrupted - base >= 200.0,
        "baseline {base} ms, disruption {disrupted} ms"
    );
    assert!(steady < base + 50.0, "baseline {base} ms, steady {steady} ms");
    assert_eq!(f["lost_requests"], 0, "{f}");
    // the proxy ran, from its own image, and is recorded
    let images = r["environment"]["images"].to_string();
    assert!(images.contains("phoenix-proxy:latest"), "{images}");
    assert_verdict_exit(code, 0, &r, "redis-latency");
}

#[test]
fn a_timeout_toxic_makes_requests_time_out_and_the_app_recovers_when_it_ends() {
    let (code, r, _) = dependency_run("tests/scenarios/redis-timeout.toml");
    let f = &r["faults"][0];
    assert_eq!((&f["kind"], &f["action"]), (&"timeout".into(), &"heal".into()), "{f}");
    assert!(f["error"].is_null(), "{f}");
    let lost = &f["lost_by_class"];
    // nothing passed on the link for 3 s: the clients (1 s timeout) saw timeouts, only
    assert!(lost["timeout"].as_u64().unwrap() >= 100, "{lost}");
    assert_eq!(lost["total"], lost["timeout"], "{lost}");
    // and the app served again once the link was whole, by itself
    assert_eq!(f["recovery"], "recovered", "{f}");
    let again = f["dependency"]["serve_again_ms"].as_f64().expect("served again");
    assert!(again < 3_000.0, "{f}");
    assert_verdict_exit(code, 0, &r, "redis-timeout");
}
