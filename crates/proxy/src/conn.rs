//! What every client connection shares: the hyper builders, the bounded wait for a connection's
//! opening, the TLS path, and the log line a connection ends with.
//!
//! Plain connections are served by [`crate::http1`].

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::body::ProxyBody;

/// The biggest request head (request line and headers) a client may send; more is a 431.
const MAX_HEAD: usize = 32 * 1024;

/// hyper's connection builders, made once for every connection of every listener.
pub(crate) struct Builders {
    /// Plain HTTP, and TLS without `h2` in ALPN: hyper's HTTP/1 connection alone is a fraction of
    /// the size of the auto-detecting one, and CHP offers no cleartext HTTP/2 either.
    pub(crate) http1: http1::Builder,
    /// TLS with `h2`.
    auto: auto::Builder<TokioExecutor>,
    /// How long a connection may wait for a request (its first, or the next one).
    pub(crate) keep_alive: Duration,
}

impl Builders {
    pub(crate) fn new(keep_alive: Duration) -> Self {
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .keep_alive(true)
            // Starts when the connection waits for a request's head: it closes idle keep-alive
            // connections and clients that send their headers too slowly alike.
            .header_read_timeout(keep_alive)
            .max_buf_size(MAX_HEAD)
            .max_header_size(MAX_HEAD);
        let mut auto = auto::Builder::new(TokioExecutor::new());
        auto.http1()
            .timer(TokioTimer::new())
            .keep_alive(true)
            .header_read_timeout(keep_alive)
            .max_buf_size(MAX_HEAD);
        auto.http2().timer(TokioTimer::new());
        Self {
            http1,
            auto,
            keep_alive,
        }
    }
}

/// How the opening of a connection (its next byte, or its TLS handshake) went.
pub(crate) enum Opening<T> {
    Done(T),
    TimedOut,
    ShuttingDown,
}

/// Runs the opening of a connection, bounded by `limit` and cut short by shutdown, so that neither
/// a silent client nor one that never finishes its handshake holds the exit up.
pub(crate) async fn opening<F: Future>(
    limit: Duration,
    cancel: &CancellationToken,
    opening: F,
) -> Opening<F::Output> {
    tokio::select! {
        () = cancel.cancelled() => Opening::ShuttingDown,
        result = tokio::time::timeout(limit, opening) => {
            result.map_or(Opening::TimedOut, Opening::Done)
        }
    }
}

/// Serves a TLS connection: handshake (bounded like a silent client), then hyper for its life.
pub(crate) async fn serve_tls<IO, S>(
    stream: IO,
    tls: TlsAcceptor,
    service: S,
    builders: &Builders,
    cancel: CancellationToken,
    ip: Option<IpAddr>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<ProxyBody>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let handshake = Box::pin(tls.accept(stream));
    match opening(builders.keep_alive, &cancel, handshake).await {
        Opening::Done(Ok(stream)) => {
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            serve_hyper(stream, service, builders, cancel, h2).await;
        }
        Opening::Done(Err(error)) => tracing::info!(?ip, %error, "TLS handshake failed"),
        Opening::TimedOut => log_silent(ip, false),
        Opening::ShuttingDown => {}
    }
}

/// Drives a hyper connection to its end, or shuts it down gracefully once `cancel` fires.
/// A macro, since hyper's upgradeable connections share no trait for `graceful_shutdown`.
macro_rules! until_cancelled {
    ($connection:expr, $cancel:expr) => {{
        let connection = $connection;
        tokio::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => result,
            () = $cancel.cancelled() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        }
    }};
}

async fn serve_hyper<IO, S>(
    io: IO,
    service: S,
    builders: &Builders,
    cancel: CancellationToken,
    h2: bool,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<ProxyBody>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let served = Arc::new(AtomicBool::new(false));
    let counted = {
        let served = Arc::clone(&served);
        service_fn(move |req| {
            served.store(true, Ordering::Relaxed);
            service.call(req)
        })
    };
    let result: Result<(), Box<dyn std::error::Error + Send + Sync>> = if h2 {
        let connection = builders
            .auto
            .serve_connection_with_upgrades(TokioIo::new(io), counted);
        until_cancelled!(connection, cancel)
    } else {
        let connection = builders
            .http1
            .serve_connection(TokioIo::new(io), counted)
            .with_upgrades();
        until_cancelled!(connection, cancel).map_err(Into::into)
    };
    if let Err(error) = result {
        log_end(&*error, served.load(Ordering::Relaxed));
    }
}

/// A connection closed for sending nothing (more) in time. After a request that is an idle
/// keep-alive connection being closed, which is routine, not a slow client.
pub(crate) fn log_silent(ip: Option<IpAddr>, served: bool) {
    if served {
        tracing::debug!(?ip, "closed an idle keep-alive connection");
    } else {
        tracing::info!(
            ?ip,
            "closed a client connection that sent no complete request head in time"
        );
    }
}

/// The log line of a connection that ended with an error.
pub(crate) fn log_end(error: &(dyn std::error::Error + 'static), served: bool) {
    match error.downcast_ref::<hyper::Error>() {
        Some(error) if error.is_timeout() => log_silent(None, served),
        // hyper has already answered these with a status of its own before closing.
        Some(error) if error.is_parse_too_large() => {
            tracing::warn!(
                status = 431,
                "refused a request whose head is over {} KiB",
                MAX_HEAD / 1024
            );
        }
        Some(error) if error.is_parse() => {
            tracing::warn!(status = 400, %error, "refused a malformed request");
        }
        _ => tracing::debug!(%error, "client connection ended with an error"),
    }
}
