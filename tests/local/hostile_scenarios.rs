//! The hostile scenario catalogue (`tests/hostile/*.toml`): each file is refused
//! in-process, within its own time bound, with `file:line:col`, the field, a hint, and no
//! raw control or formatting character in the message. Plus the cases a file in git
//! cannot hold: a generated file with thousands of problems, and one over the size limit.
//!
//! Each file's first line is its expectation:
//! `# expect: exit 2, field <field>, line <n>[, in <file>][, within <ms> ms][, says <text>]`
//! — `field` as it is shown (escaped), `...` at its end for a prefix; `in` names the file
//! the problem is located in when it is not the scenario (a compose file beside it);
//! `says` runs to the end of the line. `tests/hostile/generate.py` writes the files.

use phoenix_bench::scenario::{Scenario, ScenarioError, MAX_FILE_BYTES, MAX_LISTED};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bound for one case unless its file says otherwise.
const DEFAULT_BOUND: Duration = Duration::from_millis(500);
/// Bound for the whole catalogue.
const TOTAL_BOUND: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Expect {
    field: String,
    line: usize,
    /// The file the problem is in, relative to the scenario's folder; None: the scenario.
    inside: Option<String>,
    says: Option<String>,
    within: Duration,
}

fn parse_expect(file: &Path, first: &str) -> Expect {
    let rest = first
        .strip_prefix("# expect: exit 2, ")
        .unwrap_or_else(|| panic!("{}: first line is not `# expect: exit 2, ...`", file.display()));
    let (rest, says) = match rest.split_once(", says ") {
        Some((r, s)) => (r, Some(s.to_string())),
        None => (rest, None),
    };
    let mut e = Expect {
        field: String::new(),
        line: 0,
        inside: None,
        says,
        within: DEFAULT_BOUND,
    };
    for part in rest.split(", ") {
        if let Some(f) = part.strip_prefix("field ") {
            e.field = f.to_string();
        } else if let Some(l) = part.strip_prefix("line ") {
            e.line = l.parse().expect("line is a number");
        } else if let Some(f) = part.strip_prefix("in ") {
            e.inside = Some(f.to_string());
        } else if let Some(ms) = part.strip_prefix("within ").and_then(|w| w.strip_suffix(" ms")) {
            e.within = Duration::from_millis(ms.parse().expect("within is a number"));
        } else {
            panic!("{}: unknown expectation {part:?}", file.display());
        }
    }
    assert!(
        !e.field.is_empty() && e.line > 0,
        "{}: field and line are required",
        file.display()
    );
    e
}

/// The characters no message may carry raw: controls but the line breaks between
/// problems, and invisible or bidirectional formatting characters.
fn raw_control(message: &str) -> Option<char> {
    message
        .chars()
        .find(|&c| c != '\n' && phoenix_bench::scenario::escape(&c.to_string()) != c.to_string())
}

fn catalogue() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/hostile exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Checks everything the catalogue promises about one refused file; the first broken
/// promise, if any.
fn refused_as_promised(file: &Path, e: &Expect, err: &ScenarioError, took: Duration) -> Result<(), String> {
    let name = file.file_name().unwrap().to_string_lossy();
    let shown = err.to_string();
    let fail = |why: String| Err(format!("{name}: {why}: {shown}"));
    if !matches!(err, ScenarioError::Invalid { .. }) {
        return fail("not a located problem".into());
    }
    if took > e.within {
        return fail(format!("took {took:?}, bound {:?}", e.within));
    }
    if let Some(c) = raw_control(&shown) {
        return fail(format!("raw character {c:?} in the message"));
    }
    let located_in = match &e.inside {
        Some(f) => file.with_file_name(f),
        None => file.to_path_buf(),
    };
    let at = format!("{}:{}:", located_in.display(), e.line);
    let located = shown.lines().any(|l| {
        l.strip_prefix(&at)
            .and_then(|r| r.split_once(": "))
            .is_some_and(|(col, _)| col.parse::<usize>().is_ok())
    });
    if !located {
        return fail(format!("no problem at {at}<col>"));
    }
    let field = match e.field.strip_suffix("...") {
        Some(prefix) => format!("field `{prefix}"),
        None => format!("field `{}`", e.field),
    };
    if !shown.contains(&field) {
        return fail(format!("does not name {field}"));
    }
    if !shown.contains("\n  hint: ") {
        return fail("no hint".into());
    }
    match &e.says {
        Some(s) if !shown.contains(s.as_str()) => fail(format!("does not say {s:?}")),
        _ => Ok(()),
    }
}

