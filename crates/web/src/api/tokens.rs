//! `/hub/api/users/{name}/tokens[/{id}]`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ganymede_core::Hub;
use http::StatusCode;
use serde_json::Value;

use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/users/{name}/tokens", get(list).post(create))
        .route("/users/{name}/tokens/{id}", get(get_one).delete(delete_one))
}

/// `GET /users/{name}/tokens`: `{"api_tokens": [...]}`.
async fn list(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(hub.list_user_tokens(&identity, &name).await?))
}

/// `POST /users/{name}/tokens`: 201 with the token model and, this once, the token.
async fn create(
    State(hub): State<Arc<Hub>>,
    MaybeCaller(identity): MaybeCaller,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    let model = hub
        .create_user_token(identity.as_ref(), &name, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(model)).into_response())
}

/// `GET /users/{name}/tokens/{id}`.
async fn get_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(hub.get_user_token(&identity, &name, &id).await?))
}

/// `DELETE /users/{name}/tokens/{id}`: 204.
async fn delete_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    hub.delete_user_token(&identity, &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
