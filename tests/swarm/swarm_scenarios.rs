//! Scenarios end to end on Docker Swarm, against the real engine: dependencies as swarm
//! services (the notes app keeping its state in Redis survives the platform replacing each
//! app task), and a rolling replace through Swarm's own service update behind HAProxy.
//! Each run leaves nothing (services, containers, networks, volumes) and swarm mode as found.

use crate::common;

use common::swarm::run_swarm;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// (set_up, verified, lost) of the named check.
fn check(result: &Value, name: &str) -> (u64, u64, u64) {
    let c = result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {}", result["checks"]));
    let n = |k: &str| c[k].as_u64().unwrap();
    (n("set_up"), n("verified"), n("lost"))
}

/// Instances that started, per replica (services included), in order.
fn started(record: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in record["trials"][0]["lifecycle"].as_array().unwrap() {
        if e["kind"] == "started" {
            let replica = e["replica"].as_str().unwrap().to_string();
            out.entry(replica)
                .or_default()
                .push(e["instance"].as_str().unwrap().into());
        }
    }
    out
}

/// The fault's breakdown step `k`, ms after the fault.
fn step(f: &Value, k: &str) -> f64 {
    f["breakdown_ms"][k]
        .as_f64()
        .unwrap_or_else(|| panic!("breakdown_ms.{k} measured: {f}"))
}

#[test]
fn with_redis_as_a_swarm_service_state_survives_the_platform_replacing_each_app_task() {
    let (result, record) = run_swarm("tests/scenarios/swarm-notes-redis.toml", 0);
    for name in ["notes", "tokens"] {
        assert_eq!(check(&result, name), (10, 10, 0), "{name}");
    }
    let starts = started(&record);
    assert_eq!(
        starts.get("cache").map(Vec::len),
        Some(1),
        "Redis ran as one task the whole run: {starts:?}"
    );
    for (k, f) in result["faults"].as_array().unwrap().iter().enumerate() {
        assert_eq!(f["action"], "platform", "{f}");
        let replica = format!("app-{k}");
        let ids = &starts[&replica];
        assert_eq!(
            ids.len(),
            2,
            "{replica}: the first task and the platform's replacement: {ids:?}"
        );
        assert_ne!(ids[0], ids[1], "{replica}: a new container");
        // causal order, with the engine's lag: Docker stamps `start` once its own start call
        // returns, by which time the app may already answer (seen under CI load: running
        // 1012.465 ms, healthy 1012.396 ms), so `running` may trail `healthy` by a few ms
        const ENGINE_STAMP_LAG_MS: f64 = 20.0;
        let (exit, issued, running, healthy) = (
            step(f, "exit"),
            step(f, "restart_issued"),
            step(f, "running"),
            step(f, "healthy"),
        );
        assert!(
            exit <= healthy && issued <= running && issued <= healthy && running <= healthy + ENGINE_STAMP_LAG_MS,
            "the orchestrator's reaction in order: {}",
            f["breakdown_ms"]
        );
    }
    eprintln!(
        "swarm-notes-redis: {} (score {}), TTH {} / {} ms, lost {} of {}",
        result["certification"]["level"],
        result["certification"]["score"],
        result["faults"][0]["time_to_healthy_ms"],
        result["faults"][1]["time_to_healthy_ms"],
        result["load"]["failed"],
        result["load"]["sent"]
    );
}

#[test]
fn a_rolling_replace_through_the_service_update_gives_each_slot_a_new_task_and_loses_nothing_behind_haproxy() {
    let (result, record) = run_swarm("scenarios/swarm-rolling.toml", 0);
    let faults = result["faults"].as_array().unwrap();
    let targets: BTreeSet<&str> = faults.iter().map(|f| f["target"].as_str().unwrap()).collect();
    assert_eq!(targets, BTreeSet::from(["app-0", "app-1"]), "each slot in turn");
    let starts = started(&record);
    for f in faults {
        let replica = f["target"].as_str().unwrap();
        assert_eq!(
            (f["kind"].as_str(), f["action"].as_str()),
            (Some("stop"), Some("replace"))
        );
        let ids = &starts[replica];
        assert_eq!(ids.len(), 2, "{replica}: the first task and the update's: {ids:?}");
        assert_ne!(ids[0], ids[1], "{replica}: the update ran a new container");
        // stop-first: Swarm creates the new task as it tells the old one to stop, starts it
        // once the old container has exited, and the app then answers healthy
        let (issued, exit, running, healthy) = (
            step(f, "restart_issued"),
            step(f, "exit"),
            step(f, "running"),
            step(f, "healthy"),
        );
        assert!(
            (0.0..=exit).contains(&issued) && exit <= running && running <= healthy,
            "new task scheduled → old container exited → new running → healthy: {}",
            f["breakdown_ms"]
        );
        eprintln!(
            "{replica}: TTH {} ms, breakdown (ms) {}, lost {}",
            f["time_to_healthy_ms"], f["breakdown_ms"], f["lost_requests"]
        );
    }
    assert_eq!(
        result["load"]["failed"], 0,
        "nothing lost behind HAProxy: {}",
        result["load"]
    );
}
