//! Single requests with their answer kept (status and the start of the body), paced on
//! a plain schedule: for the read-only trial, which asks which requests fail, not how
//! fast. Each request is a fresh connection, bounded by its timeout; the same weighted
//! order of the mix as the load.

use super::http::{self, Prepared};
use crate::record::Outcome;
use crate::scenario::RequestSpec;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What one request got.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Index of its kind in the mix.
    pub kind: usize,
    pub outcome: Outcome,
    pub status: Option<u16>,
    /// The start of the body.
    pub body: Vec<u8>,
}

/// Sends `floor(rate × duration)` requests of `requests` (weighted round robin) to
/// `target`, request i at i / rate s, each with its own `timeout`; keeps `keep` bytes of
/// every body. Returns the answers in order of sending; stops sending on `cancel`.
pub async fn paced(
    requests: &[RequestSpec],
    target: SocketAddr,
    rate: f64,
    duration: Duration,
    timeout: Duration,
    keep: usize,
    cancel: &CancellationToken,
) -> Vec<Answer> {
    assert!(
        target.ip().is_loopback(),
        "requests go only to the harness's own 127.0.0.1 ports"
    );
    let prepared: std::sync::Arc<[Prepared]> = requests
        .iter()
        .enumerate()
        .map(|(kind, r)| Prepared::new(r, kind, false).expect("requests are validated with the scenario"))
        .collect();
    let order = super::engine::mix(requests);
    let n = (rate * duration.as_secs_f64()).floor() as u64;
    let start = Instant::now();
    let host = http::host(target);
    let mut tasks = Vec::new();
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::select! {
            _ = tokio::time::sleep_until(due.into()) => {}
            _ = cancel.cancelled() => break,
        }
        let kind = order[(i % order.len() as u64) as usize];
        let (prepared, host) = (prepared.clone(), host.clone());
        tasks.push(tokio::spawn(async move {
            let attempt = async {
                let mut sender = http::connect(target).await.map_err(|o| (o, None, Vec::new()))?;
                Ok::<_, (Outcome, Option<u16>, Vec<u8>)>(
                    http::exchange_kept(&mut sender, &prepared[kind], i, &host, keep).await,
                )
            };
            let (outcome, status, body) = match tokio::time::timeout(timeout, attempt).await {
                Ok(Ok(a)) | Ok(Err(a)) => a,
                Err(_) => (Outcome::Timeout, None, Vec::new()),
            };
            Answer {
                kind,
                outcome,
                status,
                body,
            }
        }));
    }
    let mut answers = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(a) = t.await {
            answers.push(a);
        }
    }
    answers
}
