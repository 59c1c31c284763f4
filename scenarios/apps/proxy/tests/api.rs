//! The control API: Toxiproxy's paths, status codes and JSON shapes; and the binary's
//! start-up line and clean exit.

mod common;

use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

#[tokio::test]
async fn proxies_are_created_shown_and_deleted() {
    let api = api().await;
    let (status, v) = http(api, "GET", "/version", "").await;
    assert_eq!(status, 200);
    assert!(v["version"].is_string(), "{v}");

    let up = echo().await;
    let body = format!(r#"{{"name":"db","listen":"127.0.0.1:0","upstream":"{up}"}}"#);
    let (status, created) = http(api, "POST", "/proxies", &body).await;
    assert_eq!(status, 201);
    assert_eq!(created["name"], "db");
    assert_eq!(created["upstream"], up.to_string());
    assert_eq!(created["enabled"], true);
    assert_eq!(created["toxics"], json!([]));

    let (status, shown) = http(api, "GET", "/proxies/db", "").await;
    assert_eq!((status, &shown), (200, &created));
    let (status, all) = http(api, "GET", "/proxies", "").await;
    assert_eq!(status, 200);
    assert_eq!(all, json!({ "db": created }));

    let (status, v) = http(api, "DELETE", "/proxies/db", "").await;
    assert_eq!((status, v), (204, serde_json::Value::Null));
    let (status, v) = http(api, "GET", "/proxies/db", "").await;
    assert_eq!(status, 404);
    assert_eq!(v, json!({"error": "proxy not found", "status": 404}));
    let listen: std::net::SocketAddr = created["listen"].as_str().unwrap().parse().unwrap();
    assert!(TcpStream::connect(listen).await.is_err(), "still listening");
}

#[tokio::test]
async fn errors_are_toxiproxys() {
    let api = api().await;
    let up = echo().await;
    proxy(api, "p", &up.to_string()).await;
    let dup = format!(r#"{{"name":"p","listen":"127.0.0.1:0","upstream":"{up}"}}"#);
    let cases = [
        ("POST", "/proxies", dup.as_str(), 409, "proxy already exists"),
        (
            "POST",
            "/proxies",
            r#"{"listen":"127.0.0.1:0","upstream":"x:1"}"#,
            400,
            "missing required field: name",
        ),
        (
            "POST",
            "/proxies",
            r#"{"name":"q","listen":"127.0.0.1:0"}"#,
            400,
            "missing required field: upstream",
        ),
        ("DELETE", "/proxies/nope", "", 404, "proxy not found"),
        (
            "POST",
            "/proxies/nope/toxics",
            r#"{"type":"latency"}"#,
            404,
            "proxy not found",
        ),
        (
            "POST",
            "/proxies/p/toxics",
            r#"{"type":"jam"}"#,
            400,
            "invalid toxic type",
        ),
        (
            "POST",
            "/proxies/p/toxics",
            r#"{"type":"latency","stream":"up"}"#,
            400,
            "stream was invalid, can be either upstream or downstream",
        ),
        ("DELETE", "/proxies/p/toxics/nope", "", 404, "toxic not found"),
    ];
    for (method, path, body, status, error) in cases {
        let (got, v) = http(api, method, path, body).await;
        assert_eq!(got, status, "{method} {path} {body}: {v}");
        assert_eq!(v, json!({"error": error, "status": status}), "{method} {path}");
    }
    // a body that is no JSON at all
    let (status, v) = http(api, "POST", "/proxies", "{").await;
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().starts_with("bad request body"), "{v}");
    assert_eq!(v["status"], 400);

    let toxic = r#"{"name":"lag","type":"latency","attributes":{"latency":5}}"#;
    add_toxic(api, "p", toxic).await;
    let (status, v) = http(api, "POST", "/proxies/p/toxics", toxic).await;
    assert_eq!(
        (status, v),
        (409, json!({"error": "toxic already exists", "status": 409}))
    );
}

#[tokio::test]
async fn toxics_show_in_toxiproxys_shape_and_reset_clears_them() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "p", &up.to_string()).await;
    let body = r#"{"type":"latency","stream":"upstream","toxicity":0.5,"attributes":{"latency":7,"jitter":2}}"#;
    let (status, toxic) = http(api, "POST", "/proxies/p/toxics", body).await;
    assert_eq!(status, 200);
    let expected = json!({"name": "latency_upstream", "type": "latency", "stream": "upstream",
                          "toxicity": 0.5, "attributes": {"latency": 7, "jitter": 2}});
    assert_eq!(toxic, expected);
    let (_, shown) = http(api, "GET", "/proxies/p", "").await;
    assert_eq!(shown["toxics"], json!([expected]));

    // disabled: nothing listens; reset enables it again and removes the toxics
    let (status, v) = http(api, "POST", "/proxies/p", r#"{"enabled":false}"#).await;
    assert_eq!((status, &v["enabled"]), (200, &json!(false)));
    assert!(TcpStream::connect(listen).await.is_err(), "still listening");
    let (status, _) = http(api, "POST", "/reset", "").await;
    assert_eq!(status, 204);
    let (_, shown) = http(api, "GET", "/proxies/p", "").await;
    assert_eq!((&shown["enabled"], &shown["toxics"]), (&json!(true), &json!([])));
    let mut s = TcpStream::connect(listen).await.unwrap();
    round_trip(&mut s, b"back").await;
}

/// The binary: proxies from the command line, one ready line, exit 0 on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_says_ready_and_exits_on_sigterm() {
    let up = echo().await;
    let free = |_| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    };
    let (api, listen) = (free(0), free(1));
    let mut child = Reaped(
        Command::new(env!("CARGO_BIN_EXE_phoenix-proxy"))
            .args(["--api", &api.to_string()])
            .args(["--proxy", &format!("link={listen}={up}")])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut child.0;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap_or_default());
        }
    });
    let first = tokio::task::block_in_place(|| rx.recv_timeout(Duration::from_secs(20)));
    assert_eq!(first.as_deref(), Ok("phoenix-proxy ready"));

    // the line comes once every listener is bound: connect at once, no retry
    let mut s = TcpStream::connect(listen).await.unwrap();
    round_trip(&mut s, b"through").await;
    let (status, v) = http(api, "GET", "/proxies/link", "").await;
    assert_eq!((status, &v["upstream"]), (200, &json!(up.to_string())));

    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(term.unwrap().success());
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no exit on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
    let _ = tokio::task::block_in_place(|| reader.join());
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(rest.is_empty(), "more than one line on stdout: {rest:?}");
}

/// The child is killed if the test fails before it exits.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
