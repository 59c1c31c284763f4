//! Analysis: pure functions from a `RunRecord` to the figures users quote — load totals,
//! recovery per fault, phases, windows for the charts. Nothing here touches Docker, the
//! network or the disk, so it is unit-tested on hand-made records.

pub mod audit;
pub mod burn;
pub mod checks;
pub mod contention;
pub mod floor;
pub mod memory;
pub mod phases;
pub mod probes;
pub mod read_only;
pub mod recovery;
pub mod spread;
pub mod stats;
pub mod windows;

pub use checks::CheckSummary;
pub use phases::{Phase, PhaseSummary, Span};
pub use probes::ProbeLoad;
pub use read_only::ReadOnlySummary;
pub use recovery::{Breakdown, DependencyRecovery, FaultRecovery, Lost, RecoveryStatus};
pub use stats::{DurationSummary, LatencySummary};
pub use windows::WindowStats;

use crate::record::{Outcome, RunRecord, TrialRecord};
use phases::PhaseHistograms;
use recovery::RecoveryParams;
use serde::{Deserialize, Serialize};

/// Failed requests by class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassCounts {
    pub refused: u64,
    pub(crate) reset: u64,
    pub timeout: u64,
    pub(crate) http_5xx: u64,
    pub other: u64,
    /// Not sent in time by the load generator: not the app's failure.
    #[serde(default)]
    pub client_overload: u64,
}

impl ClassCounts {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Refused => self.refused += 1,
            Outcome::Reset => self.reset += 1,
            Outcome::Timeout => self.timeout += 1,
            Outcome::Http5xx => self.http_5xx += 1,
            Outcome::Other => self.other += 1,
            Outcome::ClientOverload => self.client_overload += 1,
            Outcome::Ok => {}
        }
    }

    /// Every failed request, whatever its class.
    pub fn total(&self) -> u64 {
        self.refused + self.reset + self.timeout + self.http_5xx + self.other + self.client_overload
    }
}

/// The load over all trials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    /// Requests the plan called for (rate × duration × trials).
    pub planned: u64,
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    pub failed_by_class: ClassCounts,
    /// Latency of successful requests from their intended send time.
    pub latency_ms: LatencySummary,
    /// Schedule slip of the load generator: the worst trial's figures.
    #[serde(default)]
    pub slip_ms: SlipMs,
}

/// Largest schedule slip p99 under which the load's latency figures are the app's: above
/// it the generator's own lateness is a visible part of every latency.
pub(crate) const SLIP_P99_BOUND_MS: f64 = 5.0;

/// How late the generator sent requests after their intended time, ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SlipMs {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl LoadSummary {
    /// Why not every request of the schedule was sent, if so: losses are then unknown.
    pub(crate) fn overloaded(&self) -> Option<String> {
        (self.failed_by_class.client_overload > 0).then(|| {
            format!(
                "the load generator could not send {} request(s) within the timeout of their intended time (client_overload): raise load.max_in_flight or lower load.rate",
                self.failed_by_class.client_overload
            )
        })
    }

    /// Why the load's figures are not the app's, if they are not: the generator fell
    /// behind its schedule beyond the bound, or gave up sending some requests.
    pub(crate) fn untrustworthy(&self) -> Option<String> {
        if let Some(why) = self.overloaded() {
            Some(why)
        } else if self.slip_ms.p99 > SLIP_P99_BOUND_MS {
            Some(format!(
                "the load generator fell behind its schedule (slip p99 {:.1} ms > {SLIP_P99_BOUND_MS} ms): its own lateness is part of every latency",
                self.slip_ms.p99
            ))
        } else {
            None
        }
    }
}

/// One trial's series for the charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialSeries {
    pub index: u32,
    pub(crate) window_ms: f64,
    pub windows: Vec<WindowStats>,
    pub spans: Vec<Span>,
}

