//! The configurable-http-proxy REST API: `/api/routes[/<path>]` with GET, POST and DELETE.
//!
//! Status codes and bodies follow CHP 5.3.0; the one deliberate difference is that the token is
//! checked before a POST body is parsed, so an unauthenticated caller learns nothing.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::body::{self, ProxyBody};
use crate::forward::{json_response, text_response};
use crate::metrics::Metrics;
use crate::store::RouteStore;

/// The largest route body accepted; real ones are a few hundred bytes.
const MAX_BODY: usize = 1024 * 1024;

/// What the API handlers share.
#[derive(Debug)]
pub(crate) struct ApiState {
    pub(crate) routes: Arc<RouteStore>,
    pub(crate) auth_token: Option<String>,
    pub(crate) host_routing: bool,
    pub(crate) metrics: Arc<Metrics>,
}

/// Serves one API request and logs it in one line.
pub(crate) async fn handle(
    state: Arc<ApiState>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (response, note) = dispatch(&state, req).await;
    let status = response.status();
    state.metrics.count_api_request(status);
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), %method, %path, "{note}");
    } else if status.is_client_error() {
        tracing::warn!(status = status.as_u16(), %method, %path, "{note}");
    } else {
        tracing::info!(status = status.as_u16(), %method, %path, "{note}");
    }
    Ok(response)
}

type Answer = (Response<ProxyBody>, String);

fn answer(status: StatusCode, text: &'static str) -> Answer {
    (text_response(status, text), text.to_owned())
}

fn bare(status: StatusCode, note: impl Into<String>) -> Answer {
    let mut response = Response::new(body::empty());
    *response.status_mut() = status;
    (response, note.into())
}

async fn dispatch(state: &ApiState, req: Request<Incoming>) -> Answer {
    let Some(rest) = req.uri().path().strip_prefix("/api/routes") else {
        return answer(StatusCode::NOT_FOUND, "Not Found");
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return answer(StatusCode::NOT_FOUND, "Not Found");
    }
    if !matches!(*req.method(), Method::GET | Method::POST | Method::DELETE) {
        return answer(StatusCode::METHOD_NOT_ALLOWED, "Method not supported");
    }
    if !authorized(state.auth_token.as_deref(), &req) {
        return bare(StatusCode::FORBIDDEN, "missing or wrong token");
    }
    let Ok(route_path) = percent_decode_str(rest).decode_utf8() else {
        return answer(
            StatusCode::BAD_REQUEST,
            "Route path is not valid percent-encoded UTF-8",
        );
    };
    let route_path = route_path.into_owned();
    match *req.method() {
        Method::GET if !(route_path.is_empty() || route_path == "/") => {
            match state.routes.get(&route_path) {
                Some(route) => (
                    json_response(StatusCode::OK, route.to_json().to_string()),
                    String::new(),
                ),
                None => bare(StatusCode::NOT_FOUND, "no such route"),
            }
        }
        Method::GET => list(state, req.uri().query()),
        Method::POST => add(state, &route_path, req.into_body()).await,
        _ => match state.routes.remove(&route_path) {
            Some(route) => bare(
                StatusCode::NO_CONTENT,
                format!("removed route {}", route.prefix()),
            ),
            None => bare(StatusCode::NOT_FOUND, "no such route"),
        },
    }
}

/// CHP's check: the first `token <value>` in `Authorization`, compared in constant time.
fn authorized(expected: Option<&str>, req: &Request<Incoming>) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut words = header.split_whitespace();
    let given = loop {
        match words.next() {
            Some(word) if word.ends_with("token") => break words.next().unwrap_or(""),
            Some(_) => {}
            None => break "",
        }
    };
    !given.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

fn list(state: &ApiState, query: Option<&str>) -> Answer {
    let since = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == "inactiveSince")
        .or_else(|| {
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .find(|(key, _)| key == "inactive_since")
        })
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty());
    let since_ms = match since {
        None => None,
        Some(text) => match parse_timestamp(&text) {
            Some(ms) => Some(ms),
            None => {
                let message = format!("Invalid datestamp '{text}' must be ISO8601.");
                let response = text_response_owned(StatusCode::BAD_REQUEST, message.clone());
                return (response, message);
            }
        },
    };
    let json = state.routes.to_json(since_ms);
    (
        json_response(StatusCode::OK, json.to_string()),
        String::new(),
    )
}

async fn add(state: &ApiState, path: &str, body: Incoming) -> Answer {
    let bytes: Bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            return answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Body too large: a route is at most 1 MiB",
            );
        }
        Err(error) => {
            return bare(
                StatusCode::BAD_REQUEST,
                format!("could not read the body: {error}"),
            );
        }
    };
    let data = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => map,
        // `JSON.parse(body) || {}` in CHP: null and false become an empty object.
        Ok(Value::Null | Value::Bool(false)) => Map::new(),
        Ok(_) => return answer(StatusCode::BAD_REQUEST, "Must specify 'target' as string"),
        Err(error) => {
            let message = format!("Body not valid JSON: {error}");
            return (
                text_response_owned(StatusCode::BAD_REQUEST, message.clone()),
                message,
            );
        }
    };
    let path = if path.is_empty() { "/" } else { path };
    let mut data = data;
    let clean = crate::route_table::clean_path(path);
    if state.host_routing
        && clean != "/"
        && let Some(host) = clean.split('/').nth(1)
    {
        data.insert("host".to_owned(), Value::String(host.to_owned()));
    }
    match state.routes.add(path, data) {
        Ok(route) => bare(
            StatusCode::CREATED,
            format!("added route {} -> {}", route.prefix(), route.target()),
        ),
        Err(error) => {
            let message = error.to_string();
            (
                text_response_owned(StatusCode::BAD_REQUEST, message.clone()),
                message,
            )
        }
    }
}

fn text_response_owned(status: StatusCode, text: String) -> Response<ProxyBody> {
    let mut response = text_response(status, "");
    *response.body_mut() = body::full(text);
    response
}

/// The timestamps JavaScript's `Date.parse` reads in practice: RFC 3339, a date and time without
/// an offset (taken as UTC), or a bare date.
fn parse_timestamp(text: &str) -> Option<i64> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(time) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(time.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn timestamps() {
        let cases = [
            ("2026-11-23T00:31:17.924Z", Some(1_795_393_877_924)),
            ("2026-11-23T00:31:17.924+00:00", Some(1_795_393_877_924)),
            ("2026-11-23T00:31:17.924", Some(1_795_393_877_924)),
            ("2026-11-23", Some(1_795_392_000_000)),
            ("garbage", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_timestamp(text), expected, "{text}");
        }
    }
}
