//! The statelessness audit, judged: which files each instance wrote while serving (after
//! its boot read), grouped by directory, apart from its boot writes, known caches, logs
//! and the scenario's ephemeral paths; and where a fresh instance answered the sample
//! requests differently from the one it replaced. Each judgement that shows state dying
//! with an instance is a [`Finding`] that caps the level at `fragile`; the certification
//! applies the caps. Pure.

use crate::record::{FreshPair, FsReadWhen, InstanceLog, Reply, RunRecord};
use crate::scenario::{escape, Level};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Groups kept per list.
pub(crate) const MAX_GROUPS: usize = 50;
/// Findings kept per kind.
pub(crate) const MAX_FINDINGS: usize = 20;
/// Characters of a body shown in a difference.
const SHOWN: usize = 80;

/// Files of one replica under one directory, summed over its instances and trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteGroup {
    pub replica: String,
    pub dir: String,
    pub files: u64,
    /// Sum of the sizes read, bytes (files past the stat bound count 0: see `unsized_files`).
    pub bytes: u64,
    pub(crate) unsized_files: u64,
    /// The first read that listed a file of the group, ms on the trial clock (the file was
    /// written at or before it, after the instance's previous read).
    pub(crate) first_seen_ms: f64,
    /// An instance holding these files was replaced (or removed) during the trial.
    pub replaced: bool,
}

/// A sample request a fresh instance answered differently from the instance it replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreshDiff {
    pub trial: u32,
    pub replica: String,
    pub fault: String,
    pub request: String,
    /// `status`, or `body` (after the volatile fields are removed).
    pub(crate) differs_in: String,
    /// Status and the start of the body, escaped.
    pub before: String,
    pub after: String,
}

/// A judgement of the audit. `caps`: the highest level the run may have because of it
/// (None: a hint, shown but not capping).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `local_writes`, `local_logs`, `old_vs_fresh`; `unread` (a hint: an instance's last
    /// read is missing).
    pub kind: String,
    pub replica: Option<String>,
    pub text: String,
    pub caps: Option<Level>,
}

/// The audit's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    /// Instances read at boot and again later: their writes are classified.
    pub instances_read: u64,
    /// Instances with reads but no boot read (it failed, or the backend cannot read at
    /// boot): their files are not judged.
    pub instances_unread: u64,
    /// Files written while serving, outside ephemeral paths, caches and logs.
    pub(crate) load_writes: Vec<WriteGroup>,
    /// Files present at the boot read, and known caches (`__pycache__`, `*.pyc`, `*.pid`).
    pub boot_writes: Vec<WriteGroup>,
    /// Files under `audit.ephemeral`.
    pub ephemeral_writes: Vec<WriteGroup>,
    /// Files under `/var/log` written while serving.
    pub log_writes: Vec<WriteGroup>,
    /// Sample requests answered by both the old and the fresh instance.
    pub fresh_compared: u64,
    pub fresh_diff: Vec<FreshDiff>,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Load,
    Boot,
    Ephemeral,
    Log,
}

/// Is `path` `root` or inside it (whole components)?
fn under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    path == root || (path.starts_with(root) && path.as_bytes().get(root.len()) == Some(&b'/'))
}

