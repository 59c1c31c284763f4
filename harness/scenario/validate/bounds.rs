//! Resource bounds: a scenario that would exhaust the machine (memory for the request
//! log or for uploads, endless fault chains, huge lists) is refused at validation, with
//! the arithmetic in the message. Every limit is listed in the docs/scenarios.md ("Limits and rules").

use super::super::checks::{Body, Check, Upload};
use super::super::duration::format_duration;
use super::super::{Fault, FaultKind, Load, ALL};
use super::Validator;
use std::ops::RangeInclusive;
use std::time::Duration;

/// Highest load rate accepted, requests per second (a 2-core load generator's ceiling).
pub(crate) const MAX_RATE: f64 = 20_000.0;
/// Longest load accepted.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(3600);
/// `load.duration` accepted: a second to [`MAX_DURATION`].
pub(crate) const LOAD_DURATION: RangeInclusive<Duration> = Duration::from_secs(1)..=MAX_DURATION;
/// `load.timeout` accepted.
pub(crate) const LOAD_TIMEOUT: RangeInclusive<Duration> = Duration::from_millis(1)..=Duration::from_secs(60);
/// `load.window` accepted (the width of the request log's windows).
pub(crate) const LOAD_WINDOW: RangeInclusive<Duration> = Duration::from_millis(10)..=Duration::from_secs(10);
/// `app.health.interval` accepted (fast probing).
pub(crate) const HEALTH_INTERVAL: RangeInclusive<Duration> = Duration::from_millis(1)..=Duration::from_secs(10);
/// `app.health.slow_interval` accepted.
pub(crate) const HEALTH_SLOW_INTERVAL: RangeInclusive<Duration> = Duration::from_millis(1)..=Duration::from_secs(60);
/// `app.start_timeout` accepted.
pub(crate) const START_TIMEOUT: RangeInclusive<Duration> = Duration::from_millis(100)..=Duration::from_secs(600);
/// `certify.steady_window` accepted.
pub(crate) const STEADY_WINDOW: RangeInclusive<Duration> = Duration::from_millis(10)..=Duration::from_secs(60);
/// Most replicas accepted.
pub(crate) const MAX_REPLICAS: u32 = 16;
/// Most trials accepted.
pub(crate) const MAX_TRIALS: u32 = 100;
/// Most requests in flight at once.
pub(crate) const MAX_IN_FLIGHT: i64 = 10_000;
/// Most planned requests over all trials. The run keeps successful requests per window, but
/// every failed request one by one (its intended and done instants, outcome and replica: 19
/// bytes) until the report is written, so a run in which all 20 M fail holds about 380 MB.
pub(crate) const MAX_TOTAL_REQUESTS: u64 = 20_000_000;
/// Bytes one request kept one by one occupies in the run's request log (two i64, an
/// outcome, a u16).
pub(crate) const BYTES_PER_REQUEST: u64 = 19;
/// Most upload bytes all journeys of all checks hold at once (each journey keeps what it
/// uploaded, to compare it after the faults): 256 MiB.
pub(crate) const MAX_UPLOAD_TOTAL: u64 = 256 * 1024 * 1024;
/// Most upload bytes the load mix holds (each multipart kind is built once and kept for
/// the whole load): 64 MiB.
pub(crate) const MAX_LOAD_UPLOAD_TOTAL: u64 = 64 * 1024 * 1024;
/// Most `[[fault]]` entries.
pub(crate) const MAX_FAULT_ENTRIES: usize = 100;
/// Most single faults once chaos loops and `all` targets are expanded.
pub(crate) const MAX_PLANNED_FAULTS: u64 = 1000;
/// Most `[[service]]` entries.
pub(crate) const MAX_SERVICES: usize = 16;
/// Most `[[check]]` entries.
pub(crate) const MAX_CHECKS: usize = 32;
/// Most steps in one check's `setup` or `verify`.
pub(crate) const MAX_STEPS: usize = 64;
/// Most kinds of request in `load.requests`.
pub(crate) const MAX_REQUEST_KINDS: usize = 64;
/// Most headers of one request or step.
pub(crate) const MAX_HEADERS: usize = 64;
/// Most captures of one step.
pub(crate) const MAX_CAPTURES: usize = 32;
/// Most named volumes.
pub(crate) const MAX_VOLUMES: usize = 32;
/// Largest text body of a load request or a step, in bytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest scenario name, in bytes (it names report folders).
pub(crate) const MAX_NAME_BYTES: usize = 100;
/// Longest description, in bytes.
pub(crate) const MAX_DESCRIPTION_BYTES: usize = 4096;
/// Load that must run before the first fault: the undisturbed baseline the analysis
/// compares recovery with.
pub(crate) const MIN_BASELINE: Duration = Duration::from_secs(1);
/// Highest rate of the read-only trial, requests per second: it is a probe of which
/// requests need a writable disk, not a second load test.
pub(crate) const READ_ONLY_MAX_RATE: f64 = 200.0;
/// Longest read-only trial.
pub(crate) const READ_ONLY_MAX_DURATION: Duration = Duration::from_secs(30);
/// Size of the tmpfs the read-only replica gets at /tmp, bytes (16 MiB).
pub(crate) const READ_ONLY_TMPFS_BYTES: u64 = 16 * 1024 * 1024;

