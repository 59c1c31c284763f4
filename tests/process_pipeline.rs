//! The whole pipeline — `phoenix run`: validate, deploy, load, faults, probes, record,
//! analysis, certification, every report file — on the process backend, with the demo app
//! built natively. No Docker: these tests pass with the engine stopped, in seconds.
//! What a run left is read from the kernel (`/proc/<pid>/environ`) and the temporary
//! folder, not from the harness.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One run at a time: two cores, and timings matter.
static ONE: Mutex<()> = Mutex::new(());

/// The demo boots this long before binding its port (`STARTUP_DELAY_MS` in the scenarios).
const BOOT_MS: f64 = 300.0;

/// Runs a scenario of `tests/scenarios/` on the process backend; asserts its exit status,
/// that it took less than `within`, and that it left no process or folder behind. Exit 0
/// (met) may be 5 instead (inconclusive: a time to healthy over the 1 s target on a
/// contended host); exit 3 here is lost state or a broken check, 3 whatever the host.
fn run_process(scenario: &str, exit: i32, within: Duration) -> (Value, Value, std::path::PathBuf, tempfile::TempDir) {
    run_process_with(scenario, &[], exit, within)
}

/// [`run_process`] with `extra` arguments to `phoenix run`.
fn run_process_with(
    scenario: &str,
    extra: &[&str],
    exit: i32,
    within: Duration,
) -> (Value, Value, std::path::PathBuf, tempfile::TempDir) {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    // the scenarios name the debug build where cargo puts it by default
    let demo = demo_binary();
    assert_eq!(
        demo,
        root().join("target/debug/phoenix-demo"),
        "the process scenarios run ../../target/debug/phoenix-demo; unset CARGO_TARGET_DIR"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let start = Instant::now();
    let o = run(&format!("tests/scenarios/{scenario}.toml"), &out, extra);
    let took = start.elapsed();
    let result = read_json(&out.join("result.json"));
    let record = read_json(&out.join("record.json"));
    if exit == 0 {
        assert_verdict_exit(o.status.code(), exit, &result, scenario);
    } else {
        assert_eq!(o.status.code(), Some(exit), "{scenario}: {}", result["certification"]);
    }
    assert!(took < within, "{scenario} took {took:?}, over {within:?}");
    eprintln!("{scenario}: {took:?}");
    let run_id = result["run_id"].as_str().expect("run_id");
    assert_nothing_left_locally(run_id);
    (result, record, out, tmp)
}

/// No live process carries the run's label, and no run folder in the temporary folder
/// names the run.
fn assert_nothing_left_locally(run_id: &str) {
    let want = format!("PHOENIX_BENCH_RUN={run_id}");
    let mut left = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if e.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
        if env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()) {
            left.push(format!("process {}", e.file_name().to_string_lossy()));
        }
    }
    let label = format!("phoenix-bench.run={run_id}");
    for e in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        let labels = std::fs::read_to_string(e.path().join("phoenix-bench.labels")).unwrap_or_default();
        if labels.lines().any(|l| l == label) {
            left.push(format!("folder {}", e.path().display()));
        }
    }
    assert!(left.is_empty(), "run {run_id} left {left:?}");
}

fn nonempty(dir: &Path, file: &str) {
    let len = std::fs::metadata(dir.join(file)).map(|m| m.len()).unwrap_or(0);
    assert!(len > 0, "{file} missing or empty");
}

