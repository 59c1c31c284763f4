//! Phases of a trial — baseline, disruption, recovery, steady — and the latency of
//! successful requests in each, merged across faults and trials.

use super::recovery::FaultRecovery;
use super::stats::{new_histogram, LatencySummary};
use super::windows::add_ok_latency;
use crate::record::TrialRecord;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the first fault.
    Baseline,
    /// Fault instant to healthy.
    Disruption,
    /// Healthy to steady.
    Recovery,
    /// Steady after a recovery.
    Steady,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Baseline, Phase::Disruption, Phase::Recovery, Phase::Steady];

    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Baseline => "baseline",
            Phase::Disruption => "disruption",
            Phase::Recovery => "recovery",
            Phase::Steady => "steady",
        }
    }
}

/// A span of one phase, µs on the trial clock, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub phase: Phase,
    pub(crate) start_us: i64,
    pub(crate) end_us: i64,
}

/// Splits [0, end) into phases from the faults' recoveries (sorted by fault instant).
pub fn spans(recoveries: &[&FaultRecovery], end_us: i64) -> Vec<Span> {
    let mut out = Vec::new();
    let mut cursor = 0i64;
    let mut after = Phase::Baseline;
    let us = |ms: f64| (ms * 1000.0).round() as i64;
    for r in recoveries {
        let t_f = us(r.at_ms).min(end_us);
        if t_f < cursor {
            continue; // overlapping faults: keep the earlier fault's spans
        }
        out.push(Span {
            phase: after,
            start_us: cursor,
            end_us: t_f,
        });
        let healthy = r.healthy_offset_ms().map_or(end_us, |h| (t_f + us(h)).min(end_us));
        out.push(Span {
            phase: Phase::Disruption,
            start_us: t_f,
            end_us: healthy,
        });
        let steady = r
            .time_to_steady_ms
            .map_or(end_us, |s| (t_f + us(s)).min(end_us).max(healthy));
        out.push(Span {
            phase: Phase::Recovery,
            start_us: healthy,
            end_us: steady,
        });
        cursor = steady;
        after = Phase::Steady;
    }
    out.push(Span {
        phase: after,
        start_us: cursor,
        end_us: end_us.max(cursor),
    });
    out.retain(|s| s.end_us > s.start_us);
    out
}

/// Latency histograms per phase, accumulated over trials.
#[derive(Debug, Clone)]
pub(crate) struct PhaseHistograms {
    pub(crate) by_phase: Vec<(Phase, Histogram<u64>)>,
}

impl Default for PhaseHistograms {
    fn default() -> Self {
        PhaseHistograms {
            by_phase: Phase::ALL.iter().map(|p| (*p, new_histogram())).collect(),
        }
    }
}

impl PhaseHistograms {
    /// Adds a trial's successful requests to the histogram of the phase of their intended
    /// time (see [`add_ok_latency`] for requests kept per window).
    pub(crate) fn add_trial(&mut self, trial: &TrialRecord, spans: &[Span]) {
        for span in spans {
            if let Some((_, h)) = self.by_phase.iter_mut().find(|(p, _)| *p == span.phase) {
                add_ok_latency(&trial.requests, span.start_us, span.end_us, h);
            }
        }
    }

    pub(crate) fn summaries(&self) -> Vec<PhaseSummary> {
        self.by_phase
            .iter()
            .map(|(p, h)| PhaseSummary {
                phase: *p,
                latency_ms: LatencySummary::of(h),
                curve: percentile_curve(h),
            })
            .collect()
    }
}

/// Latency of one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    pub phase: Phase,
    pub latency_ms: LatencySummary,
    /// The percentile curve for the "nines" plot: (percentile in %, latency in ms), from
    /// 50 % to 99.99 %, evenly spaced on a log axis of 1 / (1 − p). Empty without requests.
    #[serde(default)]
    pub(crate) curve: Vec<(f64, f64)>,
}

/// Highest percentile of the curve: 99.99 %, i.e. 10^4 on the 1 / (1 − p) axis.
pub(crate) const CURVE_MAX_NINES: f64 = 4.0;
/// Points per decade of 1 / (1 − p).
const CURVE_STEPS_PER_DECADE: usize = 10;

/// Percentiles from 50 % to 99.99 %, `CURVE_STEPS_PER_DECADE` per decade of 1 / (1 − p).
pub(crate) fn curve_percentiles() -> Vec<f64> {
    let start = 2f64.log10(); // 1 / (1 - 0.5)
    let n = ((CURVE_MAX_NINES - start) * CURVE_STEPS_PER_DECADE as f64).ceil() as usize;
    (0..=n)
        .map(|k| (start + k as f64 / CURVE_STEPS_PER_DECADE as f64).min(CURVE_MAX_NINES))
        .map(|nines| (1.0 - 10f64.powf(-nines)) * 100.0)
        .collect()
}

/// The percentile curve of a latency histogram (µs), in ms.
pub(crate) fn percentile_curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    curve_percentiles()
        .into_iter()
        .map(|p| (p, h.value_at_percentile(p) as f64 / 1000.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::recovery::{Breakdown, Lost, RecoveryStatus};
    use crate::analysis::stats::record;

    fn rec(at_ms: f64, tth: Option<f64>, tts: Option<f64>) -> FaultRecovery {
        FaultRecovery {
            trial: 0,
            index: 0,
            kind: "kill".into(),
            action: "restart".into(),
            target: "app-0".into(),
            at_ms,
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
            time_to_steady_ms: tts,
            lost: Lost::default(),
            breakdown: Breakdown::default(),
            notes: vec![],
            error: None,
        }
    }

    #[test]
    fn one_fault_gives_four_phases_in_order() {
        let r = rec(5000.0, Some(1000.0), Some(1500.0));
        let s = spans(&[&r], 20_000_000);
        let phases: Vec<_> = s.iter().map(|s| (s.phase, s.start_us, s.end_us)).collect();
        assert_eq!(
            phases,
            vec![
                (Phase::Baseline, 0, 5_000_000),
                (Phase::Disruption, 5_000_000, 6_000_000),
                (Phase::Recovery, 6_000_000, 6_500_000),
                (Phase::Steady, 6_500_000, 20_000_000),
            ]
        );
    }

    #[test]
    fn percentile_curve_spans_fifty_to_four_nines_and_rises() {
        let mut h = new_histogram();
        for us in 1..=100_000 {
            record(&mut h, us);
        }
        let c = percentile_curve(&h);
        assert!((c[0].0 - 50.0).abs() < 1e-9, "{:?}", c[0]);
        assert!((c.last().unwrap().0 - 99.99).abs() < 1e-9);
        assert!((c[0].1 - 50.0).abs() < 0.1, "p50 of 1..100 ms is 50 ms: {:?}", c[0]);
        assert!(c.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 >= w[0].1));
        assert!(percentile_curve(&new_histogram()).is_empty());
    }

    #[test]
    fn unrecovered_fault_is_disruption_to_the_end() {
        let r = rec(5000.0, None, None);
        let s = spans(&[&r], 10_000_000);
        assert_eq!(s.last().unwrap().phase, Phase::Disruption);
        assert_eq!(s.last().unwrap().end_us, 10_000_000);
    }
}
