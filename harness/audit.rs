//! The statelessness audit's runtime side (`execute` calls it): the old-versus-fresh
//! sample — a few idempotent requests sent to a replica before it is replaced and again to
//! its fresh instance once healthy — and the reads of each instance's filesystem right
//! after it became healthy (its boot writes). Bounded: at most [`MAX_SAMPLE`] requests, each
//! with [`SAMPLE_TIMEOUT`], bodies read up to [`MAX_SAMPLE_BODY`], loopback endpoints only.
//! `analysis::audit` judges what it records.

use crate::backend::{MAX_SAMPLE_BODY, MAX_SAMPLE_TEXT};
use crate::record::Reply;
use crate::scenario::Scenario;
use std::net::SocketAddr;
use std::time::Duration;

/// Most requests in one sample.
pub const MAX_SAMPLE: usize = 8;
/// Most requests of the load mix in a sample (the rest are the journeys' verify steps).
const MAX_MIX_SAMPLE: usize = 4;
/// Bound for one sample request.
pub const SAMPLE_TIMEOUT: Duration = Duration::from_millis(500);
/// Bound for a whole sample; the before-sample starts this long before its fault, so the
/// fault is not delayed.
pub const SAMPLE_BUDGET: Duration = Duration::from_millis(800);

/// One request of a sample: validated at load (the load mix) or rendered with control
/// characters refused (a journey's verify step).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl SampleRequest {
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The load mix's GET and HEAD requests without a body, each once, at most four.
pub fn mix_sample(scenario: &Scenario) -> Vec<SampleRequest> {
    let mut out: Vec<SampleRequest> = Vec::new();
    for r in &scenario.load.requests {
        if !matches!(r.method.as_str(), "GET" | "HEAD") || r.body != crate::scenario::Body::None {
            continue;
        }
        // `{{n}}` as the first request's number: the same request before and after
        let n = |k: &str| (k == "n").then(|| "1".to_string());
        let s = SampleRequest {
            method: r.method.clone(),
            path: crate::scenario::checks::render(&r.path, n),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), crate::scenario::checks::render(v, n)))
                .collect(),
        };
        if !out.contains(&s) && out.len() < MAX_MIX_SAMPLE {
            out.push(s);
        }
    }
    out
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .timeout(SAMPLE_TIMEOUT)
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client with these options always builds")
}

/// Sends every request of `sample` to `addr` in turn within [`SAMPLE_BUDGET`]; a request
/// the budget did not reach has no reply.
pub async fn send_sample(addr: SocketAddr, sample: &[SampleRequest]) -> Vec<Option<Reply>> {
    let client = client();
    let mut out = vec![None; sample.len()];
    let work = async {
        for (i, r) in sample.iter().enumerate() {
            out[i] = Some(send(&client, addr, r).await);
        }
    };
    let _ = tokio::time::timeout(SAMPLE_BUDGET, work).await;
    out
}

async fn send(client: &reqwest::Client, addr: SocketAddr, r: &SampleRequest) -> Reply {
    let failed = |e: String| Reply {
        error: Some(e),
        ..Default::default()
    };
    debug_assert!(addr.ip().is_loopback(), "samples go to published loopback ports only");
    let Ok(url) = reqwest::Url::parse(&format!("http://{addr}{}", r.path)) else {
        return failed("not a valid URL".into());
    };
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = client.request(method, url);
    for (k, v) in &r.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return failed(format!("no answer: {e}")),
    };
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    let mut cut = false;
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                let room = MAX_SAMPLE_BODY - body.len();
                body.extend_from_slice(&c[..c.len().min(room)]);
                if c.len() > room {
                    cut = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return failed(format!("body cut short: {e}")),
        }
    }
    let complete = !cut && body.len() <= MAX_SAMPLE_TEXT;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_SAMPLE_TEXT)]).into_owned();
    Reply {
        status: Some(status),
        body_bytes: body.len() as u64,
        text,
        complete,
        hash: fnv1a(&body),
        error: None,
    }
}

/// FNV-1a, 64 bits: enough to tell two bodies apart, stable across runs.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
