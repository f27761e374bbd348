//! The plumbing every backend shares: a listener on `127.0.0.1:0`, an accept loop whose
//! connections die with it, and an HTTP/1.1 server loop (plain or TLS) around a handler.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Any error a backend's body can end with.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response body type of the HTTP backends.
pub(crate) type TestBody = BoxBody<Bytes, BoxError>;

/// A running backend: where it listens, and its accept loop, aborted (with every connection it
/// accepted) when this handle is dropped.
#[derive(Debug)]
pub struct Backend {
    addr: SocketAddr,
    scheme: &'static str,
    task: JoinHandle<()>,
}

/// A body with these bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> TestBody {
    http_body_util::Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

// === impl Backend ===

impl Backend {
    /// Binds `127.0.0.1:0` and runs `per_connection` for each accepted connection.
    pub(crate) async fn spawn<F, Fut>(
        scheme: &'static str,
        per_connection: F,
    ) -> anyhow::Result<Self>
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            // Owned by the accept loop, so aborting the loop aborts every connection too.
            let mut connections = JoinSet::new();
            loop {
                while connections.try_join_next().is_some() {}
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(per_connection(stream));
            }
        });
        Ok(Self { addr, scheme, task })
    }

    /// Serves HTTP/1.1 (with upgrades) with `handler`, over TLS if `tls` is given.
    pub(crate) async fn http<H, Fut>(tls: Option<TlsAcceptor>, handler: H) -> anyhow::Result<Self>
    where
        H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Response<TestBody>> + Send + 'static,
    {
        let scheme = if tls.is_some() { "https" } else { "http" };
        Self::spawn(scheme, move |stream| {
            let handler = handler.clone();
            let tls = tls.clone();
            async move {
                let service = service_fn(move |req| {
                    let response = handler(req);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let builder = hyper::server::conn::http1::Builder::new();
                let _ = match tls {
                    None => {
                        builder
                            .serve_connection(TokioIo::new(stream), service)
                            .with_upgrades()
                            .await
                    }
                    Some(tls) => match tls.accept(stream).await {
                        Ok(stream) => {
                            builder
                                .serve_connection(TokioIo::new(stream), service)
                                .with_upgrades()
                                .await
                        }
                        Err(_) => return,
                    },
                };
            }
        })
        .await
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, such as `http://127.0.0.1:41234`, to use as a route target.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}
