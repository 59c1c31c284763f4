//! The API's errors, as Toxiproxy answers them: `{"error": message, "status": code}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: String) -> Self {
        Self::new(400, message)
    }

    pub fn proxy_not_found() -> Self {
        Self::new(404, "proxy not found")
    }

    pub fn toxic_not_found() -> Self {
        Self::new(404, "toxic not found")
    }

    pub fn internal(message: String) -> Self {
        Self::new(500, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({ "error": self.message, "status": self.status });
        (status, axum::Json(body)).into_response()
    }
}
