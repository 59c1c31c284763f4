//! result.json and record.json renderers.

use super::result::ResultJson;
use super::{RenderError, Report};

/// result.json: the contract.
pub fn result(report: &Report) -> Result<Vec<u8>, RenderError> {
    serde_json::to_vec_pretty(&ResultJson::from_report(report)).map_err(|e| RenderError::Failed {
        what: "result.json",
        why: e.to_string(),
    })
}

/// record.json: the raw record, for `phoenix report` to re-analyse.
pub fn record(report: &Report) -> Result<Vec<u8>, RenderError> {
    serde_json::to_vec(&report.record).map_err(|e| RenderError::Failed {
        what: "record.json",
        why: e.to_string(),
    })
}