/// Everything derived from a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub load: LoadSummary,
    pub faults: Vec<FaultRecovery>,
    pub time_to_healthy_ms: DurationSummary,
    pub phases: Vec<PhaseSummary>,
    pub trials: Vec<TrialSeries>,
    /// Requests lost to faults, all trials.
    pub lost_requests: u64,
    /// 95 % bootstrap interval of the median time to healthy (2+ faults measured).
    pub(crate) time_to_healthy_median_ci95_ms: Option<(f64, f64)>,
    /// Per trial: the mean time to healthy of its faults, ms.
    pub(crate) time_to_healthy_by_trial_ms: Vec<f64>,
    /// State checks, summed over trials.
    pub checks: Vec<CheckSummary>,
    /// The statelessness audit: writes while serving, old versus fresh, findings.
    #[serde(default)]
    pub audit: audit::Audit,
    /// Health-probe traffic per replica and trial.
    #[serde(default)]
    pub probes: Vec<ProbeLoad>,
    /// Every burn: time to all healthy, services' return, state kept only by dependencies.
    #[serde(default)]
    pub(crate) burns: Vec<burn::BurnRecovery>,
    /// Memory growth per replica over the steady load.
    #[serde(default)]
    pub memory: memory::MemoryAudit,
    /// The read-only trial over every trial.
    #[serde(default)]
    pub read_only: ReadOnlySummary,
    /// The host during the loads: CPU pressure, steal, load, slip; `contended` above bounds.
    #[serde(default)]
    pub contention: contention::Contention,
    /// The platform floor, when the run measured one.
    #[serde(default)]
    pub floor: Option<floor::Floor>,
    /// The app's share of time to healthy (`faults[].app_share_ms`) over every fault
    /// with one.
    #[serde(default)]
    pub app_share_ms: DurationSummary,
}

impl Analysis {
    pub fn phase(&self, p: Phase) -> LatencySummary {
        self.phases
            .iter()
            .find(|s| s.phase == p)
            .map(|s| s.latency_ms)
            .unwrap_or_default()
    }
}

/// Analyses a run.
pub fn analyse(record: &RunRecord) -> Analysis {
    let window_us = record.scenario.load.window.as_micros() as i64;
    let end_us = record.plan.load_duration.as_micros() as i64;
    let mut load = LoadSummary {
        planned: record.scenario.load.planned_requests() * record.trials.len() as u64,
        ..Default::default()
    };
    let mut all_ok = stats::new_histogram();
    let mut phase_hists = PhaseHistograms::default();
    let mut faults = Vec::new();
    let mut trials = Vec::new();
    for trial in &record.trials {
        add_requests(&mut load, &mut all_ok, trial);
        let recs = trial_recoveries(record, trial, end_us);
        let mut sorted: Vec<&FaultRecovery> = recs.iter().collect();
        sorted.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
        let spans = phases::spans(&sorted, end_us);
        phase_hists.add_trial(trial, &spans);
        trials.push(TrialSeries {
            index: trial.index,
            window_ms: window_us as f64 / 1000.0,
            windows: windows::window_stats(&trial.requests, window_us, end_us),
            spans,
        });
        faults.extend(recs);
        let ms = |us: u64| us as f64 / 1000.0;
        let s = &mut load.slip_ms;
        s.p50 = s.p50.max(ms(trial.load_slip.p50_us));
        s.p99 = s.p99.max(ms(trial.load_slip.p99_us));
        s.max = s.max.max(ms(trial.load_slip.max_us));
    }
    load.latency_ms = LatencySummary::of(&all_ok);
    let floor = floor_shares(record, &mut faults);
    let shares: Vec<f64> = faults.iter().filter_map(|f| f.app_share_ms).collect();
    let tth: Vec<f64> = faults.iter().filter_map(|f| f.time_to_healthy_ms).collect();
    let spans: Vec<Vec<phases::Span>> = trials.iter().map(|t| t.spans.clone()).collect();
    Analysis {
        memory: memory::memory_growth(record, &spans),
        time_to_healthy_median_ci95_ms: spread::median_ci95(&tth),
        time_to_healthy_by_trial_ms: mean_tth_by_trial(record, &faults),
        checks: checks::summarise(record),
        audit: audit::audit(record),
        probes: probes::probe_load(record),
        burns: burn::burns(record, |trial, index| {
            faults
                .iter()
                .find(|f| f.trial == trial && f.index == index)
                .and_then(|f| f.time_to_healthy_ms)
        }),
        read_only: read_only::summarise(record),
        contention: contention::contention(
            record,
            load.slip_ms.p99,
            faults
                .iter()
                .filter_map(|f| f.time_to_healthy_resolution_ms)
                .reduce(f64::max),
        ),
        floor,
        app_share_ms: DurationSummary::of(&shares),
        lost_requests: faults.iter().map(|f| f.lost.total).sum(),
        load,
        time_to_healthy_ms: DurationSummary::of(&tth),
        phases: phase_hists.summaries(),
        trials,
        faults,
    }
}

