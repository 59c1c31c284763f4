//! The contract every backend passes, written once against the `Backend` trait. A backend's
//! test file implements [`Engine`] (how to make the backend, what to deploy, how to look
//! at what it left) and expands [`contract_tests!`]: kill → unhealthy → restart → healthy;
//! a replacement has a new instance id; lifecycle events arrive in order with plausible
//! timestamps; labels mark every object; teardown leaves nothing.

#![allow(dead_code)]

use phoenix_bench::backend::{Backend, Deployed, Deployment, Endpoint, RawLifecycle};
use phoenix_bench::record::LifecycleKind;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// Bound for an instance to answer healthy after a deploy or a recovery action.
const HEALTHY_WITHIN: Duration = Duration::from_secs(30);
/// Bound for a killed instance to stop answering.
const UNHEALTHY_WITHIN: Duration = Duration::from_secs(5);
/// How far an engine's event timestamp may sit before the call that caused it (clock
/// granularity) and after its return (delivery).
const EVENT_SLACK_BEFORE_US: i64 = 100_000;
const EVENT_SLACK_AFTER_US: i64 = 5_000_000;

/// What the contract needs from a backend's test file.
#[async_trait::async_trait]
pub trait Engine: Sync {
    /// A fresh backend for run `run_id`.
    async fn backend(&self, run_id: &str) -> Box<dyn Backend>;
    /// The demo app as `replicas`, with one named volume.
    fn deployment(&self, replicas: &[&str]) -> Deployment;
    /// The app's health path (answers 200 when healthy).
    fn health_path(&self) -> &str;
    /// Every object of run `run_id` the engine still holds (found by its run label).
    async fn leftovers(&self, run_id: &str) -> Vec<String>;
    /// Objects serving `deployed` (its instances, their networks and volumes) that lack
    /// any of the labels a run puts on what it creates, each with what it lacks.
    async fn unlabelled(&self, run_id: &str, deployed: &Deployed) -> Vec<String>;
    /// How many objects serve `deployed` (instances, networks, volumes), so a check of
    /// their labels is known to have looked at something.
    async fn objects(&self, deployed: &Deployed) -> usize;
    /// Removes whatever run `run_id` left, after a test passed or failed.
    async fn sweep(&self, run_id: &str);
}

/// Expands to one `#[test]` per clause of the contract, each on a fresh deployment.
/// `$engine` builds the [`Engine`]; `$guard` is held for the test's length (e.g. a lock
/// that keeps engine tests from running at once).
/// Expands to one `#[test]` per clause of the contract, each on a fresh deployment with a
/// run id of its own. `$engine` builds the [`Engine`]; `$guard` is held for the test's
/// length (e.g. a lock that keeps engine tests from running at once). Whatever a test's
/// outcome, the engine then sweeps away everything of its run.
#[macro_export]
macro_rules! contract_tests {
    ($engine:expr, $guard:expr; $($name:ident => $clause:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let _g = $guard;
                let engine = $engine;
                let run_id = backend_contract::run_id(stringify!($clause));
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    backend_contract::runtime().block_on(backend_contract::$clause(&engine, &run_id))
                }));
                backend_contract::runtime().block_on(backend_contract::Engine::sweep(&engine, &run_id));
                if let Err(panic) = outcome {
                    std::panic::resume_unwind(panic);
                }
            }
        )*
    };
    ($engine:expr, $guard:expr) => {
        $crate::contract_tests!($engine, $guard;
            kill_makes_the_probe_see_unhealthy_and_restart_brings_it_back_healthy => kill_then_restart,
            a_replacement_has_a_new_instance_id_and_answers_on_the_same_endpoint => replace_gives_a_new_instance,
            lifecycle_events_arrive_in_order_with_plausible_timestamps => events_in_order,
            labels_mark_every_object_and_teardown_leaves_nothing => labels_and_teardown,
        );
    };
}

/// A multi-threaded runtime (a testcontainers handle's drop needs one).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Wall clock now, µs since the epoch (the clock engines stamp their events with).
pub fn unix_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros() as i64
}

/// A unique run id for one test.
pub fn run_id(test: &str) -> String {
    format!("contract-{test}-{}-{}", std::process::id(), unix_us())
}

/// One health probe: GET the health path with a short timeout; healthy is a 200.
pub async fn healthy(e: &Endpoint, path: &str) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .no_proxy()
        .build()
        .expect("an HTTP client");
    matches!(
        client.get(format!("http://{}{path}", e.addr)).send().await,
        Ok(r) if r.status() == 200
    )
}

