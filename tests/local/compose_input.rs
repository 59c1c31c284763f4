//! Compose files as hostile input, in sizes the catalogue (`tests/hostile/compose-*`)
//! does not commit to git: an alias bomb under serde_yaml's own limit, 60,000 nested flow
//! lists, an `env_file` listed 120,000 times, many problems at once; each is refused with
//! exit 2's located error within its time bound. Then a property test: whatever the
//! compose text, loading never panics and every refusal is located and escaped.

use phoenix_bench::scenario::{declared_replicas, escape, Scenario, ScenarioError};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SCENARIO: &str = "name = \"c\"\n[app]\ncompose = \"docker-compose.yml\"\nservice = \"web\"\n\
[load]\nrate = 10\nduration = \"5s\"\n[[fault]]\nat = \"1s\"\nkind = \"kill\"\ntarget = \"app-0\"\n";
const HEAD: &str = "services:\n  web:\n    image: phoenix-demo:latest\n    expose: [\"8080\"]\n";

/// A project holding the scenario and `compose` as docker-compose.yml.
fn project(compose: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), compose).unwrap();
    std::fs::write(dir.path().join("a.env"), "A=1\n").unwrap();
    let s = dir.path().join("s.toml");
    std::fs::write(&s, SCENARIO).unwrap();
    (dir, s)
}

/// Loads the scenario within `bound`; the refusal's text.
fn refused_within(s: &Path, bound: Duration) -> String {
    let start = Instant::now();
    let e = Scenario::load(s).unwrap_err();
    let took = start.elapsed();
    assert!(took < bound, "took {took:?}: {e}");
    assert!(matches!(e, ScenarioError::Invalid { .. }), "{e}");
    e.to_string()
}

/// 25 anchors of 50 aliases of the one before: a few KB, 50^25 nodes once expanded, yet
/// under serde_yaml's count of alias uses.
fn alias_bomb() -> String {
    let mut t = String::from(HEAD);
    t.push_str("x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..25 {
        let refs = vec![format!("*a{}", i - 1); 50].join(", ");
        t.push_str(&format!("x-a{i}: &a{i} [{refs}]\n"));
    }
    t
}

#[test]
fn an_alias_bomb_is_refused_by_its_expanded_size_in_validate_and_init() {
    let text = alias_bomb();
    assert!(text.len() < 60_000, "{}", text.len());
    let (dir, s) = project(&text);
    let shown = refused_within(&s, Duration::from_secs(1));
    assert!(shown.contains("docker-compose.yml:8:"), "{shown}");
    assert!(shown.contains("more than 100000 nodes once aliases expand"), "{shown}");
    assert!(shown.contains("field `x-a3`"), "{shown}");
    // `init --compose` reads deploy.replicas first: the same budget, no value built
    let start = Instant::now();
    assert_eq!(declared_replicas(&dir.path().join("docker-compose.yml"), "web"), None);
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
}

#[test]
fn sixty_thousand_nested_flow_lists_are_refused_at_once() {
    let text = format!("{HEAD}    command: {}{}\n", "[".repeat(60_000), "]".repeat(60_000));
    let (_dir, s) = project(&text);
    let shown = refused_within(&s, Duration::from_secs(1));
    assert!(shown.contains("docker-compose.yml:5:"), "{shown}");
    assert!(shown.contains("nested more than 64 deep"), "{shown}");
}

#[test]
fn an_env_file_listed_120_000_times_is_refused_by_the_list_bound() {
    let text = format!("{HEAD}    env_file: [{}]\n", vec!["a.env"; 120_000].join(","));
    assert!(text.len() < 1024 * 1024);
    let (_dir, s) = project(&text);
    let shown = refused_within(&s, Duration::from_secs(2));
    assert!(
        shown.contains("docker-compose.yml:5:") && shown.contains("field `services.web.env_file`"),
        "{shown}"
    );
    assert!(shown.contains("more than 256 entries"), "{shown}");
}

#[test]
fn seventeen_env_files_are_over_the_limit_before_any_is_read() {
    let text = format!("{HEAD}    env_file: [{}]\n", vec!["a.env"; 17].join(", "));
    let (_dir, s) = project(&text);
    let shown = refused_within(&s, Duration::from_secs(1));
    assert!(shown.contains("17 env files, over the limit of 16"), "{shown}");
}

#[test]
fn thousands_of_problems_are_counted_and_only_the_shown_are_located() {
    // 31 services of 250 unsupported keys each: 7750 problems, each once located by a scan
    // of the whole file
    let mut text = String::from(HEAD);
    for s in 0..31 {
        text.push_str(&format!("  s{s}:\n    image: redis:7\n"));
        for k in 0..250 {
            text.push_str(&format!("    k{k}: 1\n"));
        }
    }
    let (_dir, s) = project(&text.replacen("  web:\n", "  web:\n    deploy: {replicas: 1}\n", 1));
    let shown = refused_within(&s, Duration::from_secs(3));
    assert!(shown.contains("more problems"), "{shown}");
    assert_eq!(shown.matches("\n  hint: ").count(), 20, "{shown}");
}

