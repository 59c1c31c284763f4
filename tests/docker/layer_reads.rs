//! The audit's two reads of a container's writable layer agree: the walk of the engine's
//! own storage directory (`harness/backend/docker/upper.rs`, where the engine is local and
//! readable) and `docker diff` with a stat call per file (the API). The demo keeps uploads
//! on its local disk and writes a boot marker under /tmp; both reads must list the same
//! files with the same sizes.

use crate::common;

use phoenix_bench::backend::docker::{changed_files, connect, DockerBackend};
use phoenix_bench::backend::{Inspect, Lifecycle};
use phoenix_bench::record::FsReadWhen;
use phoenix_bench::scenario::Scenario;
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storage_walk_lists_what_docker_diff_lists() {
    common::require_docker();
    let mut scenario = Scenario::load(&common::root().join("scenarios/kill-restart.toml")).unwrap();
    for (k, v) in [("STARTUP_DELAY_MS", "100"), ("UPLOADS", "local"), ("BOOT_ONCE", "1")] {
        scenario.app.env.insert(k.into(), v.into());
    }
    let run_id = format!("layer-reads-{}", std::process::id());
    let backend = DockerBackend::connect(&run_id).await.unwrap_or_else(|e| panic!("{e}"));
    let images = phoenix_bench::execute::deployment::images(&scenario, false);
    backend.ensure_images(&images).await.unwrap_or_else(|e| panic!("{e}"));
    let deployed = backend
        .deploy(&phoenix_bench::execute::deployment::of(&scenario))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = deployed.replicas[0].addr;

    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        up = client.get(format!("http://{addr}/health")).send().await.is_ok();
        if up {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the demo answered");
    for n in 0..12usize {
        let part = reqwest::multipart::Part::bytes(vec![b'x'; 100 * n + 1]).file_name(format!("f{n}"));
        let form = reqwest::multipart::Form::new().part("file", part);
        let r = client
            .post(format!("http://{addr}/upload"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "upload {n}: {}", r.status());
    }

    let (id, _) = backend
        .read_changes("app-0", FsReadWhen::End)
        .await
        .unwrap()
        .expect("the audit read the container");
    let docker = connect().await.unwrap();
    let fast = changed_files(&docker, &id, true).await;
    let api = changed_files(&docker, &id, false).await.expect("docker diff answered");
    backend.teardown().await.unwrap_or_else(|e| panic!("{e}"));

    eprintln!("docker diff: {api:?}");
    let fast = fast.expect("the engine's storage is readable here (root, local engine, overlay driver)");
    assert_eq!(fast, api, "the storage walk and docker diff disagree");
    let uploads = api
        .iter()
        .filter(|(p, _)| p.starts_with("/var/lib/phoenix-demo/uploads/"))
        .count();
    assert_eq!(uploads, 12, "every upload is a file of the layer: {api:?}");
    assert!(
        api.iter().any(|(p, _)| p.starts_with("/tmp/")),
        "the boot marker: {api:?}"
    );
}
