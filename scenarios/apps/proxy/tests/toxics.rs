//! The toxics on loopback links: a real upstream, the proxy in-process, a real client.
//! Lower bounds are exact; upper bounds are loose (SLACK), for a slow, busy machine.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn bytes_pass_unchanged_without_toxics() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "plain", &up.to_string()).await;
    let mut s = TcpStream::connect(listen).await.unwrap();
    // more than one 32 KiB read buffer, every byte value
    let msg: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    round_trip(&mut s, &msg).await;
    round_trip(&mut s, b"again").await;
}

#[tokio::test]
async fn latency_delays_the_answer_until_removed() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "lat", &up.to_string()).await;
    let mut open = TcpStream::connect(listen).await.unwrap();
    round_trip(&mut open, b"warm").await;

    let toxic = r#"{"name":"slow","type":"latency","stream":"downstream","attributes":{"latency":200}}"#;
    add_toxic(api, "lat", toxic).await;
    // the open connection and a new one both get it
    let mut fresh = TcpStream::connect(listen).await.unwrap();
    for s in [&mut open, &mut fresh] {
        let took = round_trip(s, b"ping").await;
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_millis(200) + SLACK, "{took:?}");
    }

    remove_toxic(api, "lat", "slow").await;
    let mut after = TcpStream::connect(listen).await.unwrap();
    for s in [&mut open, &mut fresh, &mut after] {
        let took = round_trip(s, b"pong").await;
        assert!(took < Duration::from_millis(200), "{took:?}");
    }
}

#[tokio::test]
async fn timeout_zero_passes_nothing_until_removed() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "hold", &up.to_string()).await;
    add_toxic(
        api,
        "hold",
        r#"{"name":"t","type":"timeout","attributes":{"timeout":0}}"#,
    )
    .await;
    let mut s = TcpStream::connect(listen).await.unwrap();
    s.write_all(b"lost").await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(700), s.read(&mut buf)).await;
    assert!(read.is_err(), "something passed: {read:?}");

    remove_toxic(api, "hold", "t").await;
    // what the toxic held is dropped (as in Toxiproxy); what comes after passes
    round_trip(&mut s, b"after").await;
}

#[tokio::test]
async fn timeout_closes_the_connection_after_its_time() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "cut", &up.to_string()).await;
    add_toxic(api, "cut", r#"{"type":"timeout","attributes":{"timeout":500}}"#).await;
    let start = Instant::now();
    let mut s = TcpStream::connect(listen).await.unwrap();
    s.write_all(b"x").await.unwrap();
    let (got, _) = read_to_end(&mut s, Duration::from_millis(500) + SLACK).await;
    let took = start.elapsed();
    assert!(got.is_empty(), "passed {got:?}");
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_millis(500) + SLACK, "no close within {took:?}");
}

#[tokio::test]
async fn reset_peer_resets_the_connection() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "rst", &up.to_string()).await;
    add_toxic(api, "rst", r#"{"type":"reset_peer","attributes":{"timeout":300}}"#).await;
    // as in Toxiproxy: the first chunk in the toxic's direction (here the echo) is
    // dropped, and the connection reset `timeout` ms after it came
    let mut s = TcpStream::connect(listen).await.unwrap();
    let start = Instant::now();
    s.write_all(b"x").await.unwrap();
    let (got, end) = read_to_end(&mut s, Duration::from_millis(300) + SLACK).await;
    let took = start.elapsed();
    assert!(got.is_empty(), "passed {got:?}");
    assert_eq!(end.expect_err("no reset").kind(), std::io::ErrorKind::ConnectionReset);
    assert!(took >= Duration::from_millis(300), "{took:?}");

    // timeout 0, added while a connection is open: its next chunk resets it
    remove_toxic(api, "rst", "reset_peer_downstream").await;
    let mut open = TcpStream::connect(listen).await.unwrap();
    round_trip(&mut open, b"fine").await;
    add_toxic(api, "rst", r#"{"type":"reset_peer","attributes":{"timeout":0}}"#).await;
    open.write_all(b"y").await.unwrap();
    let (got, end) = read_to_end(&mut open, SLACK).await;
    assert!(got.is_empty(), "passed {got:?}");
    assert_eq!(end.expect_err("no reset").kind(), std::io::ErrorKind::ConnectionReset);
}

#[tokio::test]
async fn limit_data_closes_after_its_bytes() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "lim", &up.to_string()).await;
    add_toxic(api, "lim", r#"{"type":"limit_data","attributes":{"bytes":10}}"#).await;
    let mut s = TcpStream::connect(listen).await.unwrap();
    let msg: Vec<u8> = (0..100u8).collect();
    s.write_all(&msg).await.unwrap();
    let (got, _) = read_to_end(&mut s, SLACK).await;
    assert_eq!(got, msg[..10]);
}

