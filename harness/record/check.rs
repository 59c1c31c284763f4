//! Reading a record.json back without trusting it (`phoenix report` re-renders any run
//! folder, which may come from a CI artefact or an attacker): through the one reader
//! ([`crate::input`], [`Kind::Record`]), then [`RunRecord::check`] refuses every figure that
//! would drive a loop or an allocation past what a real run produces, before the analysis
//! sees it. The bounds are the scenario file's own (a record holds a validated scenario):
//! - `load.window` 10 ms to 10 s, `load.duration` and the planned load at most
//!   [`MAX_DURATION`], `load.timeout` at most 60 s, `certify.steady_window` 10 ms to 60 s;
//! - at most [`MAX_TRIALS`] trials, [`MAX_PLANNED_FAULTS`] faults a trial,
//!   [`MAX_REPLICAS`] × 64 probe streams, [`MAX_MEMORY_SAMPLES`] samples a series,
//!   [`MAX_HOST_SAMPLES`] host readings, each a share in 0–100 % or a load in 0–10⁶;
//! - every instant on a trial clock within ± [`MAX_CLOCK_US`] (a day) of its origin;
//! - the request log's columns of one length, its windows no more than the load holds and
//!   no wider than 10 s; each window's histogram was bounded when it was decoded
//!   ([`super::EncodedHistogram`]).

use super::{HostRecord, RunRecord, TrialRecord, MAX_HOST_SAMPLES, MAX_MEMORY_SAMPLES};
use crate::input::{self, Kind};
use crate::scenario::{escape, MAX_DURATION, MAX_PLANNED_FAULTS, MAX_REPLICAS, MAX_TRIALS};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Farthest instant from a trial's origin a record may hold: a day, µs.
pub const MAX_CLOCK_US: i64 = 86_400_000_000;
/// Most entries of a trial's other lists (lifecycle events, logs, checks, errors...).
pub const MAX_ENTRIES: usize = MAX_REPLICAS as usize * 64 * 1024;

/// Why a record.json cannot be re-rendered.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error("'{}' is not a phoenix record.json: {}\n  hint: give a run folder written by `phoenix run`, or a reports folder holding run folders", escape(&path.display().to_string()), escape(reason))]
    Invalid { path: PathBuf, reason: String },
}

impl RunRecord {
    /// Reads, parses and checks the record.json at `path` (at most [`Kind::Record`]'s bound).
    pub fn read(path: &Path) -> Result<RunRecord, RecordError> {
        let bytes = input::read(path, Kind::Record)?;
        let invalid = |reason: String| RecordError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        // serde_json refuses nesting deeper than 128 on its own; the path names the field
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let record: RunRecord = serde_path_to_error::deserialize(de).map_err(|e| invalid(at_field(&e)))?;
        record.check().map_err(invalid)?;
        Ok(record)
    }

    /// The first figure out of its bound (see the module doc), naming its field.
    pub fn check(&self) -> Result<(), String> {
        let load = &self.scenario.load;
        let ms = Duration::from_millis;
        within_d("scenario.load.window", load.window, ms(10), ms(10_000))?;
        within_d("scenario.load.duration", load.duration, Duration::ZERO, MAX_DURATION)?;
        within_d("scenario.load.timeout", load.timeout, Duration::ZERO, ms(60_000))?;
        let steady = self.scenario.certify.steady_window;
        within_d("scenario.certify.steady_window", steady, ms(10), ms(60_000))?;
        within_d(
            "plan.load_duration",
            self.plan.load_duration,
            Duration::ZERO,
            MAX_DURATION,
        )?;
        at_most("trials", self.trials.len(), MAX_TRIALS as usize)?;
        at_most("plan.faults", self.plan.faults.len(), MAX_PLANNED_FAULTS as usize)?;
        let windows = (MAX_DURATION.as_micros() / load.window.as_micros().max(1)) as usize + 2;
        let window_us = load.window.as_micros() as i64;
        for (i, t) in self.trials.iter().enumerate() {
            check_trial(t, (windows, window_us)).map_err(|e| format!("field `trials[{i}].{e}"))?;
        }
        Ok(())
    }
}

fn within_d(field: &str, d: Duration, lo: Duration, hi: Duration) -> Result<(), String> {
    if d < lo || d > hi {
        return Err(format!(
            "field `{field}`: {} µs is out of range ({} to {} µs)",
            d.as_micros(),
            lo.as_micros(),
            hi.as_micros()
        ));
    }
    Ok(())
}

