//! State-survival journeys: set up before the faults (journey n on replica n mod R),
//! verified once right after on that replica (the control: a journey that fails it is
//! broken, not lost), then verified after each recovery against every replica. The harness
//! knows nothing about the app: a journey is plain HTTP steps with captures and
//! expectations from the scenario.

use crate::backend::Endpoint;
use crate::record::{CheckFailure, Verification, MAX_FAILURES};
use crate::scenario::checks::{render, render_json};
use crate::scenario::http::encode_target;
use crate::scenario::{Body, Capture, Check, Expect, Step, Upload};
use futures::stream::{self, StreamExt};
use rand::{RngCore, SeedableRng};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Journeys run at once.
const CONCURRENCY: usize = 16;
/// Bound for one step.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);
/// Characters of a response body kept in a failure.
const EXCERPT: usize = 160;

/// One journey's state after its setup.
#[derive(Debug, Clone, Default)]
pub struct Journey {
    pub n: u32,
    pub vars: HashMap<String, String>,
    pub upload: Option<Vec<u8>>,
    /// None when set up; the failure otherwise.
    pub(crate) setup_failure: Option<CheckFailure>,
    /// None when its control passed (or it was not set up); the failure otherwise.
    pub(crate) control_failure: Option<CheckFailure>,
}

impl Journey {
    /// Set up and its control passed: the journeys every verification looks at.
    pub fn sound(&self) -> bool {
        self.setup_failure.is_none() && self.control_failure.is_none()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .timeout(STEP_TIMEOUT)
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client with these options always builds")
}

/// Sets up every journey of `check`, spreading them over the replicas in turn.
pub async fn setup(check: &Check, endpoints: &[Endpoint], run_id: &str) -> Vec<Journey> {
    let client = client();
    // boxed as `dyn Send` futures: stream combinators over borrowing closures otherwise
    // trip the compiler's higher-ranked Send check when spawned
    let futures: Vec<Pin<Box<dyn Future<Output = Journey> + Send + '_>>> = (0..check.journeys)
        .map(|n| {
            let endpoint = &endpoints[n as usize % endpoints.len()];
            let client = client.clone();
            Box::pin(async move {
                let mut j = Journey {
                    n,
                    ..Default::default()
                };
                j.vars.insert("n".into(), n.to_string());
                j.vars.insert("run".into(), run_id.to_string());
                for step in &check.setup {
                    if let Err(f) = run_step(&client, step, endpoint, &mut j, "setup", None).await {
                        j.setup_failure = Some(f);
                        break;
                    }
                }
                j
            }) as Pin<Box<dyn Future<Output = Journey> + Send + '_>>
        })
        .collect();
    let mut journeys: Vec<Journey> = stream::iter(futures).buffer_unordered(CONCURRENCY).collect().await;
    journeys.sort_by_key(|j| j.n);
    journeys
}

/// One journey's result: its index and the first failure, if any.
type Verified = (u32, Result<(), CheckFailure>);

/// Runs the verify steps of `j` against each of `endpoints` in turn, on a copy of its
/// variables (a verification's captures are not kept).
async fn verify_one(
    client: &reqwest::Client,
    check: &Check,
    j: &Journey,
    endpoints: &[Endpoint],
    phase: &str,
    after: Option<&str>,
) -> Verified {
    for endpoint in endpoints {
        let mut mine = j.clone();
        for step in &check.verify {
            if let Err(f) = run_step(client, step, endpoint, &mut mine, phase, after).await {
                return (j.n, Err(f));
            }
        }
    }
    (j.n, Ok(()))
}

/// The control: verifies each set-up journey once on the replica it was set up on, before
/// any fault. A journey that fails it never held state a fault could lose (the check or
/// the app is wrong): it gets its `control_failure`.
pub async fn control(check: &Check, journeys: &mut [Journey], endpoints: &[Endpoint]) {
    let client = client();
    let futures: Vec<Pin<Box<dyn Future<Output = Verified> + Send + '_>>> = journeys
        .iter()
        .filter(|j| j.setup_failure.is_none())
        .map(|j| {
            let own = std::slice::from_ref(&endpoints[j.n as usize % endpoints.len()]);
            let fut = verify_one(&client, check, j, own, "control", None);
            Box::pin(fut) as Pin<Box<dyn Future<Output = Verified> + Send + '_>>
        })
        .collect();
    let results: Vec<Verified> = stream::iter(futures).buffer_unordered(CONCURRENCY).collect().await;
    for (n, r) in results {
        if let (Err(f), Some(j)) = (r, journeys.iter_mut().find(|j| j.n == n)) {
            j.control_failure = Some(f);
        }
    }
}

/// Verifies every sound journey (set up, control passed) against every replica; a journey
/// passes when it passes on all of them. Returns the verification and each journey's
/// result, by journey index.
pub async fn verify(
    check: &Check,
    journeys: &[Journey],
    endpoints: &[Endpoint],
    after: Option<&str>,
    at_us: i64,
) -> (Verification, Vec<Verified>) {
    let client = client();
    let futures: Vec<Pin<Box<dyn Future<Output = Verified> + Send + '_>>> = journeys
        .iter()
        .filter(|j| j.sound())
        .map(|j| {
            let fut = verify_one(&client, check, j, endpoints, "verify", after);
            Box::pin(fut) as Pin<Box<dyn Future<Output = Verified> + Send + '_>>
        })
        .collect();
    let results: Vec<Verified> = stream::iter(futures).buffer_unordered(CONCURRENCY).collect().await;
    let passed = results.iter().filter(|(_, r)| r.is_ok()).count() as u64;
    let verification = Verification {
        after: after.map(String::from),
        at_us,
        replicas: endpoints.iter().map(|e| e.replica.clone()).collect(),
        passed,
        failed: results.len() as u64 - passed,
    };
    (verification, results)
}

/// The bytes journey `n` uploads: random, different per journey, reproducible.
pub(crate) fn random_bytes(n: u32, len: usize) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5048_4f45_4e49_5800 ^ u64::from(n));
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(EXCERPT).collect();
    if text.chars().count() > EXCERPT {
        s.push('…');
    }
    s
}

