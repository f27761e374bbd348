//! `/hub/api/authorizations/*`: deprecated since JupyterHub 2.0, still routed by 6.1.1.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use ganymede_core::Hub;
use http::StatusCode;
use serde_json::Value;

use crate::auth::MaybeCaller;
use crate::error::ApiError;

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/authorizations/token", axum::routing::post(token_post))
        .route("/authorizations/token/{token}", get(token_get))
        .route("/authorizations/cookie/{name}", get(cookie))
        .route("/authorizations/cookie/{name}/{value}", get(cookie))
}

/// JupyterHub's `@token_authenticated`: a token in `Authorization`, else a bare 403.
fn token_authenticated(caller: MaybeCaller) -> Result<ganymede_core::Identity, ApiError> {
    caller
        .0
        .filter(|identity| identity.token.is_some())
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "Forbidden"))
}

/// `GET /authorizations/token/{token}`: the token owner's model.
async fn token_get(
    State(hub): State<Arc<Hub>>,
    caller: MaybeCaller,
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let identity = token_authenticated(caller)?;
    tracing::warn!(
        "/authorizations/token/:token endpoint is deprecated in JupyterHub 2.0. Use /api/user"
    );
    Ok(Json(hub.token_owner_model(&identity, &token).await?))
}

/// `POST /authorizations/token`: removed in JupyterHub 2.0, a 404 that says where to go.
async fn token_post() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "Deprecated endpoint /hub/api/authorizations/token is removed in JupyterHub 2.0. \
         Use /hub/api/users/:user/tokens instead.",
    )
}

/// `GET /authorizations/cookie/{name}[/{value}]`: resolving a login cookie needs the cookie
/// secret, which the API does not hold yet, so every cookie is unknown (404), as an invalid one
/// is in JupyterHub.
async fn cookie(caller: MaybeCaller) -> Result<StatusCode, ApiError> {
    token_authenticated(caller)?;
    tracing::warn!("/authorizations/cookie is deprecated and cannot resolve cookies here");
    Err(ApiError::new(StatusCode::NOT_FOUND, "Not Found"))
}
