//! `/hub/api/services[/{name}]` and `/hub/api/proxy`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ganymede_core::Hub;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::users::{Listing, paginated_body, parse_limit};
use crate::auth::Caller;
use crate::error::ApiError;

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/services", get(list))
        .route("/services/{name}", get(get_one).post(create).delete(remove))
        .route("/proxy", get(routes_list).post(sync).patch(patch))
}

/// `GET /services`: a dict keyed by name, not a list.
async fn list(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(Value::Object(hub.list_services(&identity).await?)))
}

async fn get_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(hub.get_service(&identity, &name).await?))
}

/// `POST /services/{name}`: 201 with the new service's model.
async fn create(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let model = hub.create_service(&identity, &name, &body).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// `DELETE /services/{name}`: 200 with an empty body, as JupyterHub.
async fn remove(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    hub.remove_service(&identity, &name).await?;
    Ok(StatusCode::OK)
}

/// `GET /proxy`: `{routespec: route}`, paginated with the media type.
async fn routes_list(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (paginated, offset, limit) = parse_limit(&params, &headers, &hub)?;
    let (routes, total) = hub.proxy_routes(&identity, offset, limit).await?;
    let routes = Value::Object(routes);
    if !paginated {
        return Ok(Json(routes).into_response());
    }
    let listing = Listing {
        paginated,
        offset,
        limit,
        total,
    };
    Ok(Json(paginated_body(routes, &listing, &headers, &uri)).into_response())
}

/// `POST /proxy`: synchronise the routes now; 200 with an empty body.
async fn sync(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
) -> Result<StatusCode, ApiError> {
    hub.sync_proxy(&identity).await?;
    Ok(StatusCode::OK)
}

/// `PATCH /proxy`: `{"api_url"?, "auth_token"?}`, then synchronise.
async fn patch(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    body: String,
) -> Result<StatusCode, ApiError> {
    hub.patch_proxy(&identity, &body).await?;
    Ok(StatusCode::OK)
}
