//! The statelessness audit's runtime side (`execute` calls it): the old-versus-fresh
//! sample — a few idempotent requests sent to a replica before it is replaced and again to
//! its fresh instance once healthy, after the load mix's writes were sent to the old one
//! once, so the reads ask for state it holds (a session it issued, a value put in its
//! cache), among them a read-back of what the writes wrote (the path of a PUT or PATCH, the
//! `Location` of a 201) — and the reads of each instance's filesystem right after it became healthy
//! (its boot writes). Bounded: at most [`MAX_SAMPLE`] requests, each
//! with [`SAMPLE_TIMEOUT`], bodies read up to [`MAX_SAMPLE_BODY`], loopback endpoints only.
//! `analysis::audit` judges what it records.

use crate::backend::{MAX_SAMPLE_BODY, MAX_SAMPLE_TEXT};
use crate::load::http::{self, Prepared};
use crate::record::Reply;
use crate::scenario::checks::render;
use crate::scenario::http::encode_target;
use crate::scenario::{RequestSpec, Scenario};
use std::net::SocketAddr;
use std::time::Duration;

/// Most requests in one sample.
pub(crate) const MAX_SAMPLE: usize = 8;
/// Most requests of the load mix in a sample (the rest are the journeys' verify steps).
const MAX_MIX_SAMPLE: usize = 4;
/// Bound for one sample request.
pub(crate) const SAMPLE_TIMEOUT: Duration = Duration::from_millis(500);
/// Bound for a whole sample; the before-sample starts this long before its fault, so the
/// fault is not delayed.
pub(crate) const SAMPLE_BUDGET: Duration = Duration::from_millis(800);
/// Most writes of the load mix sent before a sample.
const MAX_WRITES: usize = 4;
/// Bound for the writes before a sample, all together; they start this much earlier still.
pub(crate) const WRITES_BUDGET: Duration = Duration::from_millis(600);
/// Longest `Location` read back, bytes: the bound on a request path.
const MAX_LOCATION: usize = 2048;

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

/// Request `r` of the mix as a sample request: `method` on its path, with its headers (but
/// those that describe its body when `method` is not its own: the read of a write),
/// `{{n}}` as the first request's number (the same request before and after, and the
/// number the writes are sent with).
fn sample_of(r: &RequestSpec, method: &str) -> SampleRequest {
    let n = |k: &str| (k == "n").then(|| "1".to_string());
    let body_header = |k: &str| {
        [
            "content-type",
            "content-length",
            "content-encoding",
            "transfer-encoding",
        ]
        .iter()
        .any(|h| k.eq_ignore_ascii_case(h))
    };
    SampleRequest {
        method: method.into(),
        path: render(&r.path, n),
        headers: r
            .headers
            .iter()
            .filter(|(k, _)| method == r.method || !body_header(k))
            .map(|(k, v)| (k.clone(), render(v, n)))
            .collect(),
    }
}

/// The load mix's GET and HEAD requests without a body, each once, at most four.
pub(crate) fn mix_sample(scenario: &Scenario) -> Vec<SampleRequest> {
    let mut out: Vec<SampleRequest> = Vec::new();
    for r in &scenario.load.requests {
        if !matches!(r.method.as_str(), "GET" | "HEAD") || r.body != crate::scenario::Body::None {
            continue;
        }
        let s = sample_of(r, &r.method);
        if !out.contains(&s) && out.len() < MAX_MIX_SAMPLE {
            out.push(s);
        }
    }
    out
}

/// The mix's reads of a sample: the read-backs of what its writes wrote first (the
/// strongest evidence: state the old instance was just handed), then the mix's own reads,
/// each once, at most [`MAX_MIX_SAMPLE`].
pub(crate) fn mix_reads(read_backs: &[SampleRequest], mix: &[SampleRequest]) -> Vec<SampleRequest> {
    let mut out: Vec<SampleRequest> = Vec::new();
    for r in read_backs.iter().chain(mix) {
        if !out.contains(r) && out.len() < MAX_MIX_SAMPLE {
            out.push(r.clone());
        }
    }
    out
}

/// One write of the mix: as the load sends it, and a GET of what it wrote (its path, with
/// its headers but those of its body).
pub struct Write {
    pub(crate) prepared: Prepared,
    pub read: SampleRequest,
    /// PUT and PATCH name the resource they write: `read` reads it back. A POST's path is a
    /// collection or an action (a GET of it lists or fails, whatever the state), so only the
    /// `Location` of its 201 is read back.
    pub(crate) names_resource: bool,
}

/// The GETs that read back what the writes wrote, known before they are sent.
pub(crate) fn read_backs(writes: &[Write]) -> Vec<SampleRequest> {
    writes
        .iter()
        .filter(|w| w.names_resource)
        .map(|w| w.read.clone())
        .collect()
}

