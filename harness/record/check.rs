//! Reading a record.json back without trusting it (`phoenix report` re-renders any run
//! folder, which may come from a CI artefact or an attacker): through the one reader
//! ([`crate::files::input`], [`Kind::Record`]), then [`RunRecord::check`] refuses every figure that
//! would drive a loop or an allocation past what a run of the record's own plan produces,
//! before the analysis sees it. In order (docs/scenarios.md "Reading run folders"):
//! - `record_version` one this build reads (1 to [`RECORD_VERSION`]);
//! - the scenario within the scenario parser's own ranges (`load.rate`, `load.duration`,
//!   `load.timeout`, `load.window`, `app.health.interval` and `slow_interval`,
//!   `app.start_timeout`, `certify.steady_window`, `trials`, replicas, services), its
//!   `text` at most a scenario file's bound; the plan's trials, load duration and faults
//!   likewise;
//! - every list counted against the plan ([`Bounds`]) before any list is walked: trials,
//!   faults a trial, request windows, raw requests, probe transitions, lifecycle events,
//!   at most [`MAX_HOST_SAMPLES`] host readings;
//! - then each window's histogram decoded within bounds ([`super::EncodedHistogram::check`]);
//! - then every instant on a trial clock within ± [`MAX_CLOCK_US`] (a day) of its origin,
//!   the request log's columns of one length and sorted, its windows the scenario's, each
//!   host reading a share in 0–100 % or a load in 0–10⁶.

use super::invalid::{at_most, clock, within_d, within_n, Invalid};
use super::{HostRecord, RunRecord, TrialRecord, MAX_HOST_SAMPLES, MAX_MEMORY_SAMPLES, RECORD_VERSION};
use crate::files::input::{self, Kind};
use crate::scenario::plan::Plan;
use crate::scenario::{
    escape, rate_problem, Scenario, HEALTH_INTERVAL, HEALTH_SLOW_INTERVAL, LOAD_DURATION, LOAD_TIMEOUT, LOAD_WINDOW,
    MAX_FAULT_ENTRIES, MAX_FILE_BYTES, MAX_PLANNED_FAULTS, MAX_REPLICAS, MAX_SERVICES, MAX_TRIALS, START_TIMEOUT,
    STEADY_WINDOW,
};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Farthest instant from a trial's origin a record may hold: a day, µs.
pub const MAX_CLOCK_US: i64 = 86_400_000_000;
/// Most entries of a trial's other lists (lifecycle events, logs, checks, errors...), and
/// a cap on the bounds [`Bounds`] derives from the plan.
pub(crate) const MAX_ENTRIES: usize = MAX_REPLICAS as usize * 64 * 1024;

/// Why a record.json cannot be re-rendered.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    /// A file that does not parse as a record: the parser's reason, naming the field.
    #[error("{}", not_a_record(path, reason))]
    Parse { path: PathBuf, reason: String },
    /// A record whose figures a run of its own plan cannot produce ([`RunRecord::check`]).
    #[error("{}", not_a_record(path, &source.to_string()))]
    Invalid {
        path: PathBuf,
        #[source]
        source: Invalid,
    },
    #[error("'{}': field `record_version`: {version} is not a version this build reads (1 to {RECORD_VERSION})\n  hint: re-render it with the phoenix that wrote it (`environment.phoenix_version` names it), or run the scenario again", escape(&path.display().to_string()))]
    Version { path: PathBuf, version: u64 },
}

/// The refusal of the record.json at `path`, for `reason`.
fn not_a_record(path: &Path, reason: &str) -> String {
    format!(
        "'{}' is not a phoenix record.json: {}\n  hint: give a run folder written by `phoenix run`, or a reports folder holding run folders",
        escape(&path.display().to_string()),
        escape(reason)
    )
}