#[test]
fn a_secret_in_a_nested_default_is_refused_and_never_shown() {
    let secret = "phoenix-canary-value-9f1c";
    std::env::set_var("PHOENIX_COMPOSE_CANARY_SECRET", secret);
    for value in [
        "${UNSET_PHOENIX_X:-${PHOENIX_COMPOSE_CANARY_SECRET}}",
        "${UNSET_PHOENIX_X:-a${UNSET_PHOENIX_Y:-$PHOENIX_COMPOSE_CANARY_SECRET}}",
        "${UNSET_PHOENIX_X:+${PHOENIX_COMPOSE_CANARY_SECRET}}",
        "${UNSET_PHOENIX_X:?${PHOENIX_COMPOSE_CANARY_SECRET}}",
    ] {
        let (_dir, s) = project(&format!("{HEAD}    environment:\n      LEAK: \"{value}\"\n"));
        let shown = refused_within(&s, Duration::from_secs(1));
        assert!(shown.contains("docker-compose.yml:6:"), "{value}: {shown}");
        assert!(
            shown.contains("variable PHOENIX_COMPOSE_CANARY_SECRET is set in phoenix's environment"),
            "{value}: {shown}"
        );
        assert!(!shown.contains(secret), "{value}: {shown}");
    }
}

/// The refusal of HEAD followed by `more`: exit 2's text, within a second.
fn refusal(more: &str) -> String {
    let (_dir, s) = project(&format!("{HEAD}{more}"));
    refused_within(&s, Duration::from_secs(1))
}

/// The scenario mapped from HEAD followed by `more`.
fn mapped(more: &str) -> Scenario {
    let (_dir, s) = project(&format!("{HEAD}{more}"));
    Scenario::load(&s).unwrap_or_else(|e| panic!("{more}: {e}"))
}

#[test]
fn a_stop_grace_period_that_is_no_compose_duration_is_refused_at_its_value() {
    for bad in ["garbage", "\"10\"", "-1s", "601s", "1m30"] {
        let shown = refusal(&format!("    stop_grace_period: {bad}\n"));
        assert!(
            shown.contains("docker-compose.yml:5:24: field `services.web.stop_grace_period`"),
            "{bad}: {shown}"
        );
        assert!(shown.contains("is not a duration from 0s to 600s"), "{bad}: {shown}");
    }
    mapped("    stop_grace_period: 1m30s\n");
}

#[test]
fn a_value_of_the_wrong_type_is_located_at_its_key() {
    let shown = refusal("    ports: 5\n");
    assert!(
        shown.contains("docker-compose.yml:5:12: field `services.web.ports`"),
        "{shown}"
    );
    let shown = refusal("    environment: 7\n");
    assert!(
        shown.contains("docker-compose.yml:5:18: field `services.web.environment`"),
        "{shown}"
    );
    // inside a list: the entry, by its index
    let shown = refusal("    volumes:\n      - data:/a\n      - type: volume\n        target: /d\n        bogus: 1\n");
    assert!(
        shown.contains("docker-compose.yml:7:9: field `services.web.volumes.1`"),
        "{shown}"
    );
}

