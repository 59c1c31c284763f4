//! Trend of one scenario over its runs (history page): the score (0–100, left axis) and the
//! time-to-healthy p99 (ms, right axis), oldest run on the left. Runs without a figure
//! (broken or partial folders) leave a gap in that line.

use super::{err, headroom, PlotError, P99, SCORE, TREND_SIZE};
use plotters::prelude::*;

const CHART: &str = "trend";

/// One run of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The run's label on the x axis (its start time, or folder name).
    pub label: String,
    pub score: Option<f64>,
    pub(crate) tth_p99_ms: Option<f64>,
}

/// Consecutive runs that have a value, as separate line segments.
fn segments(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) if v.is_finite() => {
                if let Some(last) = out.last_mut() {
                    last.push((i as f64, *v));
                }
            }
            _ => out.push(Vec::new()),
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Draws the trend of `points` (oldest first).
pub fn render(points: &[TrendPoint]) -> Result<String, PlotError> {
    let n = points.len().max(1);
    let max_tth = points.iter().filter_map(|p| p.tth_p99_ms).fold(0.0f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, TREND_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err(CHART))?;
        let x = -0.5f64..(n as f64 - 0.5);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .right_y_label_area_size(64)
            .build_cartesian_2d(x.clone(), 0f64..105.0)
            .map_err(err(CHART))?
            .set_secondary_coord(x, 0f64..headroom(max_tth));
        let label_of = |x: &f64| {
            let r = x.round();
            if (x - r).abs() > 1e-6 || r < 0.0 {
                return String::new();
            }
            points.get(r as usize).map_or(String::new(), |p| p.label.clone())
        };
        chart
            .configure_mesh()
            .x_labels(n.min(8))
            .x_label_formatter(&label_of)
            .y_desc("score")
            .light_line_style(WHITE)
            .draw()
            .map_err(err(CHART))?;
        chart
            .configure_secondary_axes()
            .y_desc("time to healthy p99 (ms)")
            .draw()
            .map_err(err(CHART))?;
        let scores: Vec<Option<f64>> = points.iter().map(|p| p.score).collect();
        let tths: Vec<Option<f64>> = points.iter().map(|p| p.tth_p99_ms).collect();
        let mut labelled = false;
        for seg in segments(&scores) {
            let dots = seg
                .iter()
                .map(|p| Circle::new(*p, 4, SCORE.filled()))
                .collect::<Vec<_>>();
            let s = chart
                .draw_series(LineSeries::new(seg, SCORE.stroke_width(2)))
                .map_err(err(CHART))?;
            if !labelled {
                s.label("score")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], SCORE.stroke_width(2)));
                labelled = true;
            }
            chart.draw_series(dots).map_err(err(CHART))?;
        }
        let mut labelled = false;
        for seg in segments(&tths) {
            let dots = seg
                .iter()
                .map(|p| Rectangle::new([(p.0 - 0.04, p.1), (p.0 + 0.04, p.1)], P99.stroke_width(6)))
                .collect::<Vec<_>>();
            let s = chart
                .draw_secondary_series(LineSeries::new(seg, P99.stroke_width(2)))
                .map_err(err(CHART))?;
            if !labelled {
                s.label("time to healthy p99")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], P99.stroke_width(2)));
                labelled = true;
            }
            chart.draw_secondary_series(dots).map_err(err(CHART))?;
        }
        super::legend(&mut chart, SeriesLabelPosition::LowerLeft, CHART)?;
        root.present().map_err(err(CHART))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, score: Option<f64>, tth: Option<f64>) -> TrendPoint {
        TrendPoint {
            label: label.into(),
            score,
            tth_p99_ms: tth,
        }
    }

    #[test]
    fn draws_both_lines_over_the_runs() {
        let svg = render(&[
            point("run 1", Some(80.0), Some(1200.0)),
            point("run 2", Some(90.0), Some(900.0)),
            point("run 3", Some(88.0), Some(950.0)),
        ])
        .unwrap();
        assert!(svg.contains("score") && svg.contains("time to healthy p99"));
        assert!(
            svg.matches("<polyline").count() >= 2 + 2,
            "two lines and their legend marks"
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("run 2"));
    }

    #[test]
    fn a_broken_run_leaves_a_gap_and_a_single_run_still_draws() {
        assert_eq!(
            segments(&[Some(1.0), None, Some(2.0), Some(3.0)]),
            vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]
        );
        let svg = render(&[point("only", Some(70.0), None)]).unwrap();
        assert_eq!(svg.matches("<circle").count(), 1);
        let empty = render(&[]).unwrap();
        assert!(super::super::shapes(&empty) > 1);
    }
}
