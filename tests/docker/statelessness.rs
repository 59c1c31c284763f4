//! Statelessness by behaviour, against real Docker: the bundled demo scenarios give their
//! verdicts from the state checks alone, and so does an app the harness has never seen.

use crate::common;

use common::*;
use serde_json::Value;
use std::sync::Mutex;

/// One Docker scenario at a time: two cores, and timings matter.
static DOCKER: Mutex<()> = Mutex::new(());

/// Runs a scenario, asserts its exit status, level class and nothing left behind; returns
/// result.json and the HTML page. Exit 0 (met) may be 5 instead (inconclusive: a time to
/// healthy over the target on a contended host); exit 3 here is lost state or an audit
/// cap, 3 whatever the host.
fn verdict(scenario: &str, exit: i32) -> (Value, String) {
    require_docker();
    let _one = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let ran = run_in_temp(scenario, &[]);
    if exit == 0 {
        assert_verdict_exit(ran.output.status.code(), exit, &ran.result, scenario);
    } else {
        assert_eq!(
            ran.output.status.code(),
            Some(exit),
            "{scenario}: {}",
            ran.result["certification"]
        );
    }
    let html = ran.text("index.html");
    (ran.result, html)
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
    assert!(
        inconclusive(&r) || ["phoenix", "resilient"].contains(&level(&r)),
        "level {}",
        level(&r)
    );
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
    // shared volume and Redis: nothing of the app's state on the containers' own disks,
    // and every fresh instance answers the sample as its predecessor did
    let a = &r["audit"];
    assert_eq!(a["measured"], true, "{a}");
    assert_eq!(a["instances_read"], 4, "two deployed, two fresh: {a}");
    assert!(a["fresh_compared"].as_u64().unwrap() >= 2, "{a}");
    assert!(a["local_writes"].as_array().unwrap().is_empty(), "{a}");
    assert!(a["findings"].as_array().unwrap().is_empty(), "{a}");
    assert!(html.contains("Statelessness audit") && html.contains("No finding"));
}

/// The audit's findings of one kind that cap the level.
fn capping(r: &Value, kind: &str) -> Vec<String> {
    r["audit"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind && f["caps"] == "fragile")
        .map(|f| f["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn uploads_on_local_disk_lose_the_uploads_check() {
    let (r, html) = verdict("scenarios/antipattern-local-uploads.toml", 3);
    assert_only_lost(&r, "uploads", &DEMO_CHECKS);
    assert!(html.contains("uploads: first failures"));
    // 20 journeys spread over two replicas, each replaced: both lost their uploads
    let found = capping(&r, "local_writes");
    assert_eq!(found.len(), 2, "{found:?}");
    for f in &found {
        assert!(
            f.contains(
                "wrote 10 files (40.0 KiB) under /var/lib/phoenix-demo/uploads while serving; they were lost when app-"
            ),
            "{f}"
        );
    }
    let reasons = r["certification"]["reasons"].to_string();
    assert!(reasons.contains("audit (at most fragile)"), "{reasons}");
}

#[test]
fn file_sessions_lose_the_sessions_check() {
    let (r, _) = verdict("scenarios/antipattern-file-sessions.toml", 3);
    assert_only_lost(&r, "sessions", &DEMO_CHECKS);
    let found = capping(&r, "local_writes");
    assert!(
        !found.is_empty()
            && found
                .iter()
                .all(|f| f.contains("under /tmp/phoenix-sessions while serving")),
        "{found:?}"
    );
}

#[test]
fn sessions_the_load_writes_to_local_files_cap_the_level_at_fragile_without_any_journey() {
    let (r, html) = verdict("tests/scenarios/audit-file-sessions.toml", 3);
    assert_eq!(level(&r), "fragile", "{}", r["certification"]);
    let found = capping(&r, "local_writes");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("under /tmp/phoenix-sessions while serving; they were lost when app-0 was replaced"),
        "{found:?}"
    );
    // the demo's boot marker (BOOT_ONCE) is a boot write, listed apart and never a finding
    let a = &r["audit"];
    let boot = a["boot_writes"].to_string();
    assert!(boot.contains("\"dir\":\"/tmp\""), "{boot}");
    assert!(!a["findings"].to_string().contains("\"/tmp\""), "{a}");
    assert!(!a["local_writes"].to_string().contains("\"dir\":\"/tmp\""), "{a}");
    assert!(html.contains("caps the level at fragile"));
}

#[test]
fn memory_sessions_lose_the_sessions_check() {
    let (r, _) = verdict("scenarios/antipattern-memory-sessions.toml", 3);
    assert_only_lost(&r, "sessions", &DEMO_CHECKS);
    // nothing on disk, but a fresh instance no longer knows the session it is asked about
    assert!(capping(&r, "local_writes").is_empty(), "{}", r["audit"]);
    let found = capping(&r, "old_vs_fresh");
    assert!(found.iter().any(|f| f.starts_with("GET /me on app-")), "{found:?}");
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
    // the cache is served by a GET: the fresh instances answer the journeys' reads otherwise
    let found = capping(&r, "old_vs_fresh");
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("GET /cache/k") && f.contains("status 200") && f.contains("status 404")),
        "{found:?} {}",
        r["audit"]
    );
    assert!(capping(&r, "local_writes").is_empty(), "{}", r["audit"]);
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
