//! Cleanup against real Docker: an interrupted run (SIGINT, SIGTERM) removes everything it
//! created and still writes its report, marked incomplete; a SIGKILLed run leaves its
//! objects for `phoenix clean` (and `--dry-run` only lists them); and neither `phoenix
//! clean` nor the reaper ever touches the objects of a live run.
//!
//! The tests that run phoenix take one lock, so the Docker-heavy ones never compete for
//! the machine (the concurrent-run test runs two on purpose). Every run is interrupted
//! early, except the live run of the concurrent test.

use crate::common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A 30 s load with one kill and restart at 10 s (require = "fragile").
const LONG_LOAD: &str = "tests/scenarios/long-load.toml";
/// The same under another name, for the run killed next to a live one.
const VICTIM: &str = "tests/scenarios/concurrent-victim.toml";
/// How long an interrupted run may take to exit.
const EXIT_BOUND: Duration = Duration::from_secs(30);

static DOCKER: Mutex<()> = Mutex::new(());

fn docker_lock() -> MutexGuard<'static, ()> {
    DOCKER.lock().unwrap_or_else(|e| e.into_inner())
}

/// A `phoenix run` in the background, its output going to files next to its run folder.
struct Running {
    child: Child,
    out: PathBuf,
    logs: PathBuf,
    /// The run id, read from its containers' label once one runs.
    run_id: String,
}

impl Running {
    /// Starts `phoenix run <scenario> --out <dir>/run` and waits until the load is under way:
    /// a container of this process is running, plus 2 s.
    fn start(scenario: &str, dir: &Path) -> Running {
        let out = dir.join("run");
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let child = phoenix()
            .args(["run", scenario, "--out"])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs.join("stdout")).unwrap())
            .stderr(std::fs::File::create(logs.join("stderr")).unwrap())
            .spawn()
            .expect("phoenix starts");
        let mut r = Running {
            child,
            out,
            logs,
            run_id: String::new(),
        };
        r.run_id = r.wait_for_container();
        std::thread::sleep(Duration::from_secs(2));
        r
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls Docker for a running container owned by this process; returns its run label.
    fn wait_for_container(&mut self) -> String {
        let owner = format!(
            "phoenix-bench.owner={}:{}",
            phoenix_bench::backend::labels::host(),
            self.pid()
        );
        // the first run on a machine may build the demo image
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let o = Command::new("docker")
                .args([
                    "ps",
                    "--filter",
                    &format!("label={owner}"),
                    "--filter",
                    "status=running",
                ])
                .args(["--format", "{{.Label \"phoenix-bench.run\"}}"])
                .output()
                .expect("docker runs");
            if let Some(run) = String::from_utf8_lossy(&o.stdout).lines().find(|l| !l.is_empty()) {
                return run.to_string();
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "phoenix exited with {status} before starting a container\n{}",
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no running container of phoenix {} after 300 s\n{}",
                self.pid(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{sig} {} failed", self.pid());
    }

    /// Waits for the process to exit within `bound`; panics (after killing it) otherwise.
    fn wait(&mut self, bound: Duration) -> (ExitStatus, Duration) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, start.elapsed());
            }
            if start.elapsed() > bound {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("phoenix did not exit within {bound:?}\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.logs.join("stderr")).unwrap_or_default()
    }

    fn run_label(&self) -> String {
        format!("phoenix-bench.run={}", self.run_id)
    }
}

