//! Memory growth per replica, measured: the demo's global cache filled by a request mix
//! of large cache writes grows by more than the documented threshold
//! (`analysis::memory::GROWING_MIB_PER_1000` per 1000 requests), and the stateless demo
//! under GETs does not. Docker (engine stats) and the process backend (/proc RssAnon).

use crate::common;

use common::*;
use phoenix_bench::analysis::memory::{GROWING_MIB_PER_1000, GROWING_MIN_MIB};
use serde_json::Value;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One run at a time: two cores.
static ONE: Mutex<()> = Mutex::new(());

/// 16 KiB of text per cache write: 100 writes a second fill the global cache by about
/// 1.6 MiB/s, 16 MiB per 1000 requests.
fn big_value() -> String {
    "x".repeat(16 * 1024)
}

/// Writes `toml` as a scenario in a temporary folder, runs it, returns result.json.
fn run_scenario(toml: &str, within: Duration) -> Value {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("memory.toml");
    std::fs::write(&file, toml).unwrap();
    let out = tmp.path().join("run");
    let start = Instant::now();
    let o = phoenix()
        .args(["run"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    eprintln!("--- phoenix stderr ---\n{}", String::from_utf8_lossy(&o.stderr));
    let took = start.elapsed();
    assert!(matches!(o.status.code(), Some(0 | 3)), "the run ran: {:?}", o.status);
    assert!(took < within, "took {took:?}");
    let result = read_json(&out.join("result.json"));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("### Memory growth"));
    eprintln!("memory_growth: {:#}", result["audit"]["memory_growth"]);
    result
}

fn growth(result: &Value) -> Vec<(String, f64, f64, bool)> {
    let g = result["audit"]["memory_growth"]
        .as_array()
        .expect("memory_growth is a list");
    assert!(
        !g.is_empty(),
        "memory measured: {}",
        result["audit"]["memory_not_measured"]
    );
    g.iter()
        .map(|r| {
            (
                r["replica"].as_str().unwrap().to_string(),
                r["growth_mib"].as_f64().unwrap(),
                r["mib_per_1000_requests"].as_f64().unwrap(),
                r["growing"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn docker_scenario(cache: bool) -> String {
    let (env, requests, service) = if cache {
        (
            "SESSIONS = \"memory\"\nUPLOADS = \"local\"\nCACHE = \"global\"",
            format!(
                "[{{ method = \"PUT\", path = \"/cache/k{{{{n}}}}\", body = \"{}\" }}]",
                big_value()
            ),
            "",
        )
    } else {
        (
            "REDIS_URL = \"redis://redis:6379\"\nSESSIONS = \"redis\"\nUPLOADS = \"shared\"\nSHARED_DIR = \"/tmp/shared\"\nCACHE = \"redis\"",
            "[{ method = \"GET\", path = \"/\" }]".to_string(),
            "[[service]]\nname = \"redis\"\nimage = \"phoenix/redis:bookworm\"\nready_log = \"Ready to accept connections\"\n",
        )
    };
    format!(
        "name = \"memory\"\n[app]\nimage = \"phoenix-demo:latest\"\nport = 8080\nreplicas = 2\nhealth = {{ path = \"/health\" }}\n\
         [app.env]\n{env}\n[load]\nrate = 100\nduration = \"8s\"\nrequests = {requests}\n{service}"
    )
}

#[test]
fn the_global_cache_grows_past_the_threshold_and_the_stateless_demo_under_gets_does_not() {
    require_docker();
    let cache = run_scenario(&docker_scenario(true), Duration::from_secs(40));
    assert_nothing_left(&cache);
    let cache = growth(&cache);
    assert_eq!(cache.len(), 2, "{cache:?}");
    for (replica, mib, per_1000, growing) in &cache {
        assert!(
            *per_1000 > GROWING_MIB_PER_1000 && *mib > GROWING_MIN_MIB && *growing,
            "{replica}: {mib} MiB, {per_1000} MiB per 1000 requests"
        );
    }
    let stateless = run_scenario(&docker_scenario(false), Duration::from_secs(40));
    assert_nothing_left(&stateless);
    let stateless = growth(&stateless);
    assert_eq!(stateless.len(), 2, "{stateless:?}");
    let least_cache = cache.iter().map(|g| g.2).fold(f64::MAX, f64::min);
    for (replica, mib, per_1000, growing) in &stateless {
        assert!(
            !growing && *mib < GROWING_MIN_MIB && *per_1000 < least_cache / 10.0,
            "{replica}: {mib} MiB, {per_1000} MiB per 1000 requests"
        );
    }
}

#[test]
fn the_process_backend_reads_memory_from_proc_and_sees_the_cache_grow() {
    let demo = demo_binary();
    let toml = format!(
        "name = \"memory-process\"\n[app]\nbackend = \"process\"\ncommand = [\"{}\"]\nreplicas = 1\n\
         health = {{ path = \"/health\" }}\n[app.env]\nLISTEN = \"127.0.0.1:{{port}}\"\nCACHE = \"global\"\n\
         [load]\nrate = 100\nduration = \"5s\"\nrequests = [{{ method = \"PUT\", path = \"/cache/k{{{{n}}}}\", body = \"{}\" }}]\n",
        "app",
        big_value()
    );
    // the program must be inside the scenario's project (after symlinks): a copy
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(&demo, tmp.path().join("app")).unwrap();
    let file = tmp.path().join("memory.toml");
    std::fs::write(&file, &toml).unwrap();
    let out = tmp.path().join("run");
    let o = phoenix().arg("run").arg(&file).arg("--out").arg(&out).output().unwrap();
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    let result = read_json(&out.join("result.json"));
    let g = growth(&result);
    assert_eq!(g.len(), 1);
    let (_, mib, per_1000, growing) = &g[0];
    assert!(
        *growing && *per_1000 > GROWING_MIB_PER_1000,
        "{mib} MiB, {per_1000} MiB per 1000"
    );
}