#[test]
fn kill_restart_on_the_process_backend_is_certified_with_measured_recovery_in_seconds() {
    let (result, record, out, _tmp) = run_process("process-kill-restart", 0, Duration::from_secs(60));
    assert_eq!(result["environment"]["backend"], "process");
    assert_eq!(
        result["environment"]["images"],
        serde_json::json!([]),
        "no image is involved"
    );
    // on a contended host the figures may miss the target (exit 5): not the app's
    let host = inconclusive(&result);
    assert_eq!(result["certification"]["passed"], !host);
    let faults = result["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 2);
    for (f, action) in faults.iter().zip(["restart", "replace"]) {
        assert_eq!(f["action"], action);
        assert_eq!(f["recovery"], "recovered", "{f}");
        let tth = f["time_to_healthy_ms"].as_f64().expect("a measured time to healthy");
        // the demo sleeps BOOT_MS before binding: a shorter TTH would not be its recovery;
        // within the 1 s target unless the run was inconclusive
        assert!(tth >= BOOT_MS && (host || tth < 1000.0), "{action}: TTH {tth} ms");
        let b = &f["breakdown_ms"];
        let (exit, running) = (b["exit"].as_f64().unwrap(), b["running"].as_f64().unwrap());
        // the backend's own reaper and spawn: tens of ms, more when the host holds them up
        let slack = if result["host"]["contended"] == true {
            1000.0
        } else {
            0.0
        };
        assert!(
            (0.0..100.0 + slack).contains(&exit),
            "{action}: the exit event {exit} ms after the kill ({})",
            result["host"]
        );
        assert!(
            running >= exit && running < 200.0 + slack,
            "{action}: started {running} ms after the kill ({})",
            result["host"]
        );
        assert!(
            f["lost_requests"].as_u64().unwrap() > 0,
            "a killed only replica loses requests"
        );
    }
    // the probe against the app's own `ready <ms>` line, within the run's own error bar as
    // on Docker (tests/kill_restart.rs): the demo prints `ready` once it has answered its
    // own GET /health, so a probe answered in the same instant can be seen a fraction of a
    // ms before it (CI saw −0.136 ms)
    assert_tth_within_resolution(&result, &record, 5.0);
    // the platform floor: both actions on a null replica, 2 cycles before and 2 after; the
    // app's share (TTH minus the floor) is the demo's own boot, its ready minus its start
    let floor = &result["floor"];
    let actions: Vec<_> = floor["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].clone())
        .collect();
    assert_eq!(actions, ["restart", "replace"], "{floor}");
    for a in floor["actions"].as_array().unwrap() {
        assert_eq!((a["count"].as_u64(), a["failed"].as_u64()), (Some(4), Some(0)), "{a}");
        assert!(a["p50_ms"].as_f64().unwrap() > 0.0, "{a}");
    }
    let shares = app_share_and_boot(&result, &record);
    eprintln!("(app share, ready − start) per fault, ms: {shares:?}; floor {floor}");
    for (share, boot) in &shares {
        assert!(
            (share - boot).abs() <= 25.0,
            "app share {share} ms against the app's own boot {boot} ms: {shares:?}"
        );
    }
    // a restart keeps the instance, a replacement is a new one
    let instances: Vec<&str> = record["trials"][0]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["instance"].as_str().unwrap())
        .collect();
    assert_eq!(
        instances.len(),
        2,
        "the first instance (started twice) and its replacement: {instances:?}"
    );
    for file in [
        "index.html",
        "summary.md",
        "junit.xml",
        "latency.hlog",
        "record.json",
        "result.json",
    ] {
        nonempty(&out, file);
    }
}

/// (set up, verified, lost) of the sessions check.
fn sessions(result: &Value) -> (u64, u64, u64) {
    let c = &result["checks"][0];
    assert_eq!(c["name"], "sessions");
    let n = |k: &str| c[k].as_u64().unwrap();
    (n("set_up"), n("verified"), n("lost"))
}

#[test]
fn sessions_in_a_shared_folder_are_kept_and_sessions_in_memory_are_lost() {
    let (kept, ..) = run_process("process-stateless", 0, Duration::from_secs(60));
    assert_eq!(sessions(&kept), (20, 20, 0), "{}", kept["checks"]);
    let (lost, ..) = run_process("process-memory-sessions", 3, Duration::from_secs(60));
    assert_eq!(sessions(&lost), (20, 0, 20), "{}", lost["checks"]);
    assert_eq!(lost["certification"]["level"], "not-certified");
    assert!(lost["certification"]["reasons"].to_string().contains("sessions: "));
}

#[test]
fn a_put_only_mix_is_read_back_and_a_check_that_never_verifies_is_broken_not_lost() {
    let (r, ..) = run_process("process-put-only-broken-check", 3, Duration::from_secs(60));
    let c = &r["checks"][0];
    let n = |k: &str| c[k].as_u64().unwrap();
    let counts = (n("set_up"), n("broken"), n("verified"), n("unverified"), n("lost"));
    assert_eq!(counts, (20, 20, 0, 0, 0), "{c}");
    assert_eq!(c["failures"][0]["phase"], "control", "{c}");
    let reasons = r["certification"]["reasons"].to_string();
    assert_eq!(r["certification"]["level"], "not-certified", "{reasons}");
    assert!(
        reasons.contains("cache: state survival not measured: all 20 journeys"),
        "{reasons}"
    );
    assert!(!reasons.contains("failed verification afterwards"), "{reasons}");
    // the mix only writes: the old-versus-fresh sample read back what its PUT wrote
    let findings = r["audit"]["findings"].to_string();
    assert!(
        findings.contains("GET /cache/k1 on app-0: the status differs") && findings.contains("\"caps\":\"fragile\""),
        "{findings}"
    );
}

#[test]
fn a_program_not_built_yet_fails_the_run_with_status_1_naming_it_and_leaves_no_folder_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.toml");
    let text = r#"name = "unbuilt"
[app]
backend = "process"
command = ["bin/not-built-yet"]
env = { LISTEN = "127.0.0.1:{port}" }
[load]
rate = 10
duration = "2s"
"#;
    std::fs::write(&path, text).unwrap();
    let out = tmp.path().join("run");
    // the backend's own folders go to the temporary folder: a private one, to see it empty
    let private = tmp.path().join("tmp");
    std::fs::create_dir(&private).unwrap();
    let o = phoenix()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .env("TMPDIR", &private)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bin/not-built-yet") && err.contains("build the program first"),
        "{err}"
    );
    // nothing was measured: no run folder, and nothing of the backend's left
    assert!(!out.exists(), "a run that measured nothing left its folder");
    let left: Vec<_> = std::fs::read_dir(&private)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left {left:?}");
}

/// Repeated trials: one run folder, a fresh deployment per trial, and the time-to-healthy
/// distribution over all of them. Trials are the pipeline's, not a backend's: on the process
/// backend they take 5 × 8 s instead of 5 × 20 s of the Docker kill-restart scenario.
#[test]
fn five_trials_of_kill_restart_give_one_time_to_healthy_distribution() {
    let (r, ..) = run_process_with("process-kill-restart", &["--trials", "5"], 0, Duration::from_secs(180));
    assert_trial_distribution(&r, 5);
}
