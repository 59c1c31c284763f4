//! A real browser reads a real run's page: headless Chromium (Debian's `chromium`, installed
//! by `.ci/setup`; the test fails naming that fix when it is missing) loads index.html from
//! a short Docker run, takes a screenshot, reports no console error, and every chart has
//! drawn content.

use crate::common;

use std::path::Path;
use std::process::Command;

/// Fails loudly, naming the fix, when `chromium` does not run: tests never install anything
/// (`.ci/setup` does, and `.ci/run` calls it first).
fn ensure_chromium() {
    let version = Command::new("chromium").arg("--version").output();
    match version {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`chromium --version` failed ({}): {}\n  fix: run `sudo .ci/setup` (installs Debian's chromium)",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "chromium is not installed ({e}); this test needs a real browser\n  fix: run `sudo .ci/setup` (installs Debian's chromium)"
        ),
    }
}

/// Runs headless Chromium on `page` with `args`; returns (stdout, stderr).
fn chromium(page: &Path, args: &[&str]) -> (String, String) {
    let url = format!("file://{}", page.canonicalize().expect("page exists").display());
    let o = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(args)
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Shapes an SVG holds beyond its background.
fn drawn_shapes(svg: &str) -> usize {
    ["<path", "<polyline", "<rect", "<circle", "<line", "<polygon"]
        .iter()
        .map(|t| svg.matches(t).count())
        .sum::<usize>()
        .saturating_sub(1)
}

fn assert_page_renders(page: &Path, screenshot: &Path) {
    let (dom, log) = chromium(page, &["--dump-dom"]);
    for bad in ["Uncaught", "CONSOLE(", "ERROR:CONSOLE", "Failed to load resource"] {
        assert!(!log.contains(bad), "the browser reported {bad:?}:\n{log}");
    }
    assert!(dom.contains("<h2>Verdict</h2>"), "the page did not load");
    let charts: Vec<&str> = dom
        .split("<svg")
        .skip(1)
        .map(|s| s.split("</svg>").next().unwrap_or(""))
        .collect();
    // a timeline, the recovery waterfall, time to healthy, percentiles: at least 4
    assert!(charts.len() >= 4, "only {} chart(s) on the page", charts.len());
    for (i, svg) in charts.iter().enumerate() {
        assert!(drawn_shapes(svg) >= 3, "chart {i} has no drawn content:\n{svg:.400}");
        assert!(svg.contains("<text"), "chart {i} has no axis text");
    }
    let shot = screenshot.display().to_string();
    let _ = chromium(page, &[&format!("--screenshot={shot}"), "--window-size=1200,4000"]);
    let png = std::fs::read(screenshot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        png.len() > 50_000,
        "a suspiciously small screenshot ({} bytes)",
        png.len()
    );
}

#[test]
fn a_real_run_page_renders_in_chromium_with_every_chart_drawn() {
    common::require_docker();
    ensure_chromium();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = common::run("tests/scenarios/escaping.toml", &out, &[]);
    assert!(
        matches!(o.status.code(), Some(0) | Some(3)),
        "phoenix run failed: {:?}",
        o.status
    );
    common::assert_nothing_left(&common::read_json(&out.join("result.json")));
    assert_page_renders(&out.join("index.html"), &tmp.path().join("run.png"));
}

#[test]
fn the_history_page_renders_in_chromium() {
    ensure_chromium();
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    // two hand-made runs of one scenario and a broken folder
    for (dir, day) in [("20260101-120000-fixture", "01"), ("20260102-120000-fixture", "02")] {
        let mut record = phoenix_bench::report::fixture::record();
        record.started_at = format!("2026-01-{day}T12:00:00Z");
        let report = phoenix_bench::report::Report::build(record);
        let d = reports.join(dir);
        std::fs::create_dir(&d).unwrap();
        phoenix_bench::cli::write_reports(&phoenix_bench::files::output::RunDir::existing(&d), &report).unwrap();
    }
    std::fs::create_dir(reports.join("20260103-120000-broken")).unwrap();
    phoenix_bench::cli::rebuild_history(&reports).unwrap();
    let (dom, log) = chromium(&reports.join("index.html"), &["--dump-dom"]);
    assert!(!log.contains("Uncaught") && !log.contains("CONSOLE("), "{log}");
    assert!(dom.contains("broken"), "the broken folder is listed");
    let charts: Vec<&str> = dom.split("<svg").skip(1).collect();
    assert_eq!(charts.len(), 1, "one trend chart for one scenario");
    assert!(drawn_shapes(charts[0]) >= 3);
}