#[test]
fn every_hostile_scenario_is_refused_located_named_hinted_and_escaped_in_time() {
    let files = catalogue();
    assert!(
        files.len() >= 70,
        "the catalogue has {} files, fewer than 70",
        files.len()
    );
    let start = Instant::now();
    let mut broken = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let first = String::from_utf8_lossy(bytes.split(|b| *b == b'\n').next().unwrap()).into_owned();
        let e = parse_expect(file, &first);
        let t = Instant::now();
        let result = Scenario::load(file);
        let took = t.elapsed();
        let verdict = match result {
            Ok(_) => Err(format!("{}: accepted", file.display())),
            Err(err) => refused_as_promised(file, &e, &err, took),
        };
        broken.extend(verdict.err());
    }
    let total = start.elapsed();
    assert!(
        broken.is_empty(),
        "{} of {} cases broken:\n{}",
        broken.len(),
        files.len(),
        broken.join("\n\n")
    );
    assert!(total < TOTAL_BOUND, "the catalogue took {total:?}");
    eprintln!("{} hostile files refused in {total:?}", files.len());
}

#[test]
fn six_thousand_problems_are_listed_up_to_twenty_and_counted_quickly() {
    // 32 checks of 64 steps, each step with a bad method, path and status: over 6000
    // problems in ~150 KB (each used to re-parse the file to be located: 52 s)
    let mut text =
        String::from("name = \"many\"\n[app]\nimage = \"x:1\"\nport = 1\n[load]\nrate = 1\nduration = \"5s\"\n");
    for c in 0..32 {
        text.push_str(&format!("[[check]]\nname = \"c{c}\"\nsetup = [\n"));
        for _ in 0..64 {
            text.push_str("  { method = \"FETCH\", path = \"no slash here\", status = 999999 },\n");
        }
        text.push_str("]\nverify = [{ path = \"/\" }]\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.toml");
    std::fs::write(&path, &text).unwrap();
    let start = Instant::now();
    let err = Scenario::load(&path).unwrap_err();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let shown = err.to_string();
    assert_eq!(shown.matches("\n  hint: ").count(), MAX_LISTED, "{shown}");
    let total = err.problems().len();
    assert!(total >= 6000, "{total}");
    assert!(text.len() < 200_000, "{}", text.len());
    assert!(
        shown.contains(&format!("and {} more problems", total - MAX_LISTED)),
        "{shown}"
    );
}

#[test]
fn many_distinct_problems_in_a_big_file_stay_fast() {
    // 6000 load requests, each with a bad method and a bad path: the list is cut at 64 and
    // the rest is never validated, and what is validated is located once
    let mut text =
        String::from("name = \"big\"\n[app]\nimage = \"x:1\"\nport = 1\n[load]\nrate = 1\nduration = \"5s\"\n");
    for _ in 0..6000 {
        text.push_str("[[load.requests]]\nmethod = \"FETCH\"\npath = \"x y\"\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    std::fs::write(&path, &text).unwrap();
    let start = Instant::now();
    let err = Scenario::load(&path).unwrap_err();
    // ~290 KB: the TOML parser alone takes ~0.3 s of it in a debug build on 2 busy cores
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    assert!(err.to_string().contains("6000 requests, over the limit of 64"), "{err}");
}

#[test]
fn a_file_over_one_mebibyte_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let mut text = String::from("name = \"huge\"\n");
    while text.len() as u64 <= MAX_FILE_BYTES {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&path, &text).unwrap();
    let start = Instant::now();
    let err = Scenario::load(&path).unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(200));
    assert!(matches!(err, ScenarioError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("hint: "), "{err}");
}

#[test]
fn text_over_one_mebibyte_given_directly_is_refused_unparsed() {
    let text = format!("name = \"x\"\ndescription = \"{}\"\n", "d".repeat(50 * 1024 * 1024));
    let start = Instant::now();
    let err = Scenario::parse(Path::new("big.toml"), &text).unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());
    let shown = err.to_string();
    let want = format!("big.toml:1:1: the text is {} bytes, over the limit", text.len());
    assert!(shown.starts_with(&want), "{shown}");
    assert!(shown.contains("\n  hint: "), "{shown}");
}

#[test]
fn every_bundled_scenario_stays_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in ["scenarios", "scenarios/compose", "tests/scenarios"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                n += 1;
            }
        }
    }
    assert!(n >= 15, "only {n} bundled scenarios found");
}
