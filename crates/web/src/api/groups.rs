//! `/hub/api/groups[/{name}[/users|/properties]]`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use ganymede_core::Hub;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::users::{Listing, json_body, list_response, parse_limit};
use crate::auth::Caller;
use crate::error::ApiError;

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/groups", get(list).post(create_many))
        .route(
            "/groups/{name}",
            get(get_one).post(create_one).delete(delete_one),
        )
        .route("/groups/{name}/users", post(add_users).delete(remove_users))
        .route("/groups/{name}/properties", put(set_properties))
}

async fn list(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (paginated, offset, limit) = parse_limit(&params, &headers, &hub)?;
    let (items, total) = hub.list_groups(&identity, offset, limit).await?;
    Ok(list_response(
        items,
        &Listing {
            paginated,
            offset,
            limit,
            total,
        },
        &headers,
        &uri,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct CreateMany {
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
}

async fn create_many(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    body: String,
) -> Result<Response, ApiError> {
    let body: CreateMany = json_body(&body)?;
    if body.groups.is_empty() {
        return Err(ApiError::bad_request(
            "Must specify at least one group to create",
        ));
    }
    let models = hub
        .create_groups(&identity, &body.groups, &body.users)
        .await?;
    Ok((StatusCode::CREATED, Json(Value::Array(models))).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct Users {
    #[serde(default)]
    users: Vec<String>,
}

async fn create_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    let body: Users = json_body(&body)?;
    let mut models = hub.create_groups(&identity, &[name], &body.users).await?;
    Ok((
        StatusCode::CREATED,
        Json(models.pop().unwrap_or(Value::Null)),
    )
        .into_response())
}

async fn get_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(hub.get_group(&identity, &name).await?))
}

async fn delete_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    hub.delete_group(&identity, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_users(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let body: Users = json_body(&body)?;
    Ok(Json(
        hub.change_group_members(&identity, &name, &body.users, true)
            .await?,
    ))
}

async fn remove_users(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let body: Users = json_body(&body)?;
    Ok(Json(
        hub.change_group_members(&identity, &name, &body.users, false)
            .await?,
    ))
}

async fn set_properties(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let properties: Value = serde_json::from_str(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON in body: {e}")))?;
    Ok(Json(
        hub.set_group_properties(&identity, &name, &properties)
            .await?,
    ))
}
