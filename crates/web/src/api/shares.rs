//! Sharing: `/hub/api/shares/...`, `/hub/api/share-codes/...`, and the `shared` lists under
//! `/hub/api/users/{name}` and `/hub/api/groups/{name}`. Lists are always paginated.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ganymede_core::{
    Hub, Pagination, Recipient, ShareCodeDeletion, ShareCodeRequest, ShareRequest,
};
use http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;
use serde_json::Value;

use super::users::{Listing, paginated_body, parse_limit};
use crate::auth::Caller;
use crate::error::ApiError;

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route(
            "/shares/{owner}",
            get(owner_shares)
                .post(not_allowed)
                .patch(not_allowed)
                .delete(not_allowed),
        )
        .route(
            "/shares/{owner}/",
            get(default_shares)
                .post(grant_default)
                .patch(revoke_default)
                .delete(delete_default),
        )
        .route(
            "/shares/{owner}/{server}",
            get(server_shares)
                .post(grant)
                .patch(revoke)
                .delete(delete_all),
        )
        .route("/users/{name}/shared", get(user_shared))
        .route(
            "/users/{name}/shared/{owner}/",
            get(user_share_default).delete(user_unshare_default),
        )
        .route(
            "/users/{name}/shared/{owner}/{server}",
            get(user_share).delete(user_unshare),
        )
        .route("/groups/{name}/shared", get(group_shared))
        .route(
            "/groups/{name}/shared/{owner}/",
            get(group_share_default).delete(group_unshare_default),
        )
        .route(
            "/groups/{name}/shared/{owner}/{server}",
            get(group_share).delete(group_unshare),
        )
        .route(
            "/share-codes/{owner}",
            get(owner_codes).post(not_allowed).delete(not_allowed),
        )
        .route(
            "/share-codes/{owner}/",
            get(default_codes)
                .post(new_code_default)
                .delete(delete_codes_default),
        )
        .route(
            "/share-codes/{owner}/{server}",
            get(server_codes).post(new_code).delete(delete_codes),
        )
}

/// The request's page, and what to render it with.
struct PageRequest {
    page: Pagination,
    listing: Listing,
    headers: HeaderMap,
    uri: Uri,
}

impl PageRequest {
    fn new(
        hub: &Hub,
        params: &HashMap<String, String>,
        headers: HeaderMap,
        uri: Uri,
    ) -> Result<Self, ApiError> {
        let (_, offset, limit) = parse_limit(params, &headers, hub)?;
        Ok(Self {
            page: Pagination::new(offset, limit),
            listing: Listing {
                paginated: true,
                offset,
                limit,
                total: 0,
            },
            headers,
            uri,
        })
    }

    fn respond(mut self, (items, total): (Vec<Value>, u64)) -> Response {
        self.listing.total = total;
        Json(paginated_body(
            items,
            &self.listing,
            &self.headers,
            &self.uri,
        ))
        .into_response()
    }
}

type Params = Query<HashMap<String, String>>;

async fn not_allowed(Caller(_): Caller) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareBody {
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    group: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// JupyterHub's `get_json_body() or {}` then a strict model: `null` and no body are `{}`.
fn strict_body<T: for<'de> Deserialize<'de> + Default>(body: &str) -> Result<T, ApiError> {
    let value: Value = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body)
            .map_err(|e| ApiError::bad_request(format!("Invalid JSON in body: {e}")))?
    };
    if value.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn share_request(body: &str) -> Result<ShareRequest, ApiError> {
    let body: ShareBody = strict_body(body)?;
    Ok(ShareRequest {
        user: body.user,
        group: body.group,
        scopes: body.scopes,
    })
}

// --- /shares/{owner}[/{server}] ---

async fn owner_shares(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(owner): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let request = PageRequest::new(&hub, &params, headers, uri)?;
    let page = hub
        .list_server_shares(&identity, &owner, None, request.page)
        .await?;
    Ok(request.respond(page))
}

async fn list_shares(
    hub: &Hub,
    identity: &ganymede_core::Identity,
    (owner, server): (String, String),
    params: &HashMap<String, String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let request = PageRequest::new(hub, params, headers, uri)?;
    let page = hub
        .list_server_shares(identity, &owner, Some(&server), request.page)
        .await?;
    Ok(request.respond(page))
}

async fn server_shares(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(path): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    list_shares(&hub, &identity, path, &params, headers, uri).await
}

async fn default_shares(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(owner): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    list_shares(
        &hub,
        &identity,
        (owner, String::new()),
        &params,
        headers,
        uri,
    )
    .await
}

/// Grants and code creation answer 200, not 201.
async fn grant(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((owner, server)): Path<(String, String)>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let request = share_request(&body)?;
    Ok(Json(
        hub.grant_share(&identity, &owner, &server, &request)
            .await?,
    ))
}

