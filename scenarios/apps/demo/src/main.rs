//! phoenix-demo entry point: read config, boot (optionally slowly), serve, drain on SIGTERM.

mod boot_once;
mod cache;
mod config;
mod error;
mod ids;
mod lifecycle;
mod pool;
mod redis_conn;
mod routes;
mod sessions;
mod state;
mod uploads;

use config::Config;
use state::AppState;
use std::future::IntoFuture;

fn main() {
    // the process's start, for the app's own share of a recovery: `ready` minus this
    lifecycle::announce("start");
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => fatal(&format!("bad configuration: {e}")),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fatal(&format!("tokio runtime: {e}")));
    runtime.block_on(run(config));
    // drop the runtime without waiting for lingering blocking tasks
    runtime.shutdown_background();
}

async fn run(config: Config) {
    // handlers first: a SIGTERM during a slow boot must still be honoured
    let shutdown =
        lifecycle::install_signal_handlers(config.drain).unwrap_or_else(|e| fatal(&format!("signal handlers: {e}")));

    if config.boot_once {
        let marker = std::path::Path::new(boot_once::MARKER);
        match boot_once::decide(marker) {
            Ok(boot_once::Decision::Boot) => {}
            Ok(boot_once::Decision::Refuse) => {
                println!("refusing to boot again");
                // never bind: wait (idle) for SIGTERM/SIGINT, then leave at once
                lifecycle::shutdown_requested(shutdown).await;
                std::process::exit(0);
            }
            Err(e) => fatal(&format!("BOOT_ONCE marker {}: {e}", marker.display())),
        }
    }

    if !config.startup_delay.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(config.startup_delay) => {}
            _ = lifecycle::shutdown_requested(shutdown.clone()) => {
                lifecycle::announce("drained");
                std::process::exit(0);
            }
        }
    }

    let state = AppState::from_config(&config).unwrap_or_else(|e| fatal(&e));
    let mut app = routes::router(state);
    match pool::Pool::from_lookup(|k| std::env::var(k).ok()) {
        Ok(Some(p)) => app = app.layer(axum::middleware::from_fn_with_state(p, pool::serve)),
        Ok(None) => {}
        Err(e) => fatal(&format!("bad configuration: {e}")),
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .unwrap_or_else(|e| fatal(&format!("bind {}: {e}", config.listen)));
    let local = listener.local_addr().unwrap_or(config.listen);
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(lifecycle::shutdown_requested(shutdown))
            .into_future(),
    );
    // `ready` once the server has answered a request of its own, not at bind: a fresh
    // process's first answers came 4-6 ms after its bind, and the harness checks its time
    // to healthy against this line. Its instant is the first health answer's, whoever asked
    lifecycle::answered_once(local).await;
    lifecycle::announce_ready();

    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => fatal(&format!("server: {e}")),
        Err(e) => fatal(&format!("server task: {e}")),
    }
    lifecycle::announce("drained");
}

fn fatal(msg: &str) -> ! {
    eprintln!("phoenix-demo: {msg}");
    std::process::exit(1);
}
