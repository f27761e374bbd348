//! `/hub/api/oauth2/authorize`: where a single-user server or a service sends a browser to
//! learn who it is. Logged in through the hub's cookie; a client that is not the user's own
//! server asks for confirmation with a form (POST, XSRF-checked).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use ganymede_core::{AuthorizeRequest, Authorized};
use http::StatusCode;
use minijinja::context;

use super::panels::to_login;
use super::{Site, Visit, redirect};

fn request(params: &HashMap<String, String>) -> AuthorizeRequest {
    let get = |key: &str| params.get(key).cloned();
    AuthorizeRequest {
        client_id: get("client_id").unwrap_or_default(),
        redirect_uri: get("redirect_uri").unwrap_or_default(),
        response_type: get("response_type").unwrap_or_default(),
        state: get("state"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
    }
}

async fn authorize(
    site: &Site,
    visit: &mut Visit,
    params: &HashMap<String, String>,
    confirmed: bool,
) -> Response {
    let Some(identity) = visit.identity().cloned() else {
        return to_login(site, visit);
    };
    let session_id = visit
        .cookies
        .ensure_session_id(&mut visit.session, &site.base_url);
    match site
        .hub
        .oauth_authorize(&identity, Some(&session_id), &request(params), confirmed)
        .await
    {
        Ok(Authorized::Redirect(location)) => redirect(visit, &location),
        Ok(Authorized::Confirm {
            description,
            scopes,
        }) => {
            let fields: Vec<(String, String)> = params
                .iter()
                .filter(|(k, _)| k.as_str() != "_xsrf")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let extra = context! {
                description => description,
                scopes => scopes,
                fields => fields,
                action => visit.path_and_query.clone(),
            };
            site.page(visit, StatusCode::OK, "oauth.html", extra)
        }
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            site.error(status, Some(&error.to_string()), Some(visit))
        }
    }
}

/// `GET /hub/api/oauth2/authorize`.
pub(super) async fn authorize_get(
    State(site): State<Arc<Site>>,
    Query(params): Query<HashMap<String, String>>,
    mut visit: Visit,
) -> Response {
    authorize(&site, &mut visit, &params, false).await
}

/// `POST /hub/api/oauth2/authorize`: the confirmation form.
pub(super) async fn authorize_post(
    State(site): State<Arc<Site>>,
    mut visit: Visit,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let token = params.get("_xsrf").map(String::as_str);
    if !visit.session.xsrf_ok(site.hub.sessions(), token) {
        return site.error(
            StatusCode::FORBIDDEN,
            Some("'_xsrf' argument missing or invalid"),
            Some(&mut visit),
        );
    }
    authorize(&site, &mut visit, &params, true).await
}
