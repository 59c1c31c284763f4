//! Fast probing around each fault keeps time to healthy as precise as the app's own
//! `ready` line (its own test binary, so no other test loads the machine meanwhile).

mod common;

use common::*;
use std::path::Path;

/// The precision scenario: one replica killed and restarted `restarts` times.
fn precision_scenario(restarts: u32) -> String {
    format!(
        r#"name = "precision"
description = "One replica SIGKILLed and restarted in place again and again: time to healthy against the app's own ready line."
require = "fragile"

[app]
image = "phoenix-demo:latest"
build = {{ context = "../../scenarios/apps/demo", command = ["bash", "../../scenarios/apps/demo/build.sh"] }}
port = 8080
env = {{ STARTUP_DELAY_MS = "1000" }}

[load]
rate = 50
duration = "{duration}ms"

[[fault]]
at = "2s"
kind = "chaos"
fault = "kill"
then = "restart"
target = "app-0"
every = "3500ms"
count = {restarts}

[certify]
time_to_healthy_target = "3s"
"#,
        duration = 2000 + 3500 * restarts
    )
}

/// Checks TTH against the app's `ready` line over `restarts` kill-restarts. What the harness
/// controls, on any host: every TTH within its own error bar (its recorded resolution: the
/// probe before the healthy one to that answer), every healthy probe sent while probing
/// fast (a fallback to the slow interval is hundreds of ms off), and the nearest-rank
/// percentile `q` of the resolutions within 5 ms (fast probing kept its pace). The
/// percentile `q` of |TTH − ready| within 5 ms is the figure itself; on a host whose CPU
/// is stolen a restart's probe can be held up for hundreds of ms (CI saw 336 ms at 22 %
/// steal), which the resolution then shows.
fn check_precision(restarts: u32, q: f64) {
    require_docker();
    let tmp = tempfile::tempdir().unwrap();
    // inside the project, so the scenario's paths stay inside it
    let scenario = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("precision-{restarts}.toml"));
    std::fs::write(&scenario, precision_scenario(restarts)).unwrap();
    let out = tmp.path().join("run");
    let o = run(scenario.to_str().unwrap(), &out, &[]);
    assert!(matches!(o.status.code(), Some(0 | 3)), "the run completes");
    let result = read_json(&out.join("result.json"));
    assert_nothing_left(&result);
    let record = read_json(&out.join("record.json"));
    let pairs = assert_tth_within_resolution(&result, &record, 5.0);
    assert_eq!(pairs.len(), restarts as usize);
    assert_healthy_probes_sent_fast(&result, &record);
    let at = |mut v: Vec<f64>, q: f64| {
        v.sort_by(f64::total_cmp);
        // nearest-rank: with fewer than 100 values the p99 is the largest
        v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1]
    };
    let diffs: Vec<f64> = pairs.iter().map(|(d, _)| d.abs()).collect();
    let (pq, res_q) = (at(diffs.clone(), q), at(pairs.iter().map(|(_, r)| *r).collect(), q));
    eprintln!(
        "|TTH − ready| over {restarts} restarts (ms): p{0} {pq:.1} ms, max {1:.1} ms; resolution p{0} {res_q:.1} ms",
        q * 100.0,
        at(diffs, 1.0)
    );
    // the ready line floors to the ms, fast probes go every 1-2 ms and an answer takes
    // about 0.5 ms; the demo prints `ready` once it has answered itself, since a fresh
    // process's first answers came 4-6 ms after its bind (README)
    assert!(
        res_q <= 5.0,
        "resolution p{} {res_q:.1} ms exceeds 5 ms: {pairs:?}",
        q * 100.0
    );
    assert!(
        pq <= 5.0,
        "|TTH − ready| p{} {pq:.1} ms exceeds 5 ms: {pairs:?}",
        q * 100.0
    );
}

/// Every recovery's first healthy probe was sent inside one of the probe loop's fast spans.
fn assert_healthy_probes_sent_fast(result: &serde_json::Value, record: &serde_json::Value) {
    let probes = &record["trials"][0]["probes"][0];
    let spans: Vec<(i64, i64)> = probes["fast_spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s[0].as_i64().unwrap(), s[1].as_i64().unwrap()))
        .collect();
    for f in result["faults"].as_array().unwrap() {
        let healthy_us =
            ((f["at_ms"].as_f64().unwrap() + f["time_to_healthy_ms"].as_f64().unwrap()) * 1000.0).round() as i64;
        let sent = probes["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| (t["done_us"].as_i64().unwrap() - healthy_us).abs() <= 1)
            .map(|t| t["sent_us"].as_i64().unwrap())
            .expect("the healthy transition TTH was read from");
        assert!(
            spans.iter().any(|(a, b)| (*a..=*b).contains(&sent)),
            "the healthy probe of the fault at {} ms was sent at {sent} µs, outside every fast span {spans:?}",
            f["at_ms"]
        );
    }
}

#[test]
fn time_to_healthy_matches_the_apps_ready_line_within_its_resolution_median_within_5_ms() {
    // 10 restarts, about 40 s. Every restart within its own error bar, the medians within
    // 5 ms: what the harness controls. The p99 within 5 ms is a figure of the engine and
    // the host as much (5.12 ms for one of 10 on a quiet host, 336 ms at 22 % CPU steal),
    // so it is the bench's, over 24 restarts (`benches/precision.sh`, below)
    check_precision(10, 0.5);
}

/// The full count (`benches/precision.sh` runs it): at least 20 restarts.
#[test]
#[ignore = "about 90 s; run by benches/precision.sh"]
fn time_to_healthy_matches_the_apps_ready_line_within_5_ms_over_24_restarts() {
    check_precision(24, 0.99);
}
