//! The proxy in front of the services whose links take network faults: one phoenix-proxy
//! container on the run's network answering for each such service's name on its port and
//! forwarding to the service (which then goes by an upstream alias), controlled over
//! Toxiproxy's HTTP API published on a 127.0.0.1 port. It is the harness's instrument, not
//! the app's: a burn leaves it up, and the teardown removes it with the rest.

use super::{bounded, Container, DockerBackend, State, CALL_TIMEOUT};
use crate::backend::{free_port, BackendError, Result, ServiceSpec, ToxicSpec, PROXY_API_PORT, PROXY_IMAGE};
use bollard::models::{EndpointSettings, NetworkConnectRequest};
use std::time::Duration;
use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;

/// The one toxic a fault adds, by name, so healing removes exactly it.
const TOXIC_NAME: &str = "phoenix";
/// Bound for one call to the proxy's API.
const API_TIMEOUT: Duration = Duration::from_secs(5);

/// The alias the real service goes by on the network when a proxy answers for its name.
pub(super) fn upstream_alias(s: &ServiceSpec) -> String {
    match s.proxied_port {
        Some(_) => format!("phoenix-upstream-{}", s.name),
        None => s.name.clone(),
    }
}

impl DockerBackend {
    /// Starts the proxy for every proxied service of `services`, once they all run.
    pub(super) async fn start_proxy(&self, state: &mut State, services: &[ServiceSpec]) -> Result<()> {
        let links: Vec<(&str, u16)> = services
            .iter()
            .filter_map(|s| s.proxied_port.map(|p| (s.name.as_str(), p)))
            .collect();
        if links.is_empty() {
            return Ok(());
        }
        let mut args = vec!["--api".to_string(), format!("0.0.0.0:{PROXY_API_PORT}")];
        for (name, port) in &links {
            args.push("--proxy".into());
            args.push(format!("{name}=0.0.0.0:{port}=phoenix-upstream-{name}:{port}"));
        }
        let api_port = free_port()?;
        let req = self
            .request(
                PROXY_IMAGE,
                "proxy",
                "proxy",
                None,
                Some(PROXY_API_PORT),
                Some("phoenix-proxy ready"),
            )
            .with_cmd(args);
        let req = Self::publish(req, PROXY_API_PORT, api_port);
        let what = "phoenix-proxy";
        let c = bounded("start proxy", what, CALL_TIMEOUT + Duration::from_secs(5), req.start()).await?;
        let id = c.id().to_string();
        // kept before connecting: the teardown removes it even if the connect fails
        state.proxy = Some((c, api_port));
        let connect = NetworkConnectRequest {
            container: id,
            endpoint_config: Some(EndpointSettings {
                aliases: Some(links.iter().map(|(n, _)| n.to_string()).collect()),
                ..Default::default()
            }),
        };
        let net = state.network.clone().unwrap_or_default();
        bounded(
            "connect proxy",
            what,
            CALL_TIMEOUT,
            self.docker.connect_network(&net, connect),
        )
        .await
    }

    /// Adds the fault's toxic to the link to `service`.
    pub(super) async fn add_toxic(&self, state: &State, service: &str, t: &ToxicSpec) -> Result<()> {
        let body = serde_json::json!({
            "name": TOXIC_NAME,
            "type": t.kind,
            "stream": t.stream,
            "toxicity": t.toxicity,
            "attributes": t.attributes,
        });
        let url = format!("{}/proxies/{service}/toxics", api(state, service)?);
        let call = reqwest::Client::new().post(url).json(&body).send();
        answered("add a toxic to the link to", service, call).await
    }

    /// Removes the fault's toxic from the link to `service`.
    pub(super) async fn heal(&self, state: &State, service: &str) -> Result<()> {
        let url = format!("{}/proxies/{service}/toxics/{TOXIC_NAME}", api(state, service)?);
        let call = reqwest::Client::new().delete(url).send();
        answered("remove the toxic from the link to", service, call).await
    }
}

/// The proxy API's base URL.
fn api(state: &State, service: &str) -> Result<String> {
    let (_, port) = state.proxy.as_ref().ok_or_else(|| BackendError::Op {
        op: "reach the proxy in front of",
        what: service.into(),
        reason: "no proxy runs: the service's link takes no network fault".into(),
    })?;
    Ok(format!("http://127.0.0.1:{port}"))
}

/// A call to the proxy's API that must answer 2xx within [`API_TIMEOUT`].
async fn answered(
    op: &'static str,
    service: &str,
    call: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
) -> Result<()> {
    let fail = |reason: String| BackendError::Op {
        op,
        what: service.into(),
        reason,
    };
    let answer = tokio::time::timeout(API_TIMEOUT, call)
        .await
        .map_err(|_| BackendError::Timeout {
            op,
            what: service.into(),
            after: API_TIMEOUT,
        })?
        .map_err(|e| fail(e.to_string()))?;
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    let text = answer.text().await.unwrap_or_default();
    Err(fail(format!(
        "the proxy answered {status}: {}",
        text.chars().take(300).collect::<String>()
    )))
}

/// What the teardown removes of the proxy.
pub(super) fn take(state: &mut State) -> Option<Container> {
    state.proxy.take().map(|(c, _)| c)
}
