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
    assert_trial_distribution(&r, TRIALS);
}
