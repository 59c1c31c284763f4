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
#[doc(hidden)]
pub mod fixture;
pub mod history;
pub mod hlog;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
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
            // the platform floor's verdict goes here once it is measured
            host_explains: Vec::new(),
        };
        let certification = certify(&analysis, &record.scenario, &verdicts);
        Report {
            record,
            analysis,
            certification,
        }
    }
}

/// A renderer error; charts and templates report, never panic.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("rendering {what} failed: {why}")]
    Failed { what: &'static str, why: String },
}
