//! Was the host busy enough to move the figures? From the host readings of every trial
//! (`record::HostRecord`), the load generator's slip and the engine's call times, the
//! figures docs/certification.md's *Host contention* defines, and `contended` when one is above its bound.
//! A run on a contended host that falls short of its `require` is inconclusive rather than
//! a verdict on the app (`certify`).

use crate::record::{CpuTimes, RunRecord};
use serde::{Deserialize, Serialize};

/// CPU pressure above which the host is contended: at least one runnable task waited for
/// a CPU during more than 20 % of some 10 s of the load (PSI `some avg10`). A quiet host
/// reads under 5 %; two CPU hogs on two cores beside a run read 40–90 %.
pub(crate) const PSI_BOUND_PCT: f64 = 20.0;
/// Share of CPU time the hypervisor gave to other guests (steal) above which the host is
/// contended: 5 % of every CPU, several ms of each 100 ms the app or the harness wanted.
pub(crate) const STEAL_BOUND_PCT: f64 = 5.0;
/// 1-minute load average per CPU above which the host is contended: more runnable tasks
/// than 1.5 per CPU means each waits. (The quiet machine read 1.0 per CPU, its
/// busy one 2.5–4.5.) Load average lags by a minute, hence a figure of its own.
pub(crate) const LOAD_PER_CPU_BOUND: f64 = 1.5;

/// The host during the run's loads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contention {
    /// Host readings taken, all trials (0: none, on a host without /proc or an old record).
    pub samples: u64,
    /// Highest PSI `some avg10` read, %; None where the kernel has no /proc/pressure/cpu.
    pub(crate) psi_some_avg10_max_pct: Option<f64>,
    /// CPU time stolen by the hypervisor over the loads, % of all CPU time.
    pub(crate) steal_pct: Option<f64>,
    /// CPU time busy (not idle, not waiting on I/O) over the loads, % of all CPU time.
    pub(crate) cpu_busy_pct: Option<f64>,
    /// Highest 1-minute load average read, and per CPU.
    pub(crate) load1_max: Option<f64>,
    pub(crate) load1_per_cpu_max: Option<f64>,
    /// The load generator's schedule slip p99 (worst trial), ms.
    pub(crate) slip_p99_ms: f64,
    /// Slowest engine call of a fault or its action (issued to answered), ms.
    pub(crate) engine_call_max_ms: Option<f64>,
    /// Widest time-to-healthy resolution over the recovered faults, ms (the probe loop's
    /// lateness at a recovery, or an app or proxy slow to answer it): a figure, no bound,
    /// since a slow health page widens it on any host. None without a recovery.
    #[serde(default)]
    pub(crate) probe_resolution_max_ms: Option<f64>,
    /// True when a figure is above its bound; `reasons` names each.
    pub contended: bool,
    pub reasons: Vec<String>,
}

/// Sums each trial's CPU deltas, first to last reading (jiffies of busy, steal, total).
fn cpu_deltas(record: &RunRecord) -> Option<(u64, u64, u64)> {
    let mut sum: Option<(u64, u64, u64)> = None;
    for t in &record.trials {
        let cpu: Vec<CpuTimes> = t.host.samples.iter().filter_map(|s| s.cpu).collect();
        let (Some(a), Some(b)) = (cpu.first(), cpu.last()) else {
            continue;
        };
        let d = (
            b.busy.saturating_sub(a.busy),
            b.steal.saturating_sub(a.steal),
            b.total.saturating_sub(a.total),
        );
        let s = sum.get_or_insert((0, 0, 0));
        *s = (
            s.0.saturating_add(d.0),
            s.1.saturating_add(d.1),
            s.2.saturating_add(d.2),
        );
    }
    sum.filter(|s| s.2 > 0)
}

fn max_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |m, v| Some(m.map_or(v, |m: f64| m.max(v))))
}

