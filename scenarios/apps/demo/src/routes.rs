//! The HTTP router: basic endpoints (`/health`, `/`, `/work`) plus the stateful ones.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Query};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::state::AppState;
use crate::{cache, sessions, uploads};

/// Longest `/work` sleep.
pub const MAX_WORK_MS: u64 = 60_000;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/", get(root))
        .route("/work", get(work))
        .route("/login", post(sessions::login))
        .route("/me", get(sessions::me))
        .route("/upload", post(uploads::upload))
        .route("/files/{id}", get(uploads::download))
        .route("/cache/{key}", get(cache::get).put(cache::put))
        // room for a 10 MiB file plus multipart framing; the field itself is checked exactly
        .layer(DefaultBodyLimit::max(uploads::MAX_UPLOAD_BYTES + 64 * 1024))
        .with_state(state)
}

async fn health() -> &'static str {
    crate::lifecycle::answering();
    "ok"
}

async fn root() -> &'static str {
    "phoenix-demo: a service that is killed for a living\n"
}

#[derive(Deserialize)]
struct WorkParams {
    ms: Option<u64>,
}

/// `GET /work?ms=N`: answers after sleeping N ms (at most 60 s).
async fn work(Query(p): Query<WorkParams>) -> String {
    let ms = p.ms.unwrap_or(0).min(MAX_WORK_MS);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("worked {ms} ms\n")
}
