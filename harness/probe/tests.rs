//! Unit tests of the probe loop (`mod.rs`).
use super::*;

#[test]
fn parses_status_lines() {
    assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
    assert_eq!(parse_status(b"HTTP/1.0 503 Service"), Some(503));
    assert_eq!(parse_status(b"SSH-2.0-OpenSSH"), None);
}

/// A spec probing `GET /health` at `addr` for 200, slow probes every second.
fn spec(addr: SocketAddr, interval_ms: u64, timeout_ms: u64) -> ProbeSpec {
    ProbeSpec {
        replica: "app-0".into(),
        addr,
        path: "/health".into(),
        status: 200,
        interval: Duration::from_millis(interval_ms),
        slow_interval: Duration::from_secs(1),
        timeout: Duration::from_millis(timeout_ms),
    }
}

/// A spec for building logs: nothing is sent.
fn log_spec() -> ProbeSpec {
    spec("127.0.0.1:1".parse().unwrap(), 10, 50)
}

#[test]
fn log_keeps_only_changes_in_send_order() {
    let clock = RunClock::start();
    let o = clock.origin();
    let ms = |n| o + Duration::from_millis(n);
    let spec = log_spec();
    let s = |sent, done, outcome| Sample {
        sent: ms(sent),
        done: ms(done),
        outcome,
        fast: sent >= 10,
    };
    let samples = vec![
        s(20, 21, ProbeOutcome::Refused),
        s(0, 1, ProbeOutcome::Healthy),
        s(10, 11, ProbeOutcome::Refused),
        s(30, 31, ProbeOutcome::Healthy),
    ];
    let log = to_log(&spec, samples, &[(ms(10), ms(31))], (ms(0), ms(40)), &clock);
    assert_eq!(log.sent, 4);
    assert_eq!(log.fast_sent, 3);
    assert_eq!(log.fast_spans, vec![[10_000, 31_000]]);
    let seen: Vec<_> = log.transitions.iter().map(|t| (t.sent_us, t.outcome)).collect();
    assert_eq!(
        seen,
        vec![
            (0, ProbeOutcome::Healthy),
            (10_000, ProbeOutcome::Refused),
            (30_000, ProbeOutcome::Healthy)
        ]
    );
    // the probe sent just before each change, not the start of the previous run of
    // outcomes: the replica became healthy between 20 ms and 31 ms
    let prev: Vec<_> = log.transitions.iter().map(|t| t.prev_sent_us).collect();
    assert_eq!(prev, vec![None, Some(0), Some(20_000)]);
}

#[test]
fn a_run_completes_when_its_first_probe_completes_whatever_the_send_order() {
    let clock = RunClock::start();
    let o = clock.origin();
    let ms = |n| o + Duration::from_millis(n);
    let spec = log_spec();
    let s = |sent, done, outcome| Sample {
        sent: ms(sent),
        done: ms(done),
        outcome,
        fast: true,
    };
    // the first healthy probe after the outage was held up (e.g. in Docker's proxy)
    // and answered after the next one: the replica was known healthy at 14 ms
    let samples = vec![
        s(10, 11, ProbeOutcome::Refused),
        s(12, 300, ProbeOutcome::Healthy),
        s(13, 14, ProbeOutcome::Healthy),
        s(15, 16, ProbeOutcome::Healthy),
    ];
    let log = to_log(&spec, samples, &[], (ms(0), ms(20)), &clock);
    let seen: Vec<_> = log
        .transitions
        .iter()
        .map(|t| (t.sent_us, t.done_us, t.outcome))
        .collect();
    assert_eq!(
        seen,
        vec![
            (10_000, 11_000, ProbeOutcome::Refused),
            (12_000, 14_000, ProbeOutcome::Healthy)
        ]
    );
}

/// A local server answering every request with `answer` after `delay`.
async fn serve(delay: Duration, answer: &'static [u8]) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 256];
                let _ = s.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let _ = s.write_all(answer).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn probe_against_a_local_server() {
    let addr = serve(Duration::ZERO, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let spec = spec(addr, 10, 500);
    assert_eq!(probe_once(&spec).await, ProbeOutcome::Healthy);
    let wrong = ProbeSpec { status: 204, ..spec };
    assert_eq!(probe_once(&wrong).await, ProbeOutcome::Unhealthy);
}

#[tokio::test]
async fn a_slow_health_page_gets_a_few_probes_at_once_and_is_seen_healthy() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // answers after 120 ms, and counts the connections open at once
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (open, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (o, m) = (open.clone(), most.clone());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let (o, m) = (o.clone(), m.clone());
            m.fetch_max(o.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 256];
                let _ = s.read(&mut buf).await;
                tokio::time::sleep(Duration::from_millis(120)).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
                // the client hangs up after the status line; count it closed then
                let _ = s.read(&mut buf).await;
                o.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    let spec = spec(addr, 1, 1000);
    let cancel = CancellationToken::new();
    let prober = Prober::start(spec, Duration::from_secs(5), cancel.clone());
    assert!(prober.wait_healthy(Duration::from_secs(3)).await, "never seen healthy");
    tokio::time::sleep(Duration::from_millis(300)).await;
    cancel.cancel();
    let log = prober.finish(&RunClock::start()).await;
    let most = most.load(Ordering::SeqCst);
    assert!(most <= MAX_IN_FLIGHT, "{most} probes at once");
    // 1 ms ticks for about half a second without the bound: hundreds of probes
    assert!(log.sent < 60, "{} probes sent", log.sent);
}

#[tokio::test]
async fn probes_of_a_page_slower_than_the_timeout_are_counted_as_timed_out() {
    let addr = serve(Duration::from_millis(200), b"HTTP/1.1 200 OK\r\n\r\n").await;
    let spec = spec(addr, 5, 20);
    let cancel = CancellationToken::new();
    let prober = Prober::start(spec, Duration::from_secs(5), cancel.clone());
    assert!(!prober.wait_healthy(Duration::from_millis(300)).await);
    let (timed_out, done) = prober.timeouts();
    assert!(done > 0 && timed_out == done, "{timed_out} of {done}");
    cancel.cancel();
}

#[tokio::test]
async fn health_since_an_instant_needs_a_probe_sent_after_it() {
    // always healthy; after the first healthy probe the loop slows to one probe a minute
    let addr = serve(Duration::ZERO, b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
    let spec = ProbeSpec {
        slow_interval: Duration::from_secs(60),
        ..spec(addr, 1, 500)
    };
    let cancel = CancellationToken::new();
    let prober = Prober::start(spec, Duration::from_secs(5), cancel.clone());
    assert!(prober.wait_healthy(Duration::from_secs(3)).await, "never seen healthy");
    // an old instance's last answer: healthy, but sent before the instant asked about
    tokio::time::sleep(Duration::from_millis(20)).await;
    let since = Instant::now();
    assert!(
        prober.wait_healthy(Duration::from_millis(1)).await,
        "the latest answer is healthy"
    );
    assert!(
        !prober.wait_healthy_since(since, Duration::from_millis(300)).await,
        "no probe was sent since, so no answer since is healthy"
    );
    // a fault's fast probing sends new probes: one of them answers
    prober.boost(Duration::from_secs(2));
    assert!(prober.wait_healthy_since(since, Duration::from_secs(2)).await);
    cancel.cancel();
    prober.finish(&RunClock::start()).await;
}
