//! Repeated trials on Docker: one run folder, a fresh deployment of containers per trial,
//! and the time-to-healthy distribution over all of them. Two trials prove the engine's
//! part (a trial's containers torn down and deployed again within one run); the
//! distribution over five is proven on the process backend (tests/process_pipeline.rs),
//! 5 × 8 s instead of 5 × 20 s here.

use crate::common;

use common::*;

/// Trials of the run; the spread component needs 2 or more.
const TRIALS: u64 = 2;

#[test]
fn two_trials_of_kill_restart_give_one_time_to_healthy_distribution() {
    require_docker();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = run("scenarios/kill-restart.toml", &out, &["--trials", &TRIALS.to_string()]);
    let r = read_json(&out.join("result.json"));
    assert_nothing_left(&r);
    assert_eq!(o.status.code(), Some(0), "{}", r["certification"]);
    assert_eq!(r["trials"], TRIALS);
    let faults = r["faults"].as_array().unwrap();
    assert_eq!(faults.len() as u64, 2 * TRIALS, "two faults per trial");
    let trials: std::collections::BTreeSet<u64> = faults.iter().map(|f| f["trial"].as_u64().unwrap()).collect();
    assert_eq!(trials.len() as u64, TRIALS, "every trial has its faults");
    let tth = &r["time_to_healthy_ms"];
    assert_eq!(tth["count"], 2 * TRIALS);
    let (p50, p99, max) = (
        tth["p50"].as_f64().unwrap(),
        tth["p99"].as_f64().unwrap(),
        tth["max"].as_f64().unwrap(),
    );
    assert!(p50 <= p99 && p99 <= max);
    let ci = tth["median_ci95"]
        .as_array()
        .expect("a confidence interval of the median");
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    assert!(
        lo <= p50 + 2.0 && p50 <= hi + 2.0,
        "median {p50} outside its interval [{lo}, {hi}]"
    );
    assert_eq!(tth["by_trial"].as_array().unwrap().len() as u64, TRIALS);
    // the certification uses the distribution: a spread component appears with 2+ trials
    let components = r["certification"]["components"].to_string();
    assert!(components.contains("trial_spread"), "{components}");
    eprintln!(
        "time to healthy over {TRIALS} trials: p50 {p50} ms, p99 {p99} ms, max {max} ms, median 95 % CI [{lo}, {hi}] ms"
    );
}