/// Probes every 20 ms until the endpoint's health is `want`, within `bound`; returns when.
pub async fn until(e: &Endpoint, path: &str, want: bool, bound: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < bound {
        if healthy(e, path).await == want {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// A deployed backend under test.
pub struct Live {
    pub backend: Box<dyn Backend>,
    pub deployed: Deployed,
    pub events: mpsc::UnboundedReceiver<RawLifecycle>,
    pub run_id: String,
    /// Wall clock just before the deploy call.
    pub deploy_us: i64,
}

impl Live {
    pub fn endpoint(&self, replica: &str) -> &Endpoint {
        self.deployed
            .replicas
            .iter()
            .find(|e| e.replica == replica)
            .unwrap_or_else(|| panic!("no endpoint for {replica}"))
    }

    /// Tears down, asserting it succeeded.
    pub async fn teardown(self) {
        let removed = self.backend.teardown().await.expect("teardown succeeds");
        eprintln!("teardown removed {removed:?}");
    }

    /// Every event received so far, waiting up to `grace` for `until` to hold.
    pub async fn events_until(
        &mut self,
        grace: Duration,
        mut until: impl FnMut(&[RawLifecycle]) -> bool,
    ) -> Vec<RawLifecycle> {
        let mut got = Vec::new();
        let deadline = Instant::now() + grace;
        while !until(&got) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(e)) => got.push(e),
                _ => break,
            }
        }
        got
    }
}

/// Deploys `replicas` and waits until each answers healthy.
pub async fn deploy(engine: &impl Engine, run_id: &str, replicas: &[&str]) -> Live {
    let run_id = run_id.to_string();
    let backend = engine.backend(&run_id).await;
    let events = backend.watch().await.expect("the event stream starts");
    let deploy_us = unix_us();
    let deployed = match backend.deploy(&engine.deployment(replicas)).await {
        Ok(d) => d,
        Err(e) => {
            let _ = backend.teardown().await;
            panic!("deploy failed: {e}");
        }
    };
    let d = Live {
        backend,
        deployed,
        events,
        run_id,
        deploy_us,
    };
    assert_eq!(d.deployed.replicas.len(), replicas.len(), "one endpoint per replica");
    for e in &d.deployed.replicas {
        assert!(
            e.addr.ip().is_loopback(),
            "{} is reached on loopback: {}",
            e.replica,
            e.addr
        );
        until(e, engine.health_path(), true, HEALTHY_WITHIN)
            .await
            .unwrap_or_else(|| panic!("{} never became healthy after deploy", e.replica));
    }
    d
}

pub async fn kill_then_restart(engine: &impl Engine, run_id: &str) {
    let d = deploy(engine, run_id, &["app-0", "app-1"]).await;
    let path = engine.health_path();
    let (a, b) = (d.endpoint("app-0").clone(), d.endpoint("app-1").clone());
    d.backend.kill("app-0").await.expect("kill succeeds");
    let down = until(&a, path, false, UNHEALTHY_WITHIN).await;
    assert!(down.is_some(), "app-0 still healthy {UNHEALTHY_WITHIN:?} after a kill");
    assert!(healthy(&b, path).await, "killing app-0 left app-1 healthy");
    d.backend.restart("app-0").await.expect("restart succeeds");
    let up = until(&a, path, true, HEALTHY_WITHIN).await;
    assert!(
        up.is_some(),
        "app-0 not healthy within {HEALTHY_WITHIN:?} of the restart"
    );
    eprintln!("killed app-0 unhealthy after {down:?}; healthy {up:?} after restart");
    assert!(
        d.backend.kill("no-such-replica").await.is_err(),
        "a fault on an unknown replica is an error"
    );
    d.teardown().await;
}

