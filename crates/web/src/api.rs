//! `/hub/api`: the JupyterHub REST API.

mod authorizations;
mod groups;
mod oauth;
mod servers;
mod services;
mod shares;
mod tokens;
mod users;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{MatchedPath, State};
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
        .route("/metrics", get(metrics))
        .merge(users::routes())
        .merge(groups::routes())
        .merge(tokens::routes())
        .merge(servers::routes())
        .merge(authorizations::routes())
        .merge(services::routes())
        .merge(shares::routes())
        .merge(oauth::routes())
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

/// `GET /hub/metrics` and `/hub/api/metrics` (read:metrics, as JupyterHub's
/// `authenticate_prometheus` default).
pub(crate) async fn metrics(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
) -> Result<Response, ApiError> {
    identity
        .check(&[ScopeName::from(BuiltinScope::ReadMetrics)], None)
        .map_err(|denied| ApiError::from(ganymede_core::CoreError::Denied(denied)))?;
    let text = hub.render_metrics().await?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(response)
}

/// Records every request's duration under its route pattern (bounded labels).
pub(crate) async fn observe_request(
    State(hub): State<Arc<Hub>>,
    matched: Option<MatchedPath>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let handler = matched
        .as_ref()
        .map_or("fallback", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    hub.metrics().observe_request(
        method.as_str(),
        &handler,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
