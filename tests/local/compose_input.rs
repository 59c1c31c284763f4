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
