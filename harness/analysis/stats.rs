//! Latency histograms and their summaries. Latencies are recorded in microseconds into
//! HdrHistograms (3 significant digits) and reported in milliseconds.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

// the recorder fills histograms the same way, so both live with the record
pub use crate::record::{new_histogram, record_latency as record};

/// Percentiles of a latency histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: f64,
    pub(crate) p90: f64,
    pub p99: f64,
    pub(crate) p999: f64,
    pub max: f64,
}

impl LatencySummary {
    pub fn of(h: &Histogram<u64>) -> LatencySummary {
        if h.is_empty() {
            return LatencySummary::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        LatencySummary {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// p50, p99 and max of a set of durations in milliseconds (e.g. time to healthy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DurationSummary {
    pub count: u64,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl DurationSummary {
    /// Summarises through an HdrHistogram, so the percentiles match those of other tools.
    pub fn of(values_ms: &[f64]) -> DurationSummary {
        let mut h = new_histogram();
        for v in values_ms {
            record(&mut h, (v * 1000.0).round() as i64);
        }
        if h.is_empty() {
            return DurationSummary::default();
        }
        let ms = |us: u64| (us as f64 / 1000.0 * 1000.0).round() / 1000.0;
        DurationSummary {
            count: h.len(),
            p50: Some(ms(h.value_at_quantile(0.5))),
            p99: Some(ms(h.value_at_quantile(0.99))),
            max: Some(ms(h.max())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_latencies() {
        let mut h = new_histogram();
        for us in 1..=1000 {
            record(&mut h, us * 1000);
        }
        let s = LatencySummary::of(&h);
        assert_eq!(s.count, 1000);
        assert!((s.p50 - 500.0).abs() < 1.0, "{s:?}");
        assert!((s.p99 - 990.0).abs() < 1.0, "{s:?}");
        assert!((s.max - 1000.0).abs() < 1.0, "{s:?}");
    }

    #[test]
    fn empty_summaries_are_zero_or_none() {
        assert_eq!(LatencySummary::of(&new_histogram()).count, 0);
        assert_eq!(DurationSummary::of(&[]).p99, None);
    }

    #[test]
    fn duration_summary_keeps_millisecond_precision() {
        let s = DurationSummary::of(&[1050.0, 1100.0, 1210.0]);
        assert_eq!(s.count, 3);
        assert!((s.max.unwrap() - 1210.0).abs() < 1.0);
        assert!((s.p50.unwrap() - 1100.0).abs() < 1.0);
    }
}
