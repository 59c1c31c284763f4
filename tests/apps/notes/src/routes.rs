//! The HTTP API: `/healthz`, `/api/notes`, `/api/tokens`, `/api/whoami`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::ids::{bearer_token, is_hex, random_hex};
use crate::store::{note_key, token_key, Store};

/// Hex characters in a note key.
pub const NOTE_KEY_LEN: usize = 16;
/// Hex characters in a token.
pub const TOKEN_LEN: usize = 24;

static X_NOTE_KEY: HeaderName = HeaderName::from_static("x-note-key");

pub type AppState = Arc<Store>;

pub fn router(store: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/notes", post(create_note))
        .route("/api/notes/{key}", get(read_note))
        .route("/api/tokens", post(issue_token))
        .route("/api/whoami", get(whoami))
        .with_state(store)
}

/// Every error is JSON `{"error": "..."}`.
pub struct ApiError(StatusCode, String);

impl ApiError {
    fn new(status: StatusCode, msg: &str) -> Self {
        ApiError(status, msg.to_string())
    }

    fn backend(msg: String) -> Self {
        eprintln!("phoenix-notes: {msg}");
        ApiError(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

async fn healthz() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

fn note_json(key: &str, text: &str) -> Json<serde_json::Value> {
    Json(json!({ "note": { "key": key, "text": text } }))
}

/// `POST /api/notes` `{"text"}`: 201, the note, and its key in `X-Note-Key`.
async fn create_note(State(store): State<AppState>, Json(new): Json<NewNote>) -> Result<Response, ApiError> {
    let key = random_hex(NOTE_KEY_LEN);
    store
        .set(note_key(&key), new.text.clone())
        .await
        .map_err(ApiError::backend)?;
    Ok((
        StatusCode::CREATED,
        [(X_NOTE_KEY.clone(), key.clone())],
        note_json(&key, &new.text),
    )
        .into_response())
}

/// `GET /api/notes/{key}`: the note, or 404 `{"error":"no such note"}`.
async fn read_note(State(store): State<AppState>, Path(key): Path<String>) -> Result<Response, ApiError> {
    let missing = || ApiError::new(StatusCode::NOT_FOUND, "no such note");
    if !is_hex(&key) {
        return Err(missing());
    }
    match store.get(note_key(&key)).await.map_err(ApiError::backend)? {
        Some(text) => Ok(note_json(&key, &text).into_response()),
        None => Err(missing()),
    }
}

/// `POST /api/tokens` with `X-User: <name>`: plain text `token=<hex>`.
async fn issue_token(State(store): State<AppState>, headers: HeaderMap) -> Result<String, ApiError> {
    let user = headers
        .get("x-user")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "header X-User is required"))?;
    let token = random_hex(TOKEN_LEN);
    store
        .set(token_key(&token), user.to_string())
        .await
        .map_err(ApiError::backend)?;
    Ok(format!("token={token}"))
}

/// `GET /api/whoami` with `Authorization: Bearer <token>`: the user name, 403 otherwise.
async fn whoami(State(store): State<AppState>, headers: HeaderMap) -> Result<String, ApiError> {
    let denied = || ApiError::new(StatusCode::FORBIDDEN, "unknown token");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .filter(|t| is_hex(t))
        .ok_or_else(denied)?;
    store
        .get(token_key(token))
        .await
        .map_err(ApiError::backend)?
        .ok_or_else(denied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn call(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let res = app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn app() -> Router {
        router(Arc::new(Store::memory()))
    }

    #[tokio::test]
    async fn healthz_is_204_empty() {
        let (status, _, body) = call(&app(), Request::get("/healthz").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(body.is_empty());
    }

    #[tokio::test]
    async fn note_round_trip() {
        let app = app();
        let req = Request::post("/api/notes")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"text":"buy milk"}"#))
            .unwrap();
        let (status, headers, body) = call(&app, req).await;
        assert_eq!(status, StatusCode::CREATED);
        let key = headers["x-note-key"].to_str().unwrap().to_string();
        assert_eq!(key.len(), NOTE_KEY_LEN);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v, json!({"note": {"key": key, "text": "buy milk"}}));

        let (status, _, body) = call(
            &app,
            Request::get(format!("/api/notes/{key}")).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap(), v);

        for missing in ["0123456789abcdef", "not-hex"] {
            let req = Request::get(format!("/api/notes/{missing}"))
                .body(Body::empty())
                .unwrap();
            let (status, _, body) = call(&app, req).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&body).unwrap(),
                json!({"error": "no such note"})
            );
        }
    }

    #[tokio::test]
    async fn token_round_trip() {
        let app = app();
        let req = Request::post("/api/tokens")
            .header("X-User", "carol")
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = call(&app, req).await;
        assert_eq!(status, StatusCode::OK);
        let token = body.strip_prefix("token=").unwrap();
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(is_hex(token));

        let req = Request::get("/api/whoami")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = call(&app, req).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "carol"));

        for auth in [Some("Bearer 0123456789abcdef01234567"), Some("Basic eA=="), None] {
            let mut req = Request::get("/api/whoami");
            if let Some(a) = auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            let (status, _, _) = call(&app, req.body(Body::empty()).unwrap()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{auth:?}");
        }
    }

    #[tokio::test]
    async fn token_needs_user() {
        let (status, _, _) = call(&app(), Request::post("/api/tokens").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
