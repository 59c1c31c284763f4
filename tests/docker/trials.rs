//! Repeated trials on Docker: one run folder, a fresh deployment of containers per trial,
//! and the time-to-healthy distribution over all of them. Two trials prove the engine's
//! part (a trial's containers torn down and deployed again within one run); the
//! distribution over five is proven on the process backend (tests/process_pipeline.rs),
//! 5 × 8 s instead of 5 × 20 s here. Each trial's logs are its own.

use crate::common;

use common::*;

/// Trials of the run; the spread component needs 2 or more.
const TRIALS: u64 = 2;

#[test]
fn two_trials_of_kill_restart_give_one_time_to_healthy_distribution() {
    require_docker();
    let ran = run_in_temp("scenarios/kill-restart.toml", &["--trials", &TRIALS.to_string()]);
    let (o, r) = (&ran.output, &ran.result);
    // met, or inconclusive (5): a time to healthy over the target on a contended host
    assert_verdict_exit(o.status.code(), 0, r, "kill-restart");
    assert_trial_distribution(r, TRIALS);

    // each trial's logs hold its own instances: a replaced container's log was once carried
    // into every later trial, where it had no boot read and counted as unread
    let record = read_json(&ran.path("record.json"));
    let instances = |t: usize| -> std::collections::BTreeSet<String> {
        let logs = record["trials"][t]["logs"].as_array().expect("logs");
        logs.iter()
            .map(|l| l["instance"].as_str().unwrap().to_string())
            .collect()
    };
    let (first, second) = (instances(0), instances(1));
    assert_eq!(first.len(), 2, "the replaced instance and its replacement: {first:?}");
    assert!(
        first.is_disjoint(&second),
        "trial 2 holds trial 1's instances: {second:?}"
    );
    assert_eq!(r["audit"]["instances_unread"], 0, "{:#}", r["audit"]);
}
