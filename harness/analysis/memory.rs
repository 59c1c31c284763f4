//! Memory growth per replica over the steady load: a hint of process-local state (a
//! cache or sessions kept in the process grow with the requests that fill them). Samples
//! inside a fault's disruption or recovery are left out; each instance life (from a start
//! to the next fault on its replica) is one group with its own intercept, so a restart
//! that empties memory is not a drop and a replacement's boot is not growth. The slopes
//! are least squares pooled within groups, after leaving out spikes (samples far from a
//! first fit), so one spike does not count.

use super::phases::{Phase, Span};
use crate::record::{RunRecord, TrialRecord};
use serde::{Deserialize, Serialize};

/// A replica is flagged `growing` from this many MiB per 1000 requests it served (256
/// bytes kept per request)…
pub const GROWING_MIB_PER_1000: f64 = 0.25;
/// …when its memory also grew by at least this many MiB over the steady load (smaller
/// changes are the allocator's noise).
pub const GROWING_MIN_MIB: f64 = 1.0;

const MIB: f64 = 1024.0 * 1024.0;

/// The `growing` rule in words, for the reports.
pub fn hint() -> String {
    format!("{GROWING_MIB_PER_1000} MiB per 1000 requests served and {GROWING_MIN_MIB} MiB over the steady load")
}

/// The memory audit of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryAudit {
    /// False when no sample was taken (`not_measured` says why).
    pub measured: bool,
    /// Why no sample was taken, or which replicas have no figure (fewer than two samples in
    /// the steady load).
    pub(crate) not_measured: Option<String>,
    pub replicas: Vec<MemoryGrowth>,
}

/// Growth of one replica's memory over the steady load, all trials and instances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryGrowth {
    pub replica: String,
    /// Instance lives the samples come from.
    pub instances: u32,
    /// Samples used (steady load only).
    pub samples: u32,
    /// Steady time covered by those samples, s.
    pub(crate) steady_s: f64,
    /// First and last steady sample, and the highest of all, MiB.
    pub(crate) first_mib: f64,
    pub(crate) last_mib: f64,
    pub(crate) peak_mib: f64,
    /// Slope against time × `steady_s`, MiB.
    pub growth_mib: f64,
    /// Requests the replica answered successfully over the steady samples' spans.
    pub requests: u64,
    /// Slope against the requests it served × 1000; None without requests to regress on.
    pub mib_per_1000_requests: Option<f64>,
    /// `mib_per_1000_requests` ≥ `GROWING_MIB_PER_1000` and `growth_mib` ≥ `GROWING_MIN_MIB`.
    pub growing: bool,
}

/// Memory growth from the samples; `spans` are the trials' phase spans, in trial order.
pub fn memory_growth(record: &RunRecord, spans: &[Vec<Span>]) -> MemoryAudit {
    let measured = record
        .trials
        .iter()
        .any(|t| t.memory.series.iter().any(|s| !s.samples.is_empty()));
    let not_measured = if measured {
        None
    } else {
        Some(
            record
                .trials
                .iter()
                .find_map(|t| t.memory.not_measured.clone())
                .unwrap_or_else(|| "no memory sample was taken".into()),
        )
    };
    let names = &record.scenario.app.replicas;
    let mut replicas = Vec::new();
    for (r, name) in names.iter().enumerate() {
        let (groups, peak) = steady_lives(record, spans, r, name);
        replicas.extend(growth(name, groups, peak));
    }
    // sampled, but a replica with fewer than two samples in the steady load has no figure:
    // say so rather than leave it out silently
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !replicas.iter().any(|g: &MemoryGrowth| &g.replica == *n))
        .map(String::as_str)
        .collect();
    let not_measured = match not_measured {
        None if !missing.is_empty() => Some(format!(
            "{}: fewer than two memory samples in the steady load (outside every fault's disruption and recovery); lengthen the gaps between faults",
            missing.join(", ")
        )),
        n => n,
    };
    MemoryAudit {
        measured,
        not_measured,
        replicas,
    }
}

/// A steady sample: seconds on the trial clock, requests the replica had served by then,
/// MiB.
type Sample = (f64, f64, f64);

