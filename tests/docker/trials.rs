//! Repeated trials: one run folder, a fresh deployment per trial, and the time-to-healthy
//! distribution over all of them.

use crate::common;

use common::*;

#[test]
fn five_trials_of_kill_restart_give_one_time_to_healthy_distribution() {
    require_docker();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = run("scenarios/kill-restart.toml", &out, &["--trials", "5"]);
    let r = read_json(&out.join("result.json"));
    assert_nothing_left(&r);
    assert_eq!(o.status.code(), Some(0), "{}", r["certification"]);
    assert_eq!(r["trials"], 5);
    let faults = r["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 10);
    let trials: std::collections::BTreeSet<u64> = faults.iter().map(|f| f["trial"].as_u64().unwrap()).collect();
    assert_eq!(trials.len(), 5, "every trial has its faults");
    let tth = &r["time_to_healthy_ms"];
    assert_eq!(tth["count"], 10);
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
    assert_eq!(tth["by_trial"].as_array().unwrap().len(), 5);
    // the certification uses the distribution: a spread component appears with 2+ trials
    let components = r["certification"]["components"].to_string();
    assert!(components.contains("trial_spread"), "{components}");
    eprintln!(
        "time to healthy over 5 trials: p50 {p50} ms, p99 {p99} ms, max {max} ms, median 95 % CI [{lo}, {hi}] ms"
    );
}
