//! The backend contract (`tests/backend_contract/mod.rs`) against the swarm backend on the
//! real engine, plus what only swarm does: the platform replacing a killed task, swarm mode
//! left as found, and `scenarios/swarm-kill.toml` end to end. Every test holds a guard that
//! leaves swarm mode if the test found it inactive, even when the test panics.

use crate::backend_contract;
use crate::common;

use backend_contract::{healthy, runtime, unix_us, until, Engine, Live};
use bollard::models::{EndpointPortConfig, Service};
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions, ListServicesOptions};
use bollard::Docker;
use common::swarm::{guard, swarm_state};
use phoenix_bench::backend::docker::connect;
use phoenix_bench::backend::swarm::{labelled_objects, labelled_services, remove_run, SwarmBackend};
use phoenix_bench::backend::{labels, Backend, Deployed, Deployment, Lifecycle, Volume};
use phoenix_bench::record::LifecycleKind;
use phoenix_bench::scenario::{BackendKind, Scenario};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

struct SwarmEngine {
    scenario: Scenario,
}

impl SwarmEngine {
    fn new() -> SwarmEngine {
        let file = common::root().join("scenarios/swarm-kill.toml");
        let mut scenario = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.app.backend, BackendKind::Swarm);
        // a short boot keeps the suite quick; the contract does not depend on it
        scenario.app.env.insert("STARTUP_DELAY_MS".into(), "200".into());
        SwarmEngine { scenario }
    }

    async fn docker() -> Docker {
        connect().await.unwrap_or_else(|e| panic!("{e}"))
    }
}

fn run_label(run_id: &str) -> String {
    format!("{}={run_id}", labels::RUN)
}

/// What `found` lacks of the labels every object of `run_id` carries (and a member's).
fn lacking(what: &str, found: &HashMap<String, String>, run_id: &str, member: bool) -> Vec<String> {
    let mut want = vec![
        (labels::RUN, Some(run_id.to_string())),
        (labels::OWNER, Some(labels::owner())),
    ];
    want.push((labels::OWNER_ID, None));
    if member {
        want.extend([(labels::MEMBER, None), (labels::ROLE, None)]);
    }
    want.iter()
        .filter(|(k, v)| match (found.get(*k), v) {
            (None, _) => true,
            (Some(got), Some(v)) => got != v,
            (Some(got), None) => got.is_empty(),
        })
        .map(|(k, _)| format!("{what}: {k}"))
        .collect()
}

/// The services publishing the deployment's ports, their containers, networks and volumes:
/// (kind, name, labels, is a member).
async fn serving(docker: &Docker, deployed: &Deployed) -> Vec<(&'static str, String, HashMap<String, String>, bool)> {
    let ports: BTreeSet<i64> = deployed.replicas.iter().map(|e| i64::from(e.addr.port())).collect();
    let services: Vec<Service> = docker
        .list_services(None::<ListServicesOptions>)
        .await
        .expect("services listed");
    let mut out = Vec::new();
    let (mut nets, mut vols) = (BTreeSet::new(), BTreeSet::new());
    for s in services {
        let spec = s.spec.clone().unwrap_or_default();
        let published: Vec<EndpointPortConfig> = spec.endpoint_spec.and_then(|e| e.ports).unwrap_or_default();
        if !published
            .iter()
            .any(|p| p.published_port.is_some_and(|p| ports.contains(&p)))
        {
            continue;
        }
        let id = s.id.clone().unwrap_or_default();
        out.push((
            "service",
            spec.name.unwrap_or_default(),
            spec.labels.unwrap_or_default(),
            true,
        ));
        let filters = HashMap::from([("label".to_string(), vec![format!("com.docker.swarm.service.id={id}")])]);
        let cs = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .expect("containers listed");
        for c in cs {
            let cid = c.id.unwrap_or_default();
            let i = docker
                .inspect_container(&cid, None::<InspectContainerOptions>)
                .await
                .expect("container inspected");
            out.push((
                "container",
                i.name.unwrap_or(cid),
                i.config.and_then(|c| c.labels).unwrap_or_default(),
                true,
            ));
            nets.extend(
                i.network_settings
                    .and_then(|n| n.networks)
                    .unwrap_or_default()
                    .into_keys(),
            );
            vols.extend(
                i.mounts
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| m.typ.as_deref() == Some("volume"))
                    .filter_map(|m| m.name),
            );
        }
    }
    // the node's own bridge for host-mode ports is the engine's, not the run's
    for n in nets.into_iter().filter(|n| n != "docker_gwbridge" && n != "ingress") {
        let i = docker
            .inspect_network(&n, None::<bollard::query_parameters::InspectNetworkOptions>)
            .await
            .expect("network inspected");
        out.push(("network", n, i.labels.unwrap_or_default(), false));
    }
    for v in vols {
        let i = docker.inspect_volume(&v).await.expect("volume inspected");
        out.push(("volume", v, i.labels, false));
    }
    out
}

