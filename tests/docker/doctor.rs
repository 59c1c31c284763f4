//! `phoenix doctor` against the real engine: it reports the engine's version as Docker
//! itself does, and an unreachable engine is a problem with its fix and exit status 1.

use crate::common;

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

/// A process scenario in `dir` whose program is `bin/app` with `mode` (None: no program).
fn process_scenario(dir: &std::path::Path, mode: Option<u32>) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    if let Some(mode) = mode {
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/app"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(dir.join("bin/app"), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let file = dir.join("p.toml");
    let text = "name = \"p\"\n[app]\nbackend = \"process\"\ncommand = [\"bin/app\"]\nreplicas = 2\nhealth = { path = \"/health\" }\nenv = { LISTEN = \"127.0.0.1:{port}\" }\n[load]\nrate = 10\nduration = \"2s\"\nrequests = [{ path = \"/\" }]\n";
    std::fs::write(&file, text).unwrap();
    file
}

/// `phoenix doctor <file>` with no engine reachable.
fn doctor_without_engine(file: &std::path::Path) -> (Option<i32>, String) {
    let o = common::phoenix()
        .arg("doctor")
        .arg(file)
        .env(
            "DOCKER_HOST",
            format!("unix://{}", file.with_extension("sock").display()),
        )
        .output()
        .expect("phoenix runs");
    (o.status.code(), stdout(&o))
}

#[test]
fn doctor_on_a_process_scenario_checks_its_program_and_ports_and_not_the_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out) = doctor_without_engine(&process_scenario(tmp.path(), Some(0o755)));
    let line = |what: &str| {
        out.lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what} line:\n{out}"))
            .to_string()
    };
    assert!(line("engine:").starts_with("info "), "{out}");
    assert!(line("engine:").contains("not needed"), "{out}");
    assert!(line("program ").starts_with("ok "), "{out}");
    assert!(line("program ").contains("executable"), "{out}");
    let ports = line("loopback ports:");
    assert!(
        ports.starts_with("ok ") && ports.contains("2 free on 127.0.0.1"),
        "{ports}"
    );
    // the check's name follows the 8-character status word
    assert!(
        !out.lines().any(|l| l.get(8..).is_some_and(|c| c.starts_with("image "))),
        "a process scenario names no image: {out}"
    );
    // the disk may be short on a shared machine; nothing else may be a problem
    let problems: Vec<&str> = out.lines().filter(|l| l.starts_with("problem")).collect();
    assert!(problems.iter().all(|l| l.contains("disk")), "{problems:?}");
    assert_eq!(code, Some(if problems.is_empty() { 0 } else { 1 }), "{out}");
}

#[test]
fn doctor_names_a_missing_or_non_executable_program_with_its_fix() {
    for (mode, says, fix) in [
        (None, "not found", "cargo build"),
        (Some(0o644), "not executable", "chmod +x"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (code, out) = doctor_without_engine(&process_scenario(tmp.path(), mode));
        assert_eq!(code, Some(1), "{out}");
        let line = out
            .lines()
            .find(|l| l.contains("program "))
            .unwrap_or_else(|| panic!("no program line:\n{out}"));
        assert!(line.starts_with("problem ") && line.contains(says), "{line}");
        assert!(
            line.contains("fix:") && line.contains(fix) && line.contains("p.toml"),
            "{line}"
        );
        assert!(
            !out.lines().any(|l| l.starts_with("problem") && l.contains("engine")),
            "{out}"
        );
    }
}
