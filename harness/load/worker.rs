//! Sends every request of the schedule at its intended time, each on its own task, to the
//! replicas in turn. Stops by itself after the schedule (bounded in time and count), or
//! early when cancelled; then waits at most one request timeout for stragglers.

use super::classify::classify_error;
use super::pacer::Pacer;
use super::recorder::Recorder;
use crate::clock::RunClock;
use crate::record::{Outcome, RequestLog};
use crate::scenario::{Load, RequestSpec};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What the worker needs from the scenario.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub rate: f64,
    pub duration: Duration,
    pub timeout: Duration,
    pub max_in_flight: usize,
    pub keep_alive: bool,
    pub requests: Vec<RequestSpec>,
}

impl From<&Load> for LoadConfig {
    fn from(l: &Load) -> Self {
        LoadConfig {
            rate: l.rate,
            duration: l.duration,
            timeout: l.timeout,
            max_in_flight: l.max_in_flight,
            keep_alive: l.keep_alive,
            requests: l.requests.clone(),
        }
    }
}

/// Builds the HTTP client: no proxy (targets are loopback only), HTTP/1.1, and without
/// keep-alive no idle connection is kept, so a dead pooled connection cannot be retried
/// behind our back.
fn client(cfg: &LoadConfig) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none());
    if !cfg.keep_alive {
        b = b.pool_max_idle_per_host(0);
    }
    b.build().expect("a client with these options always builds")
}

/// Weighted round-robin over the request mix, deterministic.
fn mix(requests: &[RequestSpec]) -> Vec<usize> {
    requests
        .iter()
        .enumerate()
        .flat_map(|(i, r)| std::iter::repeat_n(i, r.weight.max(1) as usize))
        .collect()
}

/// Runs the load against `targets` (127.0.0.1 endpoints only) and returns the log.
pub async fn run_load(
    cfg: LoadConfig,
    targets: Vec<SocketAddr>,
    clock: RunClock,
    recorder: Recorder,
    cancel: CancellationToken,
) -> RequestLog {
    assert!(
        targets.iter().all(|t| t.ip().is_loopback()),
        "load targets are always the harness's own 127.0.0.1 ports"
    );
    let pacer = Pacer::new(cfg.rate, cfg.duration);
    let client = client(&cfg);
    let order = mix(&cfg.requests);
    let requests = Arc::new(cfg.requests.clone());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for i in 0..pacer.count() {
        let intended = pacer.intended_us(i);
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep_until(clock.instant_at(intended).into()) => {}
        }
        // reap finished tasks so the set does not grow with the run
        while tasks.try_join_next().is_some() {}
        let replica = (i as usize % targets.len()) as u16;
        recorder.sent();
        if in_flight.load(Ordering::Relaxed) >= cfg.max_in_flight {
            recorder.done(intended, clock.now_us(), Outcome::Other, replica);
            continue;
        }
        let spec_index = order[i as usize % order.len()];
        let (client, requests, recorder, in_flight) =
            (client.clone(), requests.clone(), recorder.clone(), in_flight.clone());
        let target = targets[replica as usize];
        in_flight.fetch_add(1, Ordering::Relaxed);
        tasks.spawn(async move {
            let outcome = send(&client, target, &requests[spec_index]).await;
            recorder.done(intended, clock.now_us(), outcome, replica);
            in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    // every request has its own timeout; allow a margin for the last ones to report
    let drain = cfg.timeout + Duration::from_secs(1);
    if tokio::time::timeout(drain, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tasks.abort_all();
    }
    recorder.finish()
}

async fn send(client: &reqwest::Client, target: SocketAddr, spec: &RequestSpec) -> Outcome {
    let method = reqwest::Method::from_bytes(spec.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = client.request(method, format!("http://{target}{}", spec.path));
    for (k, v) in &spec.headers {
        req = req.header(k, v);
    }
    if let Some(body) = &spec.body {
        req = req.body(body.clone());
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return classify_error(&e),
    };
    let status = resp.status();
    // the request is done when its whole body has arrived
    if let Err(e) = resp.bytes().await {
        return classify_error(&e);
    }
    if status.is_server_error() {
        Outcome::Http5xx
    } else if status.is_client_error() {
        Outcome::Other
    } else {
        Outcome::Ok
    }
}
