//! phoenix-proxy: a Toxiproxy-compatible TCP proxy for network faults on a link: a proxy per
//! link, toxics with a stream direction and a toxicity, Toxiproxy's HTTP API in front.

pub mod api;
pub mod cli;
pub mod error;
mod link;
mod pump;
pub mod registry;
pub mod toxic;

use registry::{NewProxy, Registry};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// The API and the command line's proxies, bound and serving.
pub struct Running {
    pub api: SocketAddr,
    pub registry: Arc<Registry>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds the API and every given proxy; when this returns, all listeners are bound.
pub async fn start(
    api: &str,
    proxies: Vec<NewProxy>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, String> {
    let registry = Arc::new(Registry::default());
    for proxy in proxies {
        let name = proxy.name.clone();
        registry
            .create(proxy)
            .await
            .map_err(|e| format!("proxy {name}: {}", e.message))?;
    }
    let listener = tokio::net::TcpListener::bind(api)
        .await
        .map_err(|e| format!("API listen {api}: {e}"))?;
    let api = listener.local_addr().map_err(|e| format!("API listen {api}: {e}"))?;
    let app = api::router(registry.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await });
    Ok(Running { api, registry, server })
}

impl Running {
    /// Waits for the API server to end (on the shutdown signal), then stops every proxy.
    pub async fn wait(self) -> Result<(), String> {
        let served = self.server.await;
        self.registry.shutdown().await;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("API server: {e}")),
            Err(e) => Err(format!("API server task: {e}")),
        }
    }
}
