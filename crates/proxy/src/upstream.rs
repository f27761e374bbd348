//! Keep-alive connections to targets, pooled per scheme and authority.
//!
//! Built on hyper's connection-level HTTP/1 client rather than hyper-util's pooled `Client`,
//! whose per-request costs showed up as a fifth of the proxy's own CPU: a connect future built
//! and raced against every checkout, and a task spawned per request only to wait for the
//! connection to become idle again. Here a connection goes back to the pool from the response
//! body itself, when the body has ended ([`Lease::release`]); a body dropped before its end takes
//! the connection with it, since hyper closes a connection whose response was not read.

use std::sync::Arc;
use std::time::Duration;

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri, header};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tower_service::Service as _;

use crate::body::{BoxError, ProxyBody};
use crate::idle::{IdleConnections, Reusable};

/// The connector: plain TCP for `http://`, rustls for `https://` targets.
pub(crate) type Connector = HttpsConnector<HttpConnector>;

/// Why a request got no response from its target.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpstreamError {
    /// The URL has no scheme or no host.
    #[error("the target URL {0} has no scheme or host")]
    Url(Uri),
    /// No connection could be made (refused, unreachable, TLS handshake failed...).
    #[error("cannot connect: {}", chain(.0.as_ref()))]
    Connect(BoxError),
    /// The connection broke before the response head arrived.
    #[error("{}", chain(.0))]
    Http(#[from] hyper::Error),
}

fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    scheme: Scheme,
    authority: Authority,
}

impl Reusable for SendRequest<ProxyBody> {
    fn is_closed(&self) -> bool {
        SendRequest::is_closed(self)
    }

    fn is_ready(&self) -> bool {
        SendRequest::is_ready(self)
    }
}

/// The pool; shared by `Arc` since every [`Lease`] points back to it.
#[derive(Debug)]
pub(crate) struct Upstream {
    connector: Connector,
    idle: IdleConnections<PoolKey, SendRequest<ProxyBody>>,
}

/// A connection in use by one request; returned to the pool by [`Lease::release`].
#[derive(Debug)]
pub(crate) struct Lease {
    upstream: Arc<Upstream>,
    key: PoolKey,
    sender: SendRequest<ProxyBody>,
}

impl Lease {
    /// The response has been read to its end: the connection can carry another request.
    pub(crate) fn release(self) {
        let Self {
            upstream,
            key,
            sender,
        } = self;
        upstream.idle.put(&key, sender);
    }
}

impl Upstream {
    pub(crate) fn new(connector: Connector, idle_timeout: Duration) -> Self {
        Self {
            connector,
            idle: IdleConnections::new(idle_timeout),
        }
    }

    /// Sends `req` (whose URI is absolute) on a pooled or new connection.
    ///
    /// The request goes out in origin form, with `Host` set to the target's authority when the
    /// client sent none.
    pub(crate) async fn send(
        self: &Arc<Self>,
        mut req: Request<ProxyBody>,
    ) -> Result<(Response<Incoming>, Lease), UpstreamError> {
        let uri = req.uri().clone();
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(UpstreamError::Url(uri));
        };
        let key = PoolKey {
            scheme: scheme.clone(),
            authority: authority.clone(),
        };
        if !req.headers().contains_key(header::HOST)
            && let Ok(host) = header::HeaderValue::from_str(authority.as_str())
        {
            req.headers_mut().insert(header::HOST, host);
        }
        *req.uri_mut() = Uri::from(
            uri.path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        );
        // A pooled connection the target closed meanwhile hands the request back unsent; it then
        // goes to the next one, and finally to a new connection.
        while let Some(mut sender) = self.idle.take(&key) {
            match sender.try_send_request(req).await {
                Ok(response) => return Ok((response, self.lease(key, sender))),
                Err(mut error) => match error.take_message() {
                    Some(unsent) => req = unsent,
                    None => return Err(error.into_error().into()),
                },
            }
        }
        let mut sender = self.connect(uri).await?;
        let response = sender.send_request(req).await?;
        Ok((response, self.lease(key, sender)))
    }

    fn lease(self: &Arc<Self>, key: PoolKey, sender: SendRequest<ProxyBody>) -> Lease {
        Lease {
            upstream: Arc::clone(self),
            key,
            sender,
        }
    }

    async fn connect(&self, uri: Uri) -> Result<SendRequest<ProxyBody>, UpstreamError> {
        let io = self
            .connector
            .clone()
            .call(uri)
            .await
            .map_err(UpstreamError::Connect)?;
        let (sender, connection) = http1::Builder::new().handshake(io).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.with_upgrades().await {
                tracing::debug!(%error, "connection to a target ended");
            }
        });
        Ok(sender)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use bytes::Bytes;
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::body;

    /// What the test target does on each connection.
    #[derive(Clone, Copy)]
    enum Target {
        /// Answers every request with `ok`, keeping the connection open.
        KeepAlive,
        /// Answers one request with `ok`, then closes the connection.
        CloseAfterOne,
        /// Promises ten bytes, sends five, and keeps the connection open.
        Partial,
    }

    /// A target on 127.0.0.1 that counts the connections made to it.
    async fn target(kind: Target) -> (Uri, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri: Uri = format!("http://{}/x", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 1024];
                    loop {
                        let Ok(n) = socket.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let answer: &[u8] = match kind {
                                Target::Partial => {
                                    b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345"
                                }
                                _ => b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
                            };
                            if socket.write_all(answer).await.is_err() {
                                return;
                            }
                            if matches!(kind, Target::CloseAfterOne) {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (uri, connections)
    }

    fn pool() -> Arc<Upstream> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(
                (*crate::tls::client_config(&crate::tls::ClientTlsFiles::default()).unwrap())
                    .clone(),
            )
            .https_or_http()
            .enable_http1()
            .wrap_connector(HttpConnector::new());
        Arc::new(Upstream::new(connector, Duration::from_secs(90)))
    }

    fn get(uri: &Uri) -> Request<ProxyBody> {
        Request::get(uri.clone()).body(body::empty()).unwrap()
    }

    /// Sends a GET and reads the whole body, which gives the connection back.
    async fn fetch(pool: &Arc<Upstream>, uri: &Uri) -> Bytes {
        let (response, lease) = pool.send(get(uri)).await.unwrap();
        let body = body::Observed::releasing(response.into_body(), lease);
        body.collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn sequential_requests_share_one_connection() {
        let (uri, connections) = target(Target::KeepAlive).await;
        let pool = pool();
        for _ in 0..3 {
            assert_eq!(fetch(&pool, &uri).await, "ok");
        }
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_response_dropped_before_its_end_takes_its_connection_with_it() {
        let (uri, connections) = target(Target::Partial).await;
        let pool = pool();
        let (response, lease) = pool.send(get(&uri)).await.unwrap();
        drop(body::Observed::releasing(response.into_body(), lease));
        let (_response, _lease) = pool.send(get(&uri)).await.unwrap();
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_connection_the_target_closed_is_replaced_without_an_error() {
        let (uri, connections) = target(Target::CloseAfterOne).await;
        let pool = pool();
        for _ in 0..3 {
            assert_eq!(fetch(&pool, &uri).await, "ok");
        }
        assert_eq!(connections.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_target_that_refuses_connections_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let uri: Uri = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        drop(listener);
        let error = pool().send(get(&uri)).await.unwrap_err();
        assert!(matches!(error, UpstreamError::Connect(_)), "{error}");
        assert!(error.to_string().starts_with("cannot connect"), "{error}");
    }
}