#[tokio::test]
async fn toxicity_zero_never_applies() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "never", &up.to_string()).await;
    let toxic = r#"{"type":"latency","toxicity":0,"attributes":{"latency":300}}"#;
    add_toxic(api, "never", toxic).await;
    for _ in 0..20 {
        let mut s = TcpStream::connect(listen).await.unwrap();
        let took = round_trip(&mut s, b"quick").await;
        assert!(took < Duration::from_millis(300), "{took:?}");
    }
}

#[tokio::test]
async fn slow_close_delays_the_close() {
    let api = api().await;
    let up = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up_addr = up.local_addr().unwrap();
    greeter(up, "bye");
    let listen = proxy(api, "lazy", &up_addr.to_string()).await;
    add_toxic(api, "lazy", r#"{"type":"slow_close","attributes":{"delay":400}}"#).await;
    let start = Instant::now();
    let mut s = TcpStream::connect(listen).await.unwrap();
    let (got, _) = read_to_end(&mut s, Duration::from_millis(400) + SLACK).await;
    let took = start.elapsed();
    assert_eq!(got, b"bye");
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_millis(400) + SLACK, "{took:?}");
}

#[tokio::test]
async fn bandwidth_limits_the_rate() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "thin", &up.to_string()).await;
    // 20 KB at 50 KB/s: at least 400 ms
    add_toxic(api, "thin", r#"{"type":"bandwidth","attributes":{"rate":50}}"#).await;
    let mut s = TcpStream::connect(listen).await.unwrap();
    let took = round_trip(&mut s, &[7u8; 20_000]).await;
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_millis(400) + SLACK, "{took:?}");
}

#[tokio::test]
async fn upstream_name_is_resolved_per_connection() {
    let api = api().await;
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = first.local_addr().unwrap().port();
    let one = greeter(first, "one");
    let listen = proxy(api, "byname", &format!("localhost:{port}")).await;
    let mut s = TcpStream::connect(listen).await.unwrap();
    assert_eq!(read_to_end(&mut s, SLACK).await.0, b"one");

    // the upstream is replaced: a new listener on the same name and port
    one.abort();
    let _ = one.await;
    let second = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    greeter(second, "two");
    let mut s = TcpStream::connect(listen).await.unwrap();
    assert_eq!(read_to_end(&mut s, SLACK).await.0, b"two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toxic_changes_keep_applying_to_an_open_connection() {
    let api = api().await;
    let up = echo().await;
    let listen = proxy(api, "churn", &up.to_string()).await;
    let mut s = TcpStream::connect(listen).await.unwrap();
    let toxic = r#"{"name":"lag","type":"latency","attributes":{"latency":100}}"#;
    for round in 0..15 {
        add_toxic(api, "churn", toxic).await;
        let took = round_trip(&mut s, b"slow").await;
        assert!(took >= Duration::from_millis(100), "round {round}: {took:?}");
        remove_toxic(api, "churn", "lag").await;
        let took = round_trip(&mut s, b"fast").await;
        assert!(took < Duration::from_millis(100), "round {round}: {took:?}");
    }
}
