//! The backend contract (`tests/backend_contract/mod.rs`) against the Docker backend, on
//! the real engine with the bundled demo image (`phoenix-demo:latest`, built from
//! `scenarios/apps/demo` when missing). Labels and leftovers are read back through bollard.

use crate::backend_contract;
use crate::common;

use backend_contract::Engine;
use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptions, ListNetworksOptions, ListVolumesOptions,
};
use bollard::Docker;
use phoenix_bench::backend::docker::{connect, remove_labelled, DockerBackend};
use phoenix_bench::backend::{labels, Backend, Deployed, Deployment, Lifecycle, Volume};
use phoenix_bench::scenario::Scenario;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

/// One Docker test at a time: two cores, and timings matter.
static DOCKER: Mutex<()> = Mutex::new(());

fn docker_lock() -> MutexGuard<'static, ()> {
    common::require_docker();
    DOCKER.lock().unwrap_or_else(|e| e.into_inner())
}

struct DockerEngine {
    scenario: Scenario,
}

impl DockerEngine {
    fn new() -> DockerEngine {
        let file = common::root().join("scenarios/kill-restart.toml");
        let mut scenario = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        // a short boot keeps the suite quick; the contract does not depend on it
        scenario.app.env.insert("STARTUP_DELAY_MS".into(), "200".into());
        DockerEngine { scenario }
    }

    async fn docker() -> Docker {
        connect().await.unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The labels every object of run `run_id` carries, and those of a member besides.
fn required(run_id: &str, member: bool) -> Vec<(&'static str, Option<String>)> {
    let mut l = vec![
        (labels::RUN, Some(run_id.to_string())),
        (labels::OWNER, Some(labels::owner())),
        (labels::OWNER_ID, None),
    ];
    if member {
        l.extend([(labels::MEMBER, None), (labels::ROLE, None)]);
    }
    l
}

/// What `found` lacks of `want`, as `what: key` lines.
fn lacking(what: &str, found: &HashMap<String, String>, want: &[(&str, Option<String>)]) -> Vec<String> {
    want.iter()
        .filter(|(k, v)| match (found.get(*k), v) {
            (None, _) => true,
            (Some(got), Some(v)) => got != v,
            (Some(got), None) => got.is_empty(),
        })
        .map(|(k, _)| format!("{what}: {k}"))
        .collect()
}

/// The containers publishing the deployment's endpoints, and the networks and volumes they
/// use: (kind, name, labels).
async fn serving(docker: &Docker, deployed: &Deployed) -> Vec<(&'static str, String, HashMap<String, String>, bool)> {
    let ports: BTreeSet<u16> = deployed
        .replicas
        .iter()
        .chain(deployed.front.iter())
        .map(|e| e.addr.port())
        .collect();
    let all = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .expect("containers listed");
    let mut out = Vec::new();
    let (mut nets, mut vols) = (BTreeSet::new(), BTreeSet::new());
    for c in all {
        let publishes = c
            .ports
            .unwrap_or_default()
            .iter()
            .any(|p| p.public_port.is_some_and(|pp| ports.contains(&pp)));
        if !publishes {
            continue;
        }
        let id = c.id.unwrap_or_default();
        let i = docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
            .expect("container inspected");
        let name = i.name.unwrap_or(id);
        let labels = i.config.and_then(|c| c.labels).unwrap_or_default();
        out.push(("container", name, labels, true));
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
    for n in nets {
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
impl Engine for DockerEngine {
    async fn backend(&self, run_id: &str) -> Box<dyn Backend> {
        let images = phoenix_bench::execute::deployment::images(&self.scenario, false);
        let b = DockerBackend::connect(run_id).await.unwrap_or_else(|e| panic!("{e}"));
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
        d
    }

    fn health_path(&self) -> &str {
        &self.scenario.app.health.path
    }

    async fn leftovers(&self, run_id: &str) -> Vec<String> {
        let docker = Self::docker().await;
        let filters = HashMap::from([("label".to_string(), vec![format!("{}={run_id}", labels::RUN)])]);
        let mut left = Vec::new();
        let cs = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters.clone()),
                ..Default::default()
            }))
            .await
            .expect("containers listed");
        left.extend(cs.into_iter().map(|c| format!("container {:?}", c.names)));
        let ns = docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filters.clone()),
            }))
            .await
            .expect("networks listed");
        left.extend(ns.into_iter().map(|n| format!("network {:?}", n.name)));
        let vs = docker
            .list_volumes(Some(ListVolumesOptions { filters: Some(filters) }))
            .await
            .expect("volumes listed");
        left.extend(
            vs.volumes
                .unwrap_or_default()
                .into_iter()
                .map(|v| format!("volume {}", v.name)),
        );
        left
    }

    async fn unlabelled(&self, run_id: &str, deployed: &Deployed) -> Vec<String> {
        let docker = Self::docker().await;
        serving(&docker, deployed)
            .await
            .iter()
            .flat_map(|(kind, name, labels, member)| {
                lacking(&format!("{kind} {name}"), labels, &required(run_id, *member))
            })
            .collect()
    }

    async fn objects(&self, deployed: &Deployed) -> usize {
        let docker = Self::docker().await;
        let found = serving(&docker, deployed).await;
        let kinds: BTreeSet<&str> = found.iter().map(|(k, ..)| *k).collect();
        assert_eq!(
            kinds,
            BTreeSet::from(["container", "network", "volume"]),
            "the deployment's containers, network and volume are all found"
        );
        found.len()
    }

    async fn sweep(&self, run_id: &str) {
        let docker = Self::docker().await;
        remove_labelled(&docker, &format!("{}={run_id}", labels::RUN)).await;
    }
}

contract_tests!(DockerEngine::new(), docker_lock());
