//! `/hub/api/user` and `/hub/api/users[/{name}]`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ganymede_core::model::UserModel;
use ganymede_core::{Hub, NewUsers, UserListQuery, UserSort, UserState};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Caller, Whoami};
use crate::error::ApiError;

/// The media type that asks for `{"items", "_pagination"}` instead of a bare list.
const PAGINATION_MEDIA_TYPE: &str = "application/jupyterhub-pagination+json";

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/user", get(whoami))
        .route("/users", get(list).post(create_many))
        .route(
            "/users/{name}",
            get(get_one)
                .post(create_one)
                .delete(delete_one)
                .patch(patch_one),
        )
}

/// `GET /user`: the caller's own model, as its scopes show it, with `scopes`, `token_id` and
/// `session_id`.
async fn whoami(
    State(hub): State<Arc<Hub>>,
    Whoami {
        identity,
        session_id,
    }: Whoami,
) -> Result<Json<Value>, ApiError> {
    let mut model = hub.whoami_model(&identity).await?;
    model["scopes"] = json!(identity.scopes.to_strings());
    model["token_id"] = identity
        .token
        .as_ref()
        .map_or(Value::Null, |t| json!(format!("a{}", t.id.0)));
    model["session_id"] = session_id.map_or(Value::Null, Value::String);
    Ok(Json(model))
}

pub(super) fn parse_limit(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    hub: &Hub,
) -> Result<(bool, u64, u32), ApiError> {
    let paginated = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(PAGINATION_MEDIA_TYPE));
    let settings = hub.settings();
    let offset = match params.get("offset") {
        None => 0,
        Some(raw) => raw.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!("offset must be an integer, not {raw:?}"))
        })?,
    };
    let default = if paginated {
        settings.api_page_default_limit
    } else {
        settings.api_page_max_limit
    };
    let limit = match params.get("limit") {
        None => default,
        Some(raw) => raw
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("limit must be an integer, not {raw:?}")))?
            .clamp(1, i64::from(settings.api_page_max_limit))
            .try_into()
            .unwrap_or(default),
    };
    Ok((paginated, offset, limit))
}

/// `GET /users`.
async fn list(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (paginated, offset, limit) = parse_limit(&params, &headers, &hub)?;
    let state = match params.get("state").map(String::as_str) {
        None | Some("") => None,
        Some("ready") => Some(UserState::Ready),
        Some("active") => Some(UserState::Active),
        Some("inactive") => Some(UserState::Inactive),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Unrecognized state: {other}"
            )));
        }
    };
    let (sort, descending) = match params.get("sort").map(String::as_str) {
        None | Some("") => (Default::default(), false),
        Some(raw) => {
            let (descending, key) = raw.strip_prefix('-').map_or((false, raw), |k| (true, k));
            let sort = match key {
                "id" => UserSort::Id,
                "name" => UserSort::Name,
                "last_activity" => UserSort::LastActivity,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "sort must be one of id, name, last_activity, not {raw:?}"
                    )));
                }
            };
            (sort, descending)
        }
    };
    let query = UserListQuery {
        offset,
        limit,
        state,
        name_filter: params.get("name_filter").filter(|f| !f.is_empty()).cloned(),
        sort,
        descending,
        include_stopped_servers: include_stopped_servers(&params),
    };
    let (items, total) = hub.list_users(&identity, &query).await?;
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

/// Where a listed page sits in the whole list.
pub(super) struct Listing {
    /// The caller asked for the pagination media type.
    pub(super) paginated: bool,
    /// Rows skipped.
    pub(super) offset: u64,
    /// Rows asked for.
    pub(super) limit: u32,
    /// Rows in the whole list.
    pub(super) total: u64,
}

/// A bare JSON list, or `{"items", "_pagination"}` with a `next` URL for the media type.
pub(super) fn list_response<T: Serialize>(
    items: Vec<T>,
    listing: &Listing,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    // A user model is about 200 bytes; axum's `Json` starts at 128 bytes and would grow a page
    // of 200 of them about nine times.
    let capacity = 256 * items.len() + 256;
    if !listing.paginated {
        return sized_json(&items, capacity);
    }
    sized_json(&paginated_body(items, listing, headers, uri), capacity)
}

