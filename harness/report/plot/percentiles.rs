//! Latency by percentile, one line per phase, in the "nines" manner: the x axis is
//! log10(1 / (1 − p)), so 50 %, 90 %, 99 %, 99.9 % and 99.99 % are evenly spaced and the
//! tail is as visible as the median.

use super::{err, headroom, phase_colour, PlotError, SIZE};
use crate::analysis::PhaseSummary;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use std::ops::Range;

const CHART: &str = "latency percentiles";

/// Position of percentile `p` (in %) on the nines axis.
fn nines(p: f64) -> f64 {
    -(1.0 - p / 100.0).max(1e-9).log10()
}

/// The label of a position on the nines axis.
fn label(x: f64) -> String {
    let p = (1.0 - 10f64.powf(-x)) * 100.0;
    let s = format!("{p:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} %")
}

/// The x axis: linear in log10(1 / (1 − p)), with its ticks at 50 %, 90 %, 99 %, ...
struct NinesAxis(Range<f64>);

impl Ranged for NinesAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = (self.0.end - self.0.start).max(1e-9);
        let f = (value - self.0.start) / span;
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        let mut points = vec![self.0.start];
        let mut n = self.0.start.floor() + 1.0;
        while n <= self.0.end + 1e-9 {
            points.push(n);
            n += 1.0;
        }
        points
    }

    fn range(&self) -> Range<f64> {
        self.0.clone()
    }
}

/// Draws the percentile curve of each phase that has requests.
pub fn render(phases: &[PhaseSummary]) -> Result<String, PlotError> {
    let drawn: Vec<&PhaseSummary> = phases.iter().filter(|p| !p.curve.is_empty()).collect();
    let max_ms = drawn
        .iter()
        .flat_map(|p| p.curve.iter().map(|c| c.1))
        .fold(0.0f64, f64::max);
    let x_lo = nines(50.0);
    let x_hi = crate::analysis::phases::CURVE_MAX_NINES;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err(CHART))?;
        let x = NinesAxis(x_lo..x_hi);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x, 0f64..headroom(max_ms))
            .map_err(err(CHART))?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_label_formatter(&|x| label(*x))
            .light_line_style(WHITE)
            .draw()
            .map_err(err(CHART))?;
        for p in &drawn {
            let colour = phase_colour(p.phase);
            chart
                .draw_series(LineSeries::new(
                    p.curve.iter().map(|(pct, ms)| (nines(*pct), *ms)),
                    colour.stroke_width(2),
                ))
                .map_err(err(CHART))?
                .label(format!("{} ({} requests)", p.phase.as_str(), p.latency_ms.count))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2)));
        }
        if drawn.is_empty() {
            root.draw(&Text::new(
                "no successful request: nothing to plot",
                (SIZE.0 as i32 / 2 - 120, SIZE.1 as i32 / 2),
                ("sans-serif", 16).into_font(),
            ))
            .map_err(err(CHART))?;
        } else {
            super::legend(&mut chart, SeriesLabelPosition::UpperLeft, CHART)?;
        }
        root.present().map_err(err(CHART))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::phases::percentile_curve;
    use crate::analysis::stats::{new_histogram, record, LatencySummary};
    use crate::analysis::Phase;

    fn phase(phase: Phase, scale_us: i64) -> PhaseSummary {
        let mut h = new_histogram();
        for i in 1..=10_000 {
            record(&mut h, scale_us + i * scale_us / 1000);
        }
        PhaseSummary {
            phase,
            latency_ms: LatencySummary::of(&h),
            curve: percentile_curve(&h),
        }
    }

    #[test]
    fn draws_one_line_per_phase_with_requests() {
        let phases = vec![
            phase(Phase::Baseline, 1_000),
            phase(Phase::Disruption, 20_000),
            PhaseSummary {
                phase: Phase::Recovery,
                latency_ms: LatencySummary::default(),
                curve: vec![],
            },
            phase(Phase::Steady, 1_200),
        ];
        let svg = render(&phases).unwrap();
        assert!(svg.starts_with("<svg"));
        let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        for p in [Phase::Baseline, Phase::Disruption, Phase::Steady] {
            assert!(svg.contains(&hex(phase_colour(p))), "no {} line", p.as_str());
        }
        assert!(!svg.contains(&hex(phase_colour(Phase::Recovery))));
        assert!(svg.contains("disruption (10000 requests)"));
        assert!(!svg.contains("recovery ("), "a phase without requests is not drawn");
        assert!(svg.contains("99.99 %") && svg.contains("50 %"));
    }

    #[test]
    fn no_requests_at_all_still_draws_axes_and_says_so() {
        let svg = render(&[]).unwrap();
        assert!(svg.contains("nothing to plot"));
        assert!(super::super::shapes(&svg) > 1);
    }

    #[test]
    fn axis_labels_are_percentiles() {
        assert_eq!(label(2.0), "99 %");
        assert_eq!(label(4.0), "99.99 %");
        assert_eq!(label(nines(50.0)), "50 %");
    }
}
