//! A fake backend for the execute stage's unit tests (behind the `test-support` feature):
//! each replica is an in-process HTTP responder on a 127.0.0.1 port of its own, so the real
//! probes and the real load reach it, and every lifecycle step follows a [`Script`] (how
//! long an instance boots, how long each call takes, which calls fail or panic) on tokio's
//! clock — exact under `start_paused`. Every call is logged with its instants ([`Call`]),
//! so a test can say when the harness called what. No process, no container: a run on it
//! takes the scenario's own duration and nothing more.
//!
//! What it promises is the backend contract (`tests/backend_contract/`), like the real
//! ones: kill → unhealthy → restart → healthy, a replacement is a new instance on the same
//! endpoint, lifecycle events in order, every object labelled with its run, and nothing
//! left after the teardown (or a drop): [`leftovers`] lists what a run still holds.

mod serve;

use super::{
    labels, BackendError, Deployed, Deployment, Endpoint, ImageSpec, Inspect, Lifecycle, RawLifecycle, RawLog,
};
use super::{RebuiltService, Removed, Result};
use crate::record::LifecycleKind;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How the fake platform behaves.
#[derive(Debug, Clone)]
pub struct Script {
    /// From an instance's start to its port answering.
    pub boot: Duration,
    /// How long a call takes before it acts, by operation name (`kill`, `restart`, …).
    pub slow: BTreeMap<&'static str, Duration>,
    /// Operations that fail (after their time), with nothing done.
    pub fail: BTreeSet<&'static str>,
    /// An operation that panics.
    pub panic: Option<&'static str>,
    /// The status every request gets.
    pub status: u16,
}

impl Default for Script {
    fn default() -> Script {
        Script {
            boot: Duration::from_millis(50),
            slow: BTreeMap::new(),
            fail: BTreeSet::new(),
            panic: None,
            status: 200,
        }
    }
}

impl Script {
    /// Instances answer `boot` after they start.
    pub fn boot(mut self, boot: Duration) -> Script {
        self.boot = boot;
        self
    }
    /// `op` takes `time` before it acts.
    pub fn slow(mut self, op: &'static str, time: Duration) -> Script {
        self.slow.insert(op, time);
        self
    }
    /// `op` fails.
    pub fn fail(mut self, op: &'static str) -> Script {
        self.fail.insert(op);
        self
    }
    /// `op` panics.
    pub fn panic(mut self, op: &'static str) -> Script {
        self.panic = Some(op);
        self
    }
}

/// One call the harness made: the operation, its target, when it began and returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub op: &'static str,
    pub target: String,
    pub(crate) began: Instant,
    pub returned: Instant,
}

/// A running instance: its serving task and the switch that freezes it.
struct Running {
    id: String,
    /// Not yet killed or stopped.
    alive: bool,
    task: JoinHandle<()>,
    freeze: watch::Sender<bool>,
}

struct Slot {
    port: u16,
    current: Option<Running>,
}

#[derive(Default)]
struct State {
    replicas: BTreeMap<String, Slot>,
    services: Vec<String>,
    /// Every instance so far (replica, instance), for the logs.
    instances: Vec<(String, String)>,
    created: usize,
    events: Option<mpsc::UnboundedSender<RawLifecycle>>,
}

/// The fake platform of one run.
pub struct FakeBackend {
    run_id: String,
    script: Script,
    state: Mutex<State>,
    calls: Mutex<Vec<Call>>,
}

/// Objects each run holds (instances, services, its network and volumes) with the labels
/// each was given, as an engine's label filter would find them; emptied by the teardown
/// and by a drop.
static LIVE: Mutex<BTreeMap<String, BTreeMap<String, HashMap<String, String>>>> = Mutex::new(BTreeMap::new());

/// Which run's replica listens on `port`, while it is deployed.
static PORTS: Mutex<BTreeMap<u16, String>> = Mutex::new(BTreeMap::new());

/// The run whose deployment serves `port`, if one does.
pub fn run_serving(port: u16) -> Option<String> {
    lock(&PORTS).get(&port).cloned()
}

/// The objects run `run_id` still holds.
pub fn leftovers(run_id: &str) -> Vec<String> {
    lock(&LIVE)
        .get(run_id)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default()
}

