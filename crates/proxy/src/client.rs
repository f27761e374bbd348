//! A client for a configurable-http-proxy REST API, the way JupyterHub's `ConfigurableHTTPProxy`
//! drives it: for a hub whose proxy runs as another process (ours or CHP itself).
//!
//! Routes are named by JupyterHub *routespecs*: a path with a trailing `/` (`/user/alice/`, the hub
//! is `/`), quoted with `@/~` kept. CHP stores them unquoted and without the trailing slash; this
//! module maps between the two in both directions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value};
use tokio::sync::Semaphore;
use url::Url;

/// What Python's `quote(s, safe="@/~")` leaves alone: letters, digits, `_.-~`, `/` and `@`.
const ROUTESPEC: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/')
    .remove(b'@');

/// How many API calls may be in flight at once, as in JupyterHub.
const MAX_CONCURRENT: usize = 10;

/// How long failing calls are retried before the error is returned.
const RETRY_FOR: Duration = Duration::from_secs(30);

/// A call to the proxy's API failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API URL is not an http(s) URL.
    #[error("invalid proxy API URL {0:?}")]
    ApiUrl(String),
    /// The proxy could not be reached (after retries).
    #[error("cannot reach the proxy API at {url}: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// The last error.
        reason: String,
    },
    /// The proxy refused the token.
    #[error("the proxy API refused our token (403): check CONFIGPROXY_AUTH_TOKEN")]
    Forbidden,
    /// The proxy answered something unexpected.
    #[error("the proxy API answered {status} to {method} {path}: {body}")]
    Status {
        /// The method.
        method: Method,
        /// The API path.
        path: String,
        /// The status.
        status: StatusCode,
        /// The body, cut short.
        body: String,
    },
    /// The routes listing is not a JSON object of routes.
    #[error("the proxy's route list is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// One route as the hub sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteInfo {
    /// The JupyterHub routespec (`/user/alice/`).
    pub routespec: String,
    /// The target URL.
    pub target: String,
    /// Every other key the route carries (`jupyterhub`, `user`, `last_activity`, ...).
    pub data: Map<String, Value>,
}

/// A client of one proxy's `/api/routes`.
#[derive(Clone)]
pub struct ChpClient {
    api_url: Url,
    token: Option<Arc<str>>,
    host_routing: bool,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for ChpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChpClient")
            .field("api_url", &self.api_url.as_str())
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// CHP's path for a routespec: quoted form kept, trailing slash dropped (the root stays `/`).
pub fn chp_path(routespec: &str, host_routing: bool) -> String {
    let path = if host_routing && !routespec.starts_with('/') {
        format!("/{routespec}")
    } else {
        routespec.to_owned()
    };
    match path.strip_suffix('/') {
        Some("") | None => path,
        Some(stripped) => stripped.to_owned(),
    }
}

/// The routespec for a path CHP reports (unquoted, no trailing slash).
pub fn routespec_from_chp_path(path: &str, host_routing: bool) -> String {
    let mut routespec = utf8_percent_encode(path, ROUTESPEC).to_string();
    if host_routing {
        let trimmed = routespec.trim_start_matches('/');
        routespec = match trimmed.split_once('/') {
            Some((host, rest)) => format!("{host}/{rest}"),
            None => format!("{trimmed}/"),
        };
    }
    if !routespec.ends_with('/') {
        routespec.push('/');
    }
    routespec
}

impl ChpClient {
    /// A client for the API at `api_url` (for example `http://127.0.0.1:8001`).
    pub fn new(
        api_url: &str,
        token: Option<String>,
        host_routing: bool,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<Self, ClientError> {
        let api_url = Url::parse(api_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| ClientError::ApiUrl(api_url.to_owned()))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            api_url,
            token: token.filter(|t| !t.is_empty()).map(Arc::from),
            host_routing,
            client: Client::builder(TokioExecutor::new()).build(connector),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
        })
    }

    /// Adds or replaces a route; `data` gets `"jupyterhub": true` as JupyterHub always sends.
    pub async fn add_route(
        &self,
        routespec: &str,
        target: &str,
        mut data: Map<String, Value>,
    ) -> Result<(), ClientError> {
        data.insert("jupyterhub".to_owned(), Value::Bool(true));
        data.insert("target".to_owned(), Value::String(target.to_owned()));
        let body = serde_json::to_vec(&Value::Object(data))?;
        let path = chp_path(routespec, self.host_routing);
        match self.call(Method::POST, &path, Some(body)).await? {
            (StatusCode::CREATED | StatusCode::OK, _) => Ok(()),
            (status, body) => Err(self.unexpected(Method::POST, &path, status, &body)),
        }
    }

