//! Charts, one file per chart, each a pure function returning an SVG string. Sizes and the
//! palette are named here so every chart looks like part of one report.

pub mod timeline;

use plotters::style::RGBColor;

/// Default chart size in pixels.
pub const SIZE: (u32, u32) = (960, 360);

/// Successful requests.
pub const OK: RGBColor = RGBColor(46, 139, 87);
/// Failed requests.
pub const FAILED: RGBColor = RGBColor(200, 50, 50);
/// p99 latency line.
pub const P99: RGBColor = RGBColor(40, 80, 180);
/// p50 latency line.
pub const P50: RGBColor = RGBColor(120, 160, 230);
/// Fault band colours by fault kind.
pub fn fault_colour(kind: &str) -> RGBColor {
    match kind {
        "kill" => RGBColor(230, 120, 40),
        "stop" => RGBColor(150, 90, 200),
        _ => RGBColor(128, 128, 128),
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
