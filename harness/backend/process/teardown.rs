//! The end of a run's processes: the teardown (SIGKILL to the process group of every
//! instance whose program still runs, and to any other process carrying the run's label —
//! what a program left behind when it ended —, waiting until each is reaped, then the run
//! folder removed) and what `Drop` can do without waiting, for an error or a panic on the
//! way. A group whose leader was reaped is never signalled by its id: that id may be
//! reused by someone else's group (pids wrap at `pid_max`, 32768 on many machines).

use super::instance::Instance;
use super::reap::kill_labelled;
use super::{registry, ProcessBackend, State, KILL_WAIT};
use crate::backend::{BackendError, Removed, Result};

impl ProcessBackend {
    /// SIGKILLs every process of the run, without waiting: what `Drop` can do. Returns
    /// the instances, taken out of the state.
    pub(super) fn kill_everything(&self, state: &mut State) -> Vec<Instance> {
        let mut instances = std::mem::take(&mut state.retired);
        instances.extend(
            std::mem::take(&mut state.replicas)
                .into_values()
                .filter_map(|r| r.current),
        );
        for p in instances.iter().filter_map(|i| i.proc.as_ref()) {
            let _ = p.signal(libc::SIGKILL);
        }
        kill_labelled(&self.run_id);
        *state = State {
            created: state.created,
            ..State::default()
        };
        instances
    }

    pub(super) fn remove_root(&self) -> std::io::Result<()> {
        let mut slot = self.root.lock().unwrap_or_else(|e| e.into_inner());
        let Some(root) = slot.as_ref() else { return Ok(()) };
        match std::fs::remove_dir_all(root) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        registry::remove_dir(root);
        // the next deploy makes a fresh one (this name is known now)
        *slot = None;
        Ok(())
    }

    pub(super) async fn teardown_all(&self) -> Result<Removed> {
        self.events.close();
        let instances = {
            let mut state = self.state();
            self.kill_everything(&mut state)
        };
        let mut first_error = None;
        for i in &instances {
            if let Some(p) = &i.proc {
                if !p.wait(KILL_WAIT).await {
                    first_error.get_or_insert(BackendError::Timeout {
                        op: "kill",
                        what: format!("{} (process group {})", i.replica, p.pgid),
                        after: KILL_WAIT,
                    });
                }
                p.abort();
            }
        }
        if let Err(e) = self.remove_root() {
            first_error.get_or_insert(BackendError::Op {
                op: "remove the run folder",
                what: self.root().map_or(String::new(), |r| r.display().to_string()),
                reason: e.to_string(),
            });
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(Removed {
                containers: instances.len(),
                ..Removed::default()
            }),
        }
    }
}

impl Drop for ProcessBackend {
    fn drop(&mut self) {
        let mut state = self.state();
        self.kill_everything(&mut state);
        drop(state);
        let _ = self.remove_root();
    }
}
