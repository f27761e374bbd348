//! Error pages: CHP's `--error-target` and `--error-path`, else pages built into the binary.

use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode, Uri};

use crate::body::{self, ProxyBody};
use crate::config::ErrorPages;
use crate::upstream::Upstream;

/// Which error the proxy itself has to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorPageKind {
    /// No route matches the path.
    NotFound,
    /// The route's target did not answer.
    Unavailable,
}

/// How long an error target may take before the plain page is served instead.
const ERROR_TARGET_TIMEOUT: Duration = Duration::from_secs(10);

/// Renders error responses.
#[derive(Debug)]
pub(crate) struct ErrorPageService {
    pages: ErrorPages,
    upstream: Arc<Upstream>,
}

impl ErrorPageKind {
    fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn builtin_html(self) -> &'static str {
        match self {
            Self::NotFound => include_str!("error_pages/404.html"),
            Self::Unavailable => include_str!("error_pages/503.html"),
        }
    }
}

impl ErrorPageService {
    pub(crate) fn new(pages: ErrorPages, upstream: Arc<Upstream>) -> Self {
        Self { pages, upstream }
    }

    /// The response for `kind`; a WebSocket handshake gets the bare status, as in CHP.
    pub(crate) async fn respond(
        &self,
        kind: ErrorPageKind,
        uri: &Uri,
        upgrade: bool,
    ) -> Response<ProxyBody> {
        let status = kind.status();
        if upgrade {
            return with_status(status, body::empty(), None);
        }
        match &self.pages {
            ErrorPages::Target(target) => match self.fetch(target, status, uri).await {
                Ok(response) => response,
                Err(error) => {
                    tracing::error!(%target, %error, "could not get the custom error page; serving the plain one");
                    plain(status)
                }
            },
            ErrorPages::Path(dir) => {
                let specific = dir.join(format!("{}.html", status.as_u16()));
                let generic = dir.join("error.html");
                for file in [specific, generic] {
                    if let Ok(html) = tokio::fs::read(&file).await {
                        return with_status(status, body::full(html), Some("text/html"));
                    }
                }
                tracing::error!(dir = %dir.display(), "no {}.html or error.html in the error path", status.as_u16());
                plain(status)
            }
            ErrorPages::Builtin => {
                with_status(status, body::full(kind.builtin_html()), Some("text/html"))
            }
        }
    }

    /// `GET <target>/<code>?url=<original path>`; its body is streamed to the client.
    async fn fetch(
        &self,
        target: &url::Url,
        status: StatusCode,
        uri: &Uri,
    ) -> Result<Response<ProxyBody>, String> {
        let mut url = target.clone();
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        let path = format!("{}{}", url.path(), status.as_u16());
        url.set_path(&path);
        let original = uri.path_and_query().map_or("/", |pq| pq.as_str());
        url.query_pairs_mut().clear().append_pair("url", original);
        let request = Request::get(url.as_str())
            .body(body::empty())
            .map_err(|e| e.to_string())?;
        let (response, lease) =
            tokio::time::timeout(ERROR_TARGET_TIMEOUT, self.upstream.send(request))
                .await
                .map_err(|_| "timed out".to_owned())?
                .map_err(|e| e.to_string())?;
        let (parts, incoming) = response.into_parts();
        let mut out = Response::new(body::Observed::releasing(incoming, lease));
        *out.status_mut() = status;
        for name in [header::CONTENT_TYPE, header::CONTENT_ENCODING] {
            if let Some(value) = parts.headers.get(&name) {
                out.headers_mut().insert(name, value.clone());
            }
        }
        Ok(out)
    }
}

/// The last resort: the status line's reason as text.
fn plain(status: StatusCode) -> Response<ProxyBody> {
    let reason = status.canonical_reason().unwrap_or("Error");
    with_status(
        status,
        body::full(reason),
        Some("text/plain; charset=utf-8"),
    )
}

fn with_status(
    status: StatusCode,
    body: ProxyBody,
    content_type: Option<&'static str>,
) -> Response<ProxyBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}
