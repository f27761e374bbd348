//! The one mapping from errors to responses: JupyterHub's `{"status": ..., "message": ...}`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use ganymede_core::CoreError;
use http::StatusCode;
use serde_json::{Value, json};

/// An API error, rendered as JupyterHub renders them.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: Option<String>,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: Some(message.into()),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403 with a `null` message, as `GET /user` answers unknown tokens.
    pub fn forbidden_silent() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: None,
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        let status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.message.map_or(Value::Null, Value::String);
        (
            self.status,
            Json(json!({"status": self.status.as_u16(), "message": message})),
        )
            .into_response()
    }
}