/// Why `rate` is not a load rate: not a positive number, or over [`MAX_RATE`].
pub(crate) fn rate_problem(rate: f64) -> Option<String> {
    if !rate.is_finite() || rate <= 0.0 {
        Some(format!("{} is not a positive rate", shown_rate(rate)))
    } else if rate > MAX_RATE {
        Some(format!("{} is above the limit of {MAX_RATE}", shown_rate(rate)))
    } else {
        None
    }
}

/// A rate for a message: huge values in exponent form, not 300 digits.
fn shown_rate(rate: f64) -> String {
    if rate.abs() >= 1e9 {
        format!("{rate:e}")
    } else {
        rate.to_string()
    }
}

/// Why a load over `trials` trials plans more requests than the run can keep, with the
/// arithmetic. Also used for `--trials` on the command line.
pub(crate) fn request_budget_problem(load: &Load, trials: u32) -> Option<String> {
    let per_trial = load.planned_requests();
    let total = per_trial.saturating_mul(u64::from(trials));
    (total > MAX_TOTAL_REQUESTS).then(|| {
        format!(
            "{} req/s × {} × {trials} trial(s) = {total} planned requests, over the limit of {MAX_TOTAL_REQUESTS} \
             (the run keeps {BYTES_PER_REQUEST} bytes in memory per failed request: {} MB if every one failed)",
            load.rate,
            format_duration(load.duration),
            total.saturating_mul(BYTES_PER_REQUEST) / 1_000_000
        )
    })
}