/// The contention figures of a run, given the generator's slip p99 and the widest
/// time-to-healthy resolution (ms).
pub fn contention(record: &RunRecord, slip_p99_ms: f64, probe_resolution_max_ms: Option<f64>) -> Contention {
    let samples = || record.trials.iter().flat_map(|t| t.host.samples.iter());
    let cpus = record.trials.iter().map(|t| t.host.cpus).max().unwrap_or(0);
    let load1_max = max_of(samples().filter_map(|s| s.load1));
    let cpu = cpu_deltas(record);
    let pct = |part: u64, total: u64| part as f64 / total as f64 * 100.0;
    let engine = record.trials.iter().flat_map(|t| t.faults.iter()).flat_map(|f| {
        [
            f.fault_done_us.map(|d| d - f.issued_us),
            f.action_issued_us.zip(f.action_done_us).map(|(i, d)| d - i),
        ]
    });
    let mut c = Contention {
        samples: samples().count() as u64,
        psi_some_avg10_max_pct: max_of(samples().filter_map(|s| s.psi_some_avg10)),
        steal_pct: cpu.map(|(_, steal, total)| pct(steal, total)),
        cpu_busy_pct: cpu.map(|(busy, _, total)| pct(busy, total)),
        load1_max,
        load1_per_cpu_max: load1_max.filter(|_| cpus > 0).map(|l| l / cpus as f64),
        slip_p99_ms,
        engine_call_max_ms: max_of(engine.flatten().map(|us| us as f64 / 1000.0)),
        probe_resolution_max_ms,
        contended: false,
        reasons: Vec::new(),
    };
    let checks = [
        (
            c.psi_some_avg10_max_pct,
            PSI_BOUND_PCT,
            "CPU pressure (PSI some avg10)",
            " %",
        ),
        (c.steal_pct, STEAL_BOUND_PCT, "CPU steal", " %"),
        (c.load1_per_cpu_max, LOAD_PER_CPU_BOUND, "load average per CPU", ""),
        (
            Some(slip_p99_ms),
            super::SLIP_P99_BOUND_MS,
            "load generator slip p99",
            " ms",
        ),
    ];
    for (value, bound, what, unit) in checks {
        if let Some(v) = value.filter(|v| *v > bound) {
            c.reasons.push(format!("{what} {v:.1}{unit} > {bound}{unit}"));
        }
    }
    c.contended = !c.reasons.is_empty();
    c
}

impl Contention {
    /// One line for the terminal and the reports: `host contended: ...` or the figures.
    pub fn line(&self) -> String {
        if self.contended {
            return format!("host contended: {}", self.reasons.join("; "));
        }
        if self.samples == 0 {
            return format!(
                "host not sampled (no /proc); load generator slip p99 {:.1} ms",
                self.slip_p99_ms
            );
        }
        let show = |v: Option<f64>, unit: &str| v.map_or("not measured".into(), |v| format!("{v:.1}{unit}"));
        format!(
            "host quiet: CPU pressure {}, steal {}, load per CPU {}, slip p99 {:.1} ms, probe resolution max {}",
            show(self.psi_some_avg10_max_pct, " %"),
            show(self.steal_pct, " %"),
            show(self.load1_per_cpu_max, ""),
            self.slip_p99_ms,
            show(self.probe_resolution_max_ms, " ms")
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::tests::record;
    use crate::record::{HostRecord, HostSample, TrialRecord};

    /// A trial whose host read `psi`, `load1` on 2 CPUs and this CPU time over its load.
    pub(crate) fn hosted(psi: f64, load1: f64, busy: u64, steal: u64) -> TrialRecord {
        let at = |at_us, cpu| HostSample {
            at_us,
            psi_some_avg10: Some(psi),
            load1: Some(load1),
            cpu: Some(cpu),
        };
        TrialRecord {
            host: HostRecord {
                cpus: 2,
                samples: vec![
                    at(0, CpuTimes::default()),
                    at(
                        1_000_000,
                        CpuTimes {
                            total: 200,
                            busy,
                            steal,
                        },
                    ),
                ],
            },
            ..TrialRecord::default()
        }
    }

    #[test]
    fn a_quiet_host_is_not_contended_and_says_its_figures() {
        let c = contention(&record(vec![hosted(1.0, 1.0, 40, 0)]), 0.5, Some(2.0));
        assert!(!c.contended, "{c:?}");
        assert_eq!((c.cpu_busy_pct, c.steal_pct), (Some(20.0), Some(0.0)));
        assert_eq!(c.load1_per_cpu_max, Some(0.5));
        assert!(c.line().starts_with("host quiet"), "{}", c.line());
        assert!(c.line().ends_with("probe resolution max 2.0 ms"), "{}", c.line());
    }

    #[test]
    fn each_figure_above_its_bound_makes_the_host_contended() {
        for (t, slip, what) in [
            (hosted(35.0, 1.0, 40, 0), 0.5, "CPU pressure"),
            (hosted(1.0, 1.0, 40, 20), 0.5, "CPU steal 10.0 %"),
            (hosted(1.0, 7.0, 40, 0), 0.5, "load average per CPU 3.5"),
            (hosted(1.0, 1.0, 40, 0), 17.0, "slip p99 17.0 ms"),
        ] {
            let c = contention(&record(vec![t]), slip, None);
            assert!(c.contended, "{what}: {c:?}");
            assert!(c.line().contains(what), "{}", c.line());
        }
    }

    #[test]
    fn a_record_without_host_readings_is_not_contended_by_default() {
        let c = contention(&record(vec![TrialRecord::default()]), 0.5, None);
        assert_eq!(c.samples, 0);
        assert!(!c.contended && c.psi_some_avg10_max_pct.is_none() && c.steal_pct.is_none());
    }
}
