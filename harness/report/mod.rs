//! Reports: one renderer per format, each a pure function from a `Report` to bytes.
//! `output.rs` is the one place that writes them to disk.

pub mod html;
pub mod json;
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
