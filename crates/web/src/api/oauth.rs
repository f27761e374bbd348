//! `POST /hub/api/oauth2/token`: a server or service trades an authorization code for an
//! access token. The client authenticates with `client_id` and `client_secret` in the form;
//! the `Authorization` header a server also sends is ignored, as JupyterHub does.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use ganymede_core::Hub;
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new().route("/oauth2/token", post(token))
}

async fn token(
    State(hub): State<Arc<Hub>>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let mut response = match hub.oauth_token(&form).await {
        Ok(body) => Json(body).into_response(),
        Err(error) => {
            tracing::warn!(error = error.error, reason = %error.description, client = form.get("client_id").map(String::as_str).unwrap_or(""), "OAuth token request refused");
            let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(json!({"error": error.error}))).into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
