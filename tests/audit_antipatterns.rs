//! The statelessness audit alone, against real Docker: copies of the bundled anti-pattern
//! scenarios whose journeys are replaced by one load mix on the same endpoints (log in,
//! upload, put in the cache; `tests/scenarios/audit-*.toml`) are each capped at fragile by
//! the finding that names their anti-pattern — the directory written (local uploads, file
//! sessions), an old-versus-fresh difference (memory sessions, a global cache) — and the
//! stateless demo with the same mix gets no finding. Every copy writes a boot marker under
//! /tmp (`BOOT_ONCE`): a boot write, listed apart and never a finding. Two runs go at once
//! (each has its own network, volumes, ports and Redis): five at once on two busy cores
//! pushed the replicas' time to healthy past 9 s and the engine's `docker diff` past its
//! 5 s bound.

mod common;

use common::*;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Runs at once.
const AT_ONCE: usize = 2;

/// A run's exit status and result.json.
type Ran = (Option<i32>, Value);

const LEVELS: [&str; 5] = ["not-certified", "untested", "fragile", "resilient", "phoenix"];

fn rank(level: &str) -> usize {
    LEVELS
        .iter()
        .position(|l| *l == level)
        .unwrap_or_else(|| panic!("unknown level {level}"))
}

/// What a copy must get: the finding kinds with a text each must contain.
struct Expect {
    scenario: &'static str,
    findings: &'static [(&'static str, &'static str)],
    /// Fewest old-versus-fresh pairs compared: one per read of the sample.
    compared: u64,
}

const COPIES: [Expect; 6] = [
    Expect {
        scenario: "audit-local-uploads",
        findings: &[(
            "local_writes",
            "under /var/lib/phoenix-demo/uploads while serving; they were lost when app-0 was replaced",
        )],
        compared: 3,
    },
    Expect {
        scenario: "audit-file-sessions-mix",
        findings: &[
            ("local_writes", "under /tmp/phoenix-sessions while serving"),
            ("old_vs_fresh", "GET /me on app-0: the status differs"),
        ],
        compared: 3,
    },
    Expect {
        scenario: "audit-memory-sessions",
        findings: &[(
            "old_vs_fresh",
            "GET /me on app-0: the status differs between the old instance before kill app-0 then replace (status 200, \"u1\") and the fresh one (status 401",
        )],
        compared: 3,
    },
    Expect {
        scenario: "audit-global-cache",
        findings: &[(
            "old_vs_fresh",
            "GET /cache/k1 on app-0: the status differs between the old instance before kill app-0 then replace (status 200, \"v1\") and the fresh one (status 404",
        )],
        compared: 3,
    },
    // the same cache with a mix that only writes: the sample reads back what the PUT wrote
    Expect {
        scenario: "audit-global-cache-put-only",
        findings: &[(
            "old_vs_fresh",
            "GET /cache/k1 on app-0: the status differs between the old instance before kill app-0 then replace (status 200, \"v1\") and the fresh one (status 404",
        )],
        // nothing in the mix reads: the one read is the read-back of the PUT
        compared: 1,
    },
    Expect {
        scenario: "audit-stateless",
        findings: &[],
        compared: 3,
    },
];

/// Runs one copy; returns its exit status and result.json.
fn run_copy(name: &str) -> Ran {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = run(&format!("tests/scenarios/{name}.toml"), &out, &[]);
    let result = read_json(&out.join("result.json"));
    assert_nothing_left(&result);
    (o.status.code(), result)
}

/// The problems of one copy's result, as sentences (empty: as expected).
fn problems(e: &Expect, code: Option<i32>, r: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let level = r["certification"]["level"].as_str().unwrap_or("?");
    let a = &r["audit"];
    let findings = a["findings"].as_array().cloned().unwrap_or_default();
    if a["measured"] != true
        || a["instances_read"].as_u64() < Some(2)
        || a["fresh_compared"].as_u64() < Some(e.compared)
    {
        bad.push(format!(
            "not measured: read {} instances, compared {} pairs",
            a["instances_read"], a["fresh_compared"]
        ));
    }
    // the boot marker: a boot write under /tmp, and no finding about a boot write's directory
    let boot: Vec<&str> = a["boot_writes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["dir"].as_str())
        .collect();
    if !boot.contains(&"/tmp") {
        bad.push(format!(
            "the /tmp boot marker is not a boot write: {}",
            a["boot_writes"]
        ));
    }
    for f in &findings {
        let text = f["text"].as_str().unwrap_or("");
        if let Some(dir) = boot.iter().find(|d| text.contains(&format!(" under {d} while"))) {
            bad.push(format!("a boot write's directory {dir} is a finding: {text}"));
        }
    }
    if e.findings.is_empty() {
        if !findings.is_empty() {
            bad.push(format!("findings on the stateless copy: {findings:?}"));
        }
        // run beside the other copies, the stateless one may miss its time-to-healthy target
        // on a contended host: inconclusive (exit 5, its level the host's), not an audit cap
        let host = code == Some(EXIT_INCONCLUSIVE) && inconclusive(r) && r["host"]["contended"] == true;
        if !host && (rank(level) <= rank("fragile") || code != Some(0)) {
            bad.push(format!(
                "level {level} (exit {code:?}), not above fragile: {}",
                r["certification"]
            ));
        }
        return bad;
    }
    for (kind, needle) in e.findings {
        let hit = findings.iter().any(|f| {
            f["kind"] == *kind && f["caps"] == "fragile" && f["text"].as_str().is_some_and(|t| t.contains(needle))
        });
        if !hit {
            bad.push(format!("no {kind} finding capping at fragile containing {needle:?}"));
        }
    }
    let capping = ["local_writes", "old_vs_fresh"];
    for f in findings
        .iter()
        .filter(|f| capping.contains(&f["kind"].as_str().unwrap_or("")))
    {
        if f["caps"] != "fragile" {
            bad.push(format!("a {} finding does not cap at fragile: {f}", f["kind"]));
        }
    }
    // an audit cap is the app's: exit 3 whatever the host, never 5
    let reasons = r["certification"]["reasons"].to_string();
    if rank(level) > rank("fragile") || code != Some(3) || !reasons.contains("audit (at most fragile)") {
        bad.push(format!(
            "level {level} (exit {code:?}), not capped by the audit: {reasons}"
        ));
    }
    bad
}

#[test]
fn each_anti_pattern_copy_is_capped_at_fragile_by_its_own_finding_and_the_stateless_copy_has_none() {
    require_docker();
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<Ran>>> = Mutex::new(vec![None; COPIES.len()]);
    std::thread::scope(|s| {
        for _ in 0..AT_ONCE {
            s.spawn(|| {
                while let Some(e) = COPIES.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let k = COPIES.iter().position(|c| c.scenario == e.scenario).unwrap();
                    let r = run_copy(e.scenario);
                    done.lock().unwrap()[k] = Some(r);
                }
            });
        }
    });
    let runs: Vec<Ran> = done
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every copy ran"))
        .collect();
    eprintln!(
        "{} runs, {AT_ONCE} at once: {:.1} s",
        COPIES.len(),
        start.elapsed().as_secs_f64()
    );
    let mut report = Vec::new();
    for (e, (code, r)) in COPIES.iter().zip(&runs) {
        let kinds: Vec<&str> = r["audit"]["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["kind"].as_str())
            .collect();
        eprintln!(
            "{}: level {}, findings {kinds:?}, memory {}",
            e.scenario, r["certification"]["level"], r["audit"]["memory_growth"]
        );
        for p in problems(e, *code, r) {
            report.push(format!("{}: {p}", e.scenario));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
