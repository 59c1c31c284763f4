//! latency.hlog: the latency of successful requests as an HdrHistogram interval log (V2
//! compressed histograms, log format 1.3), readable by HdrHistogram's own tools
//! (`HistogramLogProcessor`, HdrHistogram plotters). One interval per load window of every
//! trial, values in microseconds from each request's intended send time. `BaseTime` is the
//! wall-clock origin of the first trial; each interval starts at its window's start on its
//! trial's clock, placed on the wall clock through that trial's origin.

use super::{RenderError, Report};
use crate::analysis::windows::for_each_window;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::V2DeflateSerializer;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn fail(e: impl std::fmt::Display) -> RenderError {
    RenderError::Failed {
        what: "latency.hlog",
        why: e.to_string(),
    }
}

fn unix(us: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(us.max(0) as u64)
}

/// Renders latency.hlog.
pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let rec = &report.record;
    let window_us = rec.scenario.load.window.as_micros() as i64;
    let end_us = rec.plan.load_duration.as_micros() as i64;
    let base_us = rec.trials.first().map_or(0, |t| t.origin_unix_us).max(0);
    let mut buf = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        // headers first, then the legend line the Java reader expects, then the intervals
        IntervalLogWriterBuilder::new()
            .add_comment(&format!(
                "phoenix-bench {}: latency of successful requests (µs, from the intended send time), scenario {}, run {}",
                rec.environment.phoenix_version,
                rec.scenario.name.replace(['\n', '\r'], " "),
                rec.run_id
            ))
            .add_comment("[Histogram log format version 1.3]")
            .with_start_time(unix(base_us))
            .with_base_time(unix(base_us))
            .begin_log_with(&mut buf, &mut serializer)
            .map_err(fail)?;
    }
    buf.write_all(b"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n")
        .map_err(fail)?;
    {
        let mut writer = IntervalLogWriterBuilder::new()
            .begin_log_with(&mut buf, &mut serializer)
            .map_err(fail)?;
        for trial in &rec.trials {
            let offset_us = trial.origin_unix_us.max(0) - base_us;
            let mut result = Ok(());
            for_each_window(&trial.requests, window_us, end_us, |w| {
                if result.is_ok() {
                    let start = Duration::from_micros((offset_us + w.start_us).max(0) as u64);
                    let length = Duration::from_micros(window_us.max(0) as u64);
                    result = writer.write_histogram(&w.latency, start, length, None).map(|_| ());
                }
            });
            result.map_err(fail)?;
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::Histogram;

    #[test]
    fn hlog_reads_back_with_the_percentiles_of_the_analysis() {
        let report = Report::build(fixture::record());
        let bytes = render(&report).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains("#[BaseTime: 1767268800.000 (seconds since epoch)]"),
            "{text:.400}"
        );
        let mut merged: Histogram<u64> = Histogram::new(3).unwrap();
        merged.auto(true);
        let mut deserializer = Deserializer::new();
        let mut intervals = 0;
        let mut starts = Vec::new();
        for entry in IntervalLogIterator::new(&bytes) {
            if let LogEntry::Interval(i) = entry.expect("the log parses") {
                intervals += 1;
                starts.push(i.start_timestamp().as_secs_f64());
                let raw =
                    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, i.encoded_histogram()).unwrap();
                let h: Histogram<u64> = deserializer.deserialize(&mut raw.as_slice()).unwrap();
                merged.add(&h).unwrap();
            }
        }
        // 8 s of 100 ms windows, two trials
        assert_eq!(intervals, 2 * 80);
        assert_eq!(starts[0], 0.0);
        assert!(
            (starts[80] - 10.0).abs() < 1e-9,
            "trial 2 starts 10 s later: {}",
            starts[80]
        );
        let lat = report.analysis.load.latency_ms;
        assert_eq!(merged.len(), lat.count);
        for (q, expected) in [(0.5, lat.p50), (0.9, lat.p90), (0.99, lat.p99), (0.999, lat.p999)] {
            assert_eq!(merged.value_at_quantile(q) as f64 / 1000.0, expected, "quantile {q}");
        }
        assert_eq!(merged.max() as f64 / 1000.0, lat.max);
    }
}
