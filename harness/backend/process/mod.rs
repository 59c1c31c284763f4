//! The process backend: each replica is a local process started from the scenario's
//! `command`, on a 127.0.0.1 port of its own, in a working folder of its own under a
//! folder the run owns in the system's temporary folder. Faults are real signals to the
//! replica's process group (kill = SIGKILL, stop = SIGTERM then SIGKILL after the grace,
//! pause = SIGSTOP, unpause = SIGCONT); `restart` starts the program again in the same
//! folder on the same port, `replace` and `add` start it in a fresh, empty folder. There
//! is no network to cut: `disconnect` and `reconnect` are refused (and so by validation).
//!
//! Nothing outlives the run: the teardown SIGKILLs every process group the run started
//! and removes its folder, so does dropping the backend (an error or a panic on the way),
//! [`kill_all`] on a forced exit, and the kernel when the harness itself dies
//! (`PR_SET_PDEATHSIG`; the next process run removes the folder, [`reap`]). Each process
//! carries the run's labels as environment variables ([`label_env`]); the run's folder
//! holds them in [`LABELS_FILE`].
//!
//! # Layout
//! - `mod.rs`: the backend's state and its `Lifecycle`; `inspect.rs`: its `Inspect`.
//! - `instance.rs`: starting a process, reading its output, reporting its exit.
//! - `events.rs`: the lifecycle stream. `registry.rs`: what a forced exit must kill.
//! - `ports.rs`: the replicas' ports. `teardown.rs`: the teardown, and `Drop`. `reap.rs`: the folders of runs that were
//!   SIGKILLed.

mod events;
mod inspect;
mod instance;
mod ports;
pub use ports::free_loopback_ports;
mod reap;
mod registry;
mod teardown;

pub use reap::{leftovers, reap, remove_leftovers, Leftover};
pub use registry::kill_all;

use super::{
    labels, BackendError, Deployed, Deployment, Endpoint, ImageSpec, Lifecycle, ProcessSpec, RawLifecycle, Removed,
    Result,
};
use crate::record::LifecycleKind;
use async_trait::async_trait;
use events::Events;
use instance::{unix_us, Instance, Launch};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

