//! The pages around a user's server: start it (`/hub/spawn`), watch it start
//! (`/hub/spawn-pending`), and the redirects of `/hub/user/...` and `/hub/user-redirect/...`
//! that bring a browser to its server or to the spawn page.

mod form;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use ganymede_core::CoreError;
use ganymede_core::model::Urls;
use http::{HeaderMap, StatusCode, header};
use minijinja::context;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::next_url::safe_next;
use super::panels::to_login;
use super::{Site, Visit, redirect};

fn enc(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// `(user, server)` from the path, the logged-in user by default.
fn target(visit: &Visit, user: Option<&str>, server: Option<&str>) -> Option<(String, String)> {
    let me = visit.user_name()?;
    Some((
        user.unwrap_or(me).to_owned(),
        server.unwrap_or_default().to_owned(),
    ))
}

fn paths(site: &Site, user: &str, server: &str) -> (String, String) {
    let suffix = if server.is_empty() {
        enc(user)
    } else {
        format!("{}/{}", enc(user), enc(server))
    };
    (
        format!("{}hub/spawn/{suffix}", site.base_url),
        format!("{}hub/spawn-pending/{suffix}", site.base_url),
    )
}

/// `/hub/spawn/<user>[/<server>]`.
fn spawn_url_of(site: &Site, user: &str, server: &str) -> String {
    paths(site, user, server).0
}

/// The progress page, carrying `next` on.
fn pending_location(site: &Site, user: &str, server: &str, next: Option<&str>) -> String {
    let (_, pending_url) = paths(site, user, server);
    match next {
        Some(next) => format!("{pending_url}?next={}", enc(next)),
        None => pending_url,
    }
}

fn core_error(site: &Site, visit: &mut Visit, error: &CoreError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    site.error(status, Some(&error.to_string()), Some(visit))
}

/// The server's model as the visitor may see it, or the error page.
async fn server_model(
    site: &Site,
    visit: &mut Visit,
    user: &str,
    server: &str,
) -> Result<Value, Response> {
    let Some(identity) = visit.identity().cloned() else {
        return Err(to_login(site, visit));
    };
    match site.hub.get_user(&identity, user, true).await {
        Ok(model) => Ok(model
            .servers
            .as_ref()
            .and_then(|s| s.get(server))
            .map_or(Value::Null, |s| s.to_value())),
        Err(error) => Err(core_error(site, visit, &error)),
    }
}

/// `GET /hub/spawn[/{user}[/{server}]]`: the options form when `spawner.options_form` or
/// `spawner.profiles` is set; otherwise a page whose form starts the server. The start is a
/// POST with the XSRF token, so a link from another site cannot start anything; without
/// options the page submits it by itself.
pub(super) async fn spawn_page(
    State(site): State<Arc<Site>>,
    path: Option<Path<HashMap<String, String>>>,
    Query(query): Query<HashMap<String, String>>,
    mut visit: Visit,
) -> Response {
    let path = path.map(|Path(p)| p).unwrap_or_default();
    let Some((user, server)) = target(
        &visit,
        path.get("user").map(String::as_str),
        path.get("server").map(String::as_str),
    ) else {
        return to_login(&site, &mut visit);
    };
    let model = match server_model(&site, &mut visit, &user, &server).await {
        Ok(model) => model,
        Err(response) => return response,
    };
    let (_, pending_url) = paths(&site, &user, &server);
    let next = query
        .get("next")
        .and_then(|n| safe_next(n, visit.host.as_deref()));
    if model.get("ready").and_then(Value::as_bool) == Some(true) {
        let url = next.unwrap_or_else(|| model["url"].as_str().unwrap_or("/").to_owned());
        return redirect(&mut visit, &url);
    }
    if model.get("pending").and_then(Value::as_str) == Some("spawn") {
        return redirect(&mut visit, &pending_url);
    }
    let page = form::FormPage {
        user: &user,
        server: &server,
        next,
        error: None,
        selected: None,
    };
    let settings = site.hub.spawn_settings();
    form::render(&site, &mut visit, StatusCode::OK, page, settings)
}

/// `POST /hub/spawn[/{user}[/{server}]]`: starts the server, with the form's answers as its
/// `user_options` when the page asked for options, then shows its progress.
pub(super) async fn spawn_submit(
    State(site): State<Arc<Site>>,
    path: Option<Path<HashMap<String, String>>>,
    Query(query): Query<HashMap<String, String>>,
    mut visit: Visit,
    body: bytes::Bytes,
) -> Response {
    let path = path.map(|Path(p)| p).unwrap_or_default();
    let Some((user, server)) = target(
        &visit,
        path.get("user").map(String::as_str),
        path.get("server").map(String::as_str),
    ) else {
        return to_login(&site, &mut visit);
    };
    let fields = form::form_fields(&body);
    if !visit
        .session
        .xsrf_ok(site.hub.sessions(), form::posted_xsrf(&fields, &query))
    {
        return site.error(
            StatusCode::FORBIDDEN,
            Some("'_xsrf' argument missing or invalid"),
            Some(&mut visit),
        );
    }
    let Some(identity) = visit.identity().cloned() else {
        return to_login(&site, &mut visit);
    };
    // `next` rides in the action URL (JupyterHub's), or in a field of older pages.
    let next = query
        .get("next")
        .map(String::as_str)
        .or_else(|| form::field(&fields, "next"))
        .and_then(|n| safe_next(n, visit.host.as_deref()));
    if let Some(settings) = site.hub.spawn_settings().filter(|s| s.has_options()) {
        let target = (user.as_str(), server.as_str());
        return form::submit(&site, &mut visit, target, settings, &fields, next).await;
    }
    let wait = Some(std::time::Duration::from_secs(1));
    match site
        .hub
        .start_server_waiting(&identity, &user, &server, "", wait)
        .await
    {
        Ok(_) => {}
        // Already running: go there.
        Err(CoreError::BadRequest(message)) if message.ends_with("is already running") => {}
        Err(error) => return core_error(&site, &mut visit, &error),
    }
    let location = pending_location(&site, &user, &server, next.as_deref());
    redirect(&mut visit, &location)
}

/// `GET /hub/spawn-pending/{user}[/{server}]`: the progress page, or the server when ready.
pub(super) async fn spawn_pending(
    State(site): State<Arc<Site>>,
    Path(path): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
    mut visit: Visit,
) -> Response {
    let Some((user, server)) = target(
        &visit,
        path.get("user").map(String::as_str),
        path.get("server").map(String::as_str),
    ) else {
        return to_login(&site, &mut visit);
    };
    let model = match server_model(&site, &mut visit, &user, &server).await {
        Ok(model) => model,
        Err(response) => return response,
    };
    let next = query
        .get("next")
        .and_then(|n| safe_next(n, visit.host.as_deref()));
    let url = model["url"].as_str().unwrap_or_default().to_owned();
    if model.get("ready").and_then(Value::as_bool) == Some(true) {
        return redirect(&mut visit, next.as_deref().unwrap_or(&url));
    }
    let (spawn_url, _) = paths(&site, &user, &server);
    let pending = model.get("pending").and_then(Value::as_str) == Some("spawn");
    let progress_url = model["progress_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let failure = if pending {
        None
    } else {
        site.hub.server_failure(&user, &server).await
    };
    let extra = context! {
        for_user => user,
        server_name => server,
        pending => pending,
        progress_url => progress_url,
        spawn_url => spawn_url,
        server_url => next.unwrap_or(url),
        failure => failure,
    };
    let status = if pending {
        StatusCode::OK
    } else {
        StatusCode::from_u16(424).unwrap_or(StatusCode::OK)
    };
    site.page(&mut visit, status, "spawn_pending.html", extra)
}

/// `GET /hub/user/{user}/{path}`: the browser asked for a server the proxy has no route for.
/// A running server (a route that just appeared) gets the browser back, a starting one sends
/// it to the progress page, a stopped one is a 424 with a link to start it.
pub(super) async fn user_url(
    State(site): State<Arc<Site>>,
    Path(path): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: http::Uri,
    mut visit: Visit,
) -> Response {
    let user = path.get("user").cloned().unwrap_or_default();
    let rest = path.get("rest").cloned().unwrap_or_default();
    // Like JupyterHub, this page also takes a token (a server's API client after a stop).
    if visit.identity().is_none()
        && let Some(token) = crate::auth::bearer_token_in(&headers)
        && let Ok(identity) = site.hub.authenticate_token(token).await
    {
        visit.session.identity = Some(identity);
    }
    if visit.identity().is_none() {
        return to_login(&site, &mut visit);
    }
    let urls = Urls {
        base_url: &site.base_url,
    };
    let user_prefix = urls.user_url(&user);
    // A named server's URL starts with its name; the default server's does not.
    let first = rest.split('/').next().unwrap_or_default().to_owned();
    let mut server = String::new();
    let mut model = match server_model(&site, &mut visit, &user, "").await {
        Ok(model) => model,
        Err(response) => return response,
    };
    if !first.is_empty()
        && let Ok(named) = server_model(&site, &mut visit, &user, &first).await
        && !named.is_null()
    {
        server = first;
        model = named;
    }
    let original = format!(
        "{user_prefix}{rest}{}",
        uri.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let (spawn_url, pending_url) = paths(&site, &user, &server);
    if model.get("ready").and_then(Value::as_bool) == Some(true) {
        let redirects: u32 = query
            .get("redirects")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        if redirects >= 4 {
            return site.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("Redirect loop detected."),
                Some(&mut visit),
            );
        }
        let sep = if original.contains('?') { '&' } else { '?' };
        return redirect(
            &mut visit,
            &format!("{original}{sep}redirects={}", redirects + 1),
        );
    }
    if model.get("pending").and_then(Value::as_str) == Some("spawn") {
        let mut response = redirect(
            &mut visit,
            &format!("{pending_url}?next={}", enc(&original)),
        );
        *response.status_mut() = StatusCode::SEE_OTHER;
        return response;
    }
    let wants_json = rest.split('/').any(|segment| segment == "api")
        || headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("application/json"));
    let message = format!(
        "JupyterHub server no longer running at {original}. Restart the server at {spawn_url}"
    );
    if wants_json {
        let body = json!({"status": 424, "message": message});
        return (
            StatusCode::from_u16(424).unwrap_or(StatusCode::BAD_REQUEST),
            axum::Json(body),
        )
            .into_response();
    }
    let extra = context! {
        for_user => user,
        server_name => server,
        spawn_url => format!("{spawn_url}?next={}", enc(&original)),
        pending => false,
        failure => Option::<String>::None,
        progress_url => "",
        server_url => original,
    };
    site.page(
        &mut visit,
        StatusCode::from_u16(424).unwrap_or(StatusCode::OK),
        "spawn_pending.html",
        extra,
    )
}

/// `GET /hub/user-redirect/{path}`: the same path on the visitor's own server.
pub(super) async fn user_redirect(
    State(site): State<Arc<Site>>,
    Path(rest): Path<String>,
    uri: http::Uri,
    mut visit: Visit,
) -> Response {
    let Some(me) = visit.user_name().map(str::to_owned) else {
        return to_login(&site, &mut visit);
    };
    let urls = Urls {
        base_url: &site.base_url,
    };
    let rest = rest.trim_start_matches('/');
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let target = format!("{}{rest}{query}", urls.user_url(&me));
    let (spawn_url, _) = paths(&site, &me, "");
    redirect(&mut visit, &format!("{spawn_url}?next={}", enc(&target)))
}
