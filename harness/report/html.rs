//! The run page (index.html): self-contained HTML with inline CSS and SVG charts (no
//! script, no external asset), rendered by minijinja with auto-escaping on, so nothing from
//! the app or the scenario can inject markup. The charts come from `plot/`, whose SVG
//! backend escapes every text it draws; they are the only values marked safe.

use super::result::ResultJson;
use super::{RenderError, Report};
use crate::report::plot;
use minijinja::value::Serde;
use minijinja::{context, Environment};

const TEMPLATE: &str = include_str!("templates/run.html");

fn fail(e: impl std::fmt::Display) -> RenderError {
    RenderError::Failed {
        what: "index.html",
        why: e.to_string(),
    }
}

/// A chart's SVG, drawn by plotters' SVG backend (which escapes its texts), as markup.
fn safe(svg: String) -> minijinja::Value {
    minijinja::Value::from_safe_string(svg)
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
        timelines.push(context! { trial => series.index + 1, svg => safe(svg) });
    }
    let a = &report.analysis;
    let target_ms = report.record.scenario.certify.time_to_healthy_target.as_secs_f64() * 1000.0;
    let percentiles = safe(plot::percentiles::render(&a.phases).map_err(fail)?);
    let tth = safe(
        plot::tth::render(
            &a.faults,
            &a.time_to_healthy_ms,
            target_ms,
            report.record.trials.len() as u32,
        )
        .map_err(fail)?,
    );
    let mut waterfalls = Vec::new();
    for f in &a.faults {
        waterfalls.push(context! {
            trial => f.trial + 1,
            kind => Serde(&f.kind),
            target => Serde(&f.target),
            action => Serde(&f.action),
            at_ms => f.at_ms,
            resolution_ms => f.time_to_healthy_resolution_ms,
            svg => safe(plot::waterfall::render(f).map_err(fail)?),
        });
    }
    // the first trial's memory: one chart, the table covers every trial
    let memory = match (report.record.trials.first(), a.trials.first()) {
        (Some(t), Some(series)) if !t.memory.series.is_empty() => Some(safe(
            plot::memory::render(
                &t.memory.series,
                &report.record.scenario.app.replicas,
                &series.spans,
                report.record.plan.load_duration.as_secs_f64(),
            )
            .map_err(fail)?,
        )),
        _ => None,
    };
    let result = ResultJson::from_report(report);
    let html = env
        .get_template("run.html")
        .map_err(fail)?
        .render(context! {
            r => Serde(result),
            description => Serde(&report.record.scenario.description),
            scenario_text => Serde(&report.record.scenario.text),
            timelines => timelines,
            percentiles => percentiles,
            tth => tth,
            memory => memory,
            memory_hint => crate::analysis::memory::hint(),
            host_line => report.analysis.contention.line(),
            target_ms => target_ms,
            waterfalls => waterfalls,
            errors => report.record.trials.iter().flat_map(|t| t.errors.iter().cloned()).collect::<Vec<_>>(),
        })
        .map_err(fail)?;
    Ok(html.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn run_page_of_the_fixture() {
        let html = String::from_utf8(render(&Report::build(fixture::record())).unwrap()).unwrap();
        for section in [
            "Verdict",
            "Timeline",
            "Latency by percentile",
            "Time to healthy",
            "Recovery breakdown",
            "State checks",
            "Memory growth",
            "Lost requests by class",
            "Environment",
        ] {
            assert!(html.contains(&format!(">{section}<")), "no {section} section");
        }
        // 2 timelines, 1 percentile plot, 1 TTH plot, 1 memory chart, 4 waterfalls
        assert_eq!(html.matches("<svg").count(), 2 + 1 + 1 + 1 + 4);
        assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"));
        insta::assert_snapshot!(html);
    }

    #[test]
    fn what_was_not_measured_says_so_and_why() {
        let page = |r| String::from_utf8(render(&Report::build(r)).unwrap()).unwrap();
        let html = page(fixture::record_without_faults());
        assert!(html.contains("badge untested"));
        assert!(html.contains("<strong>not measured</strong>: the scenario has no fault"));
        assert!(html.contains("<strong>Untested:</strong>"));
        assert!(html.contains("<li>untested: the scenario has no fault, so no recovery was measured</li>"));
        let html = page(fixture::record_without_verifications());
        assert!(html.contains("20 journey(s) never verified: trials 1, 2: no verification ran"));
    }
}
