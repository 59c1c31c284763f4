//! Fowler's drill against real Docker: the stateless demo with its sessions in Redis, one
//! replica killed (Redis stays up), then everything burnt and rebuilt from images. Without
//! a volume Redis comes back empty and the sessions are lost — state that survived the kill
//! only because Redis stayed up; with its append-only file on a named volume they survive.

use crate::common;

use common::*;
use serde_json::Value;
use std::process::Command;
use std::sync::Mutex;

/// One Docker scenario at a time: two cores, and timings matter.
static DOCKER: Mutex<()> = Mutex::new(());

/// Runs `scenario`, checks its result.json against the committed schema and that nothing
/// of the run is left in Docker, and returns (exit status, result).
fn burn_run(scenario: &str) -> (Option<i32>, Value) {
    require_docker();
    let _one = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let Ran {
        output: o, result: r, ..
    } = run_in_temp(scenario, &[]);
    // the service's named volume goes with the run (it is labelled; this also catches an
    // unlabelled one the engine would create for a mount of a missing volume)
    let vols = Command::new("docker").args(["volume", "ls", "-q"]).output().unwrap();
    let vols = String::from_utf8_lossy(&vols.stdout).to_string();
    assert!(
        !vols.lines().any(|v| v.ends_with("-burn-aof")),
        "a burn-aof volume was left: {vols}"
    );
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schema/result.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&r).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "result.json does not match the schema: {errors:#?}");
    (o.status.code(), r)
}

/// The burn's fault entry, after checking it is a recovered burn of everything whose
/// services all came back.
fn the_burn(r: &Value) -> &Value {
    let faults = r["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 2, "{faults:?}");
    assert_eq!(faults[0]["kind"], "kill");
    assert!(faults[0]["burn"].is_null());
    let f = &faults[1];
    assert_eq!(
        (&f["kind"], &f["target"], &f["action"]),
        (&"burn".into(), &"all".into(), &"rebuild".into())
    );
    assert_eq!(f["recovery"], "recovered", "{f}");
    assert!(f["error"].is_null(), "{f}");
    let b = &f["burn"];
    let all = b["time_to_all_healthy_ms"]
        .as_f64()
        .expect("time to all healthy measured");
    let tth = f["time_to_healthy_ms"].as_f64().unwrap();
    let redis = &b["services"][0];
    assert_eq!(redis["name"], "redis");
    let ready = redis["ready_ms"].as_f64().unwrap();
    // Redis comes back first, the replicas after it: everything is back at the later one
    assert!(
        ready > 0.0 && ready <= all && tth <= all,
        "ready {ready}, tth {tth}, all {all}"
    );
    assert!(all < 30_000.0, "{all} ms");
    let verified = b["time_to_verified_ms"].as_f64().expect("the journeys were verified");
    assert!(verified >= all, "verified at {verified} ms, all healthy at {all} ms");
    // the replicas were all dead, then all running again after the rebuild was issued
    let d = &f["breakdown_ms"];
    assert!(d["exit"].as_f64().unwrap() < d["running"].as_f64().unwrap(), "{d}");
    b
}

fn sessions_around(b: &Value) -> (&Value, &Value) {
    let c = &b["checks"][0];
    assert_eq!(c["name"], "sessions");
    // before the burn: after the kill of app-0 alone, every session was still known
    assert_eq!(c["before"]["fault"], "kill app-0 then replace");
    assert_eq!(
        (c["before"]["passed"].as_u64(), c["before"]["failed"].as_u64()),
        (Some(10), Some(0))
    );
    (&c["before"], &c["after"])
}

#[test]
fn burn_without_a_volume_loses_the_sessions_that_survived_the_kill() {
    let (code, r) = burn_run("tests/scenarios/burn-redis-ephemeral.toml");
    let b = the_burn(&r);
    assert_eq!(b["services"][0]["from_volume"], false);
    assert_eq!(b["services"][0]["volumes"], serde_json::json!([]));
    let (_, after) = sessions_around(b);
    assert_eq!(
        (after["passed"].as_u64(), after["failed"].as_u64()),
        (Some(0), Some(10)),
        "{after}"
    );
    assert_eq!(b["kept_only_by_dependencies"], serde_json::json!(["sessions"]));
    assert_eq!(r["checks"][0]["lost"], 10, "{}", r["checks"]);
    assert_eq!(code, Some(3), "lost state is not certified: {}", r["certification"]);
    assert_eq!(r["certification"]["level"], "not-certified");
}

#[test]
fn burn_with_redis_appending_to_a_named_volume_keeps_every_session() {
    let (code, r) = burn_run("tests/scenarios/burn-redis-volume.toml");
    let b = the_burn(&r);
    assert_eq!(b["services"][0]["from_volume"], true);
    assert_eq!(b["services"][0]["volumes"], serde_json::json!(["burn-aof"]));
    let (_, after) = sessions_around(b);
    assert_eq!(
        (after["passed"].as_u64(), after["failed"].as_u64()),
        (Some(10), Some(0)),
        "{after}"
    );
    assert_eq!(b["kept_only_by_dependencies"], serde_json::json!([]));
    assert_eq!(r["checks"][0]["lost"], 0, "{}", r["checks"]);
    assert_eq!(code, Some(0), "{}", r["certification"]);
}