#[async_trait::async_trait]
impl Engine for SwarmEngine {
    async fn backend(&self, run_id: &str) -> Box<dyn Backend> {
        let images = phoenix_bench::execute::deployment::images(&self.scenario, false);
        let b = SwarmBackend::connect(run_id).await.unwrap_or_else(|e| panic!("{e}"));
        b.ensure_images(&images).await.unwrap_or_else(|e| panic!("{e}"));
        Box::new(b)
    }

    fn deployment(&self, replicas: &[&str]) -> Deployment {
        let mut d = phoenix_bench::execute::deployment::of(&self.scenario);
        d.replicas = replicas.iter().map(|r| r.to_string()).collect();
        d.volumes = vec![Volume {
            name: "data".into(),
            path: "/data".into(),
        }];
        // the contract's restart and replace are the harness's: no platform
        d.platform_delay = None;
        d
    }

    fn health_path(&self) -> &str {
        &self.scenario.app.health.path
    }

    async fn leftovers(&self, run_id: &str) -> Vec<String> {
        if swarm_state() != "active" {
            // no swarm: no service can be left; containers, networks and volumes still can
            let n = common::labelled(&run_label(run_id));
            return n.into_iter().map(|id| format!("object {id}")).collect();
        }
        let docker = Self::docker().await;
        let mut left: Vec<String> = labelled_services(&docker, &run_label(run_id))
            .await
            .expect("services listed")
            .into_iter()
            .map(|s| format!("service {s}"))
            .collect();
        let n = labelled_objects(&docker, &run_label(run_id))
            .await
            .expect("objects listed");
        if n > 0 {
            left.push(format!("{n} container(s), network(s) or volume(s)"));
        }
        left
    }

    async fn unlabelled(&self, run_id: &str, deployed: &Deployed) -> Vec<String> {
        let docker = Self::docker().await;
        serving(&docker, deployed)
            .await
            .iter()
            .flat_map(|(kind, name, l, member)| lacking(&format!("{kind} {name}"), l, run_id, *member))
            .collect()
    }

    async fn objects(&self, deployed: &Deployed) -> usize {
        let docker = Self::docker().await;
        let found = serving(&docker, deployed).await;
        let kinds: BTreeSet<&str> = found.iter().map(|(k, ..)| *k).collect();
        assert_eq!(
            kinds,
            BTreeSet::from(["service", "container", "network", "volume"]),
            "the deployment's services, containers, network and volume are all found: {found:?}"
        );
        found.len()
    }

    async fn sweep(&self, run_id: &str) {
        if swarm_state() == "active" {
            let docker = Self::docker().await;
            let _ = remove_run(&docker, &run_label(run_id)).await;
        }
    }
}

contract_tests!(SwarmEngine::new(), guard());

/// Runs `body` on a fresh run id with the guard held; sweeps the run whatever happens.
fn with_run<F: std::future::Future<Output = ()>>(name: &str, body: impl FnOnce(SwarmEngine, String) -> F) {
    let g = guard();
    let run_id = backend_contract::run_id(name);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime().block_on(body(SwarmEngine::new(), run_id.clone()))
    }));
    runtime().block_on(SwarmEngine::new().sweep(&run_id));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    drop(g);
}

/// Deploys `replicas` with the platform replacing failed tasks after `platform` (None:
/// the harness does), waiting until each answers healthy.
async fn deploy(engine: &SwarmEngine, run_id: &str, replicas: &[&str], platform: Option<Duration>) -> Live {
    let backend = engine.backend(run_id).await;
    let events = backend.watch().await.expect("the event stream starts");
    let mut d = engine.deployment(replicas);
    d.platform_delay = platform;
    let deploy_us = unix_us();
    let deployed = match backend.deploy(&d).await {
        Ok(d) => d,
        Err(e) => {
            let _ = backend.teardown().await;
            panic!("deploy failed: {e}");
        }
    };
    assert_eq!(swarm_state(), "active", "deployed in swarm mode");
    for e in &deployed.replicas {
        until(e, "/health", true, Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("{} never healthy after deploy", e.replica));
    }
    Live {
        backend,
        deployed,
        events,
        run_id: run_id.to_string(),
        deploy_us,
    }
}