pub async fn replace_gives_a_new_instance(engine: &impl Engine, run_id: &str) {
    let mut d = deploy(engine, run_id, &["app-0"]).await;
    let path = engine.health_path();
    let a = d.endpoint("app-0").clone();
    let started = |evs: &[RawLifecycle]| {
        evs.iter()
            .filter(|e| e.replica == "app-0" && e.kind == LifecycleKind::Started)
            .map(|e| e.instance.clone())
            .collect::<Vec<_>>()
    };
    let before = d
        .events_until(Duration::from_secs(5), |evs| !started(evs).is_empty())
        .await;
    let first = started(&before).first().cloned().expect("a start event for app-0");
    d.backend.kill("app-0").await.expect("kill succeeds");
    until(&a, path, false, UNHEALTHY_WITHIN)
        .await
        .expect("app-0 down after a kill");
    d.backend.replace("app-0").await.expect("replace succeeds");
    until(&a, path, true, HEALTHY_WITHIN)
        .await
        .expect("the replacement answers healthy on the same endpoint");
    let after = d
        .events_until(Duration::from_secs(5), |evs| !started(evs).is_empty())
        .await;
    let second = started(&after)
        .first()
        .cloned()
        .expect("a start event for the replacement");
    assert!(!first.is_empty() && !second.is_empty(), "instance ids are given");
    assert_ne!(first, second, "a replacement is a new instance");
    // the old instance's output is kept beside the new one's
    let logs = d.backend.logs().await;
    let instances: Vec<&str> = logs
        .iter()
        .filter(|l| l.replica == "app-0")
        .map(|l| l.instance.as_str())
        .collect();
    assert!(
        instances.contains(&first.as_str()) && instances.contains(&second.as_str()),
        "logs of both instances: {instances:?} (first {first}, second {second})"
    );
    d.teardown().await;
}

pub async fn events_in_order(engine: &impl Engine, run_id: &str) {
    let mut d = deploy(engine, run_id, &["app-0"]).await;
    let path = engine.health_path();
    let a = d.endpoint("app-0").clone();
    let kill_us = unix_us();
    d.backend.kill("app-0").await.expect("kill succeeds");
    let killed_us = unix_us();
    until(&a, path, false, UNHEALTHY_WITHIN)
        .await
        .expect("app-0 down after a kill");
    let restart_us = unix_us();
    d.backend.restart("app-0").await.expect("restart succeeds");
    let restarted_us = unix_us();
    until(&a, path, true, HEALTHY_WITHIN)
        .await
        .expect("app-0 healthy after restart");
    let kinds = |evs: &[RawLifecycle]| {
        evs.iter()
            .filter(|e| e.replica == "app-0")
            .map(|e| e.kind)
            .collect::<Vec<_>>()
    };
    let expected = [LifecycleKind::Started, LifecycleKind::Exited, LifecycleKind::Started];
    let evs = d
        .events_until(Duration::from_secs(5), |evs| {
            kinds(evs).iter().filter(|k| expected.contains(k)).count() >= 3
        })
        .await;
    let mine: Vec<&RawLifecycle> = evs.iter().filter(|e| e.replica == "app-0").collect();
    let seen: Vec<LifecycleKind> = mine.iter().map(|e| e.kind).filter(|k| expected.contains(k)).collect();
    assert_eq!(seen, expected, "app-0's lifecycle: {mine:?}");
    for w in mine.windows(2) {
        assert!(w[0].unix_us <= w[1].unix_us, "events out of time order: {w:?}");
    }
    let at = |kind, nth: usize| {
        mine.iter()
            .filter(|e| e.kind == kind)
            .nth(nth)
            .map(|e| e.unix_us)
            .expect("the event")
    };
    let within = |name: &str, t: i64, from: i64, to: i64| {
        assert!(
            t >= from - EVENT_SLACK_BEFORE_US && t <= to + EVENT_SLACK_AFTER_US,
            "{name} at {t} µs, outside [{from}, {to}] µs (with slack)"
        );
    };
    within("first start", at(LifecycleKind::Started, 0), d.deploy_us, kill_us);
    within("exit", at(LifecycleKind::Exited, 0), kill_us, killed_us);
    within("restart", at(LifecycleKind::Started, 1), restart_us, restarted_us);
    d.teardown().await;
}

pub async fn labels_and_teardown(engine: &impl Engine, run_id: &str) {
    let d = deploy(engine, run_id, &["app-0", "app-1"]).await;
    let objects = engine.objects(&d.deployed).await;
    // two instances, a network or a working folder each, the volume
    assert!(objects >= 3, "only {objects} object(s) found serving the deployment");
    let unlabelled = engine.unlabelled(run_id, &d.deployed).await;
    assert!(
        unlabelled.is_empty(),
        "objects without the run's labels: {unlabelled:?}"
    );
    assert!(
        !engine.leftovers(run_id).await.is_empty(),
        "the run's objects are found by its label while deployed"
    );
    d.teardown().await;
    let left = engine.leftovers(run_id).await;
    assert!(left.is_empty(), "teardown left objects of run {run_id}: {left:?}");
}