/// Replica `r`'s steady samples over every trial, one group per instance life with two or
/// more of them, and its peak over all its samples (steady or not), MiB.
fn steady_lives(record: &RunRecord, spans: &[Vec<Span>], r: usize, name: &str) -> (Vec<Vec<Sample>>, f64) {
    let end_us = record.plan.load_duration.as_micros() as i64;
    let replicas = record.scenario.app.replicas.len();
    let front = record.scenario.front.is_some();
    let mut groups: Vec<Vec<Sample>> = Vec::new();
    let mut peak: f64 = 0.0;
    for (k, trial) in record.trials.iter().enumerate() {
        let steady = |at: i64| {
            at >= 0
                && at <= end_us
                && !spans.get(k).is_some_and(|s| {
                    s.iter().any(|sp| {
                        matches!(sp.phase, Phase::Disruption | Phase::Recovery) && at >= sp.start_us && at < sp.end_us
                    })
                })
        };
        let served = Served::of(trial, r, replicas, front);
        let faults: Vec<i64> = trial
            .faults
            .iter()
            .filter(|f| f.target == *name)
            .map(|f| f.issued_us)
            .collect();
        for series in trial.memory.series.iter().filter(|s| s.replica == *name) {
            let mut lives: std::collections::BTreeMap<usize, Vec<Sample>> = Default::default();
            for &[at, bytes] in &series.samples {
                peak = peak.max(bytes as f64 / MIB);
                if !steady(at) {
                    continue;
                }
                let life = faults.iter().filter(|&&f| f < at).count();
                lives
                    .entry(life)
                    .or_default()
                    .push((at as f64 / 1e6, served.at(at), bytes as f64 / MIB));
            }
            groups.extend(lives.into_values().filter(|g| g.len() >= 2));
        }
    }
    (groups, peak)
}

/// One replica's growth from its instance lives, once spikes are left out; None when no
/// life keeps two samples.
fn growth(name: &str, groups: Vec<Vec<Sample>>, peak: f64) -> Option<MemoryGrowth> {
    let groups = without_spikes(groups);
    if groups.is_empty() {
        return None;
    }
    let by_time = pooled_slope(&groups, |p| p.0);
    let by_requests = pooled_slope(&groups, |p| p.1);
    let steady_s: f64 = groups.iter().map(|g| g[g.len() - 1].0 - g[0].0).sum();
    let requests: f64 = groups.iter().map(|g| g[g.len() - 1].1 - g[0].1).sum();
    let growth_mib = by_time.unwrap_or(0.0) * steady_s;
    let per_1000 = by_requests.map(|b| b * 1000.0);
    let first = groups
        .iter()
        .min_by(|a, b| a[0].0.total_cmp(&b[0].0))
        .map_or(0.0, |g| g[0].2);
    let last = groups
        .iter()
        .max_by(|a, b| a[a.len() - 1].0.total_cmp(&b[b.len() - 1].0))
        .map_or(0.0, |g| g[g.len() - 1].2);
    Some(MemoryGrowth {
        replica: name.to_string(),
        instances: groups.len() as u32,
        samples: groups.iter().map(|g| g.len() as u32).sum(),
        steady_s,
        first_mib: first,
        last_mib: last,
        peak_mib: peak,
        growth_mib,
        requests: requests.max(0.0).round() as u64,
        mib_per_1000_requests: per_1000,
        growing: per_1000.is_some_and(|p| p >= GROWING_MIB_PER_1000) && growth_mib >= GROWING_MIN_MIB,
    })
}

/// The groups without spikes: samples more than `SPIKE_MADS` median absolute deviations
/// (and at least `SPIKE_FLOOR_MIB`) from a robust first fit. A spike at the end of a
/// short life would otherwise tilt the least-squares slope.
fn without_spikes(groups: Vec<Vec<(f64, f64, f64)>>) -> Vec<Vec<(f64, f64, f64)>> {
    const SPIKE_MADS: f64 = 6.0;
    const SPIKE_FLOOR_MIB: f64 = 0.5;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    // a robust first fit: the median slope of consecutive samples, the median level per group
    let mut steps: Vec<f64> = groups
        .iter()
        .flat_map(|g| {
            g.windows(2)
                .filter(|w| w[1].0 > w[0].0)
                .map(|w| (w[1].2 - w[0].2) / (w[1].0 - w[0].0))
        })
        .collect();
    let b = median(&mut steps);
    let levels: Vec<f64> = groups
        .iter()
        .map(|g| median(&mut g.iter().map(|p| p.2 - b * p.0).collect()))
        .collect();
    let residual = |k: usize, p: &(f64, f64, f64)| p.2 - b * p.0 - levels[k];
    let mut dev: Vec<f64> = groups
        .iter()
        .enumerate()
        .flat_map(|(k, g)| g.iter().map(move |p| residual(k, p).abs()))
        .collect();
    let limit = (SPIKE_MADS * median(&mut dev)).max(SPIKE_FLOOR_MIB);
    groups
        .iter()
        .enumerate()
        .map(|(k, g)| {
            g.iter()
                .filter(|p| residual(k, p).abs() <= limit)
                .copied()
                .collect::<Vec<_>>()
        })
        .filter(|g| g.len() >= 2)
        .collect()
}

