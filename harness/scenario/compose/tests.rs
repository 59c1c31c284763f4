//! The compose mapping against hand-written compose files: every mapped key, the
//! interpolation, the lint, and the refusals (exit 2, located at file:line:col).

use crate::scenario::{Scenario, ScenarioError};
use std::path::{Path, PathBuf};

pub(super) const SCENARIO: &str = r#"name = "c"
[app]
compose = "docker-compose.yml"
service = "web"
[load]
rate = 10
duration = "5s"
requests = [{ path = "/" }]
[[fault]]
at = "1s"
kind = "stop"
target = "app-0"
"#;

/// A project folder holding `files`; returns it and the scenario's path.
pub(super) fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    let s = dir.path().join("s.toml");
    if !files.iter().any(|(n, _)| *n == "s.toml") {
        std::fs::write(&s, SCENARIO).unwrap();
    }
    (dir, s)
}

pub(super) fn load(s: &Path) -> Result<Scenario, ScenarioError> {
    Scenario::load(s)
}

pub(super) fn err(s: &Path) -> String {
    let e = load(s).unwrap_err();
    e.to_string()
}

const STACK: &str = r#"version: "3"
services:
  web:
    image: "shop:${TAG:-latest}"
    build:
      context: app
      dockerfile: Dockerfile.web
    environment:
      REDIS_URL: redis://cache:6379
      MODE: "${MODE?set MODE}"
      FROM_SHELL:
    env_file: web.env
    ports:
      - "127.0.0.1:18080:8080"
    expose: ["8080"]
    volumes:
      - uploads:/shared
    deploy:
      replicas: 3
    stop_grace_period: 7s
    depends_on: [cache]
    healthcheck:
      test: ["CMD", "true"]
    x-phoenix:
      build_command: ["true"]
      shared: [uploads]
  cache:
    image: phoenix/redis:bookworm
    depends_on: [db]
    x-phoenix:
      recipe: images/redis
      ready_log: Ready to accept connections
  db:
    image: phoenix/redis:bookworm
    environment: ["A=1", "PRICE=$$5"]
volumes:
  uploads: {}
"#;

fn stack() -> (tempfile::TempDir, PathBuf) {
    project(&[
        ("docker-compose.yml", STACK),
        (".env", "MODE=prod\nTAG=v2\n"),
        (
            "web.env",
            "# from env_file\nLOG=debug\nMODE=overridden-by-environment\n",
        ),
        ("app/Dockerfile.web", "FROM scratch\n"),
        ("images/redis/build.sh", "#!/bin/sh\n"),
    ])
}

#[test]
fn every_mapped_key_reaches_the_scenario() {
    let (_d, s) = stack();
    let sc = load(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.app.image, "shop:v2", ".env feeds the TAG default");
    let b = sc.app.build.as_ref().unwrap();
    assert!(b.context.ends_with("app"), "{:?}", b.context);
    assert_eq!(b.dockerfile, "Dockerfile.web");
    assert_eq!(b.command.as_deref(), Some(&["true".to_string()][..]));
    assert_eq!(sc.app.port, 8080);
    assert_eq!(sc.app.replicas.len(), 3);
    assert_eq!(sc.app.env["REDIS_URL"], "redis://cache:6379");
    assert_eq!(sc.app.env["MODE"], "prod", "environment wins over env_file");
    assert_eq!(sc.app.env["LOG"], "debug");
    assert!(
        !sc.app.env.contains_key("FROM_SHELL"),
        "unset pass-through is not passed"
    );
    assert_eq!(sc.app.volumes[0].name, "uploads");
    assert_eq!(sc.app.volumes[0].path, "/shared");
    assert_eq!(
        sc.faults[0].grace.as_secs(),
        7,
        "stop_grace_period is the stop fault's grace"
    );
    let names: Vec<&str> = sc.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["db", "cache"], "depends_on order: db before cache");
    assert_eq!(sc.services[0].env["PRICE"], "$5", "$$ is a literal dollar");
    assert!(sc.services[1].recipe.as_ref().unwrap().ends_with("images/redis"));
    assert_eq!(sc.services[1].ready_log.as_deref(), Some("Ready to accept connections"));
    // the lint: only the fixed host port here (healthcheck set, volume declared shared)
    assert_eq!(sc.warnings.len(), 1, "{:?}", sc.warnings);
    assert!(
        sc.warnings[0].contains("docker-compose.yml:13:5: services.web.ports: publishes a fixed host port"),
        "{}",
        sc.warnings[0]
    );
}

#[test]
fn a_missing_required_variable_is_located() {
    let (d, s) = stack();
    std::fs::write(d.path().join(".env"), "TAG=v2\n").unwrap();
    let e = err(&s);
    assert!(e.contains("docker-compose.yml:10:7: field `services.web.environment.MODE`: required variable MODE is not set: set MODE"), "{e}");
}

#[test]
fn an_unsupported_key_is_refused_at_its_line() {
    let text = STACK.replace(
        "    stop_grace_period: 7s\n",
        "    stop_grace_period: 7s\n    command: [\"serve\"]\n    privileged: true\n",
    );
    let (_d, s) = project(&[
        ("docker-compose.yml", &text),
        (".env", "MODE=p\n"),
        ("web.env", ""),
        ("app/Dockerfile.web", ""),
        ("images/redis/build.sh", ""),
    ]);
    let e = err(&s);
    assert!(e.contains("docker-compose.yml:21:5: field `services.web.command`: `command` is not supported: the Docker backend runs the image's own ENTRYPOINT and CMD"), "{e}");
    assert!(
        e.contains("docker-compose.yml:22:5: field `services.web.privileged`"),
        "{e}"
    );
}

