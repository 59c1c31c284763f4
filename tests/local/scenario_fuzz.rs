//! Property tests: `Scenario::parse` never panics, whatever the text, and every error it
//! returns names at least one problem and renders without panicking and without a raw
//! control or formatting character, whatever the file holds.

use phoenix_bench::scenario::{Scenario, ScenarioError};
use proptest::prelude::*;
use std::path::Path;

const BUNDLED: &str = include_str!("../../scenarios/kill-restart.toml");

/// Where the bundled scenario lives, so that its relative build context resolves and
/// mutations that keep it valid reach the `Ok` path.
fn bundled_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kill-restart.toml")
}

/// Parses `text` and checks the error's shape. Never panics unless the parser does.
fn parse_checked(text: &str) {
    parse_at(Path::new("fuzz.toml"), text)
}

fn parse_at(path: &Path, text: &str) {
    match Scenario::parse(path, text) {
        Ok(s) => {
            assert!(!s.app.replicas.is_empty());
            assert!(s.load.rate > 0.0);
        }
        Err(e) => {
            let problems = e.problems();
            assert!(!problems.is_empty(), "an error without problems: {e:?}");
            for p in problems {
                assert!(
                    !p.field.is_empty() || !p.message.is_empty(),
                    "a problem with neither field nor message: {p:?}"
                );
            }
            let shown = e.to_string();
            assert!(shown.starts_with(&path.display().to_string()), "{shown}");
            let raw = shown
                .chars()
                .find(|&c| c != '\n' && phoenix_bench::scenario::escape(&c.to_string()) != c.to_string());
            assert!(raw.is_none(), "raw {raw:?} in {shown:?}");
            assert!(matches!(e, ScenarioError::Invalid { .. }));
        }
    }
}

/// One edit of the bundled scenario's text.
#[derive(Debug, Clone)]
enum Edit {
    FlipByte(usize, u8),
    Truncate(usize),
    DeleteLine(usize),
    InsertJunkKey(usize, String, String),
    ReplaceNumber(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let junk_value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        "[a-z0-9 ]{0,8}".prop_map(|s| format!("\"{s}\"")),
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::FlipByte(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
        any::<usize>().prop_map(Edit::DeleteLine),
        (any::<usize>(), "[a-z_]{1,12}", junk_value).prop_map(|(i, k, v)| Edit::InsertJunkKey(i, k, v)),
        (
            any::<usize>(),
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|f| format!("{f:?}")),
                Just("nan".to_string()),
                Just("-inf".to_string()),
                Just("1e400".to_string()),
                "[a-z\"]{0,6}".prop_map(|s| format!("\"{s}\"")),
            ]
        )
            .prop_map(|(i, v)| Edit::ReplaceNumber(i, v)),
    ]
}

fn apply(text: &str, e: &Edit) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut bytes = text.as_bytes().to_vec();
    match e {
        Edit::FlipByte(i, b) => {
            let i = i % bytes.len();
            bytes[i] ^= b | 1;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Edit::Truncate(i) => {
            let mut i = i % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text[..i].to_string()
        }
        Edit::DeleteLine(i) => {
            let lines: Vec<&str> = text.lines().collect();
            let i = i % lines.len().max(1);
            lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n")
        }
        Edit::InsertJunkKey(i, k, v) => {
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            let i = i % (lines.len() + 1);
            lines.insert(i, format!("{k} = {v}"));
            lines.join("\n")
        }
        Edit::ReplaceNumber(i, v) => {
            // Replace the i-th run of digits (in values, not keys).
            let runs: Vec<(usize, usize)> = {
                let mut out = Vec::new();
                let b = text.as_bytes();
                let mut j = 0;
                while j < b.len() {
                    if b[j].is_ascii_digit() {
                        let s = j;
                        while j < b.len() && b[j].is_ascii_digit() {
                            j += 1;
                        }
                        out.push((s, j));
                    } else {
                        j += 1;
                    }
                }
                out
            };
            if runs.is_empty() {
                return text.to_string();
            }
            let (s, e) = runs[i % runs.len()];
            format!("{}{}{}", &text[..s], v, &text[e..])
        }
    }
}