/// The file in the run's folder that holds its labels, one `key=value` a line.
pub const LABELS_FILE: &str = "phoenix-bench.labels";
/// How long a restart waits for a just-killed process to be reaped before starting it
/// again (a process still running then is left running, as a container start would).
const REAP_WAIT: Duration = Duration::from_secs(2);
/// Bound for a SIGKILLed process to be reaped.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// The environment variable that carries label `key` (`phoenix-bench.run` →
/// `PHOENIX_BENCH_RUN`).
pub fn label_env(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

struct Replica {
    port: u16,
    current: Option<Instance>,
}

#[derive(Default)]
struct State {
    spec: Option<ProcessSpec>,
    env: BTreeMap<String, String>,
    replicas: BTreeMap<String, Replica>,
    /// Replaced and removed instances, kept for their output.
    retired: Vec<Instance>,
    /// Instances created so far, to name each one.
    created: usize,
}

/// Local processes, one per instance.
pub struct ProcessBackend {
    run_id: String,
    /// The run's folder, made at a deploy, gone at the teardown; instances' folders are
    /// inside it.
    root: Mutex<Option<PathBuf>>,
    events: Events,
    state: Mutex<State>,
}

impl ProcessBackend {
    /// A backend for run `run_id`; nothing is started or created until `deploy`.
    pub fn new(run_id: &str) -> ProcessBackend {
        ProcessBackend {
            run_id: run_id.to_string(),
            root: Mutex::default(),
            events: Events::default(),
            state: Mutex::new(State::default()),
        }
    }

    /// The run's folder, while there is one (from a deploy to the teardown).
    pub fn root(&self) -> Option<PathBuf> {
        self.root.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The run's folder, made if there is none: `phoenix-<run>-<pid>-<random>` in the
    /// temporary folder, created exclusively (never a link or a folder someone planted
    /// under a name they could guess), 0700, holding the run's labels.
    fn made_root(&self) -> Result<PathBuf> {
        let mut root = self.root.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = root.as_ref() {
            return Ok(r.clone());
        }
        let fail = |e: &dyn std::fmt::Display| BackendError::Op {
            op: "create the run folder",
            what: std::env::temp_dir().display().to_string(),
            reason: e.to_string(),
        };
        let dir = tempfile::Builder::new()
            .prefix(&format!("phoenix-{}-{}-", short(&self.run_id), std::process::id()))
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .map_err(|e| fail(&e))?
            .keep();
        // registered first: the teardown removes it even if the labels cannot be written
        registry::add_dir(dir.clone());
        *root = Some(dir.clone());
        let text: String = labels::for_run(&self.run_id)
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        crate::files::output::write_atomic(&dir.join(LABELS_FILE), text.as_bytes()).map_err(|e| fail(&e))?;
        Ok(dir)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The labels a replica's processes carry, as environment variables.
    fn label_vars(&self, replica: &str) -> Vec<(String, String)> {
        labels::for_member(&self.run_id, replica, "app")
            .into_iter()
            .map(|(k, v)| (label_env(&k), v))
            .collect()
    }

    /// Creates a fresh instance of `replica` and starts it.
    fn fresh(&self, state: &mut State, replica: &str, port: u16) -> Result<Instance> {
        state.created += 1;
        let id = format!("{}-{replica}-{}", short(&self.run_id), state.created);
        let mut i = Instance::create(id.clone(), replica, self.made_root()?.join(&id), &self.events)?;
        self.start(state, &mut i, port)?;
        Ok(i)
    }

    /// Starts the program as `instance`'s process.
    fn start(&self, state: &mut State, instance: &mut Instance, port: u16) -> Result<()> {
        let spec = state.spec.as_ref().ok_or_else(|| not_deployed(&instance.replica))?;
        let labels = self.label_vars(&instance.replica);
        let launch = Launch {
            spec,
            env: &state.env,
            labels: &labels,
            port,
        };
        instance.start(&launch, &self.events)
    }

    /// Signals the current process of `replica`, returning a handle to wait for its exit.
    fn signal(&self, replica: &str, signal: i32, op: &'static str) -> Result<tokio::sync::watch::Receiver<bool>> {
        let state = self.state();
        let inst = state
            .replicas
            .get(replica)
            .and_then(|r| r.current.as_ref())
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        let proc = inst.proc.as_ref().ok_or_else(|| not_deployed(replica))?;
        proc.signal(signal).map_err(|e| BackendError::Op {
            op,
            what: replica.into(),
            reason: e.to_string(),
        })?;
        Ok(proc.exited.clone())
    }

    /// SIGTERM, then SIGKILL when it has not ended within `grace`; waits for the end.
    async fn terminate(&self, replica: &str, grace: Duration) -> Result<()> {
        let rx = self.signal(replica, libc::SIGTERM, "stop")?;
        if exits(rx.clone(), grace).await {
            return Ok(());
        }
        self.signal(replica, libc::SIGKILL, "kill")?;
        match exits(rx, KILL_WAIT).await {
            true => Ok(()),
            false => Err(BackendError::Timeout {
                op: "stop",
                what: replica.into(),
                after: grace + KILL_WAIT,
            }),
        }
    }

    /// Takes the current instance of `replica` out (it must have ended) and keeps it for
    /// its output; returns the replica's port.
    fn retire(&self, state: &mut State, replica: &str) -> Result<u16> {
        let r = state
            .replicas
            .get_mut(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        let port = r.port;
        if let Some(old) = r.current.take() {
            self.events.send(RawLifecycle {
                unix_us: unix_us(),
                replica: replica.into(),
                instance: old.id.clone(),
                kind: LifecycleKind::Removed,
            });
            state.retired.push(old);
        }
        Ok(port)
    }
}

/// A short name for a run's objects: a hash of its whole id.
fn short(run_id: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    run_id.hash(&mut h);
    format!("{:010x}", h.finish() & 0xff_ffff_ffff)
}

fn not_deployed(replica: &str) -> BackendError {
    BackendError::Op {
        op: "reach",
        what: replica.into(),
        reason: "nothing is deployed".into(),
    }
}

fn unsupported(op: &'static str, replica: &str) -> BackendError {
    BackendError::Op {
        op,
        what: replica.into(),
        reason: "a local process has no network of its own to cut: the process backend supports kill, stop, \
                 pause and remove faults"
            .into(),
    }
}

/// Whether the process behind `rx` has been reaped within `within`.
async fn exits(mut rx: tokio::sync::watch::Receiver<bool>, within: Duration) -> bool {
    let ended = tokio::time::timeout(within, rx.wait_for(|e| *e)).await;
    ended.is_ok_and(|r| r.is_ok())
}

#[async_trait]
impl Lifecycle for ProcessBackend {
    async fn describe(&self) -> Result<(String, String)> {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        Ok(("process".into(), format!("{} {}", std::env::consts::OS, release.trim())))
    }

    async fn ensure_images(&self, images: &[ImageSpec]) -> Result<Vec<(String, String)>> {
        match images.first() {
            None => Ok(Vec::new()),
            Some(i) => Err(BackendError::Op {
                op: "make image",
                what: i.reference.clone(),
                reason: "the process backend runs a local program and uses no images".into(),
            }),
        }
    }

    async fn watch(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>> {
        Ok(self.events.watch())
    }

    async fn deploy(&self, d: &Deployment) -> Result<Deployed> {
        let refuse = |what: &str| BackendError::Op {
            op: "deploy",
            what: what.into(),
            reason: "the process backend runs the app's replicas only: no services, front or volumes".into(),
        };
        let spec = d.process.clone().ok_or_else(|| BackendError::Op {
            op: "deploy",
            what: "the app".into(),
            reason: "the process backend needs a command to run, and the deployment names none".into(),
        })?;
        if let Some(s) = d.services.first() {
            return Err(refuse(&s.name));
        }
        if d.front.is_some() {
            return Err(refuse("front"));
        }
        if let Some(v) = d.volumes.first() {
            return Err(refuse(&v.name));
        }
        let mut state = self.state();
        self.made_root()?;
        state.spec = Some(spec);
        state.env = d.env.clone();
        let mut endpoints = Vec::new();
        for r in &d.replicas {
            let taken: Vec<u16> = state.replicas.values().map(|r| r.port).collect();
            let port = ports::replica_port(&taken)?;
            let instance = self.fresh(&mut state, r, port)?;
            state.replicas.insert(
                r.clone(),
                Replica {
                    port,
                    current: Some(instance),
                },
            );
            endpoints.push(Endpoint {
                replica: r.clone(),
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            });
        }
        Ok(Deployed {
            replicas: endpoints,
            front: None,
        })
    }

    async fn kill(&self, replica: &str) -> Result<()> {
        self.signal(replica, libc::SIGKILL, "kill").map(|_| ())
    }

    async fn stop(&self, replica: &str, grace: Duration) -> Result<()> {
        self.terminate(replica, grace).await
    }

    async fn restart(&self, replica: &str) -> Result<()> {
        let rx = {
            let state = self.state();
            let r = state
                .replicas
                .get(replica)
                .and_then(|r| r.current.as_ref())
                .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
            r.proc.as_ref().map(|p| p.exited.clone())
        };
        if let Some(rx) = rx {
            if !exits(rx, REAP_WAIT).await {
                return Ok(()); // still running: nothing to start
            }
        }
        let mut state = self.state();
        let state = &mut *state;
        let r = state
            .replicas
            .get_mut(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        let (port, mut instance) = match r.current.take() {
            Some(i) => (r.port, i),
            None => return Err(BackendError::UnknownReplica(replica.into())),
        };
        let started = self.start(state, &mut instance, port);
        if let Some(r) = state.replicas.get_mut(replica) {
            r.current = Some(instance);
        }
        started
    }

    async fn replace(&self, replica: &str) -> Result<()> {
        // the old process, if it still runs, ends first: the fresh one needs its port
        if let Ok(rx) = self.signal(replica, libc::SIGKILL, "kill") {
            if !exits(rx, KILL_WAIT).await {
                return Err(BackendError::Timeout {
                    op: "kill before replacing",
                    what: replica.into(),
                    after: KILL_WAIT,
                });
            }
        }
        let mut state = self.state();
        let port = self.retire(&mut state, replica)?;
        let fresh = self.fresh(&mut state, replica, port)?;
        if let Some(r) = state.replicas.get_mut(replica) {
            r.current = Some(fresh);
        }
        Ok(())
    }

    async fn pause(&self, replica: &str) -> Result<()> {
        self.freeze(replica).await
    }

    async fn unpause(&self, replica: &str) -> Result<()> {
        self.signal(replica, libc::SIGCONT, "unpause").map(|_| ())
    }

    async fn disconnect(&self, replica: &str) -> Result<()> {
        Err(unsupported("disconnect", replica))
    }

    async fn reconnect(&self, replica: &str) -> Result<()> {
        Err(unsupported("reconnect", replica))
    }

    async fn remove(&self, replica: &str, grace: Duration) -> Result<()> {
        let alive = {
            let state = self.state();
            let r = state
                .replicas
                .get(replica)
                .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
            r.current.as_ref().map(Instance::alive)
        };
        match alive {
            None => return Ok(()), // already removed
            Some(true) if grace.is_zero() => {
                let rx = self.signal(replica, libc::SIGKILL, "kill")?;
                exits(rx, KILL_WAIT).await;
            }
            Some(true) => self.terminate(replica, grace).await?,
            Some(false) => {}
        }
        self.retire(&mut self.state(), replica).map(|_| ())
    }

    async fn add(&self, replica: &str) -> Result<()> {
        let mut state = self.state();
        let r = state
            .replicas
            .get(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        if r.current.is_some() {
            return Ok(()); // it was never removed
        }
        let port = r.port;
        let fresh = self.fresh(&mut state, replica, port)?;
        if let Some(r) = state.replicas.get_mut(replica) {
            r.current = Some(fresh);
        }
        Ok(())
    }

    async fn teardown(&self) -> Result<Removed> {
        self.teardown_all().await
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
