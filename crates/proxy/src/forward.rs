//! The data plane: one request from a client, through the route table, to a target and back.
//!
//! The phases, in order (see `docs/life-of-a-request.md`):
//! 1. health check (`/_chp_healthz`);
//! 2. route lookup on the percent-decoded path (with `--host-routing`, `/<host>` in front);
//! 3. upstream URI: the target, its path prepended, the route prefix kept or dropped;
//! 4. header rewrite: hop-by-hop, `X-Forwarded-*`, custom headers, `Host`;
//! 5. send on the pooled client, bounded by `--proxy-timeout`;
//! 6. WebSocket: splice the two upgraded connections as bytes;
//! 7. response rewrite, activity, metrics; errors become CHP's 404/503 pages.

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use hyper::body::{Body as _, Incoming};
use percent_encoding::percent_decode_str;

use crate::body::{self, Observed, ProxyBody};
use crate::error_page::ErrorPageKind;
use crate::headers::{self, ClientSide};
use crate::http1::ClientUpgrade;
use crate::route_table::Route;
use crate::splice;
use crate::state::DataPlane;

/// Serves one request; never fails, every error becomes a response.
pub(crate) async fn handle(
    plane: Arc<DataPlane>,
    client: ClientSide,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let started = Instant::now();
    let response = route_request(&plane, client, req).await;
    plane.requests.record(response.status(), started.elapsed());
    Ok(response)
}

async fn route_request(
    plane: &DataPlane,
    client: ClientSide,
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    if req.uri().path_and_query().map(|pq| pq.as_str()) == Some("/_chp_healthz") {
        return json_response(StatusCode::OK, r#"{"status": "OK"}"#);
    }
    let upgrade = headers::is_upgrade_request(req.headers());
    let log_path: Arc<str> = Arc::from(req.uri().path());
    let host = plane
        .forward
        .host_routing
        .then(|| headers::request_host(req.headers(), req.uri()))
        .flatten();
    let route = match find_route(plane, req.uri().path(), host) {
        Ok(Some(route)) => route,
        Ok(None) => {
            tracing::warn!(status = 404, method = %req.method(), path = %log_path, "no route matches this path");
            return plane
                .error_pages
                .respond(ErrorPageKind::NotFound, req.uri(), upgrade)
                .await;
        }
        Err(NotUtf8) => {
            tracing::warn!(status = 400, path = %log_path, "request path is not UTF-8 once percent-decoded");
            return text_response(
                StatusCode::BAD_REQUEST,
                "Bad Request: the path is not valid percent-encoded UTF-8",
            );
        }
    };
    let uri = match upstream_uri(plane, &route, req.uri()) {
        Ok(uri) => uri,
        Err(error) => {
            tracing::error!(status = 500, path = %log_path, target = %route.target(), %error, "cannot build the upstream URL");
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    };
    let request_uri = req.uri().clone();
    let mut req = req;
    let client_upgrade = upgrade.then(|| ClientUpgrade::take(&mut req));
    let (mut parts, incoming) = req.into_parts();
    let request_host = headers::request_host_value(&parts.headers, &parts.uri);
    rewrite_request_headers(
        plane,
        &route,
        &mut parts,
        request_host.as_ref(),
        client,
        upgrade,
    );
    parts.uri = uri;
    parts.version = Version::HTTP_11;
    // A request without a body (most GETs) needs no observer: nothing will flow.
    let upstream_body = if upgrade || incoming.is_end_stream() {
        body::empty()
    } else {
        Observed::request(
            incoming,
            Arc::clone(route.activity()),
            Arc::clone(&log_path),
        )
    };
    let upstream_req = Request::from_parts(parts, upstream_body);
    let sent = plane.upstream.send(upstream_req);
    let result = match plane.timeouts.upstream {
        Some(limit) => match tokio::time::timeout(limit, sent).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no response within {} ms", limit.as_millis())),
        },
        None => sent.await.map_err(|e| e.to_string()),
    };
    let (mut response, lease) = match result {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(status = 503, path = %log_path, target = %route.target(), %error, "target did not answer");
            return plane
                .error_pages
                .respond(ErrorPageKind::Unavailable, &request_uri, upgrade)
                .await;
        }
    };
    let status = response.status();
    if status.as_u16() < 300 || status == StatusCode::SWITCHING_PROTOCOLS {
        route.activity().touch_now();
    }
    if status == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(client_upgrade) = client_upgrade {
            let upstream_upgrade = hyper::upgrade::on(&mut response);
            splice::spawn(
                client_upgrade,
                upstream_upgrade,
                Arc::clone(route.activity()),
                Arc::clone(&plane.metrics),
                log_path,
            );
        }
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, body::empty());
    }
    let (mut parts, incoming) = response.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers, false);
    headers::rewrite_location(
        &mut parts.headers,
        status,
        route.target(),
        request_host.as_ref().and_then(|host| host.to_str().ok()),
        &plane.forward,
    );
    let body = Observed::response(incoming, Arc::clone(route.activity()), log_path, lease);
    Response::from_parts(parts, body)
}