#[test]
fn the_platform_replaces_a_killed_task_on_the_same_endpoint_and_swarm_mode_is_left_as_found() {
    with_run("platform", |engine, run_id| async move {
        let found = swarm_state();
        let mut d = deploy(&engine, &run_id, &["app-0", "app-1"], Some(Duration::ZERO)).await;
        let (a, b) = (d.endpoint("app-0").clone(), d.endpoint("app-1").clone());
        let kill_us = unix_us();
        let t0 = Instant::now();
        d.backend.kill("app-0").await.expect("kill succeeds");
        until(&a, "/health", false, Duration::from_secs(5))
            .await
            .expect("app-0 down after a kill");
        let scheduled_us = d
            .backend
            .platform("app-0")
            .await
            .expect("the platform replaces the task");
        let running = t0.elapsed();
        until(&a, "/health", true, Duration::from_secs(30))
            .await
            .expect("the platform's replacement answers healthy on the same endpoint");
        let up = t0.elapsed();
        assert!(healthy(&b, "/health").await, "app-1 stayed healthy");
        assert!(
            scheduled_us >= kill_us - 100_000 && scheduled_us <= unix_us(),
            "the replacement was scheduled at {scheduled_us} µs, not after the kill at {kill_us} µs"
        );
        let starts = |evs: &[phoenix_bench::backend::RawLifecycle]| {
            evs.iter()
                .filter(|e| e.replica == "app-0" && e.kind == LifecycleKind::Started)
                .map(|e| e.instance.clone())
                .collect::<Vec<_>>()
        };
        let evs = d.events_until(Duration::from_secs(5), |e| starts(e).len() >= 2).await;
        let ids = starts(&evs);
        assert_eq!(ids.len(), 2, "two starts of app-0: {evs:?}");
        assert_ne!(ids[0], ids[1], "the platform's replacement is a new container");
        let exited = evs
            .iter()
            .any(|e| e.replica == "app-0" && e.kind == LifecycleKind::Exited);
        assert!(exited, "the killed task's exit is reported: {evs:?}");
        eprintln!(
            "kill → replacement scheduled {:.1} ms; kill → running (seen) {running:?}; kill → healthy {up:?}",
            (scheduled_us - kill_us) as f64 / 1000.0
        );
        d.teardown().await;
        assert_eq!(swarm_state(), found, "swarm mode left as found");
        assert!(engine.leftovers(&run_id).await.is_empty(), "nothing left");
    });
}

#[test]
fn without_platform_a_killed_task_stays_down_until_the_harness_replaces_it() {
    with_run("harness", |engine, run_id| async move {
        let found = swarm_state();
        let d = deploy(&engine, &run_id, &["app-0"], None).await;
        let a = d.endpoint("app-0").clone();
        d.backend.kill("app-0").await.expect("kill succeeds");
        until(&a, "/health", false, Duration::from_secs(5))
            .await
            .expect("app-0 down after a kill");
        let back = until(&a, "/health", true, Duration::from_secs(3)).await;
        assert!(
            back.is_none(),
            "swarm replaced the task by itself ({back:?}): its restart policy is not none"
        );
        assert!(
            d.backend.platform("no-such-replica").await.is_err(),
            "an unknown replica is an error"
        );
        d.backend.replace("app-0").await.expect("replace succeeds");
        until(&a, "/health", true, Duration::from_secs(30))
            .await
            .expect("healthy after the harness's replacement");
        d.teardown().await;
        assert_eq!(swarm_state(), found, "swarm mode left as found");
    });
}