async fn grant_default(
    hub: State<Arc<Hub>>,
    caller: Caller,
    Path(owner): Path<String>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    grant(hub, caller, Path((owner, String::new())), body).await
}

async fn revoke(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((owner, server)): Path<(String, String)>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let request = share_request(&body)?;
    Ok(Json(
        hub.revoke_share(&identity, &owner, &server, &request)
            .await?,
    ))
}

async fn revoke_default(
    hub: State<Arc<Hub>>,
    caller: Caller,
    Path(owner): Path<String>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    revoke(hub, caller, Path((owner, String::new())), body).await
}

async fn delete_all(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((owner, server)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    hub.delete_server_shares(&identity, &owner, &server).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_default(
    hub: State<Arc<Hub>>,
    caller: Caller,
    Path(owner): Path<String>,
) -> Result<StatusCode, ApiError> {
    delete_all(hub, caller, Path((owner, String::new()))).await
}

// --- /users/{name}/shared and /groups/{name}/shared ---

async fn user_shared(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let request = PageRequest::new(&hub, &params, headers, uri)?;
    let page = hub.list_user_shared(&identity, &name, request.page).await?;
    Ok(request.respond(page))
}

async fn group_shared(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let request = PageRequest::new(&hub, &params, headers, uri)?;
    let page = hub
        .list_group_shared(&identity, &name, request.page)
        .await?;
    Ok(request.respond(page))
}

async fn received(
    hub: &Hub,
    identity: &ganymede_core::Identity,
    recipient: Recipient<'_>,
    (owner, server): (&str, &str),
    delete: bool,
) -> Result<Response, ApiError> {
    let share = hub
        .received_share(identity, recipient, owner, server, delete)
        .await?;
    Ok(match share {
        Some(share) => Json(share).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

macro_rules! received_handlers {
    ($($fn:ident, $default_fn:ident, $kind:ident, $delete:expr;)*) => {$(
        async fn $fn(
            State(hub): State<Arc<Hub>>,
            Caller(identity): Caller,
            Path((name, owner, server)): Path<(String, String, String)>,
        ) -> Result<Response, ApiError> {
            received(&hub, &identity, Recipient::$kind(&name), (&owner, &server), $delete).await
        }

        async fn $default_fn(
            State(hub): State<Arc<Hub>>,
            Caller(identity): Caller,
            Path((name, owner)): Path<(String, String)>,
        ) -> Result<Response, ApiError> {
            received(&hub, &identity, Recipient::$kind(&name), (&owner, ""), $delete).await
        }
    )*};
}

received_handlers! {
    user_share, user_share_default, User, false;
    user_unshare, user_unshare_default, User, true;
    group_share, group_share_default, Group, false;
    group_unshare, group_unshare_default, Group, true;
}

// --- /share-codes/{owner}[/{server}] ---

async fn owner_codes(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(owner): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let request = PageRequest::new(&hub, &params, headers, uri)?;
    let page = hub
        .list_share_codes(&identity, &owner, None, request.page)
        .await?;
    Ok(request.respond(page))
}

async fn server_codes(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((owner, server)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let request = PageRequest::new(&hub, &params, headers, uri)?;
    let page = hub
        .list_share_codes(&identity, &owner, Some(&server), request.page)
        .await?;
    Ok(request.respond(page))
}

async fn default_codes(
    hub: State<Arc<Hub>>,
    caller: Caller,
    Path(owner): Path<String>,
    params: Params,
    headers: HeaderMap,
    uri: OriginalUri,
) -> Result<Response, ApiError> {
    server_codes(
        hub,
        caller,
        Path((owner, String::new())),
        params,
        headers,
        uri,
    )
    .await
}

async fn new_code(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((owner, server)): Path<(String, String)>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let body: CodeBody = strict_body(&body)?;
    let request = ShareCodeRequest {
        scopes: body.scopes,
        expires_in: body.expires_in,
    };
    Ok(Json(
        hub.create_share_code(&identity, &owner, &server, &request)
            .await?,
    ))
}

async fn new_code_default(
    hub: State<Arc<Hub>>,
    caller: Caller,
    Path(owner): Path<String>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    new_code(hub, caller, Path((owner, String::new())), body).await
}

async fn delete_codes(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((owner, server)): Path<(String, String)>,
    Query(params): Params,
) -> Result<StatusCode, ApiError> {
    let which = match (params.get("code"), params.get("id")) {
        (Some(code), _) if !code.is_empty() => ShareCodeDeletion::Code(code.clone()),
        (_, Some(id)) if !id.is_empty() => ShareCodeDeletion::Id(id.clone()),
        _ => ShareCodeDeletion::All,
    };
    hub.delete_share_codes(&identity, &owner, &server, &which)
        .await
        .map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_codes_default(
    hub: State<Arc<Hub>>,
    caller: Caller,
    Path(owner): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    delete_codes(hub, caller, Path((owner, String::new())), params).await
}