impl Drop for Running {
    /// Never leaves a phoenix process behind, whatever the test did.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `sig`, then checks the contract of an interrupted run: exit 1 within the bound,
/// a report marked incomplete, and nothing left in Docker.
fn interrupted_run_cleans_up_and_reports(sig: &str) {
    require_docker();
    let _lock = docker_lock();
    let tmp = tempfile::tempdir().unwrap();
    let mut run = Running::start(LONG_LOAD, tmp.path());
    assert!(
        !labelled(&run.run_label()).is_empty(),
        "the run has objects while it runs"
    );
    run.signal(sig);
    let (status, took) = run.wait(EXIT_BOUND);
    let err = run.stderr();
    eprintln!("--- phoenix stderr ---\n{err}\nexited {status} {took:?} after SIG{sig}");
    assert_eq!(status.code(), Some(1), "an interrupted run exits 1\n{err}");
    assert!(err.contains("interrupted"), "the message says why it stopped: {err}");

    let result = read_json(&run.out.join("result.json"));
    assert!(run.out.join("index.html").is_file(), "index.html is written");
    assert_eq!(result["run_id"].as_str(), Some(run.run_id.as_str()));
    assert_eq!(result["complete"], false, "the report is marked incomplete");
    assert_eq!(result["certification"]["level"], "not-certified");
    assert_nothing_left(&result);
}

#[test]
fn sigint_stops_the_run_removes_its_containers_and_writes_an_incomplete_report() {
    interrupted_run_cleans_up_and_reports("INT");
}

#[test]
fn sigterm_stops_the_run_removes_its_containers_and_writes_an_incomplete_report() {
    interrupted_run_cleans_up_and_reports("TERM");
}

fn clean(extra: &[&str]) -> (i32, String) {
    let o = phoenix().arg("clean").args(extra).output().expect("phoenix clean runs");
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    eprintln!(
        "--- phoenix clean {extra:?} ---\n{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), out)
}

#[test]
fn a_sigkilled_run_is_left_for_clean_and_dry_run_only_lists_it() {
    require_docker();
    let _lock = docker_lock();
    let tmp = tempfile::tempdir().unwrap();
    let mut run = Running::start(LONG_LOAD, tmp.path());
    run.signal("KILL");
    // reaped by wait: a zombie would still count as a live owner
    let (status, _) = run.wait(EXIT_BOUND);
    assert_eq!(status.code(), None, "SIGKILL ends the process by signal");

    let label = run.run_label();
    let left = labelled(&label);
    assert!(
        !left.is_empty(),
        "a SIGKILLed run cannot clean up: its objects must still be there"
    );

    let (code, out) = clean(&["--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains(&run.run_id), "--dry-run lists the run's objects: {out}");
    assert!(out.contains("would remove"), "{out}");
    let mut still = labelled(&label);
    still.sort();
    let mut before = left.clone();
    before.sort();
    assert_eq!(still, before, "--dry-run removes nothing");

    let (code, out) = clean(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&run.run_id), "{out}");
    let after = labelled(&label);
    assert!(after.is_empty(), "phoenix clean left {after:?}");
}

#[test]
fn clean_removes_a_killed_run_and_never_touches_a_live_one() {
    require_docker();
    let _lock = docker_lock();
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut live = Running::start(LONG_LOAD, &tmp.path().join("a"));
    let live_containers = containers(&live.run_label());
    assert_eq!(live_containers.len(), 1, "one replica runs");

    let mut victim = Running::start(VICTIM, &tmp.path().join("b"));
    assert_ne!(victim.run_id, live.run_id);
    victim.signal("KILL");
    victim.wait(EXIT_BOUND);
    assert!(!labelled(&victim.run_label()).is_empty());

    let (code, out) = clean(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        labelled(&victim.run_label()).is_empty(),
        "the killed run's objects are removed"
    );
    assert!(!out.contains(&live.run_id), "clean named the live run: {out}");
    // running or not: the live run kills and restarts its replica at 10 s (same container),
    // which a slow machine reaches by now
    assert_eq!(
        containers(&live.run_label()),
        live_containers,
        "the live run's container is untouched"
    );

    // the live run goes on to the end of its 30 s load (kill at 10 s) and its report
    let (status, _) = live.wait(Duration::from_secs(120));
    let err = live.stderr();
    eprintln!("--- live run stderr ---\n{err}");
    assert_eq!(status.code(), Some(0), "the live run meets its level (fragile)\n{err}");
    let result = read_json(&live.out.join("result.json"));
    assert_eq!(result["complete"], true);
    assert!(result["faults"][0]["time_to_healthy_ms"].is_number(), "recovered");
    assert!(live.out.join("index.html").is_file());
    assert_nothing_left(&result);
    eprintln!("concurrent test took {:?}", started.elapsed());
}

/// Ids of the containers carrying `label`, running or not.
fn containers(label: &str) -> Vec<String> {
    let o = Command::new("docker")
        .args(["ps", "-aq", "--no-trunc", "--filter", &format!("label={label}")])
        .output()
        .expect("docker runs");
    let mut ids: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(String::from)
        .collect();
    ids.sort();
    ids
}

/// Networks created for the reaper test, removed whatever happens.
struct Networks(Vec<String>);

impl Drop for Networks {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = Command::new("docker")
                .args(["network", "rm", n])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn network_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["network", "inspect", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn clean_removes_only_objects_whose_owner_is_certainly_dead() {
    require_docker();
    let host = phoenix_bench::backend::labels::host();
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let tag = std::process::id();
    let own_id = own_owner_id();
    let (ns_boot, _) = own_id.split_once('/').unwrap();
    // (name suffix, owner, owner id, removed by clean?)
    let cases: Vec<(&str, String, Option<String>, bool)> = vec![
        ("dead", format!("{host}:9999999"), Some(own_id.clone()), true),
        // labelled without an owner id: never judged, whatever its pid
        ("legacy", format!("{host}:9999999"), None, false),
        ("live", format!("{host}:{}", sleeper.id()), None, false),
        ("other-host", "some-other-host:9999999".into(), None, false),
        // same host name, but a pid namespace we cannot see into (a run in a container
        // started with --network host shares the host's name)
        (
            "other-pid-ns",
            format!("{host}:9999999"),
            Some(format!("{ns_boot}/1/1")),
            false,
        ),
        ("no-owner", String::new(), None, false),
    ];
    let mut nets = Networks(Vec::new());
    for (suffix, owner, owner_id, _) in &cases {
        let name = format!("phoenix-test-reaper-{tag}-{suffix}");
        let mut c = Command::new("docker");
        c.args(["network", "create", "--label"])
            .arg(format!("phoenix-bench.run=reaper-test-{tag}-{suffix}"));
        if !owner.is_empty() {
            c.arg("--label").arg(format!("phoenix-bench.owner={owner}"));
        }
        if let Some(id) = owner_id {
            c.arg("--label").arg(format!("phoenix-bench.owner-id={id}"));
        }
        let ok = c.arg(&name).stdout(Stdio::null()).status().unwrap().success();
        assert!(ok, "docker network create {name}");
        nets.0.push(name);
    }
    let (code, out) = clean(&[]);
    assert_eq!(code, 0, "{out}");
    for ((suffix, _, _, removed), name) in cases.iter().zip(&nets.0) {
        assert_eq!(
            !network_exists(name),
            *removed,
            "network '{suffix}': removed by clean should be {removed}\n{out}"
        );
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
}

/// `<boot id>/<pid namespace>/<start time>` as the harness labels this process.
fn own_owner_id() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let ns = ns.to_string_lossy();
    let ns = ns.trim_start_matches("pid:[").trim_end_matches(']');
    format!("{}/{ns}/0", boot.trim())
}
