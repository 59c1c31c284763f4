//! phoenix-notes: a small notes-and-tokens service, deliberately unlike phoenix-demo, that
//! keeps its state in the process or in Redis (`NOTES_STORE`). Runs as PID 1 in a scratch image.

mod config;
mod ids;
mod routes;
mod store;

use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};

use config::{Config, StoreKind};
use store::Store;

fn main() {
    let config = Config::from_env().unwrap_or_else(|e| fatal(&format!("bad configuration: {e}")));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fatal(&format!("tokio runtime: {e}")));
    runtime.block_on(run(config));
    runtime.shutdown_background();
}

async fn run(config: Config) {
    // As PID 1 the kernel ignores signals without a handler: install them before anything else.
    let mut term = signal(SignalKind::terminate()).unwrap_or_else(|e| fatal(&format!("SIGTERM handler: {e}")));
    let mut int = signal(SignalKind::interrupt()).unwrap_or_else(|e| fatal(&format!("SIGINT handler: {e}")));
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        let _ = stop_tx.send(true);
        // a second signal while finishing requests: leave now
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        std::process::exit(1);
    });

    let store = match config.store {
        StoreKind::Memory => Store::memory(),
        StoreKind::Redis => Store::redis(&config.redis_url).unwrap_or_else(|e| fatal(&e)),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .unwrap_or_else(|e| fatal(&format!("bind {}: {e}", config.listen)));
    println!(
        "phoenix-notes listening on {} (store: {:?})",
        config.listen, config.store
    );

    let served = axum::serve(listener, routes::router(Arc::new(store)))
        .with_graceful_shutdown(async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        })
        .await;
    if let Err(e) = served {
        fatal(&format!("server: {e}"));
    }
    println!("phoenix-notes stopped");
}

fn fatal(msg: &str) -> ! {
    eprintln!("phoenix-notes: {msg}");
    std::process::exit(1);
}