impl RunRecord {
    /// Reads, parses and checks the record.json at `path` (at most [`Kind::Record`]'s bound).
    pub fn read(path: &Path) -> Result<RunRecord, RecordError> {
        let bytes = input::read(path, Kind::Record)?;
        let parse = |reason: String| RecordError::Parse {
            path: path.to_path_buf(),
            reason,
        };
        // serde_json refuses nesting deeper than 128 on its own; the path names the field
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let parsed: Result<RunRecord, _> = serde_path_to_error::deserialize(&mut *de);
        // another version's layout fails anywhere: name the version rather than that field
        let version = parsed
            .as_ref()
            .map_or_else(|_| version_of(&bytes), |r| Some(u64::from(r.record_version)));
        if let Some(version) = version.filter(|v| !(1..=u64::from(RECORD_VERSION)).contains(v)) {
            let path = path.to_path_buf();
            return Err(RecordError::Version { path, version });
        }
        let record = parsed.map_err(|e| parse(at_field(&e)))?;
        // as serde_json::from_slice does: nothing but white space after the value
        de.end().map_err(|e| parse(e.to_string()))?;
        record.check().map_err(|source| RecordError::Invalid {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(record)
    }

    /// The first figure out of its bound (see the module doc), naming its field.
    pub fn check(&self) -> Result<(), Invalid> {
        if !(1..=RECORD_VERSION).contains(&self.record_version) {
            return Err(Invalid::bound(
                "record_version",
                format!(
                    "{} is not a version this build reads (1 to {RECORD_VERSION})",
                    self.record_version
                ),
            ));
        }
        check_scenario(&self.scenario)?;
        check_plan(&self.plan)?;
        let b = Bounds::of(self);
        at_most("trials", self.trials.len(), b.trials, "the plan's trials")?;
        let each = |f: &dyn Fn(&TrialRecord) -> Result<(), Invalid>| -> Result<(), Invalid> {
            let mut trials = self.trials.iter().enumerate();
            trials.try_for_each(|(i, t)| f(t).map_err(|e| e.in_trial(i)))
        };
        each(&|t| b.counts(t))?;
        each(&histograms)?;
        each(&|t| check_trial(t, &b))?;
        self.floor.as_ref().map_or(Ok(()), |f| f.check(self.plan.faults.len()))
    }
}

/// `record_version` alone, from a record whose whole did not parse.
fn version_of(bytes: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Version {
        record_version: u64,
    }
    serde_json::from_slice::<Version>(bytes).ok().map(|v| v.record_version)
}

/// The scenario a record holds, within the ranges the scenario parser accepts.
fn check_scenario(s: &Scenario) -> Result<(), Invalid> {
    if s.text.len() as u64 > MAX_FILE_BYTES {
        return Err(Invalid::bound(
            "scenario.text",
            format!(
                "{} bytes, over the limit of {MAX_FILE_BYTES} bytes of a scenario file",
                s.text.len()
            ),
        ));
    }
    if let Some(why) = rate_problem(s.load.rate) {
        return Err(Invalid::bound("scenario.load.rate", why));
    }
    let app = &s.app;
    for (field, d, range) in [
        ("scenario.load.duration", s.load.duration, LOAD_DURATION),
        ("scenario.load.timeout", s.load.timeout, LOAD_TIMEOUT),
        ("scenario.load.window", s.load.window, LOAD_WINDOW),
        ("scenario.app.health.interval", app.health.interval, HEALTH_INTERVAL),
        (
            "scenario.app.health.slow_interval",
            app.health.slow_interval,
            HEALTH_SLOW_INTERVAL,
        ),
        ("scenario.app.start_timeout", app.start_timeout, START_TIMEOUT),
        ("scenario.certify.steady_window", s.certify.steady_window, STEADY_WINDOW),
    ] {
        within_d(field, d, &range)?;
    }
    within_n("scenario.trials", s.trials, 1..=MAX_TRIALS)?;
    at_most(
        "scenario.app.replicas",
        app.replicas.len(),
        MAX_REPLICAS as usize,
        "a scenario's",
    )?;
    at_most("scenario.services", s.services.len(), MAX_SERVICES, "a scenario's")?;
    at_most("scenario.faults", s.faults.len(), MAX_FAULT_ENTRIES, "a scenario's")
}

fn check_plan(p: &Plan) -> Result<(), Invalid> {
    within_n("plan.trials", p.trials, 1..=MAX_TRIALS)?;
    within_d("plan.load_duration", p.load_duration, &LOAD_DURATION)?;
    at_most(
        "plan.faults",
        p.faults.len(),
        MAX_PLANNED_FAULTS as usize,
        "a scenario's",
    )
}

/// How many entries each list of a trial may hold: what a run of the record's own plan
/// can produce (the scenario and the plan are within their ranges by then), each at most
/// [`MAX_ENTRIES`]. Each `(max, why)`; `why` says where the bound comes from.
struct Bounds {
    trials: usize,
    faults: (usize, String),
    /// The load's duration over its window, + 2 (a partial window at each end).
    windows: (usize, String),
    window_us: i64,
    /// The load's planned requests (rate × duration), + 1.
    requests: (usize, String),
    /// Of one replica: the probes it can send, fast for the first boot and each fault
    /// (start timeout + delay + grace), slow the rest of the trial, twice over, + 64.
    transitions: (usize, String),
    /// 4 per instance (created, started, exited, removed): every member (replicas,
    /// services, the front, the read-only replica) at the start, again after each fault
    /// and once a second of the trial (a platform restarting a crashing task).
    lifecycle: (usize, String),
}

impl Bounds {
    fn of(r: &RunRecord) -> Bounds {
        let (s, plan) = (&r.scenario, &r.plan);
        let window = s.load.window;
        let windows = (plan.load_duration.as_micros() / window.as_micros()) as usize + 2;
        let requests = s.load.planned_requests().saturating_add(1) as usize;
        // no trial spans more than its clock holds: a day either side of its origin
        let span = plan.trial_deadline.min(Duration::from_micros(2 * MAX_CLOCK_US as u64));
        let faults = plan.faults.len();
        // saturating: a crafted plan's delays may sum past Duration's range
        let fast = (plan.faults.iter()).fold(s.app.start_timeout * (faults as u32 + 1), |d, f| {
            d.saturating_add(f.delay).saturating_add(f.grace)
        });
        let probes = fast.as_micros() / s.app.health.interval.as_micros().max(1)
            + span.as_micros() / s.app.health.slow_interval.as_micros().max(1);
        let transitions = (probes.saturating_mul(2) + 64).min(MAX_ENTRIES as u128) as usize;
        let members = s.app.replicas.len() + s.services.len() + 2;
        let lives = 1 + faults + span.as_secs() as usize;
        let lifecycle = (4 * members * lives).min(MAX_ENTRIES);
        let shown = crate::scenario::format_duration;
        Bounds {
            trials: plan.trials as usize,
            faults: (faults, "the plan's faults".into()),
            windows: (
                windows,
                format!(
                    "the load's {} over its {} window, + 2",
                    shown(plan.load_duration),
                    shown(window)
                ),
            ),
            window_us: window.as_micros() as i64,
            requests: (
                requests,
                format!("{} req/s × {}, + 1", s.load.rate, shown(s.load.duration)),
            ),
            transitions: (
                transitions,
                "the probes the plan's trial can send, twice over, + 64".into(),
            ),
            lifecycle: (lifecycle, format!("4 events × {members} members × {lives} lives")),
        }
    }

    /// Every list of `t` against its bound, before any of them is walked.
    fn counts(&self, t: &TrialRecord) -> Result<(), Invalid> {
        let r = &t.requests;
        for (field, len, (max, why)) in [
            ("faults", t.faults.len(), &self.faults),
            ("requests.intended_us", r.intended_us.len(), &self.requests),
            ("requests.windows", r.windows.len(), &self.windows),
            ("lifecycle", t.lifecycle.len(), &self.lifecycle),
        ] {
            at_most(field, len, *max, why)?;
        }
        for (field, len) in [
            ("probes", t.probes.len()),
            ("logs", t.logs.len()),
            ("checks", t.checks.len()),
            ("errors", t.errors.len()),
            ("fresh", t.fresh.len()),
            ("memory.series", t.memory.series.len()),
        ] {
            at_most(field, len, MAX_ENTRIES, "")?;
        }
        at_most("host.samples", t.host.samples.len(), MAX_HOST_SAMPLES, "")?;
        for (i, p) in t.probes.iter().enumerate() {
            let (max, why) = &self.transitions;
            at_most(&format!("probes[{i}].fast_spans"), p.fast_spans.len(), MAX_ENTRIES, "")?;
            at_most(&format!("probes[{i}].transitions"), p.transitions.len(), *max, why)?;
        }
        for (i, l) in t.logs.iter().enumerate() {
            at_most(&format!("logs[{i}].lines"), l.lines.len(), MAX_ENTRIES, "")?;
        }
        for (i, s) in t.memory.series.iter().enumerate() {
            let field = format!("memory.series[{i}].samples");
            at_most(&field, s.samples.len(), MAX_MEMORY_SAMPLES, "")?;
        }
        Ok(())
    }
}

/// Each window's histogram decodes within bounds (the windows are counted by now).
fn histograms(t: &TrialRecord) -> Result<(), Invalid> {
    for (i, w) in t.requests.windows.iter().enumerate() {
        w.latency.check().map_err(|source| Invalid::Histogram {
            field: format!("requests.windows[{i}].latency"),
            source,
        })?;
    }
    Ok(())
}

/// Host readings (counted by now): on the trial clock, figures in their ranges (a NaN or
/// a load of 1e300 would print as a verdict).
fn check_host(h: &HostRecord) -> Result<(), Invalid> {
    if h.cpus > 1 << 16 {
        return Err(Invalid::bound(
            "host.cpus",
            format!("{} CPUs is out of range (0 to 65536)", h.cpus),
        ));
    }
    for (i, s) in h.samples.iter().enumerate() {
        clock(&format!("host.samples[{i}].at_us"), s.at_us)?;
        let psi_ok = s.psi_some_avg10.is_none_or(|v| (0.0..=100.0).contains(&v));
        let load_ok = s.load1.is_none_or(|v| (0.0..=1e6).contains(&v));
        if !psi_ok || !load_ok {
            return Err(Invalid::bound(
                format!("host.samples[{i}]"),
                "psi_some_avg10 must be 0 to 100 and load1 0 to 1000000",
            ));
        }
    }
    Ok(())
}

/// The instants and ranges of a trial whose lists are counted.
fn check_trial(t: &TrialRecord, b: &Bounds) -> Result<(), Invalid> {
    if !(0..=32_503_680_000_000_000).contains(&t.origin_unix_us) {
        return Err(Invalid::bound(
            "origin_unix_us",
            format!("{} is not a date between 1970 and 3000", t.origin_unix_us),
        ));
    }
    clock("deploy_us", t.deploy_us)?;
    check_requests(t, b)?;
    check_probes(t)?;
    check_host(&t.host)?;
    for (i, f) in t.faults.iter().enumerate() {
        let times = [
            Some(f.planned_us),
            Some(f.issued_us),
            f.fault_done_us,
            f.action_issued_us,
        ]
        .into_iter()
        .chain([f.action_done_us, f.old_stopped_us, f.verified_us])
        .flatten()
        .chain(f.services.iter().map(|s| s.ready_us));
        for us in times {
            clock(&format!("faults[{i}] times (issued_us...)"), us)?;
        }
    }
    for e in &t.lifecycle {
        clock("lifecycle[].at_us", e.at_us)?;
    }
    for l in &t.logs {
        for (at, _) in &l.lines {
            clock("logs[].lines", *at)?;
        }
        for r in &l.reads {
            clock("logs[].reads[].at_us", r.at_us)?;
        }
    }
    for c in &t.checks {
        // a journey is verified or broken only once it was set up
        if c.broken.saturating_add(c.verified) > c.set_up {
            return Err(Invalid::Journeys {
                field: "checks[].broken".into(),
                broken: c.broken,
                verified: c.verified,
                set_up: c.set_up,
            });
        }
        for v in &c.verifications {
            clock("checks[].verifications[].at_us", v.at_us)?;
        }
    }
    clock("memory.interval_us", t.memory.interval_us)?;
    for s in &t.memory.series {
        for [at, _] in &s.samples {
            clock("memory.series[].samples", *at)?;
        }
    }
    if let Some(r) = &t.read_only {
        clock("read_only.duration_us", r.duration_us)?;
    }
    Ok(())
}

/// The probe logs: intervals within the scenario parser's ranges (a slow interval of 0 is a
/// record written before it existed), instants on the clock.
fn check_probes(t: &TrialRecord) -> Result<(), Invalid> {
    let us = |r: &RangeInclusive<Duration>| r.start().as_micros() as i64..=r.end().as_micros() as i64;
    for (i, p) in t.probes.iter().enumerate() {
        let slow_ok = p.slow_interval_us == 0 || us(&HEALTH_SLOW_INTERVAL).contains(&p.slow_interval_us);
        if !us(&HEALTH_INTERVAL).contains(&p.interval_us) || !slow_ok {
            return Err(Invalid::bound(
                format!("probes[{i}].interval_us"),
                format!(
                    "{} µs (slow {} µs) is not an interval of app.health.interval's or slow_interval's range",
                    p.interval_us, p.slow_interval_us
                ),
            ));
        }
        for s in p.fast_spans.iter().chain([&p.probing_us]).flatten() {
            clock(&format!("probes[{i}].fast_spans"), *s)?;
        }
        for (j, tr) in p.transitions.iter().enumerate() {
            clock(&format!("probes[{i}].transitions[{j}].sent_us"), tr.sent_us)?;
            clock(&format!("probes[{i}].transitions[{j}].done_us"), tr.done_us)?;
            if let Some(prev) = tr.prev_sent_us {
                clock(&format!("probes[{i}].transitions[{j}].prev_sent_us"), prev)?;
            }
        }
    }
    Ok(())
}

/// The request log: columns of one length, instants on the clock, windows of the
/// scenario's width and within the load, no more requests than the load planned.
fn check_requests(t: &TrialRecord, b: &Bounds) -> Result<(), Invalid> {
    let r = &t.requests;
    let n = r.intended_us.len();
    if r.done_us.len() != n || r.outcome.len() != n || r.replica.len() != n {
        return Err(Invalid::bound(
            "requests",
            format!(
                "its columns differ in length (intended_us {n}, done_us {}, outcome {}, replica {})",
                r.done_us.len(),
                r.outcome.len(),
                r.replica.len()
            ),
        ));
    }
    for (&a, &b) in r.intended_us.iter().zip(&r.done_us) {
        clock("requests.intended_us", a)?;
        clock("requests.done_us", b)?;
    }
    if r.intended_us.windows(2).any(|w| w[0] > w[1]) {
        return Err(Invalid::bound(
            "requests.intended_us",
            "not sorted (a run writes it sorted)",
        ));
    }
    // the recorder keeps the scenario's own load window: another width is not a run's
    if (r.window_us != 0 && r.window_us != b.window_us) || (r.window_us == 0 && !r.windows.is_empty()) {
        return Err(Invalid::bound(
            "requests.window_us",
            format!(
                "{} µs is not the scenario's load window ({} µs)",
                r.window_us, b.window_us
            ),
        ));
    }
    let mut sent = n as u64;
    for (i, w) in r.windows.iter().enumerate() {
        let f = format!("requests.windows[{i}]");
        for us in [w.first_intended_us, w.last_intended_us, w.first_done_us] {
            clock(&f, us)?;
        }
        if !(0..b.windows.0 as i64).contains(&w.index) || w.first_intended_us > w.last_intended_us {
            return Err(Invalid::bound(f, "its index or intended range is not in the load"));
        }
        sent = sent.saturating_add(w.count);
    }
    if sent > b.requests.0 as u64 {
        return Err(Invalid::bound(
            "requests",
            format!(
                "{sent} requests, more than the load planned ({}: {})",
                b.requests.0, b.requests.1
            ),
        ));
    }
    Ok(())
}

/// A parse error with the path of the field it stopped at (`trials[0].requests...`).
pub(crate) fn at_field(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    if path == "." {
        e.inner().to_string()
    } else {
        format!("field `{path}`: {}", e.inner())
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
