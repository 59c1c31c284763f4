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

/// Checks |TTH − ready| over `restarts` kill-restarts: its nearest-rank percentile `q` must
/// be within 5 ms, and no restart further off than 25 ms (a probe falling back to its slow
/// interval, or a pre-fault answer taken for the recovery, is hundreds of ms off).
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
    let mut diffs: Vec<f64> = tth_minus_ready(&result, &record).iter().map(|d| d.abs()).collect();
    assert_eq!(diffs.len(), restarts as usize);
    diffs.sort_by(f64::total_cmp);
    // nearest-rank: with fewer than 100 values the p99 is the largest
    let at = |q: f64| diffs[((diffs.len() as f64 * q).ceil() as usize).clamp(1, diffs.len()) - 1];
    let (pq, p99) = (at(q), at(0.99));
    eprintln!(
        "|TTH − ready| over {restarts} restarts (ms), sorted: {diffs:?}; p{} {pq:.1} ms{}",
        q * 100.0,
        if q < 0.99 {
            format!(", p99 {p99:.1} ms")
        } else {
            String::new()
        }
    );
    // the ready line floors to the ms, fast probes go every 1-2 ms and an answer takes
    // about 0.5 ms; the demo prints `ready` once it has answered itself, since a fresh
    // process's first answers came 4-6 ms after its bind (README)
    assert!(
        pq <= 5.0,
        "|TTH − ready| p{} {pq:.1} ms exceeds 5 ms: {diffs:?}",
        q * 100.0
    );
    assert!(p99 <= 25.0, "|TTH − ready| reached {p99:.1} ms: {diffs:?}");
}

#[test]
fn time_to_healthy_matches_the_apps_ready_line_median_within_5_ms_every_restart_within_25() {
    // 10 restarts, about 40 s. The median within 5 ms and every restart within 25 ms: what
    // the harness controls (fast probing around each fault; a slow-interval fallback or a
    // pre-fault answer is hundreds of ms off). The p99 within 5 ms is a figure of the
    // engine and the host as much (5.12 ms for one of 10 on a quiet host), so it is the
    // bench's, over 24 restarts (`benches/precision.sh`, below)
    check_precision(10, 0.5);
}

/// The full count (`benches/precision.sh` runs it): at least 20 restarts.
#[test]
#[ignore = "about 90 s; run by benches/precision.sh"]
fn time_to_healthy_matches_the_apps_ready_line_within_5_ms_over_24_restarts() {
    check_precision(24, 0.99);
}
