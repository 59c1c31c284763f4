//! One HTTP/1.1 exchange on hyper's client connection API, the layer oha also builds on:
//! a TCP connect, a handshake, one request, the whole body read. No pool, no retry, no
//! redirect: what the app did is what is recorded.

use super::classify::classify_error;
use crate::record::Outcome;
use crate::scenario::checks::{render, render_json};
use crate::scenario::http::encode_target;
use crate::scenario::{Body, RequestSpec, Upload};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_TYPE, HOST};
use hyper::{HeaderMap, Method, Request, Uri};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpStream;

pub(crate) type Sender = SendRequest<Full<Bytes>>;

/// A request of the mix, parsed and its body built once, so each send only clones it; a
/// request that uses `{{n}}` keeps its templates and renders only those parts per request.
#[derive(Debug, Clone)]
pub struct Prepared {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    template: Option<Box<Template>>,
}

/// The parts of a request that hold `{{n}}`.
#[derive(Debug, Clone, Default)]
struct Template {
    path: Option<String>,
    headers: Vec<(HeaderName, String)>,
    body: Option<Body>,
}

/// A part of a request spec hyper refuses (validation makes it impossible for a scenario's
/// requests): which part, as the spec gives it, and hyper's reason.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PrepareError {
    #[error("method {method:?}: {source}")]
    Method {
        method: String,
        #[source]
        source: hyper::http::method::InvalidMethod,
    },
    #[error("path {path:?}: {source}")]
    Path {
        path: String,
        #[source]
        source: hyper::http::uri::InvalidUri,
    },
    #[error("header {name:?}: {source}")]
    HeaderName {
        name: String,
        #[source]
        source: hyper::header::InvalidHeaderName,
    },
    #[error("header {name:?}: {source}")]
    HeaderValue {
        name: String,
        #[source]
        source: hyper::header::InvalidHeaderValue,
    },
    /// A file upload whose bytes were not read with the scenario.
    #[error("upload {} was not read", path.display())]
    Upload { path: PathBuf },
    #[error("content type {content_type:?}: {source}")]
    ContentType {
        content_type: String,
        #[source]
        source: hyper::header::InvalidHeaderValue,
    },
}

impl Prepared {
    /// Parses a validated request spec (`kind` seeds its random upload); `keep_alive:
    /// false` adds `Connection: close`, so the server closes first and holds the
    /// TIME_WAIT, not the client's ephemeral ports.
    pub fn new(spec: &RequestSpec, kind: usize, keep_alive: bool) -> Result<Prepared, PrepareError> {
        let templated = |t: &str| t.contains("{{");
        let mut template = Template::default();
        let method = Method::from_bytes(spec.method.as_bytes()).map_err(|source| PrepareError::Method {
            method: spec.method.clone(),
            source,
        })?;
        if templated(&spec.path) {
            template.path = Some(spec.path.clone());
        }
        let uri: Uri = encode_target(&render(&spec.path, |_| Some("0".into())))
            .parse()
            .map_err(|source| PrepareError::Path {
                path: spec.path.clone(),
                source,
            })?;
        let mut headers = HeaderMap::new();
        for (k, v) in &spec.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|source| PrepareError::HeaderName {
                name: k.clone(),
                source,
            })?;
            if templated(v) {
                template.headers.push((name.clone(), v.clone()));
            }
            let value = HeaderValue::from_str(v).map_err(|source| PrepareError::HeaderValue {
                name: k.clone(),
                source,
            })?;
            headers.insert(name, value);
        }
        if !keep_alive {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        let (body, content_type) = match &spec.body {
            Body::None => (Bytes::new(), None),
            Body::Text(t) => {
                template.body = templated(t).then(|| spec.body.clone());
                (Bytes::from(t.clone()), None)
            }
            Body::Form(f) => {
                template.body = f.iter().any(|(_, v)| templated(v)).then(|| spec.body.clone());
                (Bytes::from(form(f, &|_| None)), Some(FORM.to_string()))
            }
            Body::Json(v) => {
                template.body = templated(&v.to_string()).then(|| spec.body.clone());
                (Bytes::from(v.to_string()), Some(JSON.to_string()))
            }
            Body::Multipart {
                field,
                filename,
                upload,
            } => {
                let bytes = match (upload, &spec.upload) {
                    (Upload::File(_), Some(b)) => b.clone(),
                    (Upload::File(p), None) => return Err(PrepareError::Upload { path: p.clone() }),
                    (Upload::Random(n), _) => Bytes::from(random_upload(kind, *n)),
                };
                let (body, boundary) = multipart(field, filename, &bytes);
                (body, Some(format!("multipart/form-data; boundary={boundary}")))
            }
        };
        if let Some(ct) = content_type {
            let value = HeaderValue::from_str(&ct).map_err(|source| PrepareError::ContentType {
                content_type: ct.clone(),
                source,
            })?;
            headers.entry(CONTENT_TYPE).or_insert(value);
        }
        let is_templated = template.path.is_some() || !template.headers.is_empty() || template.body.is_some();
        Ok(Prepared {
            method,
            uri,
            headers,
            body,
            template: is_templated.then(|| Box::new(template)),
        })
    }

    /// Request number `n`; Err when a rendered part cannot be sent (validation makes
    /// that impossible for `{{n}}`, a number; the guard stays for what may change).
    fn request(&self, host: &HeaderValue, n: u64) -> Result<Request<Full<Bytes>>, Outcome> {
        let Some(t) = &self.template else {
            return Ok(self.plain(self.body.clone(), host));
        };
        let number = n.to_string();
        let lookup = |k: &str| (k == "n").then(|| number.clone());
        let body = match &t.body {
            None => self.body.clone(),
            Some(Body::Text(s)) => Bytes::from(render(s, lookup)),
            Some(Body::Form(f)) => Bytes::from(form(f, &lookup)),
            Some(Body::Json(v)) => Bytes::from(render_json(v, &lookup).to_string()),
            Some(_) => self.body.clone(),
        };
        let mut req = self.plain(body, host);
        if let Some(p) = &t.path {
            // the request line gets visible ASCII only, whatever was rendered
            *req.uri_mut() = encode_target(&render(p, lookup)).parse().map_err(|_| Outcome::Other)?;
        }
        for (name, v) in &t.headers {
            let value = render(v, lookup);
            if value.chars().any(char::is_control) {
                return Err(Outcome::Other);
            }
            let value = HeaderValue::from_str(&value).map_err(|_| Outcome::Other)?;
            req.headers_mut().insert(name.clone(), value);
        }
        Ok(req)
    }

    fn plain(&self, body: Bytes, host: &HeaderValue) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.headers_mut() = self.headers.clone();
        req.headers_mut().entry(HOST).or_insert_with(|| host.clone());
        req
    }
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// A URL-encoded form with its values rendered.
fn form(fields: &[(String, String)], lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, &render(v, lookup));
    }
    out.finish()
}

