//! What process runs killed with SIGKILL left: their replicas died with them
//! (`PR_SET_PDEATHSIG`), their run folders did not. At the start of a process run, folders
//! whose owner is certainly gone (the same rule as for Docker objects, `labels.rs`) are
//! removed, with any process that still carries their run's label.

use super::{label_env, LABELS_FILE};
use crate::backend::labels;
use std::collections::HashMap;
use std::path::Path;

/// Removes the run folders under `dir` (the temporary folder) left by dead owners;
/// returns how many.
pub fn reap(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for e in entries.flatten() {
        // a folder of our naming, never a symlink
        let ours = e.file_name().to_string_lossy().starts_with("phoenix-");
        if !ours || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path().join(LABELS_FILE)) else {
            continue;
        };
        let found: HashMap<String, String> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let Some(run) = found.get(labels::RUN) else { continue };
        if !labels::owner_is_dead(&found) {
            continue;
        }
        kill_labelled(run);
        if std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
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
            // SAFETY: plain integers; only a process carrying a dead run's label
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
