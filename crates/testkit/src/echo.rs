//! The echo backend: every request is answered with JSON describing what arrived, so a test can
//! assert what the proxy forwarded (path, query, headers, body size).

use std::collections::BTreeMap;
use std::ops::Deref;

use anyhow::Context;
use http::{Request, Response, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use tokio_rustls::TlsAcceptor;

use crate::serve::{self, Backend, TestBody};
use crate::tls::TestCert;

/// What the echo backend saw, as it reports it in its JSON answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Echoed {
    /// The request method.
    pub method: String,
    /// The path and query, exactly as received.
    pub path: String,
    /// The headers, names lower-cased; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// How many body bytes arrived.
    pub body_len: u64,
}

/// An HTTP/1.1 (or HTTPS) server answering every request with an [`Echoed`] as JSON.
#[derive(Debug)]
pub struct EchoBackend {
    backend: Backend,
}

// === impl Echoed ===

impl Echoed {
    /// Reads an echo backend's answer that came back through the proxy.
    pub async fn from_response(response: reqwest::Response) -> anyhow::Result<Self> {
        let status = response.status();
        let text = response.text().await?;
        serde_json::from_str(&text)
            .with_context(|| format!("not an echo answer (status {status}): {text}"))
    }

    /// A header the backend saw, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

// === impl EchoBackend ===

impl EchoBackend {
    /// Starts a plain-HTTP echo backend on `127.0.0.1:0`.
    pub async fn start() -> anyhow::Result<Self> {
        Ok(Self {
            backend: Backend::http(None, echo).await?,
        })
    }

    /// Starts an HTTPS echo backend presenting `cert`.
    pub async fn start_tls(cert: &TestCert) -> anyhow::Result<Self> {
        let acceptor = TlsAcceptor::from(cert.server_config(&[b"http/1.1"])?);
        Ok(Self {
            backend: Backend::http(Some(acceptor), echo).await?,
        })
    }
}

impl Deref for EchoBackend {
    type Target = Backend;

    fn deref(&self) -> &Backend {
        &self.backend
    }
}

async fn echo(req: Request<Incoming>) -> Response<TestBody> {
    let (parts, body) = req.into_parts();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    // Counted frame by frame, so a large upload is never held in memory.
    let mut body = body;
    let mut body_len = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(data) = frame.data_ref() {
            body_len += data.len() as u64;
        }
    }
    let echoed = Echoed {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.to_string(), ToString::to_string),
        headers,
        body_len,
    };
    let json = serde_json::to_vec(&echoed).unwrap_or_default();
    let mut response = Response::new(serve::full(json));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