/// The path a `Location` header names, as a request target: a path of its own (`/x`), or
/// the path and query of an absolute http(s) URL (sent to the same replica whatever its
/// host). None for anything else, or longer than [`MAX_LOCATION`]. The value comes from
/// the app: what reaches the request line is visible ASCII only.
pub(crate) fn location_target(location: &str) -> Option<String> {
    let location = location.trim();
    if location.len() > MAX_LOCATION {
        return None;
    }
    let target = if location.starts_with('/') && !location.starts_with("//") {
        location.to_string()
    } else {
        let url = reqwest::Url::parse(location).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    };
    let target = target.split('#').next().unwrap_or("");
    (!target.is_empty()).then(|| encode_target(target).into_owned())
}

/// The load mix's POST, PUT and PATCH requests, each once, at most [`MAX_WRITES`], prepared
/// as the load prepares them (the same upload bytes). Sent as request number 1 — the number
/// the sample's reads are rendered with — so `PUT /cache/k{{n}}` writes what
/// `GET /cache/k{{n}}` reads. DELETE is left out: it would remove what the reads ask for.
pub(crate) fn mix_writes(scenario: &Scenario) -> Vec<Write> {
    scenario
        .load
        .requests
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH"))
        .take(MAX_WRITES)
        .map(|(kind, r)| Write {
            prepared: Prepared::new(r, kind, false).expect("requests are validated with the scenario"),
            read: sample_of(r, "GET"),
            names_resource: r.method != "POST",
        })
        .collect()
}

/// How long before its fault the old instance's sample starts: its writes, then its reads.
pub fn lead(writes: &[Write]) -> Duration {
    match writes.is_empty() {
        true => SAMPLE_BUDGET,
        false => SAMPLE_BUDGET + WRITES_BUDGET,
    }
}

/// What the writes left on the old instance that the sample's reads need.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Written {
    /// The cookies their answers set, as a `Cookie` header value (None: none).
    pub cookie: Option<String>,
    /// A GET of each `Location` a 201 named (with the write's headers but its body's).
    pub located: Vec<SampleRequest>,
}

/// Sends `writes` to `addr` in turn within [`WRITES_BUDGET`] (each within
/// [`SAMPLE_TIMEOUT`]); returns the cookies their answers set and the resources their 201s
/// named. Their answers are not compared: they only put state on the old instance.
pub(crate) async fn send_writes(addr: SocketAddr, writes: &[Write]) -> Written {
    debug_assert!(addr.ip().is_loopback(), "samples go to published loopback ports only");
    let mut jar: Vec<(String, String)> = Vec::new();
    let mut located = Vec::new();
    let work = async {
        for w in writes {
            let sent = tokio::time::timeout(SAMPLE_TIMEOUT, http::send_once(addr, &w.prepared, 1)).await;
            let Ok(Ok((status, headers))) = sent else {
                continue;
            };
            for v in headers.get_all(reqwest::header::SET_COOKIE) {
                if let Ok(v) = v.to_str() {
                    keep_cookie(&mut jar, v);
                }
            }
            let location = headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
            if let (201, Some(path)) = (status, location.and_then(location_target)) {
                located.push(SampleRequest { path, ..w.read.clone() });
            }
        }
    };
    let _ = tokio::time::timeout(WRITES_BUDGET, work).await;
    let header: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Written {
        cookie: (!header.is_empty()).then(|| header.join("; ")),
        located,
    }
}

/// Keeps the `name=value` of a `Set-Cookie` value (attributes ignored); an empty value
/// removes the cookie, a later one replaces it; a name or value with a control character,
/// a space or a `;` is not kept (it could not be sent back as it came).
fn keep_cookie(jar: &mut Vec<(String, String)>, set_cookie: &str) {
    let pair = set_cookie.split(';').next().unwrap_or("");
    let Some((name, value)) = pair.split_once('=') else {
        return;
    };
    let (name, value) = (name.trim(), value.trim());
    let bad = |s: &str| s.chars().any(|c| c.is_control() || c == ' ' || c == ';' || c == ',');
    if name.is_empty() || bad(name) || bad(value) {
        return;
    }
    jar.retain(|(k, _)| k != name);
    if !value.is_empty() {
        jar.push((name.to_string(), value.to_string()));
    }
}

/// The mix's reads, sent with `cookie` (added to a `Cookie` header a read already has).
pub(crate) fn with_cookie(mix: &[SampleRequest], cookie: Option<&str>) -> Vec<SampleRequest> {
    let Some(cookie) = cookie else {
        return mix.to_vec();
    };
    mix.iter()
        .map(|r| {
            let mut r = r.clone();
            match r.headers.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case("cookie")) {
                Some((_, v)) => *v = format!("{v}; {cookie}"),
                None => r.headers.push(("cookie".into(), cookie.into())),
            }
            r
        })
        .collect()
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
pub(crate) async fn send_sample(addr: SocketAddr, sample: &[SampleRequest]) -> Vec<Option<Reply>> {
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
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
