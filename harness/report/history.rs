//! The history page, `reports/index.html`: every run folder under the reports folder, newest
//! first, with its scenario, level, score, time-to-healthy p99 and lost requests, a link to
//! its page, and per scenario a trend chart of score and TTH p99 over its runs. A broken
//! folder (no or unreadable result.json) or a partial one (`complete == false`) is listed
//! as such and never stops the page.
//!
//! [`scan`] reads the folder (the only part that touches the disk); [`render`] is pure.

use super::result::{ReadError, ResultJson};
use super::RenderError;
use crate::report::plot::trend::{self, TrendPoint};
use minijinja::value::Serde;
use minijinja::{context, Environment};
use serde::Serialize;
use std::path::Path;

const TEMPLATE: &str = include_str!("templates/history.html");

/// A marker that generated history pages carry, so a folder holding one is known to be a
/// reports folder.
pub const GENERATOR: &str = "phoenix-bench history";

/// The state of one run folder.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunState {
    /// result.json read, and the run completed.
    Complete { result: Box<ResultJson> },
    /// result.json read, but the run did not complete.
    Partial { result: Box<ResultJson> },
    /// No usable result.json.
    Broken { reason: String },
}

/// One run folder.
#[derive(Debug, Clone, Serialize)]
pub struct RunEntry {
    /// The folder's name inside the reports folder.
    pub dir: String,
    /// When the run started (RFC 3339), or when the folder was last changed if unknown.
    pub started: String,
    /// The folder has an index.html to link to.
    pub(crate) has_page: bool,
    pub run: RunState,
}

impl RunEntry {
    pub(crate) fn result(&self) -> Option<&ResultJson> {
        match &self.run {
            RunState::Complete { result } | RunState::Partial { result } => Some(result),
            RunState::Broken { .. } => None,
        }
    }
}

fn rfc3339(t: std::time::SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Reads one run folder; never fails.
pub(crate) fn read_entry(dir: &Path) -> RunEntry {
    let name = dir
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let modified = std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .map(rfc3339)
        .unwrap_or_default();
    // the page names the folder already: the reasons leave its path out
    let result = ResultJson::read(&dir.join("result.json")).map_err(|e| match e {
        _ if e.is_missing() => "no result.json".to_string(),
        ReadError::Io { source, .. } => format!("unreadable result.json: {source}"),
        ReadError::NotAFile { .. } => "result.json is not a regular file".to_string(),
        ReadError::TooLarge { max, .. } => format!("result.json is larger than {max} bytes"),
        ReadError::Parse { reason, .. } => format!("unreadable result.json: {reason}"),
        ReadError::Invalid { source, .. } => format!("unreadable result.json: {source}"),
    });
    let (started, run) = match result {
        Ok(r) if r.complete => (r.started_at.clone(), RunState::Complete { result: Box::new(r) }),
        Ok(r) => (r.started_at.clone(), RunState::Partial { result: Box::new(r) }),
        Err(reason) => {
            let reason = if dir.join("record.json").exists() {
                format!("{reason}; record.json is there: `phoenix report` may re-render it")
            } else {
                reason
            };
            (modified, RunState::Broken { reason })
        }
    };
    RunEntry {
        dir: name,
        started,
        has_page: dir.join("index.html").is_file(),
        run,
    }
}

/// Every run folder under `reports` (its real subfolders, hidden ones excepted), newest
/// first; the folder itself is read through the one reader ([`crate::files::input::run_folders`]).
pub fn scan(reports: &Path) -> Result<Vec<RunEntry>, crate::files::input::FolderError> {
    let mut entries: Vec<RunEntry> = crate::files::input::run_folders(reports)?
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
        .map(|p| read_entry(p))
        .collect();
    sort_newest_first(&mut entries);
    Ok(entries)
}

/// Newest first by start time, then by folder name.
pub(crate) fn sort_newest_first(entries: &mut [RunEntry]) {
    entries.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| b.dir.cmp(&a.dir)));
}

/// A scenario's trend chart, as rendered.
#[derive(Debug, Serialize)]
struct Trend {
    scenario: String,
    runs: usize,
    svg: minijinja::Value,
}

/// Renders the history page from entries sorted newest first.
pub fn render(entries: &[RunEntry]) -> Result<Vec<u8>, RenderError> {
    let fail = |e: &dyn std::fmt::Display| RenderError::Failed {
        what: "reports/index.html",
        why: e.to_string(),
    };
    // scenarios in order of their newest run; points oldest first
    let mut scenarios: Vec<String> = Vec::new();
    for e in entries {
        if let Some(r) = e.result() {
            if !scenarios.contains(&r.scenario) {
                scenarios.push(r.scenario.clone());
            }
        }
    }
    let mut trends = Vec::new();
    for s in &scenarios {
        let points: Vec<TrendPoint> = entries
            .iter()
            .rev()
            .filter_map(|e| {
                let r = e.result().filter(|r| &r.scenario == s)?;
                let complete = matches!(e.run, RunState::Complete { .. });
                Some(TrendPoint {
                    label: short_time(&e.started),
                    score: complete.then_some(r.certification.score),
                    tth_p99_ms: r.time_to_healthy_ms.p99.filter(|_| complete),
                })
            })
            .collect();
        let svg = trend::render(&points).map_err(|e| fail(&e))?;
        trends.push(Trend {
            scenario: s.clone(),
            runs: points.len(),
            // the SVG backend escapes every text it draws
            svg: minijinja::Value::from_safe_string(svg),
        });
    }
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            let r = e.result();
            context! {
                dir => Serde(&e.dir),
                href => format!("{}/index.html", percent_encode(&e.dir)),
                started => Serde(&e.started),
                has_page => e.has_page,
                state => match &e.run {
                    RunState::Complete { .. } => "complete",
                    RunState::Partial { .. } => "partial",
                    RunState::Broken { .. } => "broken",
                },
                reason => match &e.run {
                    RunState::Broken { reason } => Some(reason.clone()),
                    RunState::Partial { result } => Some(result.aborted.clone().unwrap_or_else(|| "the run stopped midway".into())),
                    RunState::Complete { .. } => None,
                },
                scenario => r.map(|r| r.scenario.clone()),
                level => r.map(|r| r.certification.level.clone()),
                score => r.map(|r| format!("{:.1}", r.certification.score)),
                tth_p99 => r.and_then(|r| r.time_to_healthy_ms.p99).map(|v| format!("{v:.0}")),
                lost => r.map(|r| r.faults.iter().map(|f| f.lost_requests).sum::<u64>()),
                checks_lost => r.map(|r| r.checks.iter().map(|c| c.lost).sum::<u64>()),
            }
        })
        .collect();
    let mut env = Environment::new();
    // `.html` names turn auto-escaping on
    env.add_template("history.html", TEMPLATE).map_err(|e| fail(&e))?;
    let html = env
        .get_template("history.html")
        .map_err(|e| fail(&e))?
        .render(context! { runs => rows, trends => Serde(trends), generator => GENERATOR })
        .map_err(|e| fail(&e))?;
    Ok(html.into_bytes())
}