fn at_most(field: &str, len: usize, max: usize) -> Result<(), String> {
    if len > max {
        return Err(format!("field `{field}`: {len} entries, over the limit of {max}"));
    }
    Ok(())
}

/// An instant on the trial clock (`field` without the leading "field `").
fn clock(field: &str, us: i64) -> Result<(), String> {
    if !(-MAX_CLOCK_US..=MAX_CLOCK_US).contains(&us) {
        return Err(format!("{field}`: {us} µs is more than a day from the trial's origin"));
    }
    Ok(())
}

fn count(field: &str, len: usize, max: usize) -> Result<(), String> {
    if len > max {
        return Err(format!("{field}`: {len} entries, over the limit of {max}"));
    }
    Ok(())
}

/// `windows`: how many request windows the load may hold, and their width, µs.
/// Host readings: bounded in number, on the trial clock, figures in their ranges (a NaN or
/// a load of 1e300 would print as a verdict).
fn check_host(h: &HostRecord) -> Result<(), String> {
    count("host.samples", h.samples.len(), MAX_HOST_SAMPLES)?;
    if h.cpus > 1 << 16 {
        return Err(format!("host.cpus`: {} CPUs is out of range (0 to 65536)", h.cpus));
    }
    for (i, s) in h.samples.iter().enumerate() {
        clock(&format!("host.samples[{i}].at_us"), s.at_us)?;
        let psi_ok = s.psi_some_avg10.is_none_or(|v| (0.0..=100.0).contains(&v));
        let load_ok = s.load1.is_none_or(|v| (0.0..=1e6).contains(&v));
        if !psi_ok || !load_ok {
            return Err(format!(
                "host.samples[{i}]`: psi_some_avg10 must be 0 to 100 and load1 0 to 1000000"
            ));
        }
    }
    Ok(())
}

fn check_trial(t: &TrialRecord, windows: (usize, i64)) -> Result<(), String> {
    if !(0..=32_503_680_000_000_000).contains(&t.origin_unix_us) {
        return Err(format!(
            "origin_unix_us`: {} is not a date between 1970 and 3000",
            t.origin_unix_us
        ));
    }
    clock("deploy_us", t.deploy_us)?;
    check_requests(t, windows)?;
    count("probes", t.probes.len(), MAX_REPLICAS as usize * 64)?;
    for (i, p) in t.probes.iter().enumerate() {
        clock(&format!("probes[{i}].interval_us"), p.interval_us)?;
        clock(&format!("probes[{i}].slow_interval_us"), p.slow_interval_us)?;
        count(&format!("probes[{i}].fast_spans"), p.fast_spans.len(), MAX_ENTRIES)?;
        for s in p.fast_spans.iter().chain([&p.probing_us]).flatten() {
            clock(&format!("probes[{i}].fast_spans"), *s)?;
        }
        for (j, tr) in p.transitions.iter().enumerate() {
            clock(&format!("probes[{i}].transitions[{j}].sent_us"), tr.sent_us)?;
            clock(&format!("probes[{i}].transitions[{j}].done_us"), tr.done_us)?;
        }
    }
    check_host(&t.host)?;
    count("faults", t.faults.len(), MAX_PLANNED_FAULTS as usize)?;
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
    for (name, len) in [
        ("lifecycle", t.lifecycle.len()),
        ("logs", t.logs.len()),
        ("checks", t.checks.len()),
        ("errors", t.errors.len()),
        ("fresh", t.fresh.len()),
        ("memory.series", t.memory.series.len()),
    ] {
        count(name, len, MAX_ENTRIES)?;
    }
    for e in &t.lifecycle {
        clock("lifecycle[].at_us", e.at_us)?;
    }
    for l in &t.logs {
        count("logs[].lines", l.lines.len(), MAX_ENTRIES)?;
        for (at, _) in &l.lines {
            clock("logs[].lines", *at)?;
        }
        for r in &l.reads {
            clock("logs[].reads[].at_us", r.at_us)?;
        }
    }
    for c in &t.checks {
        for v in &c.verifications {
            clock("checks[].verifications[].at_us", v.at_us)?;
        }
    }
    clock("memory.interval_us", t.memory.interval_us)?;
    for s in &t.memory.series {
        count("memory.series[].samples", s.samples.len(), MAX_MEMORY_SAMPLES)?;
        for [at, _] in &s.samples {
            clock("memory.series[].samples", *at)?;
        }
    }
    if let Some(r) = &t.read_only {
        clock("read_only.duration_us", r.duration_us)?;
    }
    Ok(())
}