#[test]
fn an_unknown_service_name_is_refused_with_a_suggestion() {
    let (_d, s) = stack();
    std::fs::write(&s, SCENARIO.replace("service = \"web\"", "service = \"wbe\"")).unwrap();
    let e = err(&s);
    assert!(
        e.contains("docker-compose.yml:2:1: field `services`: has no service \"wbe\""),
        "{e}"
    );
    assert!(e.contains("did you mean \"web\"?"), "{e}");
}

#[test]
fn build_args_bind_mounts_and_anonymous_volumes_are_refused() {
    let text = STACK
        .replace(
            "      dockerfile: Dockerfile.web\n",
            "      dockerfile: Dockerfile.web\n      args: { V: \"1\" }\n",
        )
        .replace(
            "      - uploads:/shared\n",
            "      - uploads:/shared\n      - ./data:/data\n      - /cache\n",
        );
    let (_d, s) = project(&[
        ("docker-compose.yml", &text),
        (".env", "MODE=p\n"),
        ("web.env", ""),
        ("app/Dockerfile.web", ""),
        ("images/redis/build.sh", ""),
    ]);
    let e = err(&s);
    assert!(
        e.contains(":8:7: field `services.web.build.args`: `build.args` is not supported"),
        "{e}"
    );
    assert!(
        e.contains("mounts the host folder onto /data: state on the host"),
        "{e}"
    );
    assert!(e.contains("an anonymous volume on /cache"), "{e}");
}

#[test]
fn a_dependency_cycle_and_an_unknown_dependency_are_refused() {
    let text = STACK.replace(
        "    environment: [\"A=1\", \"PRICE=$$5\"]\n",
        "    depends_on: [cache, nosuch]\n",
    );
    let (_d, s) = project(&[
        ("docker-compose.yml", &text),
        (".env", "MODE=p\n"),
        ("web.env", ""),
        ("app/Dockerfile.web", ""),
        ("images/redis/build.sh", ""),
    ]);
    let e = err(&s);
    assert!(e.contains("\"nosuch\" is not a service of this file"), "{e}");
    assert!(e.contains("depends_on forms a cycle among cache, db"), "{e}");
}

#[test]
fn the_lint_names_each_antipattern_with_its_line() {
    let text = "version: \"3\"\nservices:\n  web:\n    image: shop:1\n    container_name: shop\n    restart: \"no\"\n    ports: [\"8080:8080\"]\n    volumes: [\"data:/data\"]\nvolumes:\n  data:\n";
    let (_d, s) = project(&[("docker-compose.yml", text)]);
    let sc = load(&s).unwrap_or_else(|e| panic!("{e}"));
    let w = sc.warnings.join("\n");
    assert!(
        w.contains(":8:5: services.web.volumes: named volume \"data\" is not declared shared"),
        "{w}"
    );
    assert!(
        w.contains(":5:5: services.web.container_name: a fixed container name cannot be replicated"),
        "{w}"
    );
    assert!(
        w.contains(":7:5: services.web.ports: publishes a fixed host port"),
        "{w}"
    );
    assert!(w.contains(":6:5: services.web.restart: restart: \"no\""), "{w}");
    assert!(w.contains(":3:3: services.web: no healthcheck"), "{w}");
    assert_eq!(sc.warnings.len(), 5);
}

#[test]
fn a_compose_file_outside_the_project_or_too_large_is_refused() {
    let (_d, s) = project(&[]);
    std::fs::write(&s, SCENARIO.replace("docker-compose.yml", "../../etc/passwd")).unwrap();
    let e = err(&s);
    assert!(e.contains("field `app.compose`"), "{e}");
    let (d, s) = project(&[]);
    std::fs::write(
        d.path().join("docker-compose.yml"),
        vec![b'#'; crate::scenario::MAX_FILE_BYTES as usize + 1],
    )
    .unwrap();
    assert!(err(&s).contains("over the limit"), "{}", err(&s));
}

#[test]
fn echoed_names_are_escaped() {
    let text = "services:\n  web:\n    image: shop:1\n    expose: [\"80\"]\n    \"evil\\u001b[2J\": 1\n";
    let (_d, s) = project(&[("docker-compose.yml", text)]);
    let e = err(&s);
    assert!(e.contains("\\x1b[2J"), "{e}");
    assert!(!e.contains('\u{1b}'), "{e}");
}

#[test]
fn refused_keys_and_mapping_problems_are_listed_in_one_pass() {
    // the shape of a public flask + redis example: build target, stop_signal, docker.sock
    let text = "services:\n  redis:\n    image: r:1\n  web:\n    build:\n      context: .\n      target: dev\n    stop_signal: SIGINT\n    ports: ['8000:8000']\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n";
    let (_d, s) = project(&[("docker-compose.yml", text), ("Dockerfile", "FROM scratch\n")]);
    let e = err(&s);
    assert!(e.contains(":8:5: field `services.web.stop_signal`"), "{e}");
    assert!(e.contains(":7:7: field `services.web.build.target`"), "{e}");
    assert!(
        !e.contains("field `services.web.build`:"),
        "build without image is named: {e}"
    );
    assert!(e.contains("mounts the host folder onto /var/run/docker.sock"), "{e}");
}
