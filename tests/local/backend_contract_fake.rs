//! The backend contract (`tests/backend_contract/mod.rs`) against the fake backend
//! (`backend::fake`, the execute stage's unit tests run on it): the fake must keep the
//! promises the real backends keep, or the stage's tests on it would prove nothing. What a
//! run left is read from the fake's own registry of held objects, with their labels.

use crate::backend_contract;

use phoenix_bench::backend::fake::{labels_of, leftovers, run_serving, FakeBackend, Script};
use phoenix_bench::backend::{labels, Backend, Deployed, Deployment, Volume};
use std::collections::BTreeMap;

struct FakeEngine;

#[async_trait::async_trait]
impl backend_contract::Engine for FakeEngine {
    async fn backend(&self, run_id: &str) -> Box<dyn Backend> {
        Box::new(FakeBackend::new(run_id, Script::default()))
    }

    fn deployment(&self, replicas: &[&str]) -> Deployment {
        Deployment {
            image: String::new(),
            port: 0,
            env: BTreeMap::new(),
            volumes: vec![Volume {
                name: "data".into(),
                path: "/data".into(),
            }],
            replicas: replicas.iter().map(|r| r.to_string()).collect(),
            services: Vec::new(),
            front: None,
            process: None,
            platform_delay: None,
            audit: false,
        }
    }

    fn health_path(&self) -> &str {
        "/health"
    }

    async fn leftovers(&self, run_id: &str) -> Vec<String> {
        leftovers(run_id)
    }

    async fn unlabelled(&self, run_id: &str, _deployed: &Deployed) -> Vec<String> {
        let required = [labels::RUN, labels::OWNER];
        leftovers(run_id)
            .into_iter()
            .filter(|o| {
                let l = labels_of(run_id, o);
                required.iter().any(|k| l.get(*k).is_none()) || l.get(labels::RUN) != Some(&run_id.to_string())
            })
            .collect()
    }

    async fn objects(&self, deployed: &Deployed) -> usize {
        let run = deployed.replicas.first().and_then(|e| run_serving(e.addr.port()));
        run.map_or(0, |r| leftovers(&r).len())
    }

    async fn sweep(&self, _run_id: &str) {
        // dropping the backend forgets everything it held
    }
}

contract_tests!(FakeEngine, ());