/// `phoenix validate` on `text` (a scenario written to a temporary folder): exit code and
/// stderr.
fn validate(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    let o = common::phoenix()
        .arg("validate")
        .arg(&path)
        .output()
        .expect("phoenix runs");
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn then_platform_off_swarm_mixed_policies_and_start_first_are_refused_naming_the_place() {
    // no build: the image is named only (this checks the faults, not the build)
    let text = std::fs::read_to_string(common::root().join("scenarios/swarm-kill.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("build ="))
        .collect::<Vec<_>>()
        .join("\n");
    let then_line = text.lines().position(|l| l.starts_with("then = \"platform\"")).unwrap() + 1;
    assert_eq!(
        validate(&text).0,
        Some(0),
        "the swarm scenario is valid: {}",
        validate(&text).1
    );
    let docker = text.replace("backend = \"swarm\"", "backend = \"docker\"");
    let (code, err) = validate(&docker);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!(":{then_line}:1: field `fault[0].then`")) && err.contains("backend = \"swarm\""),
        "names the line of `then`, the field and the fix: {err}"
    );
    let mixed = format!("{text}\n[[fault]]\nat = \"12s\"\nkind = \"kill\"\nthen = \"restart\"\ntarget = \"app-1\"\n");
    let (code, err) = validate(&mixed);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("fault[1]") && err.contains("one restart policy"), "{err}");
    let cut = format!("{text}\n[[fault]]\nat = \"12s\"\nkind = \"disconnect\"\nfor = \"1s\"\ntarget = \"app-1\"\n");
    let (code, err) = validate(&cut);
    assert!(
        code == Some(2) && err.contains("disconnect fault is not supported with backend = \"swarm\""),
        "{err}"
    );
    // services are deployed on swarm now; an update order that cannot work is refused
    let services = format!("{text}\n[[service]]\nname = \"cache\"\nimage = \"phoenix/redis:bookworm\"\n");
    assert_eq!(validate(&services).0, Some(0), "{}", validate(&services).1);
    let rolling = text.replace("then = \"platform\"", "then = \"replace\"\norder = \"start-first\"");
    let (code, err) = validate(&rolling);
    assert!(
        code == Some(2) && err.contains("field `fault[0].order`") && err.contains("fixed host-mode port"),
        "start-first refused, naming the field and why: {err}"
    );
    let docker = rolling
        .replace("order = \"start-first\"", "order = \"stop-first\"")
        .replace("backend = \"swarm\"", "backend = \"docker\"");
    let (code, err) = validate(&docker);
    assert!(
        code == Some(2) && err.contains("field `fault[0].order`: only applies"),
        "{err}"
    );
    let delayed = text
        .replace("kind = \"kill\"", "kind = \"stop\"")
        .replace("then = \"platform\"", "then = \"replace\"")
        .replace("delay = \"0s\"", "delay = \"1s\"");
    let (code, err) = validate(&delayed);
    assert!(
        code == Some(2) && err.contains("field `fault[0].delay`") && err.contains("one service update"),
        "{err}"
    );
}

/// Runs `scenarios/<name>.toml` with the guard held; asserts exit 0 (or 5, inconclusive: a
/// time to healthy over the target on a contended host), the platform's reaction in order
/// in the breakdown, nothing left and swarm mode as found; returns result.json.
fn run_scenario(name: &str) -> serde_json::Value {
    let g = guard();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = common::run(&format!("scenarios/{name}.toml"), &out, &[]);
    let result = common::read_json(&out.join("result.json"));
    common::assert_verdict_exit(o.status.code(), 0, &result, name);
    let f = &result["faults"][0];
    assert_eq!(f["action"], "platform", "{f}");
    let b = &f["breakdown_ms"];
    let step = |k: &str| {
        b[k].as_f64()
            .unwrap_or_else(|| panic!("breakdown_ms.{k} measured: {b}"))
    };
    let (exit, issued, running, healthy) = (step("exit"), step("restart_issued"), step("running"), step("healthy"));
    assert!(
        exit <= issued && issued <= running && running <= healthy,
        "exited → scheduled → running → healthy in order: {b}"
    );
    eprintln!(
        "{name}: {} level, TTH {} ms, lost {} of {}; breakdown (ms) {b}",
        result["certification"]["level"], f["time_to_healthy_ms"], f["lost_requests"], result["load"]["sent"]
    );
    common::assert_nothing_left(&result);
    let run_id = result["run_id"].as_str().unwrap();
    if swarm_state() == "active" {
        let docker = runtime().block_on(SwarmEngine::docker());
        let left = runtime()
            .block_on(labelled_services(&docker, &run_label(run_id)))
            .unwrap();
        assert!(left.is_empty(), "services left: {left:?}");
    }
    assert_eq!(swarm_state(), g.found, "swarm mode left as found");
    result
}

#[test]
fn swarm_kill_scenario_exits_0_and_the_breakdown_shows_the_platform_reaction() {
    run_scenario("swarm-kill");
}

#[test]
fn behind_haproxy_the_platform_replacement_loses_no_request() {
    let result = run_scenario("swarm-kill-haproxy");
    assert_eq!(result["load"]["failed"], 0, "{}", result["load"]);
    assert_eq!(result["faults"][0]["lost_requests"], 0, "{}", result["faults"][0]);
}
