//! Loopback helpers for the tests: the proxy in-process, a tiny HTTP client for its API,
//! and upstreams (echo, or a fixed greeting).

#![allow(dead_code)] // each test file uses its own share

use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Generous upper bounds: this machine is slow and busy.
pub const SLACK: Duration = Duration::from_secs(2);

/// The proxy's API on a free loopback port, with no proxies yet.
pub async fn api() -> SocketAddr {
    let running = phoenix_proxy::start("127.0.0.1:0", Vec::new(), std::future::pending())
        .await
        .expect("start");
    let api = running.api;
    // the server lives as long as the test's runtime
    tokio::spawn(running.wait());
    api
}

/// One request to the API (HTTP/1.1, connection closed after): status and JSON body
/// (Null when the body is empty).
pub async fn http(api: SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(api).await.expect("connect API");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8(raw).expect("utf-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("head");
    let status = head[9..12].parse().expect("status");
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    };
    (status, body)
}

/// Creates a proxy on a free port to `upstream`; returns its listen address.
pub async fn proxy(api: SocketAddr, name: &str, upstream: &str) -> SocketAddr {
    let body = format!(r#"{{"name":"{name}","listen":"127.0.0.1:0","upstream":"{upstream}"}}"#);
    let (status, shown) = http(api, "POST", "/proxies", &body).await;
    assert_eq!(status, 201, "{shown}");
    shown["listen"].as_str().expect("listen").parse().expect("addr")
}

pub async fn add_toxic(api: SocketAddr, proxy: &str, json: &str) {
    let (status, body) = http(api, "POST", &format!("/proxies/{proxy}/toxics"), json).await;
    assert_eq!(status, 200, "{body}");
}

pub async fn remove_toxic(api: SocketAddr, proxy: &str, toxic: &str) {
    let path = format!("/proxies/{proxy}/toxics/{toxic}");
    let (status, body) = http(api, "DELETE", &path, "").await;
    assert_eq!(status, 204, "{body}");
}

/// An upstream on a free loopback port that echoes what it gets.
pub async fn echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

/// An upstream on `listener` that writes `greeting` to each connection and closes it.
pub fn greeter(listener: TcpListener, greeting: &'static str) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s.write_all(greeting.as_bytes()).await;
        }
    })
}

/// Writes `msg` and reads back as many bytes; returns the time it took.
pub async fn round_trip(s: &mut TcpStream, msg: &[u8]) -> Duration {
    let start = Instant::now();
    s.write_all(msg).await.expect("write");
    let mut back = vec![0; msg.len()];
    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut back))
        .await
        .expect("round trip within 10 s")
        .expect("read");
    assert_eq!(back, msg);
    start.elapsed()
}

/// Reads until EOF or error, at most `limit` long: the bytes, and how it ended.
pub async fn read_to_end(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, std::io::Result<()>) {
    let mut got = Vec::new();
    let res = tokio::time::timeout(limit, s.read_to_end(&mut got)).await;
    let end = match res {
        Ok(r) => r.map(|_| ()),
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no EOF")),
    };
    (got, end)
}
