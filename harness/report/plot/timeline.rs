//! Timeline of one trial: successful and failed requests per window (stacked), p50 and p99
//! latency on the right axis, every fault as a shaded band from its instant to healthy
//! (coloured by kind), and markers at time to healthy, first success and steady.

use super::{err, fault_colour, PlotError, FAILED, FIRST_SUCCESS_MARK, HEALTHY_MARK, OK, P50, P99, SIZE, STEADY_MARK};
use crate::analysis::{FaultRecovery, TrialSeries};
use plotters::prelude::*;

const CHART: &str = "timeline";

/// A recovery marker: its legend name, its colour, and its delay after the fault instant.
type Marker = (&'static str, RGBColor, fn(&FaultRecovery) -> Option<f64>);

/// Both axes in seconds; requests on the left, latency (ms) on the right.
type Xy = plotters::coord::cartesian::Cartesian2d<
    plotters::coord::types::RangedCoordf64,
    plotters::coord::types::RangedCoordf64,
>;
/// The timeline's chart: requests per window, with a secondary latency axis.
type Chart<'a, 'b> = plotters::chart::DualCoordChartContext<'a, SVGBackend<'b>, Xy, Xy>;

/// Draws the timeline of `series` with the bands of `faults` (those of this trial).
pub fn render(series: &TrialSeries, faults: &[&FaultRecovery]) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err(CHART))?;
        let w = series.window_ms / 1000.0;
        let end = series.windows.last().map_or(1.0, |l| l.start_ms / 1000.0 + w);
        let max_count = series.windows.iter().map(|x| x.ok + x.failed).max().unwrap_or(1).max(1) as f64 * 1.1;
        let max_lat = series.windows.iter().map(|x| x.p99_ms).fold(1.0f64, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .right_y_label_area_size(56)
            .build_cartesian_2d(0f64..end, 0f64..max_count)
            .map_err(err(CHART))?
            .set_secondary_coord(0f64..end, 0f64..max_lat);
        chart
            .configure_mesh()
            .x_desc("seconds since the load started")
            .y_desc(format!("requests per {:.0} ms", series.window_ms))
            .light_line_style(WHITE)
            .draw()
            .map_err(err(CHART))?;
        chart
            .configure_secondary_axes()
            .y_desc("latency (ms)")
            .draw()
            .map_err(err(CHART))?;
        // drawn in this order: later layers cover earlier ones
        draw_requests(&mut chart, series)?;
        draw_bands(&mut chart, faults, w, end, max_count)?;
        draw_markers(&mut chart, faults, end, max_count)?;
        draw_latency(&mut chart, series)?;
        super::legend(&mut chart, SeriesLabelPosition::UpperRight, CHART)?;
        root.present().map_err(err(CHART))?;
    }
    Ok(svg)
}

/// The requests per window as stacked areas: all of them in the failed colour, the
/// successful ones over it.
fn draw_requests(chart: &mut Chart<'_, '_>, series: &TrialSeries) -> Result<(), PlotError> {
    let w = series.window_ms / 1000.0;
    let steps = |value: &dyn Fn(&crate::analysis::WindowStats) -> f64| {
        series
            .windows
            .iter()
            .flat_map(|x| {
                let s = x.start_ms / 1000.0;
                [(s, value(x)), (s + w, value(x))]
            })
            .collect::<Vec<_>>()
    };
    let total = steps(&|x| (x.ok + x.failed) as f64);
    let ok = steps(&|x| x.ok as f64);
    chart
        .draw_series(AreaSeries::new(total, 0.0, FAILED.mix(0.9)).border_style(FAILED))
        .map_err(err(CHART))?
        .label("failed")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], FAILED.filled()));
    chart
        .draw_series(AreaSeries::new(ok, 0.0, OK.mix(0.9)).border_style(OK))
        .map_err(err(CHART))?
        .label("ok")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], OK.filled()));
    Ok(())
}

/// Fault bands over the request areas, translucent, under the latency lines: from the
/// fault instant to healthy (to the end when it never recovered).
fn draw_bands(
    chart: &mut Chart<'_, '_>,
    faults: &[&FaultRecovery],
    w: f64,
    end: f64,
    max_count: f64,
) -> Result<(), PlotError> {
    for f in faults {
        let start = f.at_ms / 1000.0;
        let stop = f.healthy_offset_ms().map_or(end, |h| (f.at_ms + h) / 1000.0);
        let colour = fault_colour(&f.kind);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(start, 0.0), (stop.max(start + w / 4.0), max_count)],
                colour.mix(0.35).filled(),
            )))
            .map_err(err(CHART))?
            .label(format!("{} {} then {}", f.kind, f.target, f.action))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.mix(0.4).filled()));
    }
    Ok(())
}

