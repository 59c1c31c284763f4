//! What a compose file may cost before any value of it is built. YAML aliases let a
//! 60 KB file name billions of nodes (each alias of an alias multiplies), and deep flow
//! nesting makes the value builder quadratic; serde_yaml's own alias limit counts alias
//! uses, not what they expand to. So one streaming pass over the parser's events, linear
//! in the text and stopping at the first excess, measures each anchor's subtree (nodes and
//! scalar bytes, its own aliases expanded), adds it at each alias, and bounds nesting depth
//! and every list's length. The same pass builds the value (`value::Builder`): the file is
//! parsed once, not measured by one parser and built by another.

use super::value::Builder;
use serde_yaml::Value;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};

/// Most nodes (scalars, lists, mappings) once every alias is expanded.
pub(crate) const MAX_NODES: u64 = 100_000;
/// Most scalar bytes once every alias is expanded: 8 MiB (the file itself is at most 1).
pub(crate) const MAX_EXPANDED_BYTES: u64 = 8 * 1024 * 1024;
/// Deepest nesting of lists and mappings.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most entries in one list or mapping (each may drive a file read, a check, a mount).
pub(crate) const MAX_ENTRIES: usize = 256;

const DEEP: &str = "lists and mappings nested more than 64 deep";
const FLATTEN: &str = "a compose file is a few levels deep; flatten it";

/// Why the file is refused, at its 1-based line and column, under the key path `field`.
#[derive(Debug)]
pub(crate) struct Excess {
    pub field: String,
    pub at: (usize, usize),
    pub message: String,
    pub hint: String,
}

/// One open list or mapping.
struct Open {
    anchor: usize,
    /// (nodes, bytes) counted when it opened, itself included.
    start: (u64, u64),
    map: bool,
    /// Entries seen (a mapping's keys and values both count once per pair).
    items: usize,
    /// The key or index under which this container stands, for the message.
    name: String,
    /// A mapping's latest key.
    key: String,
}

/// The file's value when `text` stays within every bound (None: a construct the builder
/// leaves to serde_yaml, which then parses the text within the same bounds); otherwise the
/// first excess found.
pub(crate) fn load(text: &str) -> Result<Option<Value>, Excess> {
    let mut parser = Parser::new_from_str(text);
    let mut built = Builder::default();
    let mut sizes: HashMap<usize, (u64, u64)> = HashMap::new();
    let mut open: Vec<Open> = Vec::new();
    let (mut nodes, mut bytes) = (0u64, 0u64);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| scan_error(&e, &open))?;
        let at = (mark.line().max(1), mark.col() + 1);
        let excess = |open: &[Open], message: String, hint: &str| Excess {
            field: path(open),
            at,
            message,
            hint: hint.into(),
        };
        built.event(&event);
        match event {
            Event::StreamEnd => return Ok(built.finish()),
            Event::Scalar(value, _, anchor, _) => {
                nodes += 1;
                bytes += value.len() as u64;
                if anchor > 0 {
                    sizes.insert(anchor, (1, value.len() as u64));
                }
                entry(&mut open, Some(value));
            }
            Event::Alias(id) => {
                let (n, b) = sizes.get(&id).copied().unwrap_or((1, 0));
                nodes = nodes.saturating_add(n);
                bytes = bytes.saturating_add(b);
                entry(&mut open, None);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let map = matches!(event, Event::MappingStart(..));
                let name = open.last().map(Open::child).unwrap_or_default();
                nodes += 1;
                open.push(Open {
                    anchor,
                    start: (nodes - 1, bytes),
                    map,
                    items: 0,
                    name,
                    key: String::new(),
                });
                if open.len() > MAX_DEPTH {
                    return Err(excess(&open, DEEP.into(), FLATTEN));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(o) = open.pop() {
                    if o.anchor > 0 {
                        sizes.insert(o.anchor, (nodes - o.start.0, bytes - o.start.1));
                    }
                }
                entry(&mut open, None);
            }
            _ => {}
        }
        if let Some(o) = open
            .last()
            .filter(|o| o.items > MAX_ENTRIES * if o.map { 2 } else { 1 })
        {
            let what = if o.map { "keys" } else { "entries" };
            let m = format!("more than {MAX_ENTRIES} {what}");
            return Err(excess(
                &open,
                m,
                "a compose file describes a few services; list only what they need",
            ));
        }
        if nodes > MAX_NODES {
            let m = format!("more than {MAX_NODES} nodes once aliases expand");
            return Err(excess(
                &open,
                m,
                "write the values out, or use fewer aliases of aliases",
            ));
        }
        if bytes > MAX_EXPANDED_BYTES {
            let m = format!("more than {MAX_EXPANDED_BYTES} bytes of text once aliases expand");
            return Err(excess(
                &open,
                m,
                "write the values out, or use fewer aliases of large values",
            ));
        }
    }
}