/// `Json(value)` written into a buffer of `capacity` bytes.
fn sized_json<T: Serialize>(value: &T, capacity: usize) -> Response {
    let mut body = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => (
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response(),
        // What axum's `Json` answers; models are strings, numbers and string-keyed maps, which
        // always serialize.
        Err(error) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    }
}

/// JupyterHub's pagination envelope. The keys are in alphabetical order, as the
/// `serde_json::Map` this used to be wrote them.
#[derive(Serialize)]
pub(super) struct Paginated<T> {
    /// `{"limit", "next", "offset", "total"}`.
    _pagination: Value,
    /// The page.
    items: T,
}

/// `{"items", "_pagination"}` around a list (or, for `/proxy`, a dict).
pub(super) fn paginated_body<T: Serialize>(
    items: T,
    listing: &Listing,
    headers: &HeaderMap,
    uri: &Uri,
) -> Paginated<T> {
    let Listing {
        offset,
        limit,
        total,
        ..
    } = *listing;
    let next_offset = offset + u64::from(limit);
    let next = if next_offset < total {
        json!({"offset": next_offset, "limit": limit, "url": next_url(headers, uri, next_offset, limit)})
    } else {
        Value::Null
    };
    Paginated {
        _pagination: json!({"offset": offset, "limit": limit, "total": total, "next": next}),
        items,
    }
}

/// The request's own URL with `offset` and `limit` replaced; clients follow it verbatim.
fn next_url(headers: &HeaderMap, uri: &Uri, offset: u64, limit: u32) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .unwrap_or("http");
    let base = format!("{scheme}://{host}{}", uri.path());
    let Ok(mut url) = url::Url::parse(&base) else {
        return base;
    };
    let kept: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .filter(|(k, _)| k != "offset" && k != "limit")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    {
        let mut pairs = url.query_pairs_mut();
        pairs.clear();
        for (k, v) in &kept {
            pairs.append_pair(k, v);
        }
        pairs.append_pair("limit", &limit.to_string());
        pairs.append_pair("offset", &offset.to_string());
    }
    url.to_string()
}

#[derive(Debug, Default, Deserialize)]
struct CreateMany {
    #[serde(default)]
    usernames: Vec<String>,
    #[serde(default)]
    admin: bool,
}

/// JupyterHub's answer to a body that is not JSON.
const INVALID_JSON: &str = "Invalid JSON in body of request";

pub(super) fn json_body<T: for<'de> Deserialize<'de> + Default>(body: &str) -> Result<T, ApiError> {
    if body.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(body).map_err(|_| ApiError::bad_request(INVALID_JSON))
}

/// JupyterHub's `include_stopped_servers` argument: anything but `0` and `false`.
pub(super) fn include_stopped_servers(params: &HashMap<String, String>) -> bool {
    params
        .get("include_stopped_servers")
        .is_some_and(|v| !matches!(v.to_lowercase().as_str(), "0" | "false"))
}

/// `POST /users`.
async fn create_many(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    body: String,
) -> Result<Response, ApiError> {
    let body: CreateMany = json_body(&body)?;
    if body.usernames.is_empty() {
        return Err(ApiError::bad_request(
            "Must specify at least one user to create",
        ));
    }
    let models = hub
        .create_users(
            &identity,
            &NewUsers {
                usernames: body.usernames,
                admin: body.admin,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(models)).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct CreateOne {
    #[serde(default)]
    admin: bool,
}

/// `POST /users/{name}`.
async fn create_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    let body: CreateOne = json_body(&body)?;
    let mut models = match hub
        .create_users(
            &identity,
            &NewUsers {
                usernames: vec![name.clone()],
                admin: body.admin,
            },
        )
        .await
    {
        Err(ganymede_core::CoreError::Conflict(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("User {name} already exists"),
            ));
        }
        other => other?,
    };
    Ok((StatusCode::CREATED, Json(models.pop())).into_response())
}

/// `GET /users/{name}`.
async fn get_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<UserModel>, ApiError> {
    let include_stopped = include_stopped_servers(&params);
    Ok(Json(hub.get_user(&identity, &name, include_stopped).await?))
}

/// `PATCH /users/{name}`.
async fn patch_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Json<UserModel>, ApiError> {
    Ok(Json(hub.patch_user(&identity, &name, &body).await?))
}

/// `DELETE /users/{name}`.
async fn delete_one(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    hub.delete_user(&identity, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