/// Percent-encodes a folder name for a relative link (RFC 3986 unreserved characters kept).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `2026-01-01T12:00:00Z` → `01-01 12:00`, for chart labels.
fn short_time(rfc: &str) -> String {
    match (rfc.get(5..10), rfc.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => rfc.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixture, Report};

    fn entry(dir: &str, started: &str, score: f64, complete: bool) -> RunEntry {
        let mut rec = fixture::record();
        rec.started_at = started.into();
        rec.complete = complete;
        let mut r = ResultJson::from_report(&Report::build(rec));
        r.certification.score = score;
        RunEntry {
            dir: dir.into(),
            started: started.into(),
            has_page: true,
            run: if complete {
                RunState::Complete { result: Box::new(r) }
            } else {
                RunState::Partial { result: Box::new(r) }
            },
        }
    }

    #[test]
    fn lists_runs_newest_first_with_broken_and_partial_ones_and_a_trend() {
        let mut entries = vec![
            entry("a-fixture", "2026-01-01T10:00:00Z", 70.0, true),
            entry("c-fixture", "2026-01-03T10:00:00Z", 90.0, true),
            entry("b-fixture", "2026-01-02T10:00:00Z", 0.0, false),
            RunEntry {
                dir: "d-broken <b>".into(),
                started: "2026-01-04T10:00:00Z".into(),
                has_page: false,
                run: RunState::Broken {
                    reason: "no result.json".into(),
                },
            },
        ];
        sort_newest_first(&mut entries);
        let order: Vec<&str> = entries.iter().map(|e| e.dir.as_str()).collect();
        assert_eq!(order, ["d-broken <b>", "c-fixture", "b-fixture", "a-fixture"]);
        let html = String::from_utf8(render(&entries).unwrap()).unwrap();
        assert!(html.contains("d-broken &lt;b&gt;") && !html.contains("<b>"));
        assert!(html.contains("broken") && html.contains("partial"));
        // minijinja escapes `/` in HTML as `&#x2f;`, which browsers read back as `/`
        assert!(html.contains(r#"href="c-fixture&#x2f;index.html""#), "{html}");
        assert_eq!(percent_encode("a b/<c>"), "a%20b%2F%3Cc%3E");
        assert_eq!(html.matches("<svg").count(), 1, "one trend chart for one scenario");
        assert!(html.contains("90.0"));
    }

    #[test]
    fn scan_reads_every_folder_and_never_fails_on_a_broken_one() {
        let tmp = tempfile::tempdir().unwrap();
        let good = tmp.path().join("20260101-120000-fixture");
        std::fs::create_dir(&good).unwrap();
        let bytes = crate::report::json::result(&Report::build(fixture::record())).unwrap();
        std::fs::write(good.join("result.json"), bytes).unwrap();
        let bad = tmp.path().join("20260102-120000-bad");
        std::fs::create_dir(&bad).unwrap();
        std::fs::write(bad.join("result.json"), b"{ not json").unwrap();
        std::fs::create_dir(tmp.path().join("20260103-120000-empty")).unwrap();
        let entries = scan(tmp.path()).unwrap();
        assert_eq!(entries.len(), 3);
        let states: Vec<&str> = entries
            .iter()
            .map(|e| match e.run {
                RunState::Complete { .. } => "complete",
                RunState::Partial { .. } => "partial",
                RunState::Broken { .. } => "broken",
            })
            .collect();
        assert_eq!(states.iter().filter(|s| **s == "broken").count(), 2);
        assert!(states.contains(&"complete"));
        assert!(render(&entries).is_ok());
    }

    #[test]
    fn history_page_snapshot() {
        let mut entries = vec![
            entry("20260101-100000-fixture", "2026-01-01T10:00:00Z", 70.0, true),
            entry("20260102-100000-fixture", "2026-01-02T10:00:00Z", 0.0, false),
            RunEntry {
                dir: "20260103-100000-fixture".into(),
                started: "2026-01-03T10:00:00Z".into(),
                has_page: false,
                run: RunState::Broken {
                    reason: "no result.json".into(),
                },
            },
        ];
        sort_newest_first(&mut entries);
        let html = String::from_utf8(render(&entries).unwrap()).unwrap();
        insta::assert_snapshot!(html);
    }
}
