//! The run page (index.html): self-contained HTML with inline CSS and SVG charts, rendered
//! by minijinja with auto-escaping on, so nothing from the app or the scenario can inject
//! markup.

use super::result::ResultJson;
use super::{RenderError, Report};
use crate::plot;
use minijinja::{context, Environment};

const TEMPLATE: &str = include_str!("templates/run.html");

fn fail(e: impl std::fmt::Display) -> RenderError {
    RenderError::Failed {
        what: "index.html",
        why: e.to_string(),
    }
}

/// Renders index.html.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut env = Environment::new();
    // `.html` names turn auto-escaping on
    env.add_template("run.html", TEMPLATE).map_err(fail)?;
    let mut timelines = Vec::new();
    for series in &report.analysis.trials {
        let faults: Vec<_> = report
            .analysis
            .faults
            .iter()
            .filter(|f| f.trial == series.index)
            .collect();
        let svg = plot::timeline::render(series, &faults).map_err(fail)?;
        timelines.push(context! { trial => series.index + 1, svg => minijinja::Value::from_safe_string(svg) });
    }
    let result = ResultJson::from_report(report);
    let html = env
        .get_template("run.html")
        .map_err(fail)?
        .render(context! {
            r => result,
            description => report.record.scenario.description,
            scenario_text => report.record.scenario.text,
            timelines => timelines,
            errors => report.record.trials.iter().flat_map(|t| t.errors.iter().cloned()).collect::<Vec<_>>(),
        })
        .map_err(fail)?;
    Ok(html.into_bytes())
}
