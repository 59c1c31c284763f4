//! Memory of each replica over a trial (MiB against seconds of load): one line per
//! instance, one colour per replica, the faults' disruption and recovery shaded behind.
//! Sustained growth under a constant mix is the hint this chart shows.

use super::{err, headroom, phase_colour, PlotError, SMALL_SIZE};
use crate::analysis::phases::{Phase, Span};
use crate::record::MemorySeries;
use plotters::prelude::*;

const CHART: &str = "memory";
/// One colour per replica, in replica order (cycled past eight).
const REPLICA_COLOURS: [RGBColor; 8] = [
    RGBColor(40, 80, 180),
    RGBColor(200, 110, 30),
    RGBColor(46, 139, 87),
    RGBColor(150, 60, 160),
    RGBColor(0, 150, 170),
    RGBColor(170, 40, 60),
    RGBColor(110, 110, 110),
    RGBColor(130, 120, 20),
];

/// Draws `series` (one trial) for `replicas` (their order gives the colours) over
/// `[0, end_s]` seconds of load, with `spans` shaded.
pub fn render(series: &[MemorySeries], replicas: &[String], spans: &[Span], end_s: f64) -> Result<String, PlotError> {
    const MIB: f64 = 1024.0 * 1024.0;
    let max = series
        .iter()
        .flat_map(|s| s.samples.iter().map(|p| p[1] as f64 / MIB))
        .fold(0.0f64, f64::max);
    let end_s = end_s.max(1e-3);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SMALL_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err(CHART))?;
        let top = headroom(max);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..end_s, 0f64..top)
            .map_err(err(CHART))?;
        chart
            .configure_mesh()
            .x_desc("time since the load started (s)")
            .y_desc("memory (MiB)")
            .light_line_style(WHITE)
            .draw()
            .map_err(err(CHART))?;
        let shaded = spans
            .iter()
            .filter(|s| matches!(s.phase, Phase::Disruption | Phase::Recovery))
            .map(|s| {
                let (a, b) = (s.start_us as f64 / 1e6, s.end_us as f64 / 1e6);
                Rectangle::new([(a, 0.0), (b, top)], phase_colour(s.phase).mix(0.15).filled())
            });
        chart.draw_series(shaded).map_err(err(CHART))?;
        for (r, name) in replicas.iter().enumerate() {
            let colour = REPLICA_COLOURS[r % REPLICA_COLOURS.len()];
            let mut labelled = false;
            for s in series.iter().filter(|s| &s.replica == name) {
                let points: Vec<(f64, f64)> = s
                    .samples
                    .iter()
                    .filter(|p| p[0] >= 0)
                    .map(|p| (p[0] as f64 / 1e6, p[1] as f64 / MIB))
                    .collect();
                let drawn = chart
                    .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                    .map_err(err(CHART))?;
                if !labelled {
                    drawn
                        .label(name.as_str())
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2)));
                    labelled = true;
                }
            }
        }
        super::legend(&mut chart, SeriesLabelPosition::LowerRight, CHART)?;
        root.present().map_err(err(CHART))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_line_per_instance_and_survives_no_samples() {
        let s = |replica: &str, instance: &str, mib: i64| MemorySeries {
            replica: replica.into(),
            instance: instance.into(),
            samples: (0..5).map(|k| [k * 500_000, (mib + k) << 20]).collect(),
        };
        let series = [s("app-0", "a", 10), s("app-0", "b", 8), s("app-1", "c", 20)];
        let replicas = ["app-0".to_string(), "app-1".to_string()];
        let svg = render(&series, &replicas, &[], 2.0).unwrap();
        // app-0's colour on its two lines and its legend mark, app-1's on one and its mark
        assert_eq!(svg.matches("stroke=\"#2850B4\"").count(), 3, "{svg}");
        assert_eq!(svg.matches("stroke=\"#C86E1E\"").count(), 2);
        assert!(svg.contains("app-1"));
        assert!(render(&[], &replicas, &[], 0.0).is_ok());
    }
}