/// The request log: columns of one length, instants on the clock, windows bounded.
fn check_requests(t: &TrialRecord, (windows, window_us): (usize, i64)) -> Result<(), String> {
    let r = &t.requests;
    let n = r.intended_us.len();
    if r.done_us.len() != n || r.outcome.len() != n || r.replica.len() != n {
        return Err(format!(
            "requests`: its columns differ in length (intended_us {n}, done_us {}, outcome {}, replica {})",
            r.done_us.len(),
            r.outcome.len(),
            r.replica.len()
        ));
    }
    for (&a, &b) in r.intended_us.iter().zip(&r.done_us) {
        clock("requests.intended_us", a)?;
        clock("requests.done_us", b)?;
    }
    if r.intended_us.windows(2).any(|w| w[0] > w[1]) {
        return Err("requests.intended_us`: not sorted (a run writes it sorted)".into());
    }
    if !(0..=10_000_000).contains(&r.window_us) || (r.window_us == 0 && !r.windows.is_empty()) {
        return Err(format!(
            "requests.window_us`: {} is not a window of 1 µs to 10 s",
            r.window_us
        ));
    }
    // the recorder keeps the scenario's own load window: another width is not a run's
    if r.window_us != 0 && r.window_us != window_us {
        return Err(format!(
            "requests.window_us`: {} µs is not the scenario's load window ({window_us} µs)",
            r.window_us
        ));
    }
    count("requests.windows", r.windows.len(), windows)?;
    for (i, w) in r.windows.iter().enumerate() {
        let f = format!("requests.windows[{i}]");
        for us in [w.first_intended_us, w.last_intended_us, w.first_done_us] {
            clock(&f, us)?;
        }
        clock(&format!("{f}.index"), w.index.saturating_mul(r.window_us))?;
        if w.first_intended_us > w.last_intended_us || w.count > crate::scenario::MAX_TOTAL_REQUESTS {
            return Err(format!("{f}`: its count or intended range is impossible"));
        }
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
mod tests {
    use super::*;
    use crate::report::{fixture, json, Report};

    #[test]
    fn a_written_record_reads_back_and_each_bound_names_its_field() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("record.json");
        std::fs::write(&path, json::record(&Report::build(fixture::record())).unwrap()).unwrap();
        assert!(RunRecord::read(&path).is_ok());
        let mut r = fixture::record();
        r.trials[0].faults[0].issued_us = i64::MAX;
        assert!(r.check().unwrap_err().contains("trials[0].faults[0]"));
        let mut r = fixture::record();
        r.scenario.load.window = Duration::from_micros(1);
        assert!(r.check().unwrap_err().contains("scenario.load.window"));
        let mut r = fixture::record();
        r.trials[0].requests.intended_us.push(1);
        assert!(r.check().unwrap_err().contains("columns differ"));
        let mut r = fixture::record();
        r.trials = vec![TrialRecord::default(); MAX_TRIALS as usize + 1];
        assert!(r.check().unwrap_err().contains("`trials`"));
    }

    #[test]
    fn host_readings_out_of_range_are_refused_by_field() {
        assert!(fixture::record().check().is_ok());
        let mut r = fixture::record();
        r.trials[1].host.samples[0].psi_some_avg10 = Some(250.0);
        assert!(r.check().unwrap_err().contains("trials[1].host.samples[0]"));
        let mut r = fixture::record();
        r.trials[0].host.samples[1].load1 = Some(1e300);
        assert!(r.check().unwrap_err().contains("host.samples[1]"));
        let mut r = fixture::record();
        r.trials[0].host.samples[0].at_us = i64::MIN;
        assert!(r.check().unwrap_err().contains("host.samples[0].at_us"));
        let mut r = fixture::record();
        r.trials[0].host.samples = vec![Default::default(); MAX_HOST_SAMPLES + 1];
        assert!(r.check().unwrap_err().contains("host.samples`"));
    }
}