/// Where a step's failure happened, to name it in each [`CheckFailure`].
struct At<'a> {
    journey: u32,
    phase: &'a str,
    step: String,
    replica: &'a str,
    after: Option<&'a str>,
}

impl At<'_> {
    fn fail(&self, expected: String, got: String, body: &[u8]) -> CheckFailure {
        CheckFailure {
            journey: self.journey,
            phase: self.phase.into(),
            step: self.step.clone(),
            replica: self.replica.into(),
            after: self.after.map(String::from),
            expected,
            got,
            excerpt: excerpt(body),
        }
    }
}

/// Runs one step for a journey against one replica, capturing into its variables.
async fn run_step(
    client: &reqwest::Client,
    step: &Step,
    endpoint: &Endpoint,
    j: &mut Journey,
    phase: &str,
    after: Option<&str>,
) -> Result<(), CheckFailure> {
    let vars = j.vars.clone();
    let lookup = move |k: &str| vars.get(k).cloned();
    // captured values come from the app under test: whatever they hold, the request line
    // gets only visible ASCII (anything else percent-encoded)
    let path = encode_target(&render(&step.path, &lookup)).into_owned();
    let at = At {
        journey: j.n,
        phase,
        step: format!("{} {path}", step.method),
        replica: &endpoint.replica,
        after,
    };
    let req = request(client, step, (endpoint, &path), &lookup, j, &at)?;
    let status_want = || format!("status {}", step.status);
    let resp = req
        .send()
        .await
        .map_err(|e| at.fail(status_want(), format!("no response: {e}"), b""))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .bytes()
        .await
        .map_err(|e| at.fail(status_want(), format!("body cut short: {e}"), b""))?;
    if status != step.status {
        return Err(at.fail(status_want(), format!("status {status}"), &body));
    }
    let answer = Answer {
        text: String::from_utf8_lossy(&body).into_owned(),
        json: serde_json::from_slice::<serde_json::Value>(&body).ok(),
        body: &body,
    };
    expectations(step, &answer, &lookup, j, &at)?;
    captures(step, &headers, &answer, j, &at)
}

