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
        // JupyterHub 6.1.1 answers a bare `HTTPError(code)` with `"message": null`, not the
        // reason phrase: a message that is only the reason phrase says nothing more either.
        let message = self
            .message
            .filter(|m| Some(m.as_str()) != self.status.canonical_reason())
            .map_or(Value::Null, Value::String);
        (
            self.status,
            Json(json!({"status": self.status.as_u16(), "message": message})),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use http_body_util::BodyExt;

    async fn body(error: ApiError) -> Value {
        let bytes = error
            .into_response()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_bare_reason_phrase_is_a_null_message_as_in_jupyterhub() {
        let bare = ApiError::new(StatusCode::NOT_FOUND, "Not Found");
        assert_eq!(body(bare).await, json!({"status": 404, "message": null}));
        let bare: ApiError = CoreError::Forbidden("Forbidden".to_owned()).into();
        assert_eq!(body(bare).await, json!({"status": 403, "message": null}));
        let told = ApiError::new(StatusCode::NOT_FOUND, "No such group: g");
        assert_eq!(
            body(told).await,
            json!({"status": 404, "message": "No such group: g"})
        );
    }
}