/// Recovery markers: a vertical line per fault and stage, one legend entry per stage.
fn draw_markers(
    chart: &mut Chart<'_, '_>,
    faults: &[&FaultRecovery],
    end: f64,
    max_count: f64,
) -> Result<(), PlotError> {
    let markers: [Marker; 3] = [
        ("healthy", HEALTHY_MARK, |f| f.time_to_healthy_ms),
        ("first success", FIRST_SUCCESS_MARK, |f| f.time_to_first_success_ms),
        ("steady", STEADY_MARK, |f| f.time_to_steady_ms),
    ];
    for (name, colour, at) in markers {
        let xs: Vec<f64> = faults
            .iter()
            .filter_map(|f| at(f).map(|d| (f.at_ms + d) / 1000.0))
            .filter(|x| *x <= end)
            .collect();
        if xs.is_empty() {
            continue;
        }
        chart
            .draw_series(xs.iter().flat_map(|&x| {
                [
                    PathElement::new([(x, 0.0), (x, max_count)], colour.stroke_width(2)).into_dyn(),
                    TriangleMarker::new((x, max_count * 0.97), 6, colour.filled()).into_dyn(),
                ]
            }))
            .map_err(err(CHART))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x + 7, y - 6), (x + 7, y + 6)], colour.stroke_width(2)));
    }
    Ok(())
}

/// p50 and p99 latency on the right axis, at the middle of each window with a success.
fn draw_latency(chart: &mut Chart<'_, '_>, series: &TrialSeries) -> Result<(), PlotError> {
    let w = series.window_ms / 1000.0;
    let line = |value: &dyn Fn(&crate::analysis::WindowStats) -> f64| {
        series
            .windows
            .iter()
            .filter(|x| x.ok > 0)
            .map(|x| (x.start_ms / 1000.0 + w / 2.0, value(x)))
            .collect::<Vec<_>>()
    };
    chart
        .draw_secondary_series(LineSeries::new(line(&|x| x.p50_ms), P50.stroke_width(1)))
        .map_err(err(CHART))?
        .label("p50 latency")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], P50.stroke_width(2)));
    chart
        .draw_secondary_series(LineSeries::new(line(&|x| x.p99_ms), P99.stroke_width(2)))
        .map_err(err(CHART))?
        .label("p99 latency")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], P99.stroke_width(2)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Breakdown, Lost, WindowStats};

    #[test]
    fn draws_bars_lines_and_a_band() {
        let windows = (0..50)
            .map(|k| WindowStats {
                start_ms: k as f64 * 100.0,
                ok: if (20..30).contains(&k) { 0 } else { 20 },
                failed: if (20..30).contains(&k) { 20 } else { 0 },
                p50_ms: 1.0,
                p99_ms: 2.0,
            })
            .collect();
        let series = TrialSeries {
            index: 0,
            window_ms: 100.0,
            windows,
            spans: vec![],
        };
        let f = FaultRecovery {
            trial: 0,
            index: 0,
            kind: "kill".into(),
            action: "restart".into(),
            target: "app-0".into(),
            at_ms: 2000.0,
            recovery: crate::analysis::RecoveryStatus::Recovered,
            time_to_healthy_ms: Some(1000.0),
            time_to_healthy_resolution_ms: None,
            floor_ms: None,
            app_share_ms: None,
            dependency: None,
            requests_in_disruption: 200,
            time_to_first_success_ms: Some(300.0),
            time_to_steady_ms: Some(1500.0),
            lost: Lost::default(),
            breakdown: Breakdown::default(),
            notes: vec![],
            error: None,
        };
        let svg = render(&series, &[&f]).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("kill app-0 then restart"));
        assert!(svg.contains("<polyline") || svg.contains("<path"), "no series drawn");
        assert!(svg.matches("<rect").count() > 3);
        for marker in ["healthy", "first success", "steady"] {
            assert!(svg.contains(marker), "no {marker} marker in the legend");
        }
    }
}