fn rewrite_request_headers(
    plane: &DataPlane,
    route: &Route,
    parts: &mut http::request::Parts,
    request_host: Option<&HeaderValue>,
    client: ClientSide,
    upgrade: bool,
) {
    let headers = &mut parts.headers;
    headers::strip_hop_by_hop(headers, upgrade);
    if !plane.forward.private_cookies.is_empty() && !route.is_hub() {
        headers::strip_cookies(headers, &plane.forward.private_cookies);
    }
    // An HTTP/2 client sends `:authority` instead of `Host`; the HTTP/1.1 target needs `Host`.
    if !headers.contains_key(header::HOST)
        && let Some(value) = request_host
    {
        headers.insert(header::HOST, value.clone());
    }
    if plane.forward.x_forward {
        headers::add_x_forwarded(headers, client, upgrade);
    }
    for (name, value) in &plane.forward.custom_headers {
        headers.insert(name.clone(), value.clone());
    }
    if plane.forward.change_origin
        && let Ok(value) = HeaderValue::from_str(crate::headers::target_authority(route.target()))
    {
        headers.insert(header::HOST, value);
    }
}

/// A request path that is not UTF-8 once percent-decoded.
#[derive(Debug)]
pub(crate) struct NotUtf8;

/// The route for a request's raw `path`; with `--host-routing`, `host` (the `Host` header, its
/// port ignored) is the first segment.
pub(crate) fn find_route(
    plane: &DataPlane,
    path: &str,
    host: Option<&str>,
) -> Result<Option<Arc<Route>>, NotUtf8> {
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| NotUtf8)?;
    let lookup_path = if plane.forward.host_routing {
        let host = host
            .map(|h| {
                h.rsplit_once(':')
                    .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                    .map_or(h, |(h, _)| h)
            })
            .unwrap_or("");
        Cow::Owned(format!("/{host}{decoded}"))
    } else {
        decoded
    };
    Ok(plane.routes.lookup(&lookup_path))
}

/// The URL sent to the target, following http-proxy's `prependPath`/`includePrefix` rules.
fn upstream_uri(plane: &DataPlane, route: &Route, uri: &Uri) -> Result<Uri, http::Error> {
    let target = route.target();
    Uri::builder()
        .scheme(target.scheme())
        .authority(headers::target_authority(target))
        .path_and_query(upstream_path(plane, route, uri.path(), uri.query()))
        .build()
}

/// The path and query sent to the target for a request's `path` and `query`.
pub(crate) fn upstream_path(
    plane: &DataPlane,
    route: &Route,
    path: &str,
    query: Option<&str>,
) -> String {
    let target = route.target();
    let mut path = path;
    if !plane.forward.include_prefix {
        let skip = route.prefix().split('/').filter(|s| !s.is_empty()).count()
            - usize::from(plane.forward.host_routing && route.prefix() != "/");
        path = strip_segments(path, skip);
    }
    let mut joined = String::with_capacity(target.path().len() + path.len() + 1);
    if plane.forward.prepend_path {
        joined.push_str(target.path());
    }
    joined.push('/');
    joined.push_str(path);
    let mut collapsed = collapse_slashes(joined);
    if let Some(query) = query {
        collapsed.push('?');
        collapsed.push_str(query);
    }
    collapsed
}

/// The rest of `path` after its first `count` segments.
fn strip_segments(path: &str, count: usize) -> &str {
    let mut rest = path;
    for _ in 0..count {
        rest = rest.trim_start_matches('/');
        rest = rest.find('/').map_or("", |slash| &rest[slash..]);
    }
    rest
}

/// Joins like http-proxy's `urlJoin`: runs of `/` become one. A path without any (the usual
/// case) is returned as it is, without copying.
fn collapse_slashes(path: String) -> String {
    if !path.contains("//") {
        return path;
    }
    let mut out = String::with_capacity(path.len());
    let mut previous_slash = false;
    for c in path.chars() {
        if c == '/' && previous_slash {
            continue;
        }
        previous_slash = c == '/';
        out.push(c);
    }
    out
}

pub(crate) fn text_response(status: StatusCode, text: &'static str) -> Response<ProxyBody> {
    let mut response = Response::new(body::full(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

pub(crate) fn json_response(
    status: StatusCode,
    json: impl Into<bytes::Bytes>,
) -> Response<ProxyBody> {
    let mut response = Response::new(body::full(json));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_segments_cases() {
        let cases = [
            ("/user/alice/lab", 2, "/lab"),
            ("/user/alice", 2, ""),
            ("/user/alice/", 2, "/"),
            ("/x", 0, "/x"),
            ("//user//alice/a/b", 2, "/a/b"),
        ];
        for (path, count, expected) in cases {
            assert_eq!(
                strip_segments(path, count),
                expected,
                "{path} minus {count}"
            );
        }
    }

    #[test]
    fn collapse_slashes_cases() {
        let cases = [
            ("//a//b/", "/a/b/"),
            ("/", "/"),
            ("//", "/"),
            ("/base//user", "/base/user"),
        ];
        for (path, expected) in cases {
            assert_eq!(collapse_slashes(path.to_owned()), expected);
        }
    }
}
