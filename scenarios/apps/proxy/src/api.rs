//! The HTTP control API: a subset of Toxiproxy's paths and JSON.

use crate::error::ApiError;
use crate::registry::{NewProxy, Registry};
use crate::toxic::Toxic;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/reset", post(reset))
        .route("/proxies", get(list).post(create))
        .route("/proxies/{proxy}", get(show).post(update).delete(remove))
        .route("/proxies/{proxy}/toxics", post(add_toxic))
        .route("/proxies/{proxy}/toxics/{toxic}", delete(remove_toxic))
        .fallback(not_found)
        .with_state(registry)
}

type Reg = State<Arc<Registry>>;
type Answer = Result<Response, ApiError>;

/// Toxiproxy's shape, with this program's version.
async fn version() -> Json<Value> {
    Json(json!({ "version": env!("CARGO_PKG_VERSION") }))
}

async fn reset(State(reg): Reg) -> Answer {
    reg.reset().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list(State(reg): Reg) -> Json<Value> {
    Json(reg.list().await)
}

async fn create(State(reg): Reg, body: Bytes) -> Answer {
    let new: NewProxy =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("bad request body: {e}")))?;
    let shown = reg.create(new).await?;
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

async fn show(State(reg): Reg, Path(proxy): Path<String>) -> Answer {
    Ok(Json(reg.get(&proxy).await?).into_response())
}

/// Toxiproxy's proxy update, of which only `enabled` is supported here.
#[derive(serde::Deserialize)]
struct Update {
    enabled: Option<bool>,
}

async fn update(State(reg): Reg, Path(proxy): Path<String>, body: Bytes) -> Answer {
    let update: Update =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("bad request body: {e}")))?;
    let shown = match update.enabled {
        Some(enabled) => reg.set_enabled(&proxy, enabled).await?,
        None => reg.get(&proxy).await?,
    };
    Ok(Json(shown).into_response())
}

async fn remove(State(reg): Reg, Path(proxy): Path<String>) -> Answer {
    reg.delete(&proxy).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn add_toxic(State(reg): Reg, Path(proxy): Path<String>, body: Bytes) -> Answer {
    // an unknown proxy is a 404 even when the body is bad, as in Toxiproxy
    reg.get(&proxy).await?;
    let toxic = Toxic::from_json(&body)?;
    Ok(Json(reg.add_toxic(&proxy, toxic).await?).into_response())
}

async fn remove_toxic(State(reg): Reg, Path((proxy, toxic)): Path<(String, String)>) -> Answer {
    reg.remove_toxic(&proxy, &toxic).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn not_found() -> ApiError {
    ApiError::new(404, "not found")
}
