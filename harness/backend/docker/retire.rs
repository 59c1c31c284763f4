//! Retiring a container that left the run (replaced, scaled down, burnt): its last output
//! and, with the audit on, its writable layer are read, then it is removed — on a task of
//! its own. The fault that retired it returns as soon as the fresh container runs, so the
//! next fault keeps to its schedule: reading a container took 0.1–6 s (the diff and a stat
//! call per file), and a schedule that waited for it drifted by seconds per fault. The
//! trial's logs and the teardown await what is still retiring.

use super::events::fetch_logs;
use super::teardown::{remove_containers, Tally, Target};
use super::{Container, DockerBackend, State};
use crate::backend::{BackendError, RawLog};
use crate::record::FsReadWhen;
use std::time::Duration;
use tokio::task::JoinHandle;

/// A retirement under way: the container's log (when it was a replica) and its removal.
pub(super) type Retiring = JoinHandle<(Option<RawLog>, Tally)>;

impl DockerBackend {
    /// Starts retiring `old`. `replica` names the replica it was, whose log and files are
    /// read first; None for a service or the front (removed only).
    pub(super) fn retire(&self, state: &mut State, replica: Option<&str>, old: Container) {
        let docker = self.docker.clone();
        let audit = self.audit_on();
        let replica = replica.map(str::to_string);
        state.retiring.push(tokio::spawn(async move {
            let log = match replica {
                Some(r) => Some(fetch_logs(&docker, audit, &r, old.id(), FsReadWhen::Replaced).await),
                None => None,
            };
            (
                log,
                remove_containers(&docker, vec![Target::Handle(Box::new(old))]).await,
            )
        }));
    }

    /// Awaits every retirement started so far, for at most `within`: the logs join the
    /// trial's, a failed removal is kept for the teardown to report. A retirement still running after
    /// `within` goes on by itself (never dropped mid-call); the sweep by label removes its
    /// container if it does not.
    pub(super) async fn settle_retiring(&self, within: Duration) {
        let pending = std::mem::take(&mut self.state.lock().await.retiring);
        let Ok(done) = tokio::time::timeout(within, futures::future::join_all(pending)).await else {
            return;
        };
        let mut state = self.state.lock().await;
        for r in done {
            match r {
                Ok((log, tally)) => {
                    state.logs.extend(log);
                    if let Some(e) = tally.first_error {
                        state.retire_error.get_or_insert(e);
                    }
                }
                Err(e) => {
                    state.retire_error.get_or_insert(BackendError::Op {
                        op: "retire",
                        what: "a replaced container".into(),
                        reason: e.to_string(),
                    });
                }
            }
        }
    }
}
