//! `/hub/api`: the JupyterHub REST API.

mod groups;
mod services;
mod shares;
mod users;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ganymede_core::{Hub, JUPYTERHUB_VERSION};
use ganymede_types::scope::{BuiltinScope, ScopeName};
use http::{HeaderValue, StatusCode};
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;

pub(crate) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/", get(root))
        .route("/info", get(info))
        .route("/health", get(health))
        .merge(users::routes())
        .merge(groups::routes())
        .merge(services::routes())
        .merge(shares::routes())
        .fallback(not_found)
}

/// Every response says which JupyterHub API it speaks; `jupyterhub-singleuser` checks it.
pub(crate) async fn version_header(mut response: Response) -> Response {
    response.headers_mut().insert(
        "x-jupyterhub-version",
        HeaderValue::from_static(JUPYTERHUB_VERSION),
    );
    response
}

/// `GET /hub/api/`: the version, with no authentication (servers call it while starting).
pub(crate) async fn root() -> Response {
    let mut response = Json(json!({ "version": JUPYTERHUB_VERSION })).into_response();
    response.headers_mut().insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// `GET /hub/api/info` (read:hub).
async fn info(Caller(identity): Caller) -> Result<Json<serde_json::Value>, ApiError> {
    identity
        .check(&[ScopeName::from(BuiltinScope::ReadHub)], None)
        .map_err(|denied| ApiError::from(ganymede_core::CoreError::Denied(denied)))?;
    Ok(Json(json!({
        "version": JUPYTERHUB_VERSION,
        "python": "ganymede (Rust)",
        "sys_executable": std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
        "spawner": {"class": "ganymede", "version": env!("CARGO_PKG_VERSION")},
        "authenticator": {"class": "ganymede", "version": env!("CARGO_PKG_VERSION")},
    })))
}

/// `GET /hub/health` and `/hub/api/health`: 200 while the hub runs.
pub(crate) async fn health(State(_hub): State<Arc<Hub>>) -> StatusCode {
    StatusCode::OK
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found")
}
