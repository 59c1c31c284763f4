//! `phoenix certify --compose FILE --service NAME` and `phoenix init --compose …`: the
//! zero-config scenario with its stack from a compose file. Bad arguments exit 2 naming
//! the argument and write nothing (no Docker needed); one short real run on the bundled
//! compose example, whose text `init` writes byte for byte.

use crate::common;

use common::*;
use std::path::{Path, PathBuf};

const COMPOSE: &str = "scenarios/compose/docker-compose.yml";

/// A file in the project's root (a scenario must sit inside the compose file's project),
/// removed when dropped.
struct RootFile(PathBuf);

impl RootFile {
    fn new(tag: &str) -> RootFile {
        RootFile(root().join(format!(".test-{tag}-{}.toml", std::process::id())))
    }
}

impl Drop for RootFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn phoenix_in(cmd: &str, args: &[&str], file: &Path, out: &Path) -> std::process::Output {
    let mut c = phoenix();
    c.arg(cmd).args(args);
    if cmd == "init" {
        c.arg("--file").arg(file);
    } else {
        c.arg("--out").arg(out);
    }
    c.output().unwrap()
}

#[test]
fn bad_compose_arguments_exit_2_naming_the_argument_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = RootFile::new("bad-args");
    let out = tmp.path().join("run");
    for (args, names) in [
        (vec!["--compose", COMPOSE], "--service"),
        (vec!["--service", "web"], "--compose"),
        (
            vec!["phoenix-demo:latest", "--compose", COMPOSE, "--service", "web"],
            "IMAGE",
        ),
        (vec!["--compose", COMPOSE, "--service", "wbe"], "has no service \"wbe\""),
        (vec!["--compose", COMPOSE, "--service", "wbe"], "did you mean \"web\""),
        (vec!["--compose", COMPOSE, "--service", "wbe"], "--service"),
        (vec!["--compose", COMPOSE, "--service", "web\u{1b}[2J"], "--service"),
        (
            vec!["--compose", "nosuch.yml", "--service", "web"],
            "--compose nosuch.yml",
        ),
        (
            vec!["--compose", COMPOSE, "--service", "web", "--compose-env", "A-B"],
            "--compose-env",
        ),
        (vec!["--compose", COMPOSE, "--service", "web", "--port", "0"], "--port"),
    ] {
        for cmd in ["init", "certify"] {
            let o = phoenix_in(cmd, &args, &file.0, &out);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{cmd} {args:?}: {err}");
            assert!(err.contains(names), "{cmd} {args:?}: {names} not in {err}");
            assert!(!err.contains('\u{1b}'), "an escape character was echoed: {err:?}");
            assert!(!file.0.exists() && !out.exists(), "{cmd} {args:?} wrote something");
        }
    }
    // an unknown service is located in the compose file, with the mapping's own words
    let o = phoenix_in("certify", &["--compose", COMPOSE, "--service", "wbe"], &file.0, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("docker-compose.yml:5:1: field `services`"), "{err}");
}

#[test]
fn certify_compose_runs_the_stack_and_init_writes_the_same_scenario() {
    require_docker();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("certify");
    // kept short for CI: one replica (over the file's deploy.replicas: 2), 10 s of load
    let args = [
        "--compose",
        COMPOSE,
        "--service",
        "web",
        "--health",
        "/health",
        "--replicas",
        "1",
        "--duration",
        "10s",
    ];
    // the file builds the demo and Redis on this host: allowed explicitly
    let o = phoenix()
        .arg("certify")
        .args(args)
        .arg("--allow-host-commands")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    eprintln!("--- certify stderr ---\n{stderr}");
    let result = read_json(&out.join("result.json"));
    assert_nothing_left(&result);
    // the lint ran before the run and is in the report
    assert!(
        stderr.contains("docker-compose.yml:6:3: services.web: no healthcheck"),
        "{stderr}"
    );
    assert!(
        result["warnings"].to_string().contains("no healthcheck"),
        "{}",
        result["warnings"]
    );
    // the stack is the compose file's: the demo with Redis-backed sessions, Redis started first
    let record = read_json(&out.join("record.json"));
    let app = &record["scenario"]["app"];
    assert_eq!(app["image"], "phoenix-demo:latest", "{app}");
    assert_eq!(app["env"]["SESSIONS"], "redis", "{app}");
    assert_eq!(app["port"], 8080, "from expose");
    let services = &record["scenario"]["services"];
    assert_eq!(services[0]["name"], "redis", "{services}");
    // certify requires resilient: met (0), or inconclusive (5) when a time to healthy over
    // the target on a contended host set the level, which is then the host's, not the app's
    let host = assert_verdict_exit(o.status.code(), 0, &result, "certify --compose");
    let level = result["certification"]["level"].as_str().unwrap().to_string();
    assert!(
        host || ["phoenix", "resilient"].contains(&level.as_str()),
        "{}",
        result["certification"]
    );
    assert_eq!(
        result["faults"].as_array().unwrap().len(),
        3,
        "a restart, a replacement and a rolling replace of one replica"
    );
    // init with the same arguments writes what certify ran, byte for byte, and it validates:
    // `phoenix run` on it is the path certify took (tests/certify_cli.rs proves that path
    // gives the same level for an image)
    let file = RootFile::new("compose-init");
    let name = file.0.file_name().unwrap().to_str().unwrap().to_string();
    let i = phoenix()
        .arg("init")
        .args(args)
        .args(["--file", &name])
        .output()
        .unwrap();
    assert_eq!(i.status.code(), Some(0), "{}", String::from_utf8_lossy(&i.stderr));
    assert_eq!(
        std::fs::read_to_string(&file.0).unwrap(),
        std::fs::read_to_string(out.join("scenario.toml")).unwrap()
    );
    let v = phoenix().args(["validate", &name]).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", String::from_utf8_lossy(&v.stderr));
}