fn known_cache(path: &str) -> bool {
    path.split('/').any(|c| c == "__pycache__") || path.ends_with(".pyc") || path.ends_with(".pid")
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

/// Sizes in binary units: `512 B`, `4.0 KiB`, `1.5 MiB`.
pub(crate) fn bytes_text(b: u64) -> String {
    match b {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

#[derive(Default)]
struct Groups(BTreeMap<(u8, String, String), WriteGroup>);

impl Groups {
    fn add(&mut self, kind: Kind, replica: &str, path: &str, bytes: Option<u64>, seen_us: i64, replaced: bool) {
        let dir = parent(path).to_string();
        let g = self
            .0
            .entry((kind as u8, replica.to_string(), dir.clone()))
            .or_insert_with(|| WriteGroup {
                replica: replica.to_string(),
                dir,
                files: 0,
                bytes: 0,
                unsized_files: 0,
                first_seen_ms: f64::INFINITY,
                replaced: false,
            });
        g.files += 1;
        g.bytes += bytes.unwrap_or(0);
        g.unsized_files += u64::from(bytes.is_none());
        g.first_seen_ms = g.first_seen_ms.min(seen_us as f64 / 1000.0);
        g.replaced |= replaced;
    }

    fn list(&self, kind: Kind) -> Vec<WriteGroup> {
        let mut v: Vec<WriteGroup> = self
            .0
            .iter()
            .filter(|((k, _, _), _)| *k == kind as u8)
            .map(|(_, g)| g.clone())
            .collect();
        v.sort_by(|a, b| {
            b.files
                .cmp(&a.files)
                .then(a.replica.cmp(&b.replica))
                .then(a.dir.cmp(&b.dir))
        });
        v.truncate(MAX_GROUPS);
        v
    }
}

/// Classifies one instance's files; false when it has no boot read to judge them by.
/// `deploy_boot`: the paths instances of the same trial held at their deployment boot read.
fn classify(log: &InstanceLog, deploy_boot: &BTreeSet<&str>, record: &RunRecord, groups: &mut Groups) -> bool {
    let is_boot = |w: FsReadWhen| matches!(w, FsReadWhen::Boot | FsReadWhen::FreshBoot);
    let Some(boot) = log.reads.iter().find(|r| is_boot(r.when)) else {
        return false;
    };
    let mounts: Vec<&str> = record.scenario.app.volumes.iter().map(|v| v.path.as_str()).collect();
    let ephemeral = &record.scenario.audit.ephemeral;
    let replaced = log.reads.iter().any(|r| r.when == FsReadWhen::Replaced);
    // a fresh instance is read while the load already reaches it: what it holds then is a
    // boot write only where a deployment boot wrote the same path
    let booted: BTreeMap<&str, Option<u64>> = boot
        .files
        .iter()
        .filter(|f| boot.when == FsReadWhen::Boot || deploy_boot.contains(f.path.as_str()))
        .map(|f| (f.path.as_str(), f.bytes))
        .collect();
    // path -> (size at the latest read, first read listing it)
    let mut later: BTreeMap<&str, (Option<u64>, i64)> = BTreeMap::new();
    let mut reads: Vec<_> = log.reads.iter().filter(|r| r.when != FsReadWhen::Boot).collect();
    reads.sort_by_key(|r| r.at_us);
    for r in reads {
        for f in &r.files {
            let e = later.entry(&f.path).or_insert((f.bytes, r.at_us));
            e.0 = f.bytes;
        }
    }
    let kind_of = |path: &str, written_while_serving: bool| {
        if ephemeral.iter().any(|e| under(path, e)) {
            Kind::Ephemeral
        } else if !written_while_serving || known_cache(path) {
            Kind::Boot
        } else if under(path, "/var/log") {
            Kind::Log
        } else {
            Kind::Load
        }
    };
    for f in &boot.files {
        if !later.contains_key(f.path.as_str()) && !mounts.iter().any(|m| under(&f.path, m)) {
            groups.add(
                kind_of(&f.path, false),
                &log.replica,
                &f.path,
                f.bytes,
                boot.at_us,
                replaced,
            );
        }
    }
    for (path, (bytes, seen)) in later {
        if mounts.iter().any(|m| under(path, m)) {
            continue;
        }
        // a boot file counts as written while serving only when its size changed since
        let serving = match booted.get(path) {
            None => true,
            Some(b) => b.is_some() && bytes.is_some() && *b != bytes,
        };
        let at = if serving { seen } else { boot.at_us };
        groups.add(kind_of(path, serving), &log.replica, path, bytes, at, replaced);
    }
    true
}

/// Removes the volatile fields: `$.a.b` from the root, `key` at any depth.
fn strip(v: &mut serde_json::Value, volatile: &[String]) {
    for f in volatile {
        match f.strip_prefix("$.") {
            Some(path) => {
                let keys: Vec<&str> = path.split('.').collect();
                let (last, parents) = keys.split_last().expect("validated non-empty");
                let mut at = Some(&mut *v);
                for k in parents {
                    at = at.and_then(|x| x.get_mut(*k));
                }
                if let Some(serde_json::Value::Object(m)) = at {
                    m.remove(*last);
                }
            }
            None => strip_key(v, f),
        }
    }
}

fn strip_key(v: &mut serde_json::Value, key: &str) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove(key);
            m.values_mut().for_each(|x| strip_key(x, key));
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| strip_key(x, key)),
        _ => {}
    }
}

/// How the fresh answer differs from the old one (None: the same, or not comparable).
pub fn differs(before: &Reply, after: &Reply, volatile: &[String]) -> Option<&'static str> {
    let (Some(a), Some(b)) = (before.status, after.status) else {
        return None;
    };
    if a != b {
        return Some("status");
    }
    let same = if before.complete && after.complete {
        let json = |r: &Reply| serde_json::from_str::<serde_json::Value>(&r.text).ok();
        match (json(before), json(after)) {
            (Some(mut x), Some(mut y)) => {
                strip(&mut x, volatile);
                strip(&mut y, volatile);
                x == y
            }
            _ => before.text == after.text,
        }
    } else {
        before.hash == after.hash && before.body_bytes == after.body_bytes
    };
    (!same).then_some("body")
}