/// A scanner error, located.
fn scan_error(e: &yaml_rust2::ScanError, open: &[Open]) -> Excess {
    // the scanner reads flow nesting ahead of the events, with a bound of its own
    let (message, hint) = if e.info().contains("recursion limit") {
        (DEEP.to_string(), FLATTEN)
    } else {
        (
            format!("not YAML: {}", e.info()),
            "a compose file is YAML; check the indentation",
        )
    };
    Excess {
        field: path(open),
        at: (e.marker().line().max(1), e.marker().col() + 1),
        message,
        hint: hint.into(),
    }
}

impl Open {
    /// The name of the child being read: a mapping's key, a list's index.
    fn child(&self) -> String {
        if self.map {
            self.key.clone()
        } else {
            self.items.to_string()
        }
    }
}

/// Counts one finished entry of the innermost container; a mapping keeps its latest key.
fn entry(open: &mut [Open], scalar: Option<String>) {
    if let Some(o) = open.last_mut() {
        if o.map && o.items % 2 == 0 {
            // a key: only a short plain one is kept for the message
            o.key = scalar.filter(|k| k.len() <= 64).unwrap_or_else(|| "?".into());
        }
        o.items += 1;
    }
}

/// The dotted key path of the innermost open container (its first eight keys).
fn path(open: &[Open]) -> String {
    let mut names: Vec<&str> = open
        .iter()
        .skip(1)
        .map(|o| o.name.as_str())
        .chain(
            open.last()
                .filter(|o| o.map && o.items % 2 == 1)
                .map(|o| o.key.as_str()),
        )
        .collect();
    if names.len() > 8 {
        names.truncate(8);
        names.push("...");
    }
    names.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn laughs(levels: usize) -> String {
        let mut t = String::from(
            "x-a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
        );
        for i in 1..levels {
            let p = i - 1;
            t.push_str(&format!(
                "x-a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        t.push_str("services: {}\n");
        t
    }

    #[test]
    fn a_billion_laughs_is_refused_by_its_expanded_size_at_once() {
        let text = laughs(10);
        let start = Instant::now();
        let e = load(&text).unwrap_err();
        assert!(start.elapsed() < Duration::from_millis(200), "{:?}", start.elapsed());
        assert!(
            e.message.contains("more than 100000 nodes once aliases expand"),
            "{e:?}"
        );
        // 9^6 nodes is past the budget: refused on the line of x-a5 or x-a6
        assert!((5..=7).contains(&e.at.0), "{e:?}");
    }

    #[test]
    fn a_few_aliases_within_the_budget_pass() {
        assert!(load(&laughs(4)).is_ok());
        let merge = "x-env: &env\n  A: \"1\"\nservices:\n  web:\n    environment: *env\n";
        assert!(load(merge).is_ok());
    }

    #[test]
    fn one_big_scalar_aliased_many_times_is_refused_by_its_bytes() {
        let mut t = format!("x-big: &big \"{}\"\nx-many: [", "b".repeat(100_000));
        t.push_str(&vec!["*big"; 100].join(", "));
        t.push_str("]\n");
        let e = load(&t).unwrap_err();
        assert!(e.message.contains("bytes of text once aliases expand"), "{e:?}");
        assert_eq!(e.field, "x-many");
    }

    #[test]
    fn deep_flow_nesting_is_refused_by_depth_quickly() {
        let text = format!("services: {}{}\n", "[".repeat(60_000), "]".repeat(60_000));
        let start = Instant::now();
        let e = load(&text).unwrap_err();
        assert!(start.elapsed() < Duration::from_millis(200), "{:?}", start.elapsed());
        assert!(e.message.contains("nested more than 64 deep"), "{e:?}");
        assert_eq!(e.at.0, 1);
    }

    #[test]
    fn the_depth_message_names_the_bound() {
        assert!(DEEP.ends_with(&format!(" {MAX_DEPTH} deep")));
        let ok = format!("x: {}{}\n", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(load(&ok).is_ok());
        let over = format!("x: {}{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(load(&over).is_err());
    }

    #[test]
    fn a_long_list_is_refused_at_its_key() {
        let mut t = String::from("services:\n  web:\n    image: x\n    env_file:\n");
        for _ in 0..300 {
            t.push_str("      - a.env\n");
        }
        let e = load(&t).unwrap_err();
        assert_eq!(e.field, "services.web.env_file");
        assert!(e.message.contains("more than 256 entries"), "{e:?}");
        assert_eq!(e.at.0, 4 + 257);
    }

    /// What serde_yaml makes of `text`, and what the one pass makes of it when it keeps it.
    fn both(text: &str) -> (Option<Value>, Option<Value>) {
        let ours = load(text).ok().flatten();
        (serde_yaml::from_str::<Value>(text).ok(), ours)
    }

    #[test]
    fn the_one_pass_builds_what_serde_yaml_builds() {
        let mut files: Vec<std::path::PathBuf> = vec!["scenarios/compose/docker-compose.yml".into()];
        let hostile = std::fs::read_dir("tests/hostile").unwrap().flatten().map(|e| e.path());
        files.extend(hostile.filter(|p| p.extension().is_some_and(|e| e == "yml")));
        let mut kept = 0;
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            if let (theirs, Some(ours)) = both(&text) {
                assert_eq!(theirs, Some(ours), "{}", f.display());
                kept += 1;
            }
        }
        assert!(kept >= 15, "the pass built only {kept} of {} files", files.len());
        // every plain-scalar rule, quoted and block scalars, anchors and merges kept as keys
        let scalars = [
            "~",
            "null",
            "Null",
            "NULL",
            "",
            "true",
            "False",
            "TRUE",
            "yes",
            "no",
            "on",
            "0",
            "-0",
            "+7",
            "007",
            "-007",
            "0x1F",
            "-0x1F",
            "0o17",
            "0b101",
            "0x",
            "+-1",
            "1_000",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1.5",
            "-1.5e3",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "inf",
            "NaN",
            "1e400",
            "3.8",
            "8080:80",
            "\"42\"",
            "'true'",
            "|\n  a\n",
            ">-\n  b\n  c\n",
            "!!str 5",
            "!custom x",
            "2001-12-14",
            "1:20",
        ];
        for v in scalars {
            let text = format!("a: {v}\nb: [{v}]\n");
            let text = if v.contains('\n') { format!("a: {v}") } else { text };
            let (theirs, ours) = both(&text);
            if let Some(ours) = ours {
                assert_eq!(theirs, Some(ours), "{text:?}");
            }
        }
        let anchors = "x: &a {k: [1, two, &b 3]}\ny: *a\nz: *b\n<<: *a\n";
        let (theirs, ours) = both(anchors);
        assert_eq!(theirs, ours, "anchors");
        assert!(ours.is_some(), "kept");
        // a repeated key, a tag, two documents: left to serde_yaml and its errors
        for text in [
            "a: 1\na: 2\n",
            "a: !!int 5\n",
            "a: 1\n---\nb: 2\n",
            "",
            "a: 99999999999999999999\n",
        ] {
            assert_eq!(load(text).unwrap(), None, "{text:?}");
        }
    }

    #[test]
    fn malformed_yaml_is_located() {
        let e = load("services:\n  web: [\n").unwrap_err();
        assert!(e.message.starts_with("not YAML"), "{e:?}");
        assert!(e.at.0 >= 2, "{e:?}");
    }
}
