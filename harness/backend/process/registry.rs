//! Every process group (while its leader is not reaped) and folder the process backends
//! of this harness process own, so that a forced exit (a second Ctrl-C, which skips
//! destructors) still kills and removes them. The normal paths — the waiter that reaps a
//! leader, the teardown and the backend's `Drop` — take their entries out.

use super::instance::signal_group;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
static DIRS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

pub(super) fn add_group(pgid: i32) {
    GROUPS.lock().unwrap_or_else(|e| e.into_inner()).insert(pgid);
}

pub(super) fn remove_group(pgid: i32) {
    GROUPS.lock().unwrap_or_else(|e| e.into_inner()).remove(&pgid);
}

pub(super) fn add_dir(dir: PathBuf) {
    DIRS.lock().unwrap_or_else(|e| e.into_inner()).insert(dir);
}

pub(super) fn remove_dir(dir: &PathBuf) {
    DIRS.lock().unwrap_or_else(|e| e.into_inner()).remove(dir);
}

/// SIGKILLs every process group and removes every folder still owned by a process
/// backend of this harness process; returns how many groups were signalled.
pub fn kill_all() -> usize {
    let groups = std::mem::take(&mut *GROUPS.lock().unwrap_or_else(|e| e.into_inner()));
    for g in &groups {
        let _ = signal_group(*g, libc::SIGKILL);
    }
    let dirs = std::mem::take(&mut *DIRS.lock().unwrap_or_else(|e| e.into_inner()));
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
    groups.len()
}
