//! One HTTP/1.1 exchange on hyper's client connection API, the layer oha also builds on:
//! a TCP connect, a handshake, one request, the whole body read. No pool, no retry, no
//! redirect: what the app did is what is recorded.

use super::classify::classify_error;
use crate::record::Outcome;
use crate::scenario::RequestSpec;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderName, HeaderValue, CONNECTION, HOST};
use hyper::{HeaderMap, Method, Request, Uri};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub type Sender = SendRequest<Full<Bytes>>;

/// A request of the mix, parsed once so each send only clones it.
#[derive(Debug, Clone)]
pub struct Prepared {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Prepared {
    /// Parses a validated request spec; `keep_alive: false` adds `Connection: close`, so
    /// the server closes first and holds the TIME_WAIT, not the client's ephemeral ports.
    pub fn new(spec: &RequestSpec, keep_alive: bool) -> Result<Prepared, String> {
        let method =
            Method::from_bytes(spec.method.as_bytes()).map_err(|e| format!("method {:?}: {e}", spec.method))?;
        let uri: Uri = spec.path.parse().map_err(|e| format!("path {:?}: {e}", spec.path))?;
        let mut headers = HeaderMap::new();
        for (k, v) in &spec.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| format!("header {k:?}: {e}"))?;
            let value = HeaderValue::from_str(v).map_err(|e| format!("header {k:?}: {e}"))?;
            headers.insert(name, value);
        }
        if !keep_alive {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        Ok(Prepared {
            method,
            uri,
            headers,
            body: spec.body.clone().map(Bytes::from).unwrap_or_default(),
        })
    }

    fn request(&self, host: &HeaderValue) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.headers_mut() = self.headers.clone();
        req.headers_mut().entry(HOST).or_insert_with(|| host.clone());
        req
    }
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
pub async fn exchange(sender: &mut Sender, req: &Prepared, host: &HeaderValue) -> Outcome {
    exchange_kept(sender, req, host, 0).await.0
}

/// [`exchange`], keeping the status (when the app answered) and the first `keep` bytes of
/// the body.
pub async fn exchange_kept(
    sender: &mut Sender,
    req: &Prepared,
    host: &HeaderValue,
    keep: usize,
) -> (Outcome, Option<u16>, Vec<u8>) {
    let resp = match sender.send_request(req.request(host)).await {
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

/// The `Host` header for a target.
pub fn host(target: SocketAddr) -> HeaderValue {
    HeaderValue::from_str(&target.to_string()).expect("a socket address is a valid header value")
}
