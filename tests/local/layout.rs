//! The layout lib.rs promises: top-level modules in layers along the pipeline, each using
//! only modules of lower layers, and no cycle. Reads the sources (the production code: test
//! files and `#[cfg(test)]` modules may reach up for fixtures) and fails naming the file and
//! line of an import that breaks it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first; a module may use the modules of the layers before its own.
const LAYERS: &[&[&str]] = &[
    &["clock", "files"],
    &["scenario"],
    &["record"],
    &["backend", "load", "probe"],
    &["execute"],
    &["analysis"],
    &["certify"],
    &["report"],
    &["cli"],
];

/// Imports against the layers that are known and not yet moved, with why. This list only
/// shrinks: the test fails when an edge is added, and when one listed here is gone (remove
/// it then).
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("harness")
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The `.rs` files of top-level module `module`, test files left out.
fn sources(module: &str) -> Vec<PathBuf> {
    let root = harness();
    let file = root.join(format!("{module}.rs"));
    let mut out: Vec<PathBuf> = if file.is_file() { vec![file] } else { Vec::new() };
    let dir = root.join(module);
    if dir.is_dir() {
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "rs") && !is_test_file(&p) {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

fn is_test_file(p: &Path) -> bool {
    let name = p.file_stem().unwrap().to_string_lossy();
    name == "tests" || name.ends_with("_tests") || name.starts_with("tests_")
}

/// Every `crate::<module>` a file's production code names, with its line number: comments
/// are skipped, and the file ends at its first `#[cfg(test)]`.
fn uses(path: &Path) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" // ").next().unwrap_or(code);
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((name, n + 1));
            }
        }
    }
    out
}

/// module → (used module → first place it is used).
fn graph() -> BTreeMap<&'static str, BTreeMap<String, String>> {
    let mut g = BTreeMap::new();
    for module in LAYERS.iter().flat_map(|l| l.iter()) {
        let mut edges: BTreeMap<String, String> = BTreeMap::new();
        for file in sources(module) {
            for (used, line) in uses(&file) {
                if used != *module {
                    let at = format!("{}:{line}", file.strip_prefix(harness()).unwrap().display());
                    edges.entry(used).or_insert(at);
                }
            }
        }
        g.insert(*module, edges);
    }
    g
}

#[test]
fn every_top_level_module_has_a_layer() {
    let declared: BTreeSet<String> = std::fs::read_to_string(harness().join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("pub mod ")
                .or_else(|| l.trim().strip_prefix("mod "))
        })
        .map(|m| m.trim_end_matches(';').to_string())
        .collect();
    let layered: BTreeSet<String> = LAYERS.iter().flat_map(|l| l.iter()).map(|m| m.to_string()).collect();
    assert_eq!(declared, layered, "lib.rs's modules and this test's LAYERS differ");
    assert!(
        declared.len() <= 12,
        "{} top-level modules: {declared:?}",
        declared.len()
    );
}

#[test]
fn modules_use_only_lower_layers() {
    let g = graph();
    let mut wrong = Vec::new();
    let mut seen_known = BTreeSet::new();
    for (module, edges) in &g {
        let own = layer(module).unwrap();
        for (used, at) in edges {
            let Some(theirs) = layer(used) else {
                wrong.push(format!("{at}: {module} uses crate::{used}, a module with no layer"));
                continue;
            };
            if theirs < own {
                continue;
            }
            if KNOWN_UPWARD.iter().any(|(m, u, _)| m == module && u == used) {
                seen_known.insert((module.to_string(), used.clone()));
                continue;
            }
            let how = if theirs == own { "beside it" } else { "above it" };
            wrong.push(format!(
                "{at}: {module} uses crate::{used}, a module {how} (lib.rs, # Layout)"
            ));
        }
    }
    for (m, u, why) in KNOWN_UPWARD {
        if !seen_known.contains(&(m.to_string(), u.to_string())) {
            wrong.push(format!("{m} no longer uses {u} ({why}): remove it from KNOWN_UPWARD"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_cycle_between_top_level_modules() {
    let g = graph();
    // depth-first search from every module; a module met again on the current path closes a cycle
    fn visit<'a>(
        m: &'a str,
        g: &'a BTreeMap<&'static str, BTreeMap<String, String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            return Some(format!("{} -> {m}", path[i..].join(" -> ")));
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for used in g.get(m).into_iter().flat_map(|e| e.keys()) {
            if let Some(cycle) = visit(used, g, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        let cycle = visit(m, &g, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "a cycle: {}", cycle.unwrap());
    }
}
