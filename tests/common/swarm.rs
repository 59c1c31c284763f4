//! Swarm mode for the tests: its state as the engine tells it, and a guard that leaves it
//! when the test found it inactive, even when the test panics; a scenario run on swarm
//! checked for leftovers (services included) and for the swarm state it leaves.

use serde_json::Value;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

/// One swarm test at a time per test binary: two cores, and timings matter.
static SWARM: Mutex<()> = Mutex::new(());

/// The engine's swarm state as `docker info` tells it (`inactive`, `active`, ...).
pub fn swarm_state() -> String {
    let o = Command::new("docker")
        .args(["info", "--format", "{{.Swarm.LocalNodeState}}"])
        .output()
        .expect("docker runs");
    assert!(
        o.status.success(),
        "docker info failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Leaves swarm mode on drop if it was inactive when made: a test that panics before its
/// teardown still leaves the engine as it found it. Declared before the lock, so it is
/// dropped first and the next test starts from the state this one found.
pub struct Guard {
    pub found: String,
    _lock: MutexGuard<'static, ()>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.found == "inactive" && swarm_state() != "inactive" {
            let o = Command::new("docker").args(["swarm", "leave", "--force"]).output();
            eprintln!("guard: left swarm mode ({:?})", o.map(|o| o.status));
        }
    }
}

pub fn guard() -> Guard {
    super::require_docker();
    let lock = SWARM.lock().unwrap_or_else(|e| e.into_inner());
    Guard {
        found: swarm_state(),
        _lock: lock,
    }
}

/// Ids of swarm services carrying `label`; none when the engine is not a swarm manager.
pub fn labelled_services(label: &str) -> Vec<String> {
    if swarm_state() != "active" {
        return Vec::new();
    }
    let o = Command::new("docker")
        .args(["service", "ls", "-q", "--filter"])
        .arg(format!("label={label}"))
        .output()
        .expect("docker runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Runs the scenario at `path` (from the repository root) holding the guard; asserts the
/// exit status, that nothing of the run is left (services, containers, networks, volumes)
/// and that swarm mode is as found. Returns result.json and record.json. Exit 0 (met) may
/// be 5 instead (inconclusive: a time to healthy over the target on a contended host).
pub fn run_swarm(path: &str, exit: i32) -> (Value, Value) {
    let g = guard();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = super::run(path, &out, &[]);
    let result = super::read_json(&out.join("result.json"));
    let record = super::read_json(&out.join("record.json"));
    super::assert_nothing_left(&result);
    let run_id = result["run_id"].as_str().expect("run_id");
    let left = labelled_services(&format!("phoenix-bench.run={run_id}"));
    assert!(left.is_empty(), "services left: {left:?}");
    assert_eq!(swarm_state(), g.found, "swarm mode left as found");
    if exit == 0 {
        super::assert_verdict_exit(o.status.code(), exit, &result, path);
    } else {
        assert_eq!(o.status.code(), Some(exit), "{path}: {}", result["certification"]);
    }
    (result, record)
}