fn shown(r: &Reply) -> String {
    let mut body: String = r.text.chars().take(SHOWN).collect();
    if r.text.chars().count() > SHOWN || !r.complete {
        body.push('…');
    }
    format!("status {}, \"{}\"", r.status.unwrap_or(0), escape(&body))
}

fn diff_of(trial: u32, p: &FreshPair, volatile: &[String]) -> Option<FreshDiff> {
    differs(&p.before, &p.after, volatile).map(|what| FreshDiff {
        trial,
        replica: p.replica.clone(),
        fault: p.fault.clone(),
        request: p.request.clone(),
        differs_in: what.into(),
        before: shown(&p.before),
        after: shown(&p.after),
    })
}

fn count(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn size(g: &WriteGroup) -> String {
    match g.unsized_files {
        0 => bytes_text(g.bytes),
        n => format!("{} and {} of unknown size", bytes_text(g.bytes), count(n, "file")),
    }
}

/// Audits a run.
pub fn audit(record: &RunRecord) -> Audit {
    let mut groups = Groups::default();
    let mut a = Audit::default();
    let mut unfinished: Vec<&InstanceLog> = Vec::new();
    for t in &record.trials {
        let deploy_boot: BTreeSet<&str> = t
            .logs
            .iter()
            .flat_map(|l| l.reads.iter().filter(|r| r.when == FsReadWhen::Boot))
            .flat_map(|r| r.files.iter().map(|f| f.path.as_str()))
            .collect();
        for log in t.logs.iter().filter(|l| !l.reads.is_empty()) {
            if classify(log, &deploy_boot, record, &mut groups) {
                a.instances_read += 1;
                // every instance is read when replaced, removed or at the end: without that
                // read (the engine did not answer in time) its later writes are unknown
                let last = |w: FsReadWhen| matches!(w, FsReadWhen::Replaced | FsReadWhen::End);
                if !log.reads.iter().any(|r| last(r.when)) {
                    unfinished.push(log);
                }
            } else {
                a.instances_unread += 1;
            }
        }
    }
    a.load_writes = groups.list(Kind::Load);
    a.boot_writes = groups.list(Kind::Boot);
    a.ephemeral_writes = groups.list(Kind::Ephemeral);
    a.log_writes = groups.list(Kind::Log);
    let volatile = &record.scenario.audit.volatile;
    for t in &record.trials {
        a.fresh_compared += t.fresh.len() as u64;
        a.fresh_diff
            .extend(t.fresh.iter().filter_map(|p| diff_of(t.index, p, volatile)));
    }
    a.fresh_diff.truncate(MAX_GROUPS);
    for g in a.load_writes.iter().take(MAX_FINDINGS) {
        let replica = escape(&g.replica);
        let fate = if g.replaced {
            format!("they were lost when {replica} was replaced")
        } else {
            format!("a replacement of {replica} will not have them")
        };
        a.findings.push(Finding {
            kind: "local_writes".into(),
            replica: Some(g.replica.clone()),
            text: format!(
                "{replica} wrote {} ({}) under {} while serving; {fate}",
                count(g.files, "file"),
                size(g),
                escape(&g.dir)
            ),
            caps: Some(Level::Fragile),
        });
    }
    for g in a.log_writes.iter().take(MAX_FINDINGS) {
        a.findings.push(Finding {
            kind: "local_logs".into(),
            replica: Some(g.replica.clone()),
            text: format!(
                "{} wrote {} ({}) under {} while serving: logs kept on the instance die with it (write them to stdout)",
                escape(&g.replica),
                count(g.files, "log file"),
                size(g),
                escape(&g.dir)
            ),
            caps: None,
        });
    }
    for log in unfinished.iter().take(MAX_FINDINGS) {
        let id: String = log.instance.chars().take(12).collect();
        a.findings.push(Finding {
            kind: "unread".into(),
            replica: Some(log.replica.clone()),
            text: format!(
                "{}'s instance {} was read at boot but not when it was replaced or at the end (the engine did not answer in time): what it wrote later is not known",
                escape(&log.replica),
                escape(&id)
            ),
            caps: None,
        });
    }
    for d in a.fresh_diff.iter().take(MAX_FINDINGS) {
        a.findings.push(Finding {
            kind: "old_vs_fresh".into(),
            replica: Some(d.replica.clone()),
            text: format!(
                "{} on {}: the {} differs between the old instance before {} ({}) and the fresh one ({})",
                escape(&d.request),
                escape(&d.replica),
                d.differs_in,
                escape(&d.fault),
                d.before,
                d.after
            ),
            caps: Some(Level::Fragile),
        });
    }
    a
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
