//! The read-only trial against real Docker: an extra replica with a read-only root
//! filesystem gets the load's mix after the load. The stateless demo's mix all succeeds
//! there; the local-uploads demo's uploads fail (500, "Read-only file system" in its
//! output), and nothing else does.

use crate::common;

use common::*;
use serde_json::Value;
use std::sync::Mutex;

/// One Docker scenario at a time: two cores.
static DOCKER: Mutex<()> = Mutex::new(());

fn read_only_trial(scenario: &str) -> Value {
    require_docker();
    let _one = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let ran = run_in_temp(scenario, &[]);
    assert_eq!(
        ran.output.status.code(),
        Some(0),
        "{scenario}: {}",
        ran.result["certification"]
    );
    let (summary, html) = (ran.text("summary.md"), ran.text("index.html"));
    assert!(summary.contains("### Read-only trial") && html.contains("<h3>Read-only trial</h3>"));
    ran.result["audit"]["read_only_trial"].clone()
}

#[test]
fn the_stateless_demo_serves_its_whole_mix_from_a_read_only_root_filesystem() {
    let ro = read_only_trial("tests/scenarios/read-only-stateless.toml");
    assert_eq!(ro["measured"], true, "{ro}");
    assert_eq!(ro["healthy"], true, "{ro}");
    // 2 s at 20 req/s
    assert_eq!(ro["sent"], 40, "{ro}");
    assert_eq!(ro["failed"], 0, "{ro}");
    assert_eq!(ro["passed"], true, "{ro}");
    assert!(ro["failures"].as_array().unwrap().is_empty());
}

#[test]
fn the_local_uploads_demo_fails_its_uploads_on_a_read_only_root_filesystem() {
    let ro = read_only_trial("tests/scenarios/read-only-local-uploads.toml");
    assert_eq!(ro["measured"], true, "{ro}");
    assert_eq!(ro["healthy"], true, "{ro}");
    assert_eq!(ro["passed"], false, "{ro}");
    let failures = ro["failures"].as_array().unwrap();
    // only the uploads (one request in four of the mix) fail, with the app's 500
    assert_eq!(failures.len(), 1, "{ro}");
    let f = &failures[0];
    assert_eq!(
        (f["method"].as_str(), f["path"].as_str()),
        (Some("POST"), Some("/upload"))
    );
    assert_eq!(f["status"], 500);
    assert_eq!(f["count"], ro["failed"]);
    assert_eq!(ro["failed"], 10, "{ro}");
    assert_eq!(ro["ok"], 30, "{ro}");
    let output = ro["output"].to_string();
    assert!(output.contains("Read-only file system"), "{output}");
    assert!(ro["finding"].as_str().unwrap().contains("POST /upload"), "{ro}");
}
