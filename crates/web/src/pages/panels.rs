//! The pages a logged-in browser lands on, the error pages, and the redirects into `/hub/`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use ganymede_types::scope::{BuiltinScope, ScopeName};
use http::{Method, StatusCode, Uri};
use minijinja::{Value, context};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Site, Visit, redirect};

/// `GET /hub`: add the slash.
pub(super) async fn add_slash(State(site): State<Arc<Site>>, mut visit: Visit) -> Response {
    redirect(&mut visit, &format!("{}hub/", site.base_url))
}

/// `GET /hub/`: home when logged in, the login page otherwise.
pub(super) async fn hub_root(State(site): State<Arc<Site>>, mut visit: Visit) -> Response {
    match visit.user_name() {
        Some(_) => redirect(&mut visit, &format!("{}hub/home", site.base_url)),
        None => to_login(&site, &mut visit),
    }
}

/// The login page, coming back here afterwards.
pub(super) fn to_login(site: &Site, visit: &mut Visit) -> Response {
    let next = utf8_percent_encode(&visit.path_and_query, NON_ALPHANUMERIC).to_string();
    let location = format!("{}hub/login?next={next}", site.base_url);
    redirect(visit, &location)
}

/// `GET /hub/home`: the user's servers.
pub(super) async fn home(State(site): State<Arc<Site>>, mut visit: Visit) -> Response {
    let (Some(identity), Some(name)) = (
        visit.identity().cloned(),
        visit.user_name().map(str::to_owned),
    ) else {
        return to_login(&site, &mut visit);
    };
    let model = match site.hub.get_user(&identity, &name, true).await {
        Ok(model) => model,
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return site.error(status, Some(&error.to_string()), Some(&mut visit));
        }
    };
    let servers = server_rows(&site, &name, &model.to_value());
    let extra = context! {
        servers => servers,
        allow_named_servers => false,
    };
    site.page(&mut visit, StatusCode::OK, "home.html", extra)
}

/// One row per server in the user's model, the default server first even when it never ran.
fn server_rows(site: &Site, user: &str, model: &serde_json::Value) -> Vec<Value> {
    let base = &site.base_url;
    let user_path = utf8_percent_encode(user, NON_ALPHANUMERIC).to_string();
    let mut rows = Vec::new();
    let servers = model.get("servers").and_then(|s| s.as_object());
    let has_default = servers.is_some_and(|s| s.contains_key(""));
    if !has_default {
        rows.push(context! {
            name => "", status => "not running", active => false, ready => false,
            url => format!("{base}user/{user_path}/"),
            spawn_url => format!("{base}hub/spawn/{user_path}"),
            last_activity => Value::from(()),
        });
    }
    for (name, server) in servers.into_iter().flatten() {
        let ready = server
            .get("ready")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let pending = server.get("pending").and_then(serde_json::Value::as_str);
        let status = match (ready, pending) {
            (true, _) => "running".to_owned(),
            (false, Some(pending)) => format!("{pending} pending"),
            (false, None) => "not running".to_owned(),
        };
        let encoded = utf8_percent_encode(name, NON_ALPHANUMERIC).to_string();
        rows.push(context! {
            name => name,
            status => status,
            active => ready || pending.is_some(),
            ready => ready,
            url => server.get("url").and_then(serde_json::Value::as_str).unwrap_or_default(),
            spawn_url => if name.is_empty() { format!("{base}hub/spawn/{user_path}") } else { format!("{base}hub/spawn/{user_path}/{encoded}") },
            last_activity => server.get("last_activity").and_then(serde_json::Value::as_str),
        });
    }
    rows
}

/// `GET /hub/token`: create and revoke API tokens (the page's script uses the REST API).
pub(super) async fn token(State(site): State<Arc<Site>>, mut visit: Visit) -> Response {
    if visit.user_name().is_none() {
        return to_login(&site, &mut visit);
    }
    site.page(&mut visit, StatusCode::OK, "token.html", context! {})
}

/// `GET /hub/admin`: needs the `admin-ui` scope, as in JupyterHub.
pub(super) async fn admin(State(site): State<Arc<Site>>, mut visit: Visit) -> Response {
    let Some(identity) = visit.identity() else {
        return to_login(&site, &mut visit);
    };
    if !identity.allows(ScopeName::from(BuiltinScope::AdminUi), None) {
        return site.error(
            StatusCode::FORBIDDEN,
            Some("You do not have permission to access the admin page."),
            Some(&mut visit),
        );
    }
    site.page(&mut visit, StatusCode::OK, "admin.html", context! {})
}

/// `GET /hub/error/{code}`: the page CHP's `--error-target` fetches.
pub(super) async fn error_page(
    State(site): State<Arc<Site>>,
    Path(code): Path<String>,
    mut visit: Visit,
) -> Response {
    let status = code
        .parse::<u16>()
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::NOT_FOUND);
    let message = (status == StatusCode::SERVICE_UNAVAILABLE)
        .then_some("Your server appears to be down. Try restarting it from the hub.");
    site.error(status, message, Some(&mut visit))
}

/// Anything else: under `/hub/` a 404 page; elsewhere (a `/user/...` URL whose server has no
/// route, or `/`) a redirect to the same path under `/hub/`, as JupyterHub does.
pub(super) async fn outside_hub(
    State(site): State<Arc<Site>>,
    method: Method,
    uri: Uri,
    mut visit: Visit,
) -> Response {
    let hub_prefix = format!("{}hub/", site.base_url);
    let path = uri.path();
    if path.starts_with(&hub_prefix) || method != Method::GET {
        return site.error(StatusCode::NOT_FOUND, None, Some(&mut visit));
    }
    let Some(rest) = path.strip_prefix(&site.base_url) else {
        return site.error(StatusCode::NOT_FOUND, None, Some(&mut visit));
    };
    // `rest` came from a parsed URI path, so it is already a valid, encoded path; a leading
    // slash would make `//host`, so strip any.
    let rest = rest.trim_start_matches('/');
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    redirect(&mut visit, &format!("{hub_prefix}{rest}{query}"))
}
