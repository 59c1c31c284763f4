//! A docker-compose file as the scenario's stack, against real Docker: the bundled
//! compose example gives the same verdicts as the TOML scenarios it mirrors
//! (scenarios/compose/ against phoenix-stateless.toml and antipattern-local-uploads.toml,
//! whose own verdicts tests/docker/statelessness.rs proves).

use crate::common;

use common::*;
use serde_json::Value;
use std::sync::Mutex;

/// One Docker scenario at a time: two cores, and timings matter.
static DOCKER: Mutex<()> = Mutex::new(());

fn verdict(scenario: &str, exit: i32) -> Value {
    require_docker();
    let _one = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let Ran { output: o, result, .. } = run_in_temp(scenario, &[]);
    if exit == 0 {
        // met, or inconclusive (5): a time to healthy over the target on a contended host
        assert_verdict_exit(o.status.code(), exit, &result, scenario);
    } else {
        // lost state: 3 whatever the host
        assert_eq!(o.status.code(), Some(exit), "{scenario}: {}", result["certification"]);
    }
    // the lint ran before the run and said why the example is not a perfect phoenix
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("docker-compose.yml:6:3: services.web: no healthcheck"),
        "{stderr}"
    );
    result
}

fn checks(result: &Value) -> Vec<(String, u64, u64, u64)> {
    result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_u64().unwrap();
            (
                c["name"].as_str().unwrap().to_string(),
                n("set_up"),
                n("verified"),
                n("lost"),
            )
        })
        .collect()
}

#[test]
fn compose_stateless_stack_is_certified_like_its_toml_twin() {
    let r = verdict("scenarios/compose/stateless.toml", 0);
    let level = r["certification"]["level"].as_str().unwrap();
    assert!(
        inconclusive(&r) || ["phoenix", "resilient"].contains(&level),
        "level {level}"
    );
    for (name, set_up, verified, lost) in checks(&r) {
        assert_eq!((set_up, verified, lost), (20, 20, 0), "{name}");
    }
    assert_eq!(r["faults"].as_array().unwrap().len(), 2, "two replicas replaced");
}

#[test]
fn compose_local_uploads_loses_the_uploads_like_its_toml_twin() {
    let r = verdict("scenarios/compose/local-uploads.toml", 3);
    assert_eq!(r["certification"]["level"], "not-certified");
    for (name, set_up, verified, lost) in checks(&r) {
        let want = if name == "uploads" { (20, 0, 20) } else { (20, 20, 0) };
        assert_eq!((set_up, verified, lost), want, "{name}");
    }
    assert!(r["certification"]["reasons"].to_string().contains("uploads: "));
}
