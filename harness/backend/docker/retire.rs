//! Retiring a container that left the run (replaced, scaled down, burnt): its last output
//! and, with the audit on, its writable layer are read, then it is removed — on a task of
//! its own. The fault that retired it returns as soon as the fresh container runs, so the
//! next fault keeps to its schedule: reading a container took 0.1–6 s (the diff and a stat
//! call per file), and a schedule that waited for it drifted by seconds per fault. The
//! trial's logs and the teardown await what is still retiring.

use super::events::fetch_logs;
use super::teardown::{remove_containers, Target};
use super::{Container, DockerBackend, State};
use crate::backend::RawLog;
use crate::record::FsReadWhen;
use std::time::Duration;
use tokio::task::JoinHandle;

/// A retirement under way: it ends with the container's log (when it was a replica), once
/// the container is removed.
pub(super) type Retiring = JoinHandle<Option<RawLog>>;

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
            // a failed removal is left to the teardown's sweep by label
            remove_containers(&docker, vec![Target::Handle(Box::new(old))]).await;
            log
        }));
    }

    /// Awaits every retirement started so far, until `within` has passed: the logs of those
    /// that ended join the trial's; one still running goes back to wait for the next call
    /// (never dropped mid-call). A removal that failed is not an error of the run: the
    /// teardown's sweep by label removes whatever is left.
    pub(super) async fn settle_retiring(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        let pending = std::mem::take(&mut self.state.lock().await.retiring);
        let (mut logs, mut running) = (Vec::new(), Vec::new());
        for mut task in pending {
            match tokio::time::timeout_at(deadline, &mut task).await {
                Ok(Ok(log)) => logs.extend(log),
                Ok(Err(_)) => {}
                Err(_) => running.push(task),
            }
        }
        let mut state = self.state.lock().await;
        state.logs.extend(logs);
        state.retiring.extend(running);
    }
}
