//! The error type handlers return, and how each kind maps to an HTTP response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum AppError {
    /// A dependency (Redis) is unreachable: 503, logged.
    Unavailable(String),
    /// Anything else that should not happen: 500, logged.
    Internal(String),
    /// Client error with a message: 400, not logged.
    BadRequest(&'static str),
    /// Client error with its own status and message, not logged.
    Client(StatusCode, String),
    /// 401, not logged.
    Unauthorized,
    /// 404, not logged.
    NotFound,
}

impl AppError {
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        AppError::Internal(format!("{context}: {err}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Unavailable(msg) => {
                eprintln!("error: unavailable: {msg}");
                (StatusCode::SERVICE_UNAVAILABLE, "dependency unavailable\n").into_response()
            }
            AppError::Internal(msg) => {
                eprintln!("error: {msg}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
            }
            AppError::BadRequest(msg) => (StatusCode::BAD_REQUEST, msg).into_response(),
            AppError::Client(status, msg) => (status, msg).into_response(),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "not logged in\n").into_response(),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        }
    }
}
