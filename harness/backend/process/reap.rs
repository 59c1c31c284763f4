//! What process runs killed with SIGKILL left: their replicas died with them
//! (`PR_SET_PDEATHSIG`), their run folders did not. At the start of a process run, folders
//! whose owner is certainly gone (the same rule as for Docker objects, `labels.rs`) are
//! removed, with any process that still carries their run's label. `phoenix clean` lists
//! the same ([`leftovers`]), with the processes of dead runs whose folder is gone.

use super::{label_env, LABELS_FILE};
use crate::backend::labels;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What a dead process run left: its run folder, and the processes that still carry its
/// label (a program's children that outlived the harness: `PR_SET_PDEATHSIG` reaches only
/// the replica itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Leftover {
    pub run: String,
    /// The dead owner, `host:pid`.
    pub owner: String,
    /// The run's folder in the temporary folder, when it is still there.
    pub folder: Option<PathBuf>,
    /// Processes carrying the run's label.
    pub pids: Vec<i32>,
}

/// The labels of a run folder (its [`LABELS_FILE`]); None when it is not one of ours.
fn folder_labels(e: &std::fs::DirEntry) -> Option<HashMap<String, String>> {
    // a folder of our naming, never a symlink
    let ours = e.file_name().to_string_lossy().starts_with("phoenix-");
    if !ours || !e.file_type().is_ok_and(|t| t.is_dir()) {
        return None;
    }
    let text = std::fs::read_to_string(e.path().join(LABELS_FILE)).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Every process carrying a run label, with its labels (read from its environment).
fn labelled_processes() -> Vec<(i32, HashMap<String, String>)> {
    let keys = [labels::RUN, labels::OWNER, labels::OWNER_ID].map(|k| (label_env(k), k));
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in procs.flatten() {
        let Ok(pid) = p.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let env = std::fs::read(p.path().join("environ")).unwrap_or_default();
        let mut found = HashMap::new();
        for kv in env.split(|b| *b == 0) {
            let Some((k, v)) = std::str::from_utf8(kv).ok().and_then(|s| s.split_once('=')) else {
                continue;
            };
            if let Some((_, key)) = keys.iter().find(|(name, _)| name == k) {
                found.insert(key.to_string(), v.to_string());
            }
        }
        if pid > 1 && found.contains_key(labels::RUN) {
            out.push((pid, found));
        }
    }
    out
}

/// What dead process runs left: their folders under `dir` (the temporary folder) and the
/// processes carrying their labels, by run. Only owners that are certainly gone count (the
/// rule of `labels.rs`): a live run in another terminal is never listed.
pub fn leftovers(dir: &Path) -> Vec<Leftover> {
    let mut runs: BTreeMap<String, Leftover> = BTreeMap::new();
    let mut add = |found: &HashMap<String, String>| -> Option<String> {
        let run = found.get(labels::RUN)?;
        if !labels::owner_is_dead(found) {
            return None;
        }
        runs.entry(run.clone()).or_insert_with(|| Leftover {
            run: run.clone(),
            owner: found.get(labels::OWNER).cloned().unwrap_or_default(),
            folder: None,
            pids: Vec::new(),
        });
        Some(run.clone())
    };
    let mut folders = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Some(run) = folder_labels(&e).and_then(|l| add(&l)) {
            folders.push((run, e.path()));
        }
    }
    let mut pids = Vec::new();
    for (pid, found) in labelled_processes() {
        if let Some(run) = add(&found) {
            pids.push((run, pid));
        }
    }
    for (run, folder) in folders {
        if let Some(l) = runs.get_mut(&run) {
            l.folder = Some(folder);
        }
    }
    for (run, pid) in pids {
        if let Some(l) = runs.get_mut(&run) {
            l.pids.push(pid);
        }
    }
    runs.into_values().collect()
}

/// SIGKILLs the leftovers' processes (every process carrying their run's label, found
/// again, not only the pids listed: a pid may have been reused meanwhile) and removes their
/// folders; returns how many leftovers are entirely gone.
pub fn remove_leftovers(found: &[Leftover]) -> usize {
    let mut removed = 0;
    for l in found {
        kill_labelled(&l.run);
        let folder_gone = l.folder.as_ref().is_none_or(|f| match std::fs::remove_dir_all(f) {
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            Ok(()) => true,
        });
        removed += usize::from(folder_gone);
    }
    removed
}

/// Removes the run folders under `dir` (the temporary folder) left by dead owners, and the
/// processes carrying their labels; returns how many folders.
pub fn reap(dir: &Path) -> usize {
    let found: Vec<Leftover> = leftovers(dir).into_iter().filter(|l| l.folder.is_some()).collect();
    remove_leftovers(&found)
}

/// SIGKILLs every process whose environment names run `run` (a program's leftovers: its
/// children inherit the label variables).
pub(super) fn kill_labelled(run: &str) {
    let want = format!("{}={run}", label_env(labels::RUN));
    let Ok(procs) = std::fs::read_dir("/proc") else { return };
    for p in procs.flatten() {
        let Ok(pid) = p.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let env = std::fs::read(p.path().join("environ")).unwrap_or_default();
        if pid > 1 && env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()) {
            // SAFETY: plain integers; only a process carrying the run's label
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_folder(dir: &Path, name: &str, labels: &HashMap<String, String>) -> std::path::PathBuf {
        let f = dir.join(name);
        std::fs::create_dir_all(f.join("instance")).unwrap();
        let text: String = labels.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(f.join(LABELS_FILE), text).unwrap();
        f
    }

    #[test]
    fn only_folders_of_certainly_dead_owners_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = run_folder(tmp.path(), "phoenix-a-1", &labels::for_run("alive"));
        // the same host, boot and namespace, and a pid that cannot exist (pid_max ≤ 2^22)
        let mut dead = labels::for_run("dead");
        dead.insert(labels::OWNER.into(), format!("{}:9999999", labels::host()));
        let gone = run_folder(tmp.path(), "phoenix-b-2", &dead);
        let other = run_folder(tmp.path(), "other-c-3", &dead);
        assert_eq!(reap(tmp.path()), 1);
        assert!(!gone.exists(), "a dead owner's folder is removed");
        assert!(mine.exists(), "a live owner's folder is kept");
        assert!(other.exists(), "a folder not named by us is never touched");
    }
}
