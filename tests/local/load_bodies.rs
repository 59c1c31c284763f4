//! Load requests with bodies reach the app as written: a request mix of a form login, a
//! multipart upload of a file and a templated cache write, paced by the load engine
//! against the demo app run natively (no Docker). What the app stored — session files,
//! uploaded files, cache entries — is read back from its folders and its own endpoints.

use crate::common;

use common::*;
use phoenix_bench::clock::RunClock;
use phoenix_bench::load::{run_load, LiveCounters, LoadConfig, Recorder};
use phoenix_bench::scenario::Scenario;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const SCENARIO: &str = r#"
name = "load-bodies"
[app]
backend = "process"
command = ["app", "--port={port}"]
[load]
rate = 150
duration = "2s"
keep_alive = true
requests = [
  { method = "POST", path = "/login", form = { user = "u{{n}}" } },
  { method = "POST", path = "/upload", multipart = { field = "file", file = "upload.bin", filename = "f{{n}}.bin" } },
  { method = "PUT", path = "/cache/k{{n}}", body = "v{{n}}", headers = { X-Request = "r{{n}}" } },
]
"#;

/// The demo, killed when dropped.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_of_form_multipart_and_templated_requests_reaches_the_demo_with_its_bodies() {
    let tmp = tempfile::tempdir().unwrap();
    let upload: Vec<u8> = (0..20_000u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(tmp.path().join("upload.bin"), &upload).unwrap();
    std::fs::write(tmp.path().join("app"), "").unwrap();
    let file = tmp.path().join("s.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let scenario = Scenario::load(&file).expect("the scenario validates");

    let (sessions, uploads) = (tmp.path().join("sessions"), tmp.path().join("uploads"));
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let _demo = Demo(
        Command::new(demo_binary())
            .env("LISTEN", addr.to_string())
            .env("SESSIONS", "file")
            .env("SESSION_DIR", &sessions)
            .env("UPLOADS", "shared")
            .env("SHARED_DIR", &uploads)
            .env("CACHE", "global")
            .stdout(Stdio::null())
            .spawn()
            .expect("the demo starts"),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "the demo did not listen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let cfg = LoadConfig::from(&scenario.load);
    let rec = Recorder::windowed(Arc::new(LiveCounters::default()), scenario.load.window, cfg.timeout);
    let log = run_load(cfg, vec![addr], RunClock::start(), rec, CancellationToken::new()).await;
    let (sent, failed) = (log.sent(), log.raw().filter(|r| !r.2.is_ok()).count());
    assert_eq!(sent, 300);
    assert_eq!(failed, 0, "every request of the mix succeeds");

    // request n is of kind n % 3 (weights 1, 1, 1): logins are 0, 3, 6…
    let logins: BTreeSet<String> = (0..300).step_by(3).map(|n| format!("u{n}")).collect();
    let stored: BTreeSet<String> = std::fs::read_dir(&sessions)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(stored, logins, "one session per login, with the form's rendered user");

    let files: Vec<_> = std::fs::read_dir(&uploads)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(files.len(), 100, "one stored file per upload request");
    for f in &files {
        assert!(
            std::fs::read(f.path()).unwrap() == upload,
            "{:?} is not the uploaded file",
            f.path()
        );
    }

    for n in [2, 5, 152, 299] {
        assert_eq!(get(addr, &format!("/cache/k{n}")).await, (200, format!("v{n}")));
    }
    assert_eq!(
        get(addr, "/cache/k3").await.0,
        404,
        "request 3 was a login, not a cache write"
    );
}
