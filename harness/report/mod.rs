//! Reports: one renderer per format, each a pure function from a `Report` to bytes, with no
//! clock and no disk inside (so they are snapshot-tested on the hand-made record of
//! `fixture.rs`). `output.rs` is the one place that writes them, through
//! `commands::write_reports`:
//!
//! - `json.rs`: result.json (the contract, `result.rs`, schema in `schema/result.schema.json`)
//!   and record.json (the raw record);
//! - `html.rs`: index.html, the run page (`templates/run.html`, charts from `plot/`);
//! - `markdown.rs`: summary.md, for CI job summaries (`burn.rs`: its burn section);
//! - `junit.rs`: junit.xml, a testcase per certification criterion and per state check;
//! - `hlog.rs`: latency.hlog, an HdrHistogram interval log;
//! - `history.rs`: reports/index.html, every run of a reports folder with trend charts.

mod burn;
// a hand-made record for the tests: built into the tests only (`cargo test` turns on
// `test-support` through the package's dev-dependency on itself), never into `phoenix`
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod fixture;
#[cfg(any(test, feature = "test-support"))]
mod fixture_parts;
pub mod history;
pub mod hlog;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod plot;
pub mod result;

use crate::analysis::{analyse, Analysis};
use crate::certify::{certify, Certification, Verdicts};
use crate::record::RunRecord;

/// Everything a renderer may show: the raw record and what was derived from it.
#[derive(Debug, Clone)]
pub struct Report {
    pub record: RunRecord,
    pub analysis: Analysis,
    pub certification: Certification,
}

impl Report {
    /// Analyses and certifies a record.
    pub fn build(record: RunRecord) -> Report {
        let analysis = analyse(&record);
        let verdicts = Verdicts {
            state_lost: analysis.checks.iter().filter_map(|c| c.problem()).collect(),
            incomplete: (!record.complete).then(|| {
                record
                    .aborted
                    .as_ref()
                    .map_or("the run stopped midway".into(), |a| a.reason.clone())
            }),
            host_explains: floor_explains(&analysis, &record.scenario),
        };
        let certification = certify(&analysis, &record.scenario, &verdicts);
        Report {
            record,
            analysis,
            certification,
        }
    }
}

/// Why the platform floor may explain a time to healthy over its target: the total's p99
/// is over it while the app's share's (every recovered fault having one) is within it.
/// Empty when the target applies to the app's share already, or nothing is explained.
fn floor_explains(a: &Analysis, scenario: &crate::scenario::Scenario) -> Vec<String> {
    let target_ms = scenario.certify.time_to_healthy_target.as_secs_f64() * 1000.0;
    let recovered: Vec<_> = a.faults.iter().filter(|f| f.time_to_healthy_ms.is_some()).collect();
    let every = !recovered.is_empty() && recovered.iter().all(|f| f.app_share_ms.is_some());
    match (a.time_to_healthy_ms.p99, a.app_share_ms.p99) {
        (Some(total), Some(app))
            if every
                && scenario.certify.time_to_healthy_of == crate::scenario::TthOf::Total
                && total > target_ms
                && app <= target_ms =>
        {
            vec![format!(
                "the platform floor explains it: time to healthy p99 {total:.0} ms is over the {target_ms:.0} ms target, the app's share p99 {app:.0} ms is within it (docs/certification.md, The platform floor)"
            )]
        }
        _ => Vec::new(),
    }
}

/// A renderer error; charts and templates report, never panic.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("rendering {what} failed: {why}")]
    Failed { what: &'static str, why: String },
}
