//! Commands a compose file runs on this host: `phoenix certify --compose` refuses to run
//! them without `--allow-host-commands` (exit 2 before anything runs or is written, naming
//! each command and the flag), and `phoenix validate` lists them. A canary secret in
//! phoenix's environment is never printed. And command-line values: a refused one is
//! exit 2, named, and echoed escaped.

use crate::common;

use common::*;
use std::path::Path;

const CANARY: &str = "canary-AKIA-host-commands-7Q";

/// A project (its own `.git`) whose compose file builds the app with a host command that
/// would print the canary, escape sequences and all.
fn project(dir: &Path) {
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(dir.join("app/Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(
        dir.join("docker-compose.yml"),
        "services:\n  web:\n    image: phoenix-hostcmd-test:never\n    build:\n      context: app\n    \
         expose: [\"8080\"]\n    x-phoenix:\n      build_command: [\"sh\", \"-c\", \"echo $$AWS_SECRET_ACCESS_KEY; printf '\\\\033[2J'\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        "name = \"stack\"\n[app]\ncompose = \"docker-compose.yml\"\nservice = \"web\"\n[load]\nrate = 10\n\
         duration = \"4s\"\n[[fault]]\nat = \"1s\"\nkind = \"stop\"\ntarget = \"app-0\"\n",
    )
    .unwrap();
}

#[test]
fn certify_compose_refuses_host_commands_without_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path());
    let out = phoenix()
        .current_dir(tmp.path())
        .env("AWS_SECRET_ACCESS_KEY", CANARY)
        .args(["certify", "--compose", "docker-compose.yml", "--service", "web"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--allow-host-commands"), "{err}");
    // the command, shell-quoted as typed, escaped
    assert!(err.contains("sh -c 'echo $AWS_SECRET_ACCESS_KEY; printf '"), "{err}");
    assert!(!err.contains(CANARY) && !String::from_utf8_lossy(&out.stdout).contains(CANARY));
    assert!(!err.contains('\u{1b}'), "{err:?}");
    // refused before anything is written
    assert!(!tmp.path().join("reports").exists());
    assert!(!tmp.path().join("app/bin").exists());
}

#[test]
fn validate_lists_a_compose_files_host_commands() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path());
    let out = phoenix()
        .current_dir(tmp.path())
        .env("AWS_SECRET_ACCESS_KEY", CANARY)
        .args(["validate", "stack.toml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("will run on this host: sh -c 'echo $AWS_SECRET_ACCESS_KEY"),
        "{text}"
    );
    assert!(!text.contains(CANARY), "{text}");
}

#[test]
fn refused_command_line_values_are_exit_2_named_and_escaped() {
    let cases: [&[&str]; 4] = [
        &["load", "http://127.0.0.1:8080/health\r\nX-Injected: 1", "--rate", "10"],
        &["load", "http://127.0.0.1:0/", "--rate", "10"],
        &["load", "http://127.0.0.1:8080/", "--rate", "\u{1b}]0;pwned\u{7}"],
        &["init", "img", "--port", "80", "--replicas", "4294967296"],
    ];
    for args in cases {
        let out = phoenix().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{args:?}: {err:?}");
        assert!(err.contains("URL") || err.contains("--"), "{args:?}: {err}");
    }
}

#[test]
fn a_process_program_that_is_a_fifo_is_refused_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(tmp.path().join("prog"))
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::write(
        tmp.path().join("s.toml"),
        "name = \"fifo\"\n[app]\nbackend = \"process\"\ncommand = [\"prog\", \"{port}\"]\n[load]\nrate = 10\n\
         duration = \"5s\"\n[[fault]]\nat = \"1s\"\nkind = \"kill\"\ntarget = \"app-0\"\n",
    )
    .unwrap();
    let out = phoenix()
        .current_dir(tmp.path())
        .args(["validate", "s.toml"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("s.toml:4:"), "{err}");
    assert!(
        err.contains("app.command") && err.contains("not a regular file"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
}
