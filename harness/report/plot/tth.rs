//! Time to healthy across trials: a strip plot with one dot per recovered fault (one row per
//! trial, coloured by fault kind), vertical lines at p50 and p99 of all faults, and the
//! scenario's target.

use super::{err, fault_colour, headroom, PlotError, REFERENCE, SMALL_SIZE, TARGET};
use crate::analysis::{DurationSummary, FaultRecovery, RecoveryStatus};
use plotters::prelude::*;

const CHART: &str = "time to healthy";

/// Draws every fault's time to healthy; `trials` is the number of trials (rows).
pub fn render(
    faults: &[FaultRecovery],
    summary: &DurationSummary,
    target_ms: f64,
    trials: u32,
) -> Result<String, PlotError> {
    let rows = trials.max(1);
    let max_ms = faults
        .iter()
        .filter_map(|f| f.time_to_healthy_ms)
        .fold(target_ms, f64::max);
    let x_hi = headroom(max_ms);
    let mut svg = String::new();
    {
        let (w, h) = SMALL_SIZE;
        let height = h + 24 * rows.saturating_sub(2).min(20);
        let root = SVGBackend::with_string(&mut svg, (w, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err(CHART))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_hi, -0.5f64..(rows as f64 - 0.5))
            .map_err(err(CHART))?;
        chart
            .configure_mesh()
            .x_desc("time to healthy (ms)")
            .y_labels(rows as usize)
            .y_label_formatter(&|y| {
                let r = y.round();
                if (y - r).abs() < 1e-6 && r >= 0.0 {
                    format!("trial {}", r as u32 + 1)
                } else {
                    String::new()
                }
            })
            .light_line_style(WHITE)
            .draw()
            .map_err(err(CHART))?;
        let vline = |x: f64, colour: RGBColor, width: u32| {
            PathElement::new([(x, -0.5), (x, rows as f64 - 0.5)], colour.stroke_width(width))
        };
        chart
            .draw_series(std::iter::once(vline(target_ms, TARGET, 2)))
            .map_err(err(CHART))?
            .label(format!("target {target_ms:.0} ms"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], TARGET.stroke_width(2)));
        for (name, value) in [("p50", summary.p50), ("p99", summary.p99)] {
            if let Some(v) = value {
                chart
                    .draw_series(std::iter::once(vline(v, REFERENCE, 1)))
                    .map_err(err(CHART))?
                    .label(format!("{name} {v:.0} ms"))
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], REFERENCE.stroke_width(1)));
            }
        }
        // a little vertical spread inside a row, by fault index, so equal times stay visible
        let dots = faults.iter().filter_map(|f| {
            let tth = f.time_to_healthy_ms?;
            let jitter = ((f.index % 5) as f64 - 2.0) * 0.08;
            Some(Circle::new(
                (tth, f.trial.min(rows - 1) as f64 + jitter),
                5,
                fault_colour(&f.kind).filled(),
            ))
        });
        chart.draw_series(dots).map_err(err(CHART))?;
        let count = |s: RecoveryStatus| faults.iter().filter(|f| f.recovery == s).count();
        let (unrecovered, unobserved) = (count(RecoveryStatus::NotRecovered), count(RecoveryStatus::NotObserved));
        if faults.is_empty() || unrecovered > 0 || unobserved > 0 {
            let text = if faults.is_empty() {
                "no fault in this run".to_string()
            } else if unobserved == 0 {
                format!("{unrecovered} fault(s) never became healthy (not drawn)")
            } else if unrecovered == 0 {
                format!("{unobserved} fault(s) not observed by the probe (not drawn)")
            } else {
                format!("{unrecovered} fault(s) never became healthy, {unobserved} not observed (not drawn)")
            };
            root.draw(&Text::new(
                text,
                (90, 16),
                ("sans-serif", 14).into_font().color(&TARGET),
            ))
            .map_err(err(CHART))?;
        }
        super::legend(&mut chart, SeriesLabelPosition::UpperRight, CHART)?;
        root.present().map_err(err(CHART))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Breakdown, Lost, RecoveryStatus};

    pub(crate) fn fault(trial: u32, index: usize, kind: &str, tth: Option<f64>) -> FaultRecovery {
        FaultRecovery {
            trial,
            index,
            kind: kind.into(),
            action: "replace".into(),
            target: "app-0".into(),
            at_ms: 2000.0,
            recovery: if tth.is_some() {
                RecoveryStatus::Recovered
            } else {
                RecoveryStatus::NotRecovered
            },
            time_to_healthy_ms: tth,
            time_to_healthy_resolution_ms: None,
            floor_ms: None,
            app_share_ms: None,
            dependency: None,
            requests_in_disruption: 0,
            time_to_first_success_ms: None,
            time_to_steady_ms: None,
            lost: Lost::default(),
            breakdown: Breakdown::default(),
            notes: vec![],
            error: None,
        }
    }

    #[test]
    fn draws_a_dot_per_recovered_fault_and_the_reference_lines() {
        let faults = vec![
            fault(0, 0, "kill", Some(800.0)),
            fault(0, 1, "stop", Some(1200.0)),
            fault(1, 0, "kill", Some(900.0)),
            fault(1, 1, "pause", None),
        ];
        let tth: Vec<f64> = faults.iter().filter_map(|f| f.time_to_healthy_ms).collect();
        let svg = render(&faults, &DurationSummary::of(&tth), 2000.0, 2).unwrap();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("target 2000 ms") && svg.contains("p99"));
        assert!(svg.contains("1 fault(s) never became healthy"));
        assert!(svg.contains("trial 2"));
    }

    #[test]
    fn no_fault_draws_an_empty_chart_with_a_note() {
        let svg = render(&[], &DurationSummary::default(), 5000.0, 1).unwrap();
        assert!(svg.contains("no fault in this run"));
        assert!(super::super::shapes(&svg) > 1);
    }
}