    /// Deletes a route; one that is already gone is not an error.
    pub async fn delete_route(&self, routespec: &str) -> Result<(), ClientError> {
        let path = chp_path(routespec, self.host_routing);
        match self.call(Method::DELETE, &path, None).await? {
            (StatusCode::NO_CONTENT | StatusCode::OK, _) => Ok(()),
            (StatusCode::NOT_FOUND, _) => {
                tracing::debug!(%routespec, "route already deleted");
                Ok(())
            }
            (status, body) => Err(self.unexpected(Method::DELETE, &path, status, &body)),
        }
    }

    /// Every route, keyed by routespec.
    pub async fn get_all_routes(&self) -> Result<BTreeMap<String, RouteInfo>, ClientError> {
        let (status, body) = self.call(Method::GET, "", None).await?;
        if status != StatusCode::OK {
            return Err(self.unexpected(Method::GET, "", status, &body));
        }
        let listing: Map<String, Value> = serde_json::from_slice(&body)?;
        let mut routes = BTreeMap::new();
        for (path, value) in listing {
            let Value::Object(mut data) = value else {
                continue;
            };
            let target = match data.remove("target") {
                Some(Value::String(target)) => target,
                _ => continue,
            };
            let routespec = routespec_from_chp_path(&path, self.host_routing);
            routes.insert(
                routespec.clone(),
                RouteInfo {
                    routespec,
                    target,
                    data,
                },
            );
        }
        Ok(routes)
    }

    fn unexpected(
        &self,
        method: Method,
        path: &str,
        status: StatusCode,
        body: &Bytes,
    ) -> ClientError {
        if status == StatusCode::FORBIDDEN {
            return ClientError::Forbidden;
        }
        let text = String::from_utf8_lossy(body);
        ClientError::Status {
            method,
            path: format!("/api/routes{path}"),
            status,
            body: text.chars().take(200).collect(),
        }
    }

    /// One call, retried with backoff on connection errors and 5xx for up to 30 s.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ClientError::Unreachable {
                url: self.api_url.to_string(),
                reason: e.to_string(),
            })?;
        let quoted = utf8_percent_encode(&percent_decode_str(path).decode_utf8_lossy(), ROUTESPEC)
            .to_string();
        let mut url = self.api_url.clone();
        url.set_path(&format!(
            "{}/api/routes{quoted}",
            self.api_url.path().trim_end_matches('/')
        ));
        let deadline = tokio::time::Instant::now() + RETRY_FOR;
        let mut backoff = Duration::from_millis(100);
        loop {
            let mut request = Request::builder().method(method.clone()).uri(url.as_str());
            if let Some(token) = &self.token {
                request = request.header(http::header::AUTHORIZATION, format!("token {token}"));
            }
            if body.is_some() {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
            }
            let request = request
                .body(Full::new(Bytes::from(body.clone().unwrap_or_default())))
                .map_err(|e| ClientError::ApiUrl(e.to_string()))?;
            let failure = match self.client.request(request).await {
                Ok(response) => {
                    let status = response.status();
                    let bytes = response
                        .into_body()
                        .collect()
                        .await
                        .map(http_body_util::Collected::to_bytes)
                        .map_err(|e| e.to_string());
                    match bytes {
                        Ok(bytes) if !status.is_server_error() => return Ok((status, bytes)),
                        Ok(bytes) => format!("{status}: {}", String::from_utf8_lossy(&bytes)),
                        Err(error) => error,
                    }
                }
                Err(error) => error.to_string(),
            };
            if tokio::time::Instant::now() + backoff > deadline {
                return Err(ClientError::Unreachable {
                    url: url.to_string(),
                    reason: failure,
                });
            }
            tracing::warn!(%url, reason = %failure, "proxy API call failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{chp_path, routespec_from_chp_path};

    #[test]
    fn routespec_mapping() {
        // (routespec, host routing, CHP path, routespec read back)
        let cases = [
            ("/", false, "/", "/"),
            ("/user/alice/", false, "/user/alice", "/user/alice/"),
            (
                "/user/alice/gpu/",
                false,
                "/user/alice/gpu",
                "/user/alice/gpu/",
            ),
            ("/services/x/", false, "/services/x", "/services/x/"),
            ("/user/a@b%20c/", false, "/user/a@b%20c", "/user/a@b%20c/"),
            (
                "alice.hub.org/user/alice/",
                true,
                "/alice.hub.org/user/alice",
                "alice.hub.org/user/alice/",
            ),
        ];
        for (routespec, host_routing, path, back) in cases {
            assert_eq!(
                chp_path(routespec, host_routing),
                path,
                "{routespec} to CHP"
            );
            // CHP stores the decoded form of what was posted.
            let stored = percent_encoding::percent_decode_str(path)
                .decode_utf8_lossy()
                .into_owned();
            assert_eq!(
                routespec_from_chp_path(&stored, host_routing),
                back,
                "{stored} back"
            );
        }
    }
}
