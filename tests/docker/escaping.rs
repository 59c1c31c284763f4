//! Strings from the app or the scenario never reach a report as markup: HTML and Markdown
//! show them as text, JUnit XML stays well-formed and gives them back intact. First on the
//! hand-made record with hostile names everywhere, then on a real run (Docker) whose app
//! sends the payloads back in its responses.

use crate::common;

use phoenix_bench::cli::write_reports;
use phoenix_bench::files::output::RunDir;
use phoenix_bench::report::fixture::{self, Names};
use phoenix_bench::report::{history, html, junit, markdown, Report};
use std::path::Path;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// No payload and no tag it could open, in any case.
fn assert_no_markup(what: &str, text: &str) {
    for payload in [SCRIPT, IMG] {
        assert!(!text.contains(payload), "{what} holds the raw payload {payload:?}");
    }
    let lower = text.to_lowercase();
    for tag in ["<script", "<img", "onerror=alert(1)>"] {
        assert!(!lower.contains(tag), "{what} holds a raw {tag:?}");
    }
}

/// Well-formed, and the check's testcase carries its name intact (escaping is not loss).
fn assert_junit(xml: &str, check_name: &str) {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("junit.xml is not well-formed: {e}\n{xml}"));
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("classname") == Some("phoenix.checks"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert!(
        names.contains(&check_name),
        "no testcase named {check_name:?} in {names:?}"
    );
    assert_no_markup("junit.xml", xml);
}

/// The run folder's files, then the history page of its parent.
fn assert_run_folder(dir: &Path, check_name: &str) {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("cannot read {f}: {e}"));
    assert_no_markup("index.html", &read("index.html"));
    assert_no_markup("summary.md", &read("summary.md"));
    assert_junit(&read("junit.xml"), check_name);
}

#[test]
fn every_format_escapes_hostile_names_of_a_hand_made_record() {
    let payload = format!("{SCRIPT}{IMG}");
    let names = Names::hostile(&payload);
    let report = Report::build(fixture::record_with(&names));

    let page = String::from_utf8(html::render(&report).unwrap()).unwrap();
    assert_no_markup("index.html", &page);
    // the payload is there, as text
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "the payload is not shown as text"
    );

    let md = String::from_utf8(markdown::render(&report).unwrap()).unwrap();
    assert_no_markup("summary.md", &md);
    assert!(md.contains("&lt;script&gt;"));

    let xml = String::from_utf8(junit::render(&report).unwrap()).unwrap();
    assert_junit(&xml, &names.check);

    // a folder named like the payload cannot exist on every file system; its scenario can
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let dir = reports.join("20260101-120000-hostile");
    std::fs::create_dir_all(&dir).unwrap();
    write_reports(&RunDir::existing(&dir), &report).unwrap();
    assert_run_folder(&dir, &names.check);
    let index = std::fs::read_to_string(reports.join("index.html")).expect("history page written next to the run");
    assert_no_markup("reports/index.html", &index);
    assert!(index.contains(history::GENERATOR));
}

#[test]
fn a_real_app_sending_the_payloads_back_cannot_inject_markup() {
    common::require_docker();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = common::run("tests/scenarios/escaping.toml", &out, &[]);
    // not certified (nothing could be set up) or passed: either way a report
    assert!(
        matches!(o.status.code(), Some(0) | Some(3)),
        "phoenix run failed: {:?}",
        o.status
    );
    let result = common::read_json(&out.join("result.json"));
    common::assert_nothing_left(&result);
    let check = &result["checks"][0];
    assert_eq!(check["name"], SCRIPT);
    let excerpt = check["failures"][0]["excerpt"]
        .as_str()
        .expect("a failure with an excerpt");
    assert!(
        excerpt.contains(SCRIPT) && excerpt.contains(IMG),
        "the app's response should hold both payloads: {excerpt:?}"
    );
    assert_run_folder(&out, SCRIPT);
}
