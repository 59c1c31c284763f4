//! The read-only trial over every trial: which requests failed on a replica whose root
//! filesystem was read-only, and in one sentence what that says. A hint, never a cap.

use crate::record::{ReadOnlyFailure, RunRecord, MAX_READ_ONLY_FAILURES};
use serde::{Deserialize, Serialize};

/// The read-only trial, summed over trials (`audit.read_only_trial` in result.json).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadOnlySummary {
    /// The scenario asked for it (`[audit] read_only_trial = true`).
    pub(crate) enabled: bool,
    /// It ran in at least one trial: its instance started (healthy or not).
    pub measured: bool,
    /// Why it was not measured; None when it was.
    pub reason: Option<String>,
    /// Planned length of its load per trial, ms.
    pub duration_ms: f64,
    /// Requests per second.
    pub rate: f64,
    /// Trials in which it ran.
    pub trials: u32,
    /// The read-only instance became healthy in every trial it ran in.
    pub healthy: bool,
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    /// Measured, healthy and no request failed; None when not measured.
    pub passed: Option<bool>,
    /// Failed requests by method, path, status and class, most frequent first.
    pub failures: Vec<ReadOnlyFailure>,
    /// The last output lines of the instance, from the first trial in which something
    /// failed (else the first trial).
    pub output: Vec<String>,
    /// What it found, in one sentence.
    pub finding: String,
}

/// Sums the read-only trials of `record`.
pub(crate) fn summarise(record: &RunRecord) -> ReadOnlySummary {
    let Some(cfg) = record.scenario.audit.read_only_trial else {
        return ReadOnlySummary {
            reason: Some("not asked for: the scenario's [audit] read_only_trial is off".into()),
            finding: "not run".into(),
            ..Default::default()
        };
    };
    let mut s = ReadOnlySummary {
        enabled: true,
        duration_ms: cfg.duration.as_secs_f64() * 1000.0,
        rate: cfg.rate,
        healthy: true,
        ..Default::default()
    };
    let mut errors = Vec::new();
    let mut output: Option<&Vec<String>> = None;
    for (t, r) in record
        .trials
        .iter()
        .filter_map(|t| t.read_only.as_ref().map(|r| (t.index, r)))
    {
        if let Some(e) = &r.error {
            errors.push(format!("trial {t}: {e}"));
            continue;
        }
        s.trials += 1;
        s.healthy &= r.healthy;
        s.sent += r.sent;
        s.ok += r.ok;
        s.failed += r.failed;
        for f in &r.failures {
            let same = |g: &ReadOnlyFailure| {
                g.method == f.method && g.path == f.path && g.status == f.status && g.class == f.class
            };
            match s.failures.iter().position(same) {
                Some(i) => s.failures[i].count += f.count,
                None if s.failures.len() < MAX_READ_ONLY_FAILURES => s.failures.push(f.clone()),
                None => {}
            }
        }
        let bad = !r.healthy || r.failed > 0;
        if output.is_none() || (bad && s.output.is_empty()) {
            output = Some(&r.output);
            if bad {
                s.output = r.output.clone();
            }
        }
    }
    if s.output.is_empty() {
        s.output = output.cloned().unwrap_or_default();
    }
    s.failures.sort_by_key(|f| std::cmp::Reverse(f.count));
    s.measured = s.trials > 0;
    if !s.measured {
        s.healthy = false;
        s.reason = Some(if errors.is_empty() {
            "no trial reached the end of its load, where the read-only trial runs".into()
        } else {
            errors.join("; ")
        });
        s.finding = format!("not measured: {}", s.reason.as_deref().unwrap_or_default());
        return s;
    }
    s.passed = Some(s.healthy && s.failed == 0);
    s.finding = finding(&s);
    s
}

fn finding(s: &ReadOnlySummary) -> String {
    if !s.healthy {
        return "the app did not become healthy with a read-only root filesystem (and a tmpfs at /tmp): it writes \
                to its local disk as it starts"
            .into();
    }
    if s.failed == 0 {
        return format!(
            "all {} requests of the mix succeeded with a read-only root filesystem: none needs a writable local disk",
            s.sent
        );
    }
    let kinds: Vec<String> = s
        .failures
        .iter()
        .take(3)
        .map(|f| {
            let how = f.status.map_or_else(|| f.class.clone(), |st| st.to_string());
            format!("{} {} → {how} ({}×)", f.method, f.path, f.count)
        })
        .collect();
    format!(
        "{} of {} requests failed with a read-only root filesystem: {}; they need a writable local disk, which a replacement starts without",
        s.failed,
        s.sent,
        kinds.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Outcome, ReadOnlyRecord};

    #[test]
    fn failures_are_summed_over_trials_and_named() {
        let mut rec = crate::report::fixture::record();
        let mut extra = ReadOnlyRecord {
            healthy: true,
            sent: 10,
            ok: 8,
            ..Default::default()
        };
        extra.fail("POST", "/upload", Some(500), Outcome::Http5xx, "internal error");
        extra.fail("GET", "/x", None, Outcome::Reset, "");
        rec.trials[1].read_only = Some(extra);
        let s = summarise(&rec);
        assert!(s.enabled && s.measured && s.healthy);
        assert_eq!((s.sent, s.ok, s.failed), (310, 307, 3));
        assert_eq!(s.passed, Some(false));
        assert_eq!(s.failures[0].path, "/upload");
        assert_eq!(s.failures[0].count, 2);
        assert!(s.finding.contains("POST /upload → 500 (2×)"), "{}", s.finding);
        assert!(s.finding.contains("GET /x → reset (1×)"), "{}", s.finding);
    }

    #[test]
    fn off_unstarted_and_unhealthy_are_told_apart() {
        let mut rec = crate::report::fixture::record();
        for t in &mut rec.trials {
            t.read_only = Some(ReadOnlyRecord {
                error: Some("failed to start replica".into()),
                ..Default::default()
            });
        }
        let s = summarise(&rec);
        assert!(s.enabled && !s.measured && s.passed.is_none());
        assert!(s
            .reason
            .as_deref()
            .unwrap()
            .contains("trial 0: failed to start replica"));
        rec.trials[0].read_only = Some(ReadOnlyRecord {
            output: vec!["upload dir: Read-only file system".into()],
            ..Default::default()
        });
        let s = summarise(&rec);
        assert!(s.measured && !s.healthy);
        assert_eq!(s.passed, Some(false));
        assert_eq!(s.output, vec!["upload dir: Read-only file system".to_string()]);
        rec.scenario.audit.read_only_trial = None;
        let s = summarise(&rec);
        assert!(!s.enabled && !s.measured && s.reason.is_some());
    }
}