/// Random bytes for upload kind `kind`: built once, the same for every request of the kind
/// (per-request bytes would cost the pacing), reproducible.
fn random_upload(kind: usize, len: usize) -> Vec<u8> {
    use rand::{RngCore, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x4c4f_4144_0000_0000 ^ kind as u64);
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// A multipart/form-data body of one file part, and its boundary (one the bytes do not
/// contain). `field` and `filename` hold no control character or '"' (validated).
fn multipart(field: &str, filename: &str, bytes: &[u8]) -> (Bytes, String) {
    let mut k = 0u32;
    let boundary = loop {
        let b = format!("phoenix-bench-{k:08x}-boundary");
        if !bytes.windows(b.len()).any(|w| w == b.as_bytes()) {
            break b;
        }
        k += 1;
    };
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let mut body = Vec::with_capacity(head.len() + bytes.len() + tail.len());
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(tail.as_bytes());
    (Bytes::from(body), boundary)
}

/// Opens a connection; its I/O runs on a task of its own until either side closes it.
pub async fn connect(target: SocketAddr) -> Result<Sender, Outcome> {
    let stream = TcpStream::connect(target).await.map_err(|e| classify_error(&e))?;
    // small requests must not wait for Nagle's algorithm
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| classify_error(&e))?;
    tokio::spawn(async move {
        // its errors reach the request that was on it
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends `req` on `sender` and reads the whole response: the request is done when its
/// whole body has arrived.
pub(crate) async fn exchange(sender: &mut Sender, req: &Prepared, n: u64, host: &HeaderValue) -> Outcome {
    exchange_kept(sender, req, n, host, 0).await.0
}

/// [`exchange`], keeping the status (when the app answered) and the first `keep` bytes of
/// the body.
pub(crate) async fn exchange_kept(
    sender: &mut Sender,
    req: &Prepared,
    n: u64,
    host: &HeaderValue,
    keep: usize,
) -> (Outcome, Option<u16>, Vec<u8>) {
    let req = match req.request(host, n) {
        Ok(r) => r,
        Err(o) => return (o, None, Vec::new()),
    };
    let resp = match sender.send_request(req).await {
        Ok(r) => r,
        Err(e) => return (classify_error(&e), None, Vec::new()),
    };
    let status = resp.status();
    let mut body = resp.into_body();
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Err(e) => return (classify_error(&e), Some(status.as_u16()), kept),
            Ok(f) => {
                if let Some(data) = f.data_ref().filter(|_| kept.len() < keep) {
                    kept.extend_from_slice(&data[..data.len().min(keep - kept.len())]);
                }
            }
        }
    }
    let outcome = if status.is_server_error() {
        Outcome::Http5xx
    } else if status.is_client_error() {
        Outcome::Other
    } else {
        Outcome::Ok
    };
    (outcome, Some(status.as_u16()), kept)
}

/// Sends request `n` of `req` on a fresh connection to `target`, reads the whole answer
/// and returns its status and headers: the audit's writes before a sample, which keep the
/// cookies the app sets like a client holding a session.
pub(crate) async fn send_once(target: SocketAddr, req: &Prepared, n: u64) -> Result<(u16, HeaderMap), Outcome> {
    let mut sender = connect(target).await?;
    let req = req.request(&host(target), n)?;
    let resp = sender.send_request(req).await.map_err(|e| classify_error(&e))?;
    let (parts, mut body) = resp.into_parts();
    // read to the end without keeping it: the caller bounds the time
    while let Some(frame) = body.frame().await {
        frame.map_err(|e| classify_error(&e))?;
    }
    Ok((parts.status.as_u16(), parts.headers))
}

/// The `Host` header for a target.
pub fn host(target: SocketAddr) -> HeaderValue {
    HeaderValue::from_str(&target.to_string()).expect("a socket address is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_hyper_refuses_is_named_with_hypers_reason() {
        let mut spec = RequestSpec::plain("GET", "/");
        spec.headers.insert("a b".into(), "1".into());
        let e = Prepared::new(&spec, 0, true).unwrap_err();
        assert!(
            matches!(&e, PrepareError::HeaderName { name, .. } if name == "a b"),
            "{e}"
        );
        assert_eq!(e.to_string(), "header \"a b\": invalid HTTP header name");
        let e = Prepared::new(&RequestSpec::plain("G T", "/"), 0, true).unwrap_err();
        assert_eq!(e.to_string(), "method \"G T\": invalid HTTP method");
        assert!(std::error::Error::source(&e).is_some_and(|c| c.is::<hyper::http::method::InvalidMethod>()));
    }
}
