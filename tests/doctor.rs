//! `phoenix doctor` against the real engine: it reports the engine's version as Docker
//! itself does, and an unreachable engine is a problem with its fix and exit status 1.

mod common;

use std::process::Command;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn doctor_reports_the_engine_version_docker_reports() {
    common::require_docker();
    let want = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}"])
        .output()
        .expect("docker version runs");
    let want = String::from_utf8_lossy(&want.stdout).trim().to_string();
    let (version, api) = want.split_once(' ').expect("version and API version");
    let o = common::phoenix()
        .args(["doctor", "scenarios/kill-restart.toml"])
        .output()
        .expect("phoenix runs");
    let out = stdout(&o);
    let engine = out
        .lines()
        .find(|l| l.contains("engine:"))
        .unwrap_or_else(|| panic!("no engine line:\n{out}"));
    assert!(engine.starts_with("ok "), "{engine}");
    assert!(
        engine.contains(&format!("Docker {version}, API {api}")),
        "{engine} (docker says {want})"
    );
    // the demo image is either present or buildable from the scenario's build section
    let image = out
        .lines()
        .find(|l| l.contains("image phoenix-demo:latest:"))
        .unwrap_or_else(|| panic!("no image line:\n{out}"));
    assert!(image.starts_with("ok "), "{image}");
    assert!(
        out.lines().any(|l| l.starts_with("ok      disk (working folder)")),
        "{out}"
    );
    // every line is one check with a known status
    for line in out.lines() {
        assert!(
            ["ok ", "problem ", "info ", "building "]
                .iter()
                .any(|s| line.starts_with(s))
                || line.ends_with("problem(s)"),
            "unexpected line {line:?}"
        );
    }
    let problems = out.lines().filter(|l| l.starts_with("problem")).count();
    assert_eq!(o.status.code(), Some(if problems == 0 { 0 } else { 1 }), "{out}");
}

#[test]
fn doctor_without_an_engine_exits_1_naming_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let socket = tmp.path().join("no-such-docker.sock");
    let o = common::phoenix()
        .args(["doctor", "scenarios/kill-restart.toml"])
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .output()
        .expect("phoenix runs");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let engine = out
        .lines()
        .find(|l| l.contains("engine:"))
        .unwrap_or_else(|| panic!("no engine line:\n{out}"));
    assert!(engine.starts_with("problem "), "{engine}");
    assert!(
        engine.contains(&socket.display().to_string()),
        "names the socket: {engine}"
    );
    assert!(engine.contains("fix:") && engine.contains("DOCKER_HOST"), "{engine}");
    assert!(out.contains("1 problem(s)"), "{out}");
}

#[test]
fn doctor_finds_a_scenario_image_nothing_can_build() {
    common::require_docker();
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::root().join("scenarios/kill-restart.toml")).unwrap();
    let text = text
        .replace("phoenix-demo:latest", "phoenix-doctor-test/never-built:none")
        .lines()
        .filter(|l| !l.starts_with("build ="))
        .collect::<Vec<_>>()
        .join("\n");
    let file = tmp.path().join("unbuildable.toml");
    std::fs::write(&file, text).unwrap();
    let o = common::phoenix()
        .arg("doctor")
        .arg(&file)
        .output()
        .expect("phoenix runs");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("image phoenix-doctor-test/never-built:none"))
        .unwrap_or_else(|| panic!("no image line:\n{out}"));
    assert!(line.starts_with("problem ") && line.contains("fix:"), "{line}");
}