impl Validator<'_> {
    /// Reports a list longer than `max` and returns how many entries to validate.
    pub(super) fn at_most(&mut self, field: &str, len: usize, max: usize, what: &str) -> usize {
        if len > max {
            self.problem(
                field,
                format!("has {len} {what}, over the limit of {max}"),
                Some(format!("keep at most {max} {what}; only the first {max} were checked")),
            );
        }
        len.min(max)
    }

    /// Refuses a text longer than `max` bytes.
    pub(super) fn bytes_at_most(&mut self, field: &str, text: &str, max: usize) {
        if text.len() > max {
            self.problem(
                field,
                format!("is {} bytes, over the limit of {max} bytes", text.len()),
                Some("shorten it".into()),
            );
        }
    }

    pub(super) fn request_budget(&mut self, load: &Load, trials: u32) {
        if let Some(why) = request_budget_problem(load, trials) {
            self.problem(
                "load.rate",
                why,
                Some("lower load.rate, load.duration or trials".into()),
            );
        }
    }

    /// Journeys × upload bytes, summed over the checks, against [`MAX_UPLOAD_TOTAL`].
    pub(super) fn upload_budget(&mut self, checks: &[Check], sizes: &dyn Fn(&std::path::Path) -> u64) {
        let mut total: u64 = 0;
        let mut terms = Vec::new();
        let mut first = None;
        for (i, c) in checks.iter().enumerate() {
            let per_journey: u64 = c
                .setup
                .iter()
                .chain(&c.verify)
                .map(|s| match &s.body {
                    Body::Multipart {
                        upload: Upload::Random(n),
                        ..
                    } => *n as u64,
                    Body::Multipart {
                        upload: Upload::File(p),
                        ..
                    } => sizes(p),
                    _ => 0,
                })
                .sum();
            if per_journey > 0 {
                first.get_or_insert(i);
                let bytes = u64::from(c.journeys).saturating_mul(per_journey);
                total = total.saturating_add(bytes);
                terms.push(format!("{} journeys × {per_journey} bytes", c.journeys));
            }
        }
        if total > MAX_UPLOAD_TOTAL {
            self.problem(
                &format!("check[{}].journeys", first.unwrap_or(0)),
                format!(
                    "{} = {total} upload bytes held in memory, over the limit of {MAX_UPLOAD_TOTAL} (256 MiB)",
                    terms.join(" + ")
                ),
                Some("lower journeys or the upload size (multipart.bytes, or a smaller file)".into()),
            );
        }
    }

    /// Faults run one after another, each waiting out its `delay` (or `for`) before its
    /// action: refuses a fault whose action the chain pushes to or past the end of the
    /// load, and more single faults than [`MAX_PLANNED_FAULTS`]. (A stop's `grace` is an
    /// upper bound, the app may exit sooner, so it is not counted.)
    pub(super) fn fault_timeline(&mut self, faults: &[(usize, Fault)], replicas: &[String], load: &Load) {
        // a burn hits everything at once: one fault, one delay
        let targets = |f: &Fault| {
            if f.target == ALL && f.kind != FaultKind::Burn {
                replicas.len() as u64
            } else {
                1
            }
        };
        let planned: u64 = faults
            .iter()
            .map(|(_, f)| u64::from(f.chaos.map_or(1, |c| c.count)) * targets(f))
            .sum();
        if planned > MAX_PLANNED_FAULTS {
            self.problem(
                &format!("fault[{}]", faults.last().map_or(0, |f| f.0)),
                format!("the faults expand to {planned} single faults, over the limit of {MAX_PLANNED_FAULTS}"),
                Some("lower chaos counts, or target fewer replicas".into()),
            );
            return;
        }
        let mut single: Vec<(usize, Fault)> = faults
            .iter()
            .flat_map(|(i, f)| {
                super::super::plan::expand(f, replicas)
                    .into_iter()
                    .map(move |s| (*i, s))
            })
            .collect();
        single.sort_by_key(|(_, f)| f.at);
        let mut free = Duration::ZERO;
        let mut pusher: Option<usize> = None;
        let mut reported = std::collections::BTreeSet::new();
        for (i, f) in single {
            let start = f.at.max(free);
            let end = start + f.delay * targets(&f) as u32;
            let key = if matches!(f.kind, FaultKind::Pause | FaultKind::Disconnect | FaultKind::Remove) {
                "for"
            } else {
                "delay"
            };
            if end >= load.duration && reported.insert(i) {
                let pushed = match pusher {
                    Some(j) if start > f.at => format!(
                        " (it cannot start before {}, when fault[{j}]'s {key} ends)",
                        format_duration(start)
                    ),
                    _ => String::new(),
                };
                let per = if targets(&f) > 1 {
                    format!(" × {} replicas", targets(&f))
                } else {
                    String::new()
                };
                self.problem(
                    &format!("fault[{i}].{key}"),
                    format!(
                        "its {} would come at {} + {} {key}{per} = {}, at or after the end of the load ({}){pushed}",
                        f.action.as_str(),
                        format_duration(start),
                        format_duration(f.delay),
                        format_duration(end),
                        format_duration(load.duration)
                    ),
                    Some("shorten the delay, schedule the faults earlier or make load.duration longer".into()),
                );
            }
            if end > free {
                free = end;
                pusher = Some(i);
            }
        }
    }
}
