//! What the health probes cost the app: probes per second per replica, overall and while
//! probing slowly (the rate a healthy app sees), from the probe log of each trial.

use crate::record::RunRecord;
use serde::{Deserialize, Serialize};

/// Probe traffic to one replica in one trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeLoad {
    pub trial: u32,
    pub replica: String,
    /// Probes sent (each a fresh connection and one `GET`).
    pub sent: u64,
    /// Of which sent while probing fast (first boot, and each fault until healthy again).
    pub fast_sent: u64,
    /// How long the probe loop ran, s.
    pub(crate) probing_s: f64,
    /// Of which probing fast, s.
    pub(crate) fast_s: f64,
    /// `sent / probing_s`: probes per second over the whole run.
    pub(crate) per_second: Option<f64>,
    /// Probes per second outside the fast spans: what a healthy app bears.
    pub slow_per_second: Option<f64>,
}

/// One entry per replica and trial; rates are `None` when the loop's duration is unknown
/// (records written before it was kept) or zero.
pub(crate) fn probe_load(record: &RunRecord) -> Vec<ProbeLoad> {
    let mut out = Vec::new();
    for trial in &record.trials {
        for p in &trial.probes {
            let probing_us = p.probing_us[1] - p.probing_us[0];
            let fast_us: i64 = p.fast_spans.iter().map(|[a, b]| (b - a).max(0)).sum();
            let slow_us = probing_us - fast_us;
            let rate = |n: u64, us: i64| (us > 0).then(|| n as f64 / (us as f64 / 1e6));
            out.push(ProbeLoad {
                trial: trial.index,
                replica: p.replica.clone(),
                sent: p.sent,
                fast_sent: p.fast_sent,
                probing_s: probing_us.max(0) as f64 / 1e6,
                fast_s: fast_us as f64 / 1e6,
                per_second: rate(p.sent, probing_us),
                slow_per_second: rate(p.sent.saturating_sub(p.fast_sent), slow_us),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ProbeLog;

    #[test]
    fn rates_split_fast_from_slow_probing() {
        let mut record = crate::analysis::tests::record(vec![crate::record::TrialRecord::default()]);
        record.trials[0].probes = vec![ProbeLog {
            replica: "app-0".into(),
            interval_us: 1_000,
            slow_interval_us: 1_000_000,
            // 2 s of fast probing (1500 probes) and 18 s slow (18 probes)
            sent: 1518,
            fast_sent: 1500,
            fast_spans: vec![[0, 500_000], [5_000_000, 6_500_000]],
            probing_us: [0, 20_000_000],
            transitions: Vec::new(),
        }];
        let l = &probe_load(&record)[0];
        assert_eq!((l.probing_s, l.fast_s), (20.0, 2.0));
        assert_eq!(l.per_second, Some(75.9));
        assert_eq!(l.slow_per_second, Some(1.0));
    }

    #[test]
    fn an_old_record_without_the_loop_duration_has_no_rate() {
        let mut record = crate::analysis::tests::record(vec![crate::record::TrialRecord::default()]);
        record.trials[0].probes = vec![ProbeLog {
            replica: "app-0".into(),
            sent: 10,
            ..Default::default()
        }];
        assert_eq!(probe_load(&record)[0].per_second, None);
    }
}