/// A scenario built from random values in the fields validation checks.
fn structured() -> impl Strategy<Value = String> {
    let duration = prop_oneof![
        (
            0u64..100_000,
            prop::sample::select(vec!["us", "ms", "s", "m", "h", "", "x", "µs"])
        )
            .prop_map(|(n, u)| format!("\"{n}{u}\"")),
        any::<f64>().prop_map(|f| format!("\"{f}s\"")),
        "[ -~]{0,6}".prop_map(|s| format!("{s:?}")),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    let rate = prop_oneof![
        any::<f64>().prop_map(|f| format!("{f:?}")),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("\"10\"".to_string()),
    ];
    let int = prop_oneof![any::<i64>(), -3i64..20, Just(i64::MAX), Just(i64::MIN)].prop_map(|n| n.to_string());
    let target = prop_oneof![
        (0u32..20).prop_map(|n| format!("\"app-{n}\"")),
        "[ -~]{0,8}".prop_map(|s| format!("{s:?}")),
    ];
    let kind = prop::sample::select(vec!["\"kill\"", "\"stop\"", "\"kil\"", "\"\"", "3"]);
    let then = prop::sample::select(vec!["\"restart\"", "\"replace\"", "\"reboot\"", "\"\""]);
    let fault = (duration.clone(), kind, then, target, prop::option::of(duration.clone())).prop_map(
        |(at, kind, then, target, grace)| {
            let grace = grace.map(|g| format!("grace = {g}\n")).unwrap_or_default();
            format!("[[fault]]\nat = {at}\nkind = {kind}\nthen = {then}\ntarget = {target}\n{grace}")
        },
    );
    (
        rate,
        duration.clone(),
        int.clone(),
        int.clone(),
        prop::collection::vec(fault, 0..4),
        prop::option::of(duration),
        int,
    )
        .prop_map(|(rate, duration, replicas, port, faults, timeout, trials)| {
            let timeout = timeout.map(|t| format!("timeout = {t}\n")).unwrap_or_default();
            format!(
                "name = \"fuzz\"\ntrials = {trials}\n[app]\nimage = \"x\"\nport = {port}\nreplicas = {replicas}\n\
                 [load]\nrate = {rate}\nduration = {duration}\n{timeout}{}",
                faults.concat()
            )
        })
}

/// `s` as a TOML basic string's content: control and formatting characters as `\uXXXX`.
fn toml_escaped(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if phoenix_bench::scenario::escape(&c.to_string()) != c.to_string() => format!("\\u{:04X}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        parse_checked(&text);
    }

    #[test]
    fn toml_like_strings_never_panic(text in "([a-z_\\[\\]\\.\"'={}, 0-9\n-]){0,200}") {
        parse_checked(&text);
    }

    #[test]
    fn mutations_of_the_bundled_scenario_never_panic(edits in prop::collection::vec(edit(), 1..4)) {
        let mut text = BUNDLED.to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        parse_at(&bundled_path(), &text);
        parse_checked(&text);
    }

    #[test]
    fn control_characters_in_keys_and_values_are_escaped_in_messages(
        key in "[a-z\u{1b}\r\n\u{7f}\u{9b}\u{202e}\u{2066}\u{200b}\\[]{1,12}",
        value in "[a-z\u{1b}\r\n\u{7f}\u{9b}\u{202e}\u{2066}\u{200b}\\[ /]{0,12}",
        section in prop::sample::select(vec!["", "[app]\n", "[load]\n"]),
    ) {
        let (k, v) = (toml_escaped(&key), toml_escaped(&value));
        let text = format!(
            "name = \"{v}\"\n[app]\nimage = \"{v}\"\nport = 1\nenv = {{ \"{k}\" = \"{v}\" }}\n\
             health = {{ path = \"{v}\" }}\n[load]\nrate = 1\nduration = \"5s\"\n{section}\"{k}\" = 1\n"
        );
        parse_checked(&text);
        parse_checked(&text.replace(&format!("{section}\"{k}\" = 1\n"), ""));
    }

    #[test]
    fn structured_random_scenarios_never_panic(text in structured()) {
        parse_checked(&text);
    }
}

#[test]
fn the_bundled_scenario_parses() {
    Scenario::parse(&bundled_path(), BUNDLED).expect("kill-restart.toml is valid");
}