#[test]
fn init_compose_locates_deploy_replicas_out_of_range() {
    for n in ["0", "17"] {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{HEAD}    deploy:\n      replicas: {n}\n");
        std::fs::write(dir.path().join("docker-compose.yml"), text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_phoenix"))
            .args([
                "init",
                "--compose",
                "docker-compose.yml",
                "--service",
                "web",
                "--file",
                "p.toml",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{n}: {err}");
        assert!(
            err.contains("docker-compose.yml:6:17: field `services.web.deploy.replicas`"),
            "{n}: {err}"
        );
        assert!(!dir.path().join("p.toml").exists(), "{n}");
    }
}

#[test]
fn volume_modes_long_syntax_options_and_undeclared_shared_volumes_are_refused_at_their_entry() {
    let vols = "volumes:\n  data: {}\n";
    for (entry, says) in [
        ("      - data:/d:z\n", "`:z` is not supported"),
        ("      - data:/d:Z\n", "`:Z` is not supported"),
        ("      - data:/d:nocopy\n", "`:nocopy` is not supported"),
        ("      - data:/d:rw,z\n", "`:z` is not supported"),
        (
            "      - type: volume\n        source: data\n        target: /d\n        read_only: true\n",
            "read-only volumes",
        ),
        (
            "      - type: volume\n        source: data\n        target: /d\n        volume: {nocopy: true}\n",
            "`volume:` is not supported",
        ),
        (
            "      - type: tmpfs\n        target: /d\n",
            "a tmpfs mount is not supported",
        ),
        (
            "      - type: bind\n        source: /var/run/docker.sock\n        target: /s\n",
            "mounts the host folder",
        ),
    ] {
        let shown = refusal(&format!("    volumes:\n{entry}{vols}"));
        assert!(
            shown.contains("docker-compose.yml:6:9: field `services.web.volumes.0`"),
            "{entry}: {shown}"
        );
        assert!(shown.contains(says), "{entry}: {shown}");
    }
    let shown = refusal(&format!(
        "    volumes: [data:/d]\n    x-phoenix:\n      shared: [data, prod]\n{vols}"
    ));
    assert!(
        shown.contains(
            "docker-compose.yml:7:7: field `services.web.x-phoenix.shared.1`: \"prod\" is not a volume declared"
        ),
        "{shown}"
    );
    // the long syntax of a plain named volume is honoured, as `data:/d:rw` is
    for entry in [
        "      - type: volume\n        source: data\n        target: /d\n",
        "      - data:/d:rw\n",
    ] {
        let s = mapped(&format!("    volumes:\n{entry}{vols}"));
        assert_eq!(
            (s.app.volumes[0].name.as_str(), s.app.volumes[0].path.as_str()),
            ("data", "/d")
        );
    }
}

#[test]
fn values_compose_would_refuse_and_stray_spaces_are_refused_at_their_line() {
    let dep = "  db:\n    image: redis:7\n";
    for (more, at, says) in [
        (
            "    restart: sometimes\n".to_string(),
            "5:14: field `services.web.restart`",
            "not a restart policy",
        ),
        (
            format!("    depends_on:\n      db:\n        condition: bogus\n{dep}"),
            "7:20: field `services.web.depends_on.db.condition`",
            "not a depends_on condition",
        ),
        (
            "    ports:\n      - \"abc:80\"\n".into(),
            "6:9: field `services.web.ports.0`",
            "host port abc is not a port",
        ),
        (
            "    ports:\n      - \"70000:80\"\n".into(),
            "6:9: field `services.web.ports.0`",
            "host port 70000 is not a port",
        ),
        (
            format!("{dep}    ports: [\"80:80\", \"x:1\"]\n"),
            "7:5: field `services.db.ports.1`",
            "host port x is not a port",
        ),
        (
            format!("{dep}    restart: sometimes\n"),
            "7:14: field `services.db.restart`",
            "not a restart policy",
        ),
        (
            "  db:\n    image: \" redis:7 \"\n".into(),
            "6:12: field `services.db.image`",
            "starts or ends with a space",
        ),
        (
            "    container_name: \"web \"\n".into(),
            "5:21: field `services.web.container_name`",
            "starts or ends with a space",
        ),
        (
            "    stop_grace_period: \" 10s\"\n".into(),
            "5:24: field `services.web.stop_grace_period`",
            "starts or ends with a space",
        ),
    ] {
        let shown = refusal(&more);
        assert!(shown.contains(&format!("docker-compose.yml:{at}")), "{more}: {shown}");
        assert!(shown.contains(says), "{more}: {shown}");
    }
    // spaces are a value's own in environment and command
    mapped("    environment:\n      A: \" padded \"\n  db:\n    image: redis:7\n    command: [\"sh\", \"-c\", \"echo a \"]\n");
}

/// Bits of compose YAML, recombined by the property test.
const PIECES: &[&str] = &[
    "services:\n",
    "  web:\n",
    "    image: x:1\n",
    "    expose: [\"8080\"]\n",
    "x-a: &a [1, 2]\n",
    "x-b: [*a, *a]\n",
    "volumes:\n",
    "  data: {external: true}\n",
    "    volumes: [data:/d]\n",
    "    environment: {A: \"${B:-${C}}\"}\n",
    "    env_file: [a.env]\n",
    "    deploy: {replicas: 99999999999}\n",
    "    ports: [\"abc:80\", 5]\n",
    "      - type: volume\n",
    "        source: data\n",
    "    restart: \" sometimes\"\n",
    "    stop_grace_period: 1m30s\n",
    "  db:\n",
    "    x-phoenix: {ready_log: \"a\\nb\"}\n",
    "[[[[",
    "]]]]",
    "{a: {b: {c:",
    "}}}",
    "&x ",
    "*x",
    "\u{1b}[31m",
    "\t",
    "- ",
    ": ",
    "\"",
    "${",
    "}",
    "\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_compose_text_is_loaded_or_refused_located_escaped_quickly(
        picks in proptest::collection::vec(0..PIECES.len(), 0..40)
    ) {
        let text: String = picks.iter().map(|&i| PIECES[i]).collect();
        let (_dir, s) = project(&text);
        let start = Instant::now();
        let result = Scenario::load(&s);
        prop_assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        if let Err(e) = result {
            let shown = e.to_string();
            let invalid = matches!(e, ScenarioError::Invalid { .. });
            prop_assert!(!invalid || !e.problems().is_empty(), "no problem: {}", shown);
            let raw = shown.chars().find(|&c| c != '\n' && escape(&c.to_string()) != c.to_string());
            prop_assert!(raw.is_none(), "raw {:?} in {}", raw, shown);
            let located = shown.lines().next().is_some_and(|l| {
                l.split(':').nth(1).is_some_and(|n| n.parse::<usize>().is_ok())
            });
            prop_assert!(located, "not located: {}", shown);
        }
    }
}