/// Counts one trial's requests into the load totals, and the successful ones' latency
/// into `all_ok`.
fn add_requests(load: &mut LoadSummary, all_ok: &mut hdrhistogram::Histogram<u64>, trial: &TrialRecord) {
    for (intended, done, outcome, _) in trial.requests.raw() {
        load.sent += 1;
        if outcome.is_ok() {
            load.ok += 1;
            stats::record(all_ok, done - intended);
        } else {
            load.failed += 1;
            load.failed_by_class.add(outcome);
        }
    }
    // successful requests kept per window rather than one by one
    for w in &trial.requests.windows {
        load.sent += w.count;
        load.ok += w.count;
        all_ok
            .add(w.latency.decode())
            .expect("an auto-resizing histogram takes any other");
    }
}

/// The run's platform floor, if it measured one, after setting each fault's floor and app
/// share from it.
fn floor_shares(record: &RunRecord, faults: &mut [FaultRecovery]) -> Option<floor::Floor> {
    let floor = floor::floor(record);
    floor::dependency_shares(faults);
    if let Some(fl) = &floor {
        let delay = |trial: u32, index: usize| {
            let t = record.trials.iter().find(|t| t.index == trial);
            t.and_then(|t| t.faults.iter().find(|f| f.index == index))
                .map_or(0, |f| f.delay_us)
        };
        floor::share(faults, fl, delay);
    }
    floor
}

/// Per trial with a recovered fault: the mean time to healthy of its faults, ms.
fn mean_tth_by_trial(record: &RunRecord, faults: &[FaultRecovery]) -> Vec<f64> {
    record
        .trials
        .iter()
        .filter_map(|t| {
            let v: Vec<f64> = faults
                .iter()
                .filter(|f| f.trial == t.index)
                .filter_map(|f| f.time_to_healthy_ms)
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect()
}

fn trial_recoveries(record: &RunRecord, trial: &TrialRecord, end_us: i64) -> Vec<FaultRecovery> {
    let first_fault = trial.faults.iter().map(|f| f.issued_us).min().unwrap_or(end_us);
    let mut baseline = stats::new_histogram();
    windows::add_ok_latency(&trial.requests, i64::MIN, first_fault, &mut baseline);
    let params = RecoveryParams {
        load_window_us: record.scenario.load.window.as_micros() as i64,
        steady_window_us: record.scenario.certify.steady_window.as_micros() as i64,
        steady_tolerance: record.scenario.certify.steady_p99_tolerance,
        baseline_p99_us: (!baseline.is_empty()).then(|| baseline.value_at_quantile(0.99) as i64),
        end_us,
    };
    // each failed request belongs to one fault at most: windows end at the next fault
    let mut order: Vec<&crate::record::FaultRecord> = trial.faults.iter().collect();
    order.sort_by_key(|f| f.issued_us);
    let mut previous_end_us = i64::MIN;
    let mut out = Vec::new();
    for (k, f) in order.iter().enumerate() {
        let next_fault_us = order.get(k + 1).map(|n| n.issued_us);
        let r = recovery::recover(
            trial,
            f,
            params,
            recovery::Claim {
                previous_end_us,
                next_fault_us,
            },
        );
        let own_end = r
            .time_to_steady_ms
            .map_or(end_us, |s| f.issued_us + (s * 1000.0).round() as i64);
        previous_end_us = next_fault_us.map_or(own_end, |n| own_end.min(n));
        out.push(r);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod bounded_tests;

#[cfg(test)]
mod dependency_tests;