/// An answer as the expectations and captures read it.
struct Answer<'a> {
    body: &'a [u8],
    text: String,
    json: Option<serde_json::Value>,
}

/// The step's request: method, URL, headers and body rendered with the journey's variables.
fn request(
    client: &reqwest::Client,
    step: &Step,
    (endpoint, path): (&Endpoint, &str),
    lookup: &dyn Fn(&str) -> Option<String>,
    j: &mut Journey,
    at: &At,
) -> Result<reqwest::RequestBuilder, CheckFailure> {
    let method = reqwest::Method::from_bytes(step.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let url = reqwest::Url::parse(&format!("http://{}{path}", endpoint.addr))
        .map_err(|e| at.fail("a valid request URL".into(), format!("{path}: {e}"), b""))?;
    let mut req = client.request(method, url);
    for (k, v) in &step.headers {
        let value = render(v, lookup);
        // a rendered value with CR/LF or another control character would inject headers:
        // the step fails instead of sending it
        let valid = reqwest::header::HeaderValue::from_str(&value)
            .ok()
            .filter(|_| !value.chars().any(char::is_control));
        let Some(value) = valid else {
            return Err(at.fail(
                format!("header {k} with a one-line value"),
                "a rendered value with a line break or control character (not sent)".into(),
                b"",
            ));
        };
        req = req.header(k.as_str(), value);
    }
    Ok(match &step.body {
        Body::None => req,
        Body::Text(t) => req.body(render(t, lookup)),
        Body::Form(f) => {
            let pairs: Vec<(String, String)> = f.iter().map(|(k, v)| (k.clone(), render(v, lookup))).collect();
            req.form(&pairs)
        }
        Body::Json(v) => req.json(&render_json(v, lookup)),
        Body::Multipart {
            field,
            filename,
            upload,
        } => {
            let bytes = match upload {
                Upload::Random(n) => random_bytes(j.n, *n),
                Upload::File(p) => {
                    std::fs::read(p).map_err(|e| at.fail(format!("to read {}", p.display()), e.to_string(), b""))?
                }
            };
            j.upload = Some(bytes.clone());
            let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.clone());
            req.multipart(reqwest::multipart::Form::new().part(field.clone(), part))
        }
    })
}

/// Every expectation of the step, in order; the first unmet one fails it.
fn expectations(
    step: &Step,
    a: &Answer,
    lookup: &dyn Fn(&str) -> Option<String>,
    j: &Journey,
    at: &At,
) -> Result<(), CheckFailure> {
    for e in &step.expect {
        let unmet = match e {
            Expect::BodyContains(t) => {
                let want = render(t, lookup);
                (!a.text.contains(&want)).then(|| (format!("body containing {want:?}"), "body without it".into()))
            }
            Expect::BodyEquals(t) => {
                let want = render(t, lookup);
                (a.text != want).then(|| (format!("body {want:?}"), "another body".into()))
            }
            Expect::JsonEquals { pointer, value } => {
                let want = render(value, lookup);
                let got = a.json.as_ref().and_then(|v| v.pointer(pointer).map(json_text));
                (got.as_deref() != Some(want.as_str()))
                    .then(|| (format!("{pointer} = {want:?}"), format!("{pointer} = {got:?}")))
            }
            Expect::BodyEqualsUpload => (j.upload.as_deref() != Some(a.body)).then(|| {
                let sent = j.upload.as_ref().map_or(0, |u| u.len());
                (
                    format!("the {sent} bytes uploaded"),
                    format!("{} other bytes", a.body.len()),
                )
            }),
        };
        if let Some((expected, got)) = unmet {
            return Err(at.fail(expected, got, a.body));
        }
    }
    Ok(())
}

