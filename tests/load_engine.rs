//! The load engine against a real HTTP server written here (no Docker): coordinated
//! omission, connection reuse, closed loop and the generator's own overload. The server
//! answers every request with 200 and can hold every answer during a stall window.

use phoenix_bench::cli::load::LoadReport;
use phoenix_bench::clock::RunClock;
use phoenix_bench::load::{run_load, LiveCounters, LoadConfig, Rate, Recorder};
use phoenix_bench::scenario::RequestSpec;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Holds answers while `now` is within [from, until) of the server's origin.
#[derive(Clone, Copy)]
struct Stall {
    origin: Instant,
    from: Duration,
    until: Duration,
}

/// Starts the server; returns its address and the count of accepted connections.
async fn server(stall: Option<Stall>) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(serve(conn, stall));
        }
    });
    (addr, accepted)
}

async fn serve(mut conn: TcpStream, stall: Option<Stall>) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        // requests here have no body: one ends at its blank line
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let close = String::from_utf8_lossy(&buf[..end])
            .to_ascii_lowercase()
            .contains("connection: close");
        buf.drain(..end);
        if let Some(s) = stall {
            let at = s.origin.elapsed();
            if at >= s.from && at < s.until {
                tokio::time::sleep(s.until - at).await;
            }
        }
        let reply: &[u8] = if close {
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        };
        if conn.write_all(reply).await.is_err() || close {
            return;
        }
    }
}

fn config(rate: Rate, duration: Duration, connections: usize, keep_alive: bool) -> LoadConfig {
    LoadConfig {
        rate,
        duration,
        timeout: Duration::from_secs(2),
        connections,
        keep_alive,
        requests: vec![RequestSpec::plain("GET", "/")],
    }
}

async fn load(cfg: LoadConfig, addr: SocketAddr, clock: RunClock) -> LoadReport {
    let duration = cfg.duration;
    let rec = Recorder::windowed(
        Arc::new(LiveCounters::default()),
        Duration::from_millis(100),
        cfg.timeout,
    );
    let log = run_load(cfg, vec![addr], clock, rec.clone(), CancellationToken::new()).await;
    LoadReport::of(&log, rec.slip(), duration)
}

/// Coordinated omission: a server that stalls 1 s once in a 10 s open-loop run at 1 k/s.
/// A generator that waits for the stalled answers before sending more would report a p99
/// of a few ms; measured from each request's intended time, a tenth of the requests wait
/// between 0 and 1 s, so the p99 is hundreds of ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_second_stall_shows_in_the_p99() {
    let origin = Instant::now();
    let stall = Stall {
        origin,
        from: Duration::from_secs(5),
        until: Duration::from_secs(6),
    };
    let (addr, _) = server(Some(stall)).await;
    let cfg = config(Rate::PerSecond(1000.0), Duration::from_secs(10), 2064, false);
    let r = load(cfg, addr, RunClock::at(origin)).await;
    eprintln!("{r:?}");
    assert_eq!(r.sent, 10_000);
    assert_eq!(r.ok, 10_000, "no request may fail: {:?}", r.failed_by_class);
    assert!(
        r.latency_ms.p99 > 500.0,
        "p99 {} ms hides the 1 s stall",
        r.latency_ms.p99
    );
    assert!(
        r.latency_ms.max > 900.0 && r.latency_ms.max < 1500.0,
        "max {} ms",
        r.latency_ms.max
    );
    assert!(
        r.latency_ms.p50 < 50.0,
        "p50 {} ms: outside the stall answers are quick",
        r.latency_ms.p50
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_connections_open_one_per_request_and_keep_alive_reuses_them() {
    let (addr, accepted) = server(None).await;
    let r = load(
        config(Rate::PerSecond(200.0), Duration::from_secs(1), 64, false),
        addr,
        RunClock::start(),
    )
    .await;
    assert_eq!((r.sent, r.ok), (200, 200), "{r:?}");
    assert_eq!(accepted.swap(0, Ordering::Relaxed), 200);

    let r = load(
        config(Rate::PerSecond(200.0), Duration::from_secs(1), 8, true),
        addr,
        RunClock::start(),
    )
    .await;
    assert_eq!((r.sent, r.ok), (200, 200), "{r:?}");
    let conns = accepted.load(Ordering::Relaxed);
    assert!(
        (1..=8).contains(&conns),
        "{conns} connections for 200 kept-alive requests over at most 8"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_sends_back_to_back_over_its_connections() {
    let (addr, accepted) = server(None).await;
    let r = load(
        config(Rate::Max, Duration::from_millis(500), 4, true),
        addr,
        RunClock::start(),
    )
    .await;
    assert!(r.ok > 200, "{r:?}");
    assert_eq!(r.failed, 0, "{r:?}");
    assert!(accepted.load(Ordering::Relaxed) <= 4);
    // back to back: never late against a schedule it does not have
    assert_eq!(r.slip_ms.max, 0.0);
}

/// One connection and a 1 s stall with a 200 ms timeout: the request on the connection
/// times out (the app's failure), those queued behind it past their timeout are the
/// generator's, reported as `client_overload`, never as the app's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_generator_could_not_send_in_time_are_its_own_class() {
    let origin = Instant::now();
    let stall = Stall {
        origin,
        from: Duration::from_millis(500),
        until: Duration::from_millis(1500),
    };
    let (addr, _) = server(Some(stall)).await;
    let mut cfg = config(Rate::PerSecond(100.0), Duration::from_secs(2), 1, true);
    cfg.timeout = Duration::from_millis(200);
    let r = load(cfg, addr, RunClock::at(origin)).await;
    let overload = r.failed_by_class.client_overload;
    let timeouts = r.failed_by_class.timeout;
    assert!(overload > 0 && timeouts > 0, "{r:?}");
    assert_eq!(r.sent, 200);
    assert!(r.slip_ms.max >= 200.0, "{r:?}");
}
