//! Statelessness by behaviour, against real Docker: the bundled demo scenarios give their
//! verdicts from the state checks alone, and so does an app the harness has never seen.

mod common;

use common::*;
use serde_json::Value;
use std::sync::Mutex;

/// One Docker scenario at a time: two cores, and timings matter.
static DOCKER: Mutex<()> = Mutex::new(());

/// Runs a scenario, asserts its exit status, level class and nothing left behind; returns
/// result.json and the HTML page.
fn verdict(scenario: &str, exit: i32) -> (Value, String) {
    require_docker();
    let _one = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = run(scenario, &out, &[]);
    let result = read_json(&out.join("result.json"));
    assert_nothing_left(&result);
    assert_eq!(o.status.code(), Some(exit), "{scenario}: {}", result["certification"]);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    (result, html)
}

/// (set_up, verified, lost) of the named check.
fn check(result: &Value, name: &str) -> (u64, u64, u64) {
    let c = result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}"));
    (
        c["set_up"].as_u64().unwrap(),
        c["verified"].as_u64().unwrap(),
        c["lost"].as_u64().unwrap(),
    )
}

fn level(result: &Value) -> &str {
    result["certification"]["level"].as_str().unwrap()
}

fn assert_only_lost(result: &Value, lost: &str, all: &[&str]) {
    for name in all {
        let (set_up, verified, l) = check(result, name);
        assert!(set_up > 0, "{name}: nothing set up");
        if *name == lost {
            assert_eq!((verified, l), (0, set_up), "{name} should be lost entirely");
        } else {
            assert_eq!((verified, l), (set_up, 0), "{name} should be intact");
        }
    }
    assert_eq!(level(result), "not-certified");
    let reasons = result["certification"]["reasons"].to_string();
    assert!(
        reasons.contains(&format!("{lost}: ")),
        "no reason names {lost}: {reasons}"
    );
}

const DEMO_CHECKS: [&str; 3] = ["sessions", "uploads", "cache"];

#[test]
fn stateless_demo_keeps_every_journey_and_is_certified() {
    let (r, html) = verdict("scenarios/phoenix-stateless.toml", 0);
    assert!(["phoenix", "resilient"].contains(&level(&r)), "level {}", level(&r));
    for name in DEMO_CHECKS {
        let (set_up, verified, lost) = check(&r, name);
        assert_eq!((set_up, verified, lost), (20, 20, 0), "{name}");
    }
    // the page shows the verdict, each score component and the checks table
    for needle in [
        "badge",
        "time_to_healthy",
        "availability",
        "latency_degradation",
        "State checks",
        "sessions",
    ] {
        assert!(html.contains(needle), "index.html lacks {needle}");
    }
    // shared volume and Redis: nothing of the app's state on the containers' own disks
    assert!(
        r["audit"]["local_writes"].as_array().unwrap().is_empty(),
        "{}",
        r["audit"]
    );
}

#[test]
fn uploads_on_local_disk_lose_the_uploads_check() {
    let (r, html) = verdict("scenarios/antipattern-local-uploads.toml", 3);
    assert_only_lost(&r, "uploads", &DEMO_CHECKS);
    assert!(html.contains("uploads: first failures"));
    let writes = r["audit"]["local_writes"].to_string();
    assert!(writes.contains("/var/lib/phoenix-demo/uploads/"), "{writes}");
}

#[test]
fn file_sessions_lose_the_sessions_check() {
    let (r, _) = verdict("scenarios/antipattern-file-sessions.toml", 3);
    assert_only_lost(&r, "sessions", &DEMO_CHECKS);
    assert!(r["audit"]["local_writes"]
        .to_string()
        .contains("/tmp/phoenix-sessions/"));
}

#[test]
fn memory_sessions_lose_the_sessions_check() {
    let (r, _) = verdict("scenarios/antipattern-memory-sessions.toml", 3);
    assert_only_lost(&r, "sessions", &DEMO_CHECKS);
}

#[test]
fn a_global_cache_loses_the_cache_check() {
    let (r, _) = verdict("scenarios/antipattern-global-cache.toml", 3);
    assert_only_lost(&r, "cache", &DEMO_CHECKS);
    let failures = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "cache")
        .unwrap()["failures"]
        .clone();
    assert!(
        failures.as_array().is_some_and(|f| !f.is_empty() && f.len() <= 5),
        "{failures}"
    );
}

#[test]
fn an_app_the_harness_has_never_seen_is_judged_by_behaviour() {
    let (good, _) = verdict("tests/scenarios/notes-redis.toml", 0);
    for name in ["notes", "tokens"] {
        assert_eq!(check(&good, name), (10, 10, 0), "{name}");
    }
    let (bad, _) = verdict("tests/scenarios/notes-memory.toml", 3);
    assert_eq!(level(&bad), "not-certified");
    for name in ["notes", "tokens"] {
        assert_eq!(check(&bad, name), (10, 0, 10), "{name}");
    }
}