/// The step's captures into the journey's variables; one that finds nothing fails it.
fn captures(
    step: &Step,
    headers: &reqwest::header::HeaderMap,
    a: &Answer,
    j: &mut Journey,
    at: &At,
) -> Result<(), CheckFailure> {
    for (name, c) in &step.captures {
        let value = match c {
            Capture::Cookie(cookie) => headers
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|v| v.split(';').next()?.split_once('='))
                .find(|(k, _)| k.trim() == cookie)
                .map(|(_, v)| v.trim().to_string()),
            Capture::Json(pointer) => a.json.as_ref().and_then(|v| v.pointer(pointer).map(json_text)),
            Capture::Header(h) => headers.get(h.as_str()).and_then(|v| v.to_str().ok()).map(String::from),
            Capture::Regex(r) => regex::Regex::new(r).ok().and_then(|re| {
                let caps = re.captures(&a.text)?;
                caps.get(1).or_else(|| caps.get(0)).map(|m| m.as_str().to_string())
            }),
        };
        let Some(v) = value else {
            return Err(at.fail(format!("a value to capture as `{name}` ({c:?})"), "none".into(), a.body));
        };
        j.vars.insert(name.clone(), v);
    }
    Ok(())
}

/// A JSON value as text: strings without quotes, the rest as JSON.
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A check in progress: its journeys and every verification so far.
pub(crate) struct CheckRun {
    check: Check,
    journeys: Vec<Journey>,
    verifications: Vec<Verification>,
    /// Journeys that failed some verification.
    lost: std::collections::BTreeSet<u32>,
    failures: Vec<CheckFailure>,
}

impl CheckRun {
    /// Sets up the check's journeys, then runs their control.
    pub async fn setup(check: &Check, endpoints: &[Endpoint], run_id: &str) -> CheckRun {
        let mut journeys = setup(check, endpoints, run_id).await;
        control(check, &mut journeys, endpoints).await;
        let failures = journeys
            .iter()
            .filter_map(|j| j.setup_failure.clone().or_else(|| j.control_failure.clone()))
            .take(MAX_FAILURES)
            .collect();
        CheckRun {
            check: check.clone(),
            journeys,
            verifications: Vec::new(),
            lost: Default::default(),
            failures,
        }
    }

    /// Verifies every sound journey now.
    pub async fn verify(&mut self, endpoints: &[Endpoint], after: Option<&str>, at_us: i64) {
        let (v, results) = verify(&self.check, &self.journeys, endpoints, after, at_us).await;
        for (n, r) in results {
            if let Err(f) = r {
                self.lost.insert(n);
                if self.failures.len() < MAX_FAILURES {
                    self.failures.push(f);
                }
            }
        }
        self.verifications.push(v);
    }

    /// The verify steps that read (GET, HEAD) of the first sound journey on replica `index`
    /// of `of`, rendered with its captures: the old-versus-fresh sample. A step whose
    /// rendered header would carry a control character is left out.
    pub(crate) fn read_sample(&self, index: usize, of: usize) -> Vec<crate::execute::audit::SampleRequest> {
        let Some(j) = self
            .journeys
            .iter()
            .find(|j| j.sound() && of > 0 && j.n as usize % of == index)
        else {
            return Vec::new();
        };
        let lookup = |k: &str| j.vars.get(k).cloned();
        self.check
            .verify
            .iter()
            .filter(|s| matches!(s.method.as_str(), "GET" | "HEAD") && matches!(s.body, Body::None))
            .filter_map(|s| {
                let headers: Vec<(String, String)> =
                    s.headers.iter().map(|(k, v)| (k.clone(), render(v, lookup))).collect();
                let clean = headers.iter().all(|(_, v)| !v.chars().any(char::is_control));
                clean.then(|| crate::execute::audit::SampleRequest {
                    method: s.method.clone(),
                    path: encode_target(&render(&s.path, lookup)).into_owned(),
                    headers,
                })
            })
            .collect()
    }

    /// The record of this check.
    pub fn finish(self) -> crate::record::CheckRecord {
        let set_up = self.journeys.iter().filter(|j| j.setup_failure.is_none()).count() as u64;
        let broken = self.journeys.iter().filter(|j| j.control_failure.is_some()).count() as u64;
        crate::record::CheckRecord {
            name: self.check.name,
            journeys: self.check.journeys,
            set_up,
            broken,
            verified: set_up - broken - self.lost.len() as u64,
            verifications: self.verifications,
            failures: self.failures,
            setup_failed: self.journeys.len() as u64 - set_up,
        }
    }
}

// the wait before verifying after a fault on a dependency
#[path = "check_settle.rs"]
mod settle;

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
