//! Every relative link in README.md and docs/ resolves: the file exists and, for a link
//! with a `#fragment`, the file has a heading with that anchor (GitHub's rule: lower case,
//! punctuation dropped, spaces as hyphens).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// GitHub's anchor of a heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings, code blocks left out.
fn anchors(page: &Path) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in std::fs::read_to_string(page).unwrap().lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// `(line, target)` of every Markdown link of a page outside code blocks.
fn links(page: &Path) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (n, line) in std::fs::read_to_string(page).unwrap().lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (i, _) in line.match_indices("](") {
            let rest = &line[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push((n + 1, rest[..end].to_string()));
            }
        }
    }
    out
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        for (line, target) in links(&page) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, fragment) = match target.split_once('#') {
                Some((f, frag)) => (f, Some(frag)),
                None => (target.as_str(), None),
            };
            let dest = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let shown = format!("{}:{line}: {target}", page.strip_prefix(root()).unwrap().display());
            if !dest.exists() {
                broken.push(format!("{shown}: no such file"));
            } else if let Some(frag) = fragment {
                if dest.extension().is_some_and(|e| e == "md") && !anchors(&dest).iter().any(|a| a == frag) {
                    broken.push(format!("{shown}: no heading with that anchor"));
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} links found: is the parser right?");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_an_entrance() {
    let lines = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .lines()
        .count();
    assert!(lines <= 300, "README.md has {lines} lines: reference belongs in docs/");
}

#[test]
fn every_source_path_the_docs_name_exists() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (n, line) in text.lines().enumerate() {
            for (i, _) in line.match_indices("harness/") {
                let path: String = line[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.' | '-'))
                    .collect();
                let path = path.trim_end_matches('.');
                if !(path.ends_with(".rs") || path.ends_with('/')) {
                    continue;
                }
                checked += 1;
                if !root().join(path).exists() {
                    let page = page.strip_prefix(root()).unwrap().display().to_string();
                    missing.push(format!("{page}:{}: {path}", n + 1));
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} paths found: is the scan right?");
    assert!(missing.is_empty(), "paths that do not exist:\n{}", missing.join("\n"));
}
