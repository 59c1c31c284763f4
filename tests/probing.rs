//! Adaptive probing against real Docker: the probes must not overload an app with little
//! capacity (tests/precision.rs proves they stay precise around faults).

mod common;

use common::*;
use std::path::Path;

/// Failed requests of a run, and probes sent per replica.
fn failed_and_probes(out: &Path) -> (u64, Vec<u64>) {
    let result = read_json(&out.join("result.json"));
    assert_nothing_left(&result);
    let record = read_json(&out.join("record.json"));
    let probes = record["trials"][0]["probes"]
        .as_array()
        .expect("probe logs")
        .iter()
        .map(|p| p["sent"].as_u64().unwrap())
        .collect();
    (result["load"]["failed"].as_u64().expect("failed count"), probes)
}

#[test]
fn default_probing_does_not_overload_a_one_worker_app_and_constant_fast_probing_does() {
    require_docker();
    let tmp = tempfile::tempdir().unwrap();

    let out = tmp.path().join("adaptive");
    let o = run("tests/scenarios/small-pool.toml", &out, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a run with no fault meets `require = untested`"
    );
    let (failed, probes) = failed_and_probes(&out);
    eprintln!("adaptive probing: {failed} failed requests, probes sent per replica {probes:?}");
    assert_eq!(
        failed, 0,
        "the app's capacity is 125 requests/s a replica and the load 80"
    );
    // ~20 s of slow probing (1 s) plus the fast probes until the first healthy one
    for p in &probes {
        assert!(*p < 200, "a healthy replica was probed {p} times in ~20 s");
    }
    // and the report says so: the rate a healthy replica bore, per replica
    let result = read_json(&out.join("result.json"));
    let loads = result["probes"]
        .as_array()
        .expect("result.json lists the probe traffic");
    assert_eq!(loads.len(), probes.len());
    for l in loads {
        let slow = l["slow_per_second"].as_f64().expect("a measured slow probe rate");
        eprintln!(
            "{}: {slow:.2} probes/s while slow, {} fast",
            l["replica"], l["fast_sent"]
        );
        assert!((0.5..=1.5).contains(&slow), "slow probing every 1 s, measured {slow}/s");
    }

    // the same app and load with the probing of old: every 10 ms, the whole run
    let text = std::fs::read_to_string(root().join("tests/scenarios/small-pool.toml")).unwrap();
    let text = text.replace(
        "env = { WORKERS",
        "health = { interval = \"10ms\", slow_interval = \"10ms\" }\nenv = { WORKERS",
    );
    // inside the project (target/tmp), at the same depth, so the scenario's paths still hold
    let scenario = Path::new(env!("CARGO_TARGET_TMPDIR")).join("small-pool-fixed.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = tmp.path().join("fixed");
    let o = run(scenario.to_str().unwrap(), &out, &[]);
    assert!(matches!(o.status.code(), Some(0 | 3)), "the run completes");
    let (failed, probes) = failed_and_probes(&out);
    eprintln!("probes every 10 ms: {failed} failed requests, probes sent per replica {probes:?}");
    assert!(
        failed > 0,
        "100 probes/s of 8 ms each on top of the load overload one worker"
    );
}