/// The labels a fake object of run `run_id` carries (every object carries its run's).
pub fn labels_of(run_id: &str, object: &str) -> HashMap<String, String> {
    lock(&LIVE)
        .get(run_id)
        .and_then(|s| s.get(object).cloned())
        .unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FakeBackend {
    /// A fake platform for run `run_id` that follows `script`.
    pub fn new(run_id: &str, script: Script) -> FakeBackend {
        FakeBackend {
            run_id: run_id.into(),
            script,
            state: Mutex::default(),
            calls: Mutex::default(),
        }
    }

    /// Every call so far, in the order they began.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.calls).clone()
    }

    /// The operations called so far, in order, as `op target`.
    pub fn ops(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|c| format!("{} {}", c.op, c.target).trim().to_string())
            .collect()
    }

    /// Plays `op` on `target`: its scripted time, then its failure or panic, then `act`.
    async fn call<T>(&self, op: &'static str, target: &str, act: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        let began = Instant::now();
        if let Some(t) = self.script.slow.get(op) {
            tokio::time::sleep(*t).await;
        }
        if self.script.panic == Some(op) {
            panic!("the fake backend's scripted panic in {op}");
        }
        let out = match self.script.fail.contains(op) {
            true => Err(BackendError::Op {
                op,
                what: target.into(),
                reason: "scripted failure".into(),
            }),
            false => act(&mut lock(&self.state)),
        };
        let returned = Instant::now();
        lock(&self.calls).push(Call {
            op,
            target: target.into(),
            began,
            returned,
        });
        out
    }

    /// Starts a fresh instance of `replica` on its port.
    fn start(&self, st: &mut State, replica: &str) -> Result<()> {
        let slot = st
            .replicas
            .get(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        let port = slot.port;
        st.created += 1;
        let id = format!("fake-{}-{}", self.run_id, st.created);
        let (freeze, frozen) = watch::channel(false);
        let task = tokio::spawn(serve::instance(port, self.script.boot, self.script.status, frozen));
        for kind in [LifecycleKind::Created, LifecycleKind::Started] {
            emit(st, replica, &id, kind);
        }
        st.instances.push((replica.into(), id.clone()));
        self.hold(&id, Some((replica, "replica")));
        if let Some(slot) = st.replicas.get_mut(replica) {
            slot.current = Some(Running {
                id,
                alive: true,
                task,
                freeze,
            });
        }
        Ok(())
    }

    /// Ends `replica`'s instance (it exits); `remove` also removes it, else it stays, as a
    /// killed container does, until a restart or a replacement.
    fn end(&self, st: &mut State, replica: &str, remove: bool) -> Result<()> {
        let slot = st
            .replicas
            .get_mut(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        let Some(r) = slot.current.as_mut() else { return Ok(()) };
        r.task.abort();
        let (id, exited) = (r.id.clone(), std::mem::replace(&mut r.alive, false));
        if remove {
            slot.current = None;
        }
        if exited {
            emit(st, replica, &id, LifecycleKind::Exited);
        }
        if remove {
            emit(st, replica, &id, LifecycleKind::Removed);
            self.release(&id);
        }
        Ok(())
    }

    /// Freezes or thaws `replica`'s instance.
    fn freeze(st: &mut State, replica: &str, frozen: bool) -> Result<()> {
        let slot = st
            .replicas
            .get(replica)
            .ok_or_else(|| BackendError::UnknownReplica(replica.into()))?;
        if let Some(r) = &slot.current {
            let _ = r.freeze.send(frozen);
        }
        Ok(())
    }

    /// Records `object` as held by the run, with a member's labels (`role` replica or
    /// service), or the run's alone.
    fn hold(&self, object: &str, member: Option<(&str, &str)>) {
        let labels = match member {
            Some((name, role)) => labels::for_member(&self.run_id, name, role),
            None => labels::for_run(&self.run_id),
        };
        lock(&LIVE)
            .entry(self.run_id.clone())
            .or_default()
            .insert(object.into(), labels);
    }

    fn release(&self, object: &str) {
        let mut live = lock(&LIVE);
        if let Some(s) = live.get_mut(&self.run_id) {
            s.remove(object);
            if s.is_empty() {
                live.remove(&self.run_id);
            }
        }
    }

    /// Stops every instance and forgets the run's objects; what was removed.
    fn clear(&self) -> Removed {
        let mut st = lock(&self.state);
        let mut removed = Removed::default();
        for slot in st.replicas.values_mut() {
            if let Some(r) = slot.current.take() {
                r.task.abort();
                removed.containers += 1;
            }
        }
        removed.containers += std::mem::take(&mut st.services).len();
        st.replicas.clear();
        st.instances.clear();
        lock(&PORTS).retain(|_, run| *run != self.run_id);
        let held = lock(&LIVE).remove(&self.run_id).unwrap_or_default();
        let count = |kind: &str| held.keys().filter(|k| k.starts_with(kind)).count();
        (removed.networks, removed.volumes) = (count("network "), count("volume "));
        removed
    }
}

/// Sends a lifecycle event stamped now, if someone watches.
fn emit(st: &State, replica: &str, instance: &str, kind: LifecycleKind) {
    if let Some(tx) = &st.events {
        let _ = tx.send(RawLifecycle {
            unix_us: crate::clock::unix_now_us(),
            replica: replica.into(),
            instance: instance.into(),
            kind,
        });
    }
}

impl Drop for FakeBackend {
    fn drop(&mut self) {
        self.clear();
    }
}

#[async_trait]
impl Lifecycle for FakeBackend {
    async fn describe(&self) -> Result<(String, String)> {
        Ok(("fake".into(), "0".into()))
    }

    async fn ensure_images(&self, images: &[ImageSpec]) -> Result<Vec<(String, String)>> {
        let ids = images.iter().map(|i| (i.reference.clone(), "fake".into())).collect();
        self.call("ensure_images", "", |_| Ok(ids)).await
    }

    async fn watch(&self) -> Result<mpsc::UnboundedReceiver<RawLifecycle>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.call("watch", "", |st| {
            st.events = Some(tx);
            Ok(rx)
        })
        .await
    }

    async fn deploy(&self, deployment: &Deployment) -> Result<Deployed> {
        self.call("deploy", "", |st| {
            st.services = deployment.services.iter().map(|s| s.name.clone()).collect();
            let mut replicas = Vec::new();
            for name in &deployment.replicas {
                let port = super::free_port()?;
                st.replicas.insert(name.clone(), Slot { port, current: None });
                lock(&PORTS).insert(port, self.run_id.clone());
                self.start(st, name)?;
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                replicas.push(Endpoint {
                    replica: name.clone(),
                    addr,
                });
            }
            for s in &st.services {
                self.hold(&format!("service {s}"), Some((s, "service")));
            }
            self.hold(&format!("network fake-{}", self.run_id), None);
            for v in &deployment.volumes {
                self.hold(&format!("volume {}", v.name), None);
            }
            Ok(Deployed { replicas, front: None })
        })
        .await
    }

    async fn kill(&self, replica: &str) -> Result<()> {
        self.call("kill", replica, |st| self.end(st, replica, false)).await
    }

    async fn stop(&self, replica: &str, _grace: Duration) -> Result<()> {
        self.call("stop", replica, |st| self.end(st, replica, false)).await
    }

    async fn restart(&self, replica: &str) -> Result<()> {
        self.call("restart", replica, |st| {
            self.end(st, replica, false)?;
            let old = st.replicas.get_mut(replica).and_then(|s| s.current.take());
            if let Some(old) = old {
                self.release(&old.id);
            }
            self.start(st, replica)
        })
        .await
    }

    async fn replace(&self, replica: &str) -> Result<()> {
        self.call("replace", replica, |st| {
            self.end(st, replica, true)?;
            self.start(st, replica)
        })
        .await
    }

    async fn pause(&self, replica: &str) -> Result<()> {
        self.call("pause", replica, |st| Self::freeze(st, replica, true)).await
    }

    async fn unpause(&self, replica: &str) -> Result<()> {
        self.call("unpause", replica, |st| Self::freeze(st, replica, false))
            .await
    }

    async fn disconnect(&self, replica: &str) -> Result<()> {
        self.call("disconnect", replica, |st| Self::freeze(st, replica, true))
            .await
    }

    async fn reconnect(&self, replica: &str) -> Result<()> {
        self.call("reconnect", replica, |st| Self::freeze(st, replica, false))
            .await
    }

    async fn remove(&self, replica: &str, _grace: Duration) -> Result<()> {
        self.call("remove", replica, |st| self.end(st, replica, true)).await
    }

    async fn add(&self, replica: &str) -> Result<()> {
        self.call("add", replica, |st| self.start(st, replica)).await
    }

    async fn burn(&self) -> Result<()> {
        self.call("burn", "all", |st| {
            let names: Vec<String> = st.replicas.keys().cloned().collect();
            names.iter().try_for_each(|r| self.end(st, r, true))
        })
        .await
    }

    async fn rebuild(&self) -> Result<Vec<RebuiltService>> {
        self.call("rebuild", "all", |st| {
            let names: Vec<String> = st.replicas.keys().cloned().collect();
            names.iter().try_for_each(|r| self.start(st, r))?;
            let ready_unix_us = crate::clock::unix_now_us();
            Ok(st
                .services
                .iter()
                .map(|name| RebuiltService {
                    name: name.clone(),
                    ready_unix_us,
                    volumes: Vec::new(),
                    volumes_kept: true,
                })
                .collect())
        })
        .await
    }

    async fn teardown(&self) -> Result<Removed> {
        self.call("teardown", "", |_| Ok(())).await?;
        Ok(self.clear())
    }
}

#[async_trait]
impl Inspect for FakeBackend {
    async fn logs(&self) -> Vec<RawLog> {
        let instances = lock(&self.state).instances.clone();
        let logs = instances
            .into_iter()
            .map(|(replica, instance)| RawLog {
                replica,
                instance,
                ..Default::default()
            })
            .collect();
        self.call("logs", "", |_| Ok(logs)).await.unwrap_or_default()
    }
}
