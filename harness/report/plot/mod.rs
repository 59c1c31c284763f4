//! Charts, one file per chart, each a pure function returning an SVG string. Sizes and the
//! palette are named here so every chart looks like part of one report. Text is written as
//! SVG `<text>` (escaped by the backend): no system font is needed to draw.
//!
//! - [`timeline`]: requests and latency over one trial, with fault bands and recovery markers;
//! - [`percentiles`]: latency by percentile ("nines") per phase;
//! - [`tth`]: time to healthy of every fault, across trials;
//! - [`waterfall`]: one fault's recovery stages;
//! - [`trend`]: score and time to healthy over the runs of one scenario (history page).

pub mod memory;
pub mod percentiles;
pub mod timeline;
pub mod trend;
pub mod tth;
pub mod waterfall;

use plotters::style::RGBColor;

/// Default chart size in pixels.
pub(crate) const SIZE: (u32, u32) = (960, 360);
/// Size of the small per-fault charts (waterfall).
pub(crate) const SMALL_SIZE: (u32, u32) = (960, 220);
/// Size of the trend charts of the history page.
pub(crate) const TREND_SIZE: (u32, u32) = (960, 280);

/// Successful requests.
pub const OK: RGBColor = RGBColor(46, 139, 87);
/// Failed requests.
pub(crate) const FAILED: RGBColor = RGBColor(200, 50, 50);
/// p99 latency line.
pub(crate) const P99: RGBColor = RGBColor(40, 80, 180);
/// p50 latency line.
pub(crate) const P50: RGBColor = RGBColor(120, 160, 230);
/// Marker: the target became healthy (time to healthy).
pub(crate) const HEALTHY_MARK: RGBColor = RGBColor(20, 120, 60);
/// Marker: first successful request after the first failure (time to first success).
pub(crate) const FIRST_SUCCESS_MARK: RGBColor = RGBColor(0, 150, 170);
/// Marker: first steady window (time to steady).
pub(crate) const STEADY_MARK: RGBColor = RGBColor(90, 90, 90);
/// Reference lines: targets and thresholds.
pub(crate) const TARGET: RGBColor = RGBColor(200, 50, 50);
/// Secondary reference lines (percentiles).
pub(crate) const REFERENCE: RGBColor = RGBColor(110, 110, 110);
/// The score line of the trend chart.
pub(crate) const SCORE: RGBColor = RGBColor(46, 139, 87);

/// Phase colours: baseline, disruption, recovery, steady.
pub(crate) fn phase_colour(phase: crate::analysis::Phase) -> RGBColor {
    use crate::analysis::Phase;
    match phase {
        Phase::Baseline => RGBColor(40, 80, 180),
        Phase::Disruption => RGBColor(200, 50, 50),
        Phase::Recovery => RGBColor(230, 150, 30),
        Phase::Steady => RGBColor(46, 139, 87),
    }
}

/// Colours for fault kinds this module does not name; picked by a stable hash of the kind,
/// so one unknown kind always gets the same colour.
const OTHER_FAULTS: [RGBColor; 4] = [
    RGBColor(180, 90, 140),
    RGBColor(100, 140, 60),
    RGBColor(60, 150, 150),
    RGBColor(150, 120, 80),
];

/// Fault band colours by fault kind. Any kind is accepted: kinds added later get a stable
/// colour from a fallback palette.
pub(crate) fn fault_colour(kind: &str) -> RGBColor {
    match kind {
        "kill" => RGBColor(230, 120, 40),
        "stop" => RGBColor(150, 90, 200),
        "pause" => RGBColor(70, 130, 200),
        "disconnect" | "network" | "network-cut" => RGBColor(200, 170, 30),
        "scale" | "scale-down" | "remove" => RGBColor(120, 120, 120),
        "chaos" => RGBColor(200, 60, 120),
        other => {
            let h = other
                .bytes()
                .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
            OTHER_FAULTS[h % OTHER_FAULTS.len()]
        }
    }
}

/// A chart error, as text (plotters' error types are generic over the backend).
#[derive(Debug, thiserror::Error)]
#[error("drawing the {chart} chart failed: {why}")]
pub struct PlotError {
    pub chart: &'static str,
    pub why: String,
}

pub(crate) fn err<E: std::fmt::Display>(chart: &'static str) -> impl Fn(E) -> PlotError {
    move |e| PlotError {
        chart,
        why: e.to_string(),
    }
}

/// Upper bound of an axis holding `max`: a little headroom, never an empty range.
pub(crate) fn headroom(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.1
    } else {
        1.0
    }
}

/// Counts the drawn shapes of an SVG (paths, polylines, rects, circles, lines, polygons),
/// for tests that assert a chart drew something beyond its background.
#[cfg(test)]
pub(crate) fn shapes(svg: &str) -> usize {
    ["<path", "<polyline", "<rect", "<circle", "<line", "<polygon"]
        .iter()
        .map(|t| svg.matches(t).count())
        .sum()
}

/// Draws the series legend in the report's one style.
pub(crate) fn legend<'a, DB, CT>(
    chart: &mut plotters::chart::ChartContext<'a, DB, CT>,
    at: plotters::chart::SeriesLabelPosition,
    name: &'static str,
) -> Result<(), PlotError>
where
    DB: plotters::prelude::DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    use plotters::style::{Color, BLACK, WHITE};
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(err(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_kind_gets_a_colour_and_unknown_kinds_a_stable_one() {
        assert_ne!(fault_colour("kill"), fault_colour("stop"));
        assert_ne!(fault_colour("pause"), fault_colour("kill"));
        assert_eq!(fault_colour("some-new-kind"), fault_colour("some-new-kind"));
        let _ = fault_colour("");
        let _ = fault_colour("<script>");
    }
}