/// Least-squares slope of MiB against `x`, pooled within groups (each group its own
/// intercept); None when `x` does not vary.
fn pooled_slope(groups: &[Vec<(f64, f64, f64)>], x: impl Fn(&(f64, f64, f64)) -> f64) -> Option<f64> {
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for g in groups {
        let n = g.len() as f64;
        let mx = g.iter().map(&x).sum::<f64>() / n;
        let my = g.iter().map(|p| p.2).sum::<f64>() / n;
        for p in g {
            sxy += (x(p) - mx) * (p.2 - my);
            sxx += (x(p) - mx) * (x(p) - mx);
        }
    }
    (sxx > 1e-12).then(|| sxy / sxx)
}

/// Successful requests a replica had answered by a time: cumulative, from the request
/// log. Requests kept per window carry no replica: without a front they went to the
/// replicas in turn (1/replicas each); behind a front the share is the balancer's
/// round-robin, 1/replicas as well.
struct Served {
    at_us: Vec<i64>,
    cumulative: Vec<f64>,
}

impl Served {
    fn of(trial: &TrialRecord, replica: usize, replicas: usize, front: bool) -> Served {
        let share = 1.0 / replicas.max(1) as f64;
        let mut events: Vec<(i64, f64)> = trial
            .requests
            .raw()
            .filter(|(_, _, o, _)| o.is_ok())
            .filter_map(|(_, done, _, r)| match front {
                true => Some((done, share)),
                false => (r as usize == replica).then_some((done, 1.0)),
            })
            .collect();
        events.extend(
            trial
                .requests
                .windows
                .iter()
                .map(|w| ((w.first_intended_us + w.last_intended_us) / 2, w.count as f64 * share)),
        );
        events.sort_by_key(|e| e.0);
        let mut total = 0.0;
        let cumulative = events
            .iter()
            .map(|e| {
                total += e.1;
                total
            })
            .collect();
        Served {
            at_us: events.iter().map(|e| e.0).collect(),
            cumulative,
        }
    }

    fn at(&self, t: i64) -> f64 {
        let i = self.at_us.partition_point(|&a| a <= t);
        if i == 0 {
            0.0
        } else {
            self.cumulative[i - 1]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_sampled_but_never_in_the_steady_load_is_named_as_not_measured() {
        let mut r = crate::report::fixture::record();
        r.trials.truncate(1);
        let names = r.scenario.app.replicas.clone();
        assert!(names.len() >= 2, "{names:?}");
        let mut m = crate::record::MemoryRecord::default();
        // app-0 sampled through the load, the others only before it started
        for k in 0..10 {
            m.add(&names[0], "c0", 100_000 + k * 500_000, 50 << 20);
        }
        for n in &names[1..] {
            m.add(n, &format!("{n}-c"), -1_000, 50 << 20);
        }
        r.trials[0].memory = m;
        r.trials[0].faults.clear();
        let a = memory_growth(&r, &[]);
        assert!(a.measured);
        assert_eq!(a.replicas.len(), 1, "{a:?}");
        let why = a.not_measured.expect("the other replicas are named");
        assert!(
            why.starts_with(&format!("{}: fewer than two memory samples", names[1..].join(", "))),
            "{why}"
        );
        // every replica with figures: nothing to say
        for (i, n) in names.iter().enumerate().skip(1) {
            for k in 0..10 {
                r.trials[0]
                    .memory
                    .add(n, &format!("{n}-c{i}"), 100_000 + k * 500_000, 50 << 20);
            }
        }
        assert_eq!(memory_growth(&r, &[]).not_measured, None);
    }

    #[test]
    fn the_pooled_slope_ignores_a_reset_between_lives_and_barely_moves_for_one_spike() {
        // two lives growing 1 MiB per unit, the second starting lower (a restart)
        let a: Vec<_> = (0..10).map(|i| (i as f64, i as f64, 50.0 + i as f64)).collect();
        let b: Vec<_> = (10..20).map(|i| (i as f64, i as f64, 40.0 + (i - 10) as f64)).collect();
        let s = pooled_slope(&[a.clone(), b.clone()], |p| p.0).unwrap();
        assert!((s - 1.0).abs() < 1e-9, "{s}");
        // a flat series with one spike of 100 MiB in the middle: slope stays near zero
        let mut flat: Vec<_> = (0..41).map(|i| (i as f64, i as f64, 50.0)).collect();
        flat[20].2 = 150.0;
        let s = pooled_slope(&[flat], |p| p.0).unwrap();
        assert!(s.abs() < 1e-9, "{s}");
        assert_eq!(pooled_slope(&[vec![(1.0, 1.0, 1.0), (1.0, 1.0, 2.0)]], |p| p.0), None);
        // a spike at the end of a life tilts least squares: it is left out first
        let mut end: Vec<_> = (0..10).map(|i| (i as f64, i as f64, 50.0 + 0.01 * i as f64)).collect();
        end[9].2 = 60.0;
        let kept = without_spikes(vec![end]);
        assert_eq!(kept[0].len(), 9);
        let s = pooled_slope(&kept, |p| p.0).unwrap();
        assert!((s - 0.01).abs() < 1e-9, "{s}");
    }
}
