//! Every run ends within its deadline: an app that never becomes healthy yields a complete
//! not-certified report in bounded time, and an unreachable Docker engine fails fast with
//! a message naming the socket and the fix, leaving no report folder behind.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

const MISSING_SOCKET: &str = "unix:///nonexistent/docker.sock";

#[test]
fn an_app_that_never_becomes_healthy_ends_within_the_deadline_with_a_not_certified_report() {
    require_docker();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let start = Instant::now();
    let o = run("tests/scenarios/never-healthy.toml", &out, &[]);
    let took = start.elapsed();
    eprintln!("never-healthy run took {took:?}");
    assert!(took < Duration::from_secs(30), "the run took {took:?}");
    assert_eq!(o.status.code(), Some(3), "an app that never became healthy falls short");

    let result = read_json(&out.join("result.json"));
    assert!(out.join("index.html").is_file(), "index.html is written");
    let c = &result["certification"];
    assert_eq!(c["level"], "not-certified");
    assert_eq!(c["passed"], false);
    let reasons: Vec<&str> = c["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("healthy")),
        "a reason says the app never became healthy: {reasons:?}"
    );
    assert_nothing_left(&result);
}

/// Asserts the message of an unreachable engine: names the socket and says how to fix it.
fn assert_names_the_socket_and_the_fix(err: &str) {
    assert!(
        err.contains("/nonexistent/docker.sock"),
        "the message names the socket: {err}"
    );
    assert!(
        err.contains("DOCKER_HOST") && err.contains("start Docker"),
        "the message says how to fix it: {err}"
    );
}

#[test]
fn run_with_an_unreachable_engine_fails_fast_and_leaves_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // --out whose parents do not exist either: none of them may be left behind
    let out = tmp.path().join("nested").join("run");
    let start = Instant::now();
    let o = phoenix()
        .env("DOCKER_HOST", MISSING_SOCKET)
        .args(["run", "scenarios/kill-restart.toml", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_names_the_socket_and_the_fix(&err);
    assert!(o.stdout.is_empty(), "no run folder is printed");
    assert!(
        !tmp.path().join("nested").exists(),
        "the --out folder (or its parent) was left behind"
    );

    // the default reports folder is not created either
    let reports = tmp.path().join("reports");
    let o = phoenix()
        .env("DOCKER_HOST", MISSING_SOCKET)
        .args(["run", "scenarios/kill-restart.toml", "--reports"])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        !reports.exists(),
        "a reports folder was created for a run that never started"
    );

    // an existing, empty --out folder stays (it is the user's), and empty
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    let o = phoenix()
        .env("DOCKER_HOST", MISSING_SOCKET)
        .args(["run", "scenarios/kill-restart.toml", "--out"])
        .arg(&mine)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(mine.is_dir() && std::fs::read_dir(&mine).unwrap().next().is_none());
}

#[test]
fn clean_with_an_unreachable_engine_fails_fast_with_the_fix() {
    for args in [&["clean"][..], &["clean", "--dry-run"][..]] {
        let start = Instant::now();
        let o = phoenix()
            .env("DOCKER_HOST", MISSING_SOCKET)
            .args(args)
            .output()
            .unwrap();
        let took = start.elapsed();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(took < Duration::from_secs(5), "{args:?} took {took:?}");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_names_the_socket_and_the_fix(&err);
    }
}
