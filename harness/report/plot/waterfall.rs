//! Recovery breakdown of one fault as a waterfall: one row per stage (exited, restart
//! issued, running, accepting, healthy), each bar from the previous stage to this one, in
//! ms after the fault instant. Tells the app's own start-up cost from the platform's.

use super::{err, fault_colour, headroom, PlotError, HEALTHY_MARK, SMALL_SIZE};
use crate::analysis::{Breakdown, FaultRecovery};
use plotters::prelude::*;

const CHART: &str = "recovery waterfall";

/// The stages, in order, with their labels.
pub(crate) const STAGES: [&str; 5] = ["exited", "restart issued", "running", "accepting", "healthy"];

fn stage_values(b: &Breakdown) -> [Option<f64>; 5] {
    [b.exit, b.restart_issued, b.running, b.accepting, b.healthy]
}

/// Draws the waterfall of one fault.
pub fn render(fault: &FaultRecovery) -> Result<String, PlotError> {
    let values = stage_values(&fault.breakdown);
    let max_ms = values.iter().flatten().fold(0.0f64, |a, b| a.max(*b));
    let rows = STAGES.len() as f64;
    let colour = fault_colour(&fault.kind);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SMALL_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err(CHART))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(110)
            .build_cartesian_2d(0f64..headroom(max_ms), -0.5f64..(rows - 0.5))
            .map_err(err(CHART))?;
        chart
            .configure_mesh()
            .x_desc("ms after the fault")
            .y_labels(STAGES.len())
            .y_label_formatter(&|y| {
                let r = y.round();
                if (y - r).abs() > 1e-6 || r < 0.0 {
                    return String::new();
                }
                // row 0 at the top
                STAGES
                    .get(STAGES.len().saturating_sub(1 + r as usize))
                    .map_or(String::new(), |s| s.to_string())
            })
            .light_line_style(WHITE)
            .draw()
            .map_err(err(CHART))?;
        let row_y = |i: usize| rows - 1.0 - i as f64;
        let mut previous = 0.0f64;
        let mut bars = Vec::new();
        let mut labels = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let y = row_y(i);
            match v {
                Some(v) => {
                    let (from, to) = (previous.min(*v), previous.max(*v));
                    let to = to.max(from + max_ms.max(1.0) / 400.0); // a zero-length stage stays visible
                    let fill = if i == STAGES.len() - 1 { HEALTHY_MARK } else { colour };
                    bars.push(Rectangle::new([(from, y - 0.3), (to, y + 0.3)], fill.mix(0.8).filled()));
                    labels.push(Text::new(
                        format!("{v:.0} ms"),
                        (to, y + 0.1),
                        ("sans-serif", 12).into_font(),
                    ));
                    previous = previous.max(*v);
                }
                None => labels.push(Text::new(
                    "not observed".to_string(),
                    (previous, y + 0.1),
                    ("sans-serif", 12).into_font().color(&RGBColor(120, 120, 120)),
                )),
            }
        }
        chart.draw_series(bars).map_err(err(CHART))?;
        chart.draw_series(labels).map_err(err(CHART))?;
        root.present().map_err(err(CHART))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Lost;

    fn fault(b: Breakdown) -> FaultRecovery {
        FaultRecovery {
            trial: 0,
            index: 0,
            kind: "kill".into(),
            action: "replace".into(),
            target: "app-0".into(),
            at_ms: 2000.0,
            recovery: if b.healthy.is_some() {
                crate::analysis::RecoveryStatus::Recovered
            } else {
                crate::analysis::RecoveryStatus::NotRecovered
            },
            time_to_healthy_ms: b.healthy,
            time_to_healthy_resolution_ms: None,
            floor_ms: None,
            app_share_ms: None,
            dependency: None,
            requests_in_disruption: 0,
            time_to_first_success_ms: None,
            time_to_steady_ms: None,
            lost: Lost::default(),
            breakdown: b,
            notes: vec![],
            error: None,
        }
    }

    #[test]
    fn draws_a_bar_per_observed_stage() {
        let svg = render(&fault(Breakdown {
            exit: Some(3.0),
            restart_issued: Some(5.0),
            running: Some(180.0),
            accepting: Some(950.0),
            healthy: Some(960.0),
        }))
        .unwrap();
        // the background and 5 bars at least
        assert!(svg.matches("<rect").count() > 5, "{svg}");
        assert!(svg.contains("960 ms") && svg.contains("restart issued"));
    }

    #[test]
    fn missing_stages_are_labelled_not_observed() {
        let svg = render(&fault(Breakdown {
            exit: Some(2.0),
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(svg.matches("not observed").count(), 4);
        assert!(super::super::shapes(&svg) > 2);
    }
}
