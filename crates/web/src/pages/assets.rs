//! Static files compiled into the binary: the stylesheet, the pages' scripts and the logo.

use axum::body::Bytes;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use super::Site;

/// (file name, content type, content)
const FILES: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/api.js"),
    ),
    (
        "home.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/home.js"),
    ),
    (
        "token.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/token.js"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/admin.js"),
    ),
    (
        "admin_groups.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/admin_groups.js"),
    ),
    (
        "admin_group.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/admin_group.js"),
    ),
    (
        "spawn.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/spawn.js"),
    ),
    (
        "spawn_pending.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/spawn_pending.js"),
    ),
    (
        "logo.svg",
        "image/svg+xml",
        include_str!("../../static/logo.svg"),
    ),
];

/// `GET /hub/static/{file}`.
pub(super) async fn static_file(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => serve(content_type, body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /hub/logo`.
pub(super) async fn logo() -> Response {
    serve("image/svg+xml", include_str!("../../static/logo.svg"))
}

fn serve(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The URLs carry the version (`?v=`), so a day of caching is safe across upgrades.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `POST /hub/security/csp-report`: logged (bounded), as JupyterHub logs them.
pub(super) async fn csp_report(State(site): State<Arc<Site>>, body: Bytes) -> StatusCode {
    site.hub.metrics().count_csp_report();
    let text = String::from_utf8_lossy(&body[..body.len().min(2048)]).into_owned();
    tracing::warn!(report = %text.escape_debug(), "content security policy violation");
    StatusCode::NO_CONTENT
}
