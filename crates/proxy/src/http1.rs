//! Plain HTTP/1 connections that hold no hyper buffers while they are idle.
//!
//! hyper's HTTP/1 connection allocates an 8 KiB read buffer and an 8 KiB header buffer up front and
//! keeps both for its whole life; with thousands of idle keep-alive clients that was most of the
//! proxy's memory (about 18 KB per idle connection). So a plain connection is served by a
//! short-lived hyper connection per burst of requests:
//!
//! 1. wait, with no buffer, until the client's next byte arrives (peeked, not read);
//! 2. serve it with a fresh hyper connection;
//! 3. once a response that keeps the connection open has been handed to hyper and no request has
//!    followed for [`LINGER`], ask hyper to finish (its graceful shutdown, called only after the
//!    response head is written, so the head still says keep-alive); hyper then writes whatever is
//!    left of the response and stops;
//! 4. take the socket back without shutting it down, with whatever hyper had already read past
//!    the request put back in front of it, and go to 1.
//!
//! Only requests without a body are released this way, so the socket is always at a message
//! boundary when it is taken back; after any other request hyper keeps the connection as usual
//! until a later request qualifies. A WebSocket handshake ends the hyper connection too, so the
//! client's socket is handed to the splice through [`ClientUpgrade`] rather than hyper's own
//! upgrade, which this lower-level API does not offer.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderMap};
use http::{Request, Response, StatusCode, Version};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::body::ProxyBody;
use crate::conn::{self, Builders, Opening};
use crate::fast::{Ended, FastLane};

/// How long a connection must stay quiet after a response (between one and two of these) before
/// its hyper connection is finished. Longer than the gap between back-to-back requests, so a busy
/// connection keeps its hyper connection and pays nothing per request; short, so a storm of
/// connections that make one request each never holds many buffers at once: glibc keeps the heap's
/// high-water mark, so the peak is what RSS shows afterwards.
const LINGER: Duration = Duration::from_millis(10);

/// A client socket that can wait for its peer's next byte without consuming it.
pub(crate) trait Socket: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Returns once a byte has arrived, or on end of file or error (which hyper then reports).
    ///
    /// Readiness alone is not enough: a socket can stay marked readable after hyper's last read,
    /// and a new one can report itself readable before a byte has arrived.
    fn next_byte(&self) -> impl Future<Output = io::Result<()>> + Send;
}

impl Socket for tokio::net::TcpStream {
    async fn next_byte(&self) -> io::Result<()> {
        let mut byte = [0u8; 1];
        self.peek(&mut byte).await.map(drop)
    }
}

impl Socket for tokio::net::UnixStream {
    // tokio has `peek` only for TCP.
    async fn next_byte(&self) -> io::Result<()> {
        let mut byte = [std::mem::MaybeUninit::<u8>::uninit(); 1];
        loop {
            self.readable().await?;
            match self.try_io(tokio::io::Interest::READABLE, || {
                socket2::SockRef::from(self).peek(&mut byte)
            }) {
                Ok(_) => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
    }
}

/// An upgraded client connection, whichever way it was served.
pub(crate) trait ClientIo: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> ClientIo for T {}

/// How the connection loop hands an upgraded client socket to the splice.
type Handover = oneshot::Sender<Box<dyn ClientIo>>;
type Handed = oneshot::Receiver<Box<dyn ClientIo>>;

/// Put in a WebSocket handshake's extensions; a `Mutex` since extensions must be `Clone` and `Sync`.
#[derive(Clone)]
struct ReleasedUpgrade(Arc<Mutex<Option<Handed>>>);

/// The client side of a WebSocket handshake, for the splice to wait on.
pub(crate) enum ClientUpgrade {
    /// A connection that hyper keeps for its whole life (TLS, HTTP/2).
    Hyper(OnUpgrade),
    /// A connection served by [`serve`].
    Released(Handed),
}

/// Why the client side of a WebSocket handshake did not become a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpgradeError {
    /// hyper's upgrade failed.
    #[error(transparent)]
    Hyper(#[from] hyper::Error),
    /// The connection ended before the 101 was written.
    #[error("the client connection closed before the switch of protocols")]
    Closed,
}

impl ClientUpgrade {
    /// Takes the upgrade out of a request that asked for one.
    pub(crate) fn take(req: &mut Request<Incoming>) -> Self {
        let released = req
            .extensions_mut()
            .remove::<ReleasedUpgrade>()
            .and_then(|slot| slot.0.lock().ok()?.take());
        match released {
            Some(receiver) => Self::Released(receiver),
            None => Self::Hyper(hyper::upgrade::on(req)),
        }
    }

    /// The client's connection, once the 101 has been written to it.
    pub(crate) async fn wait(self) -> Result<Box<dyn ClientIo>, UpgradeError> {
        match self {
            Self::Hyper(upgrade) => Ok(Box::new(TokioIo::new(upgrade.await?))),
            Self::Released(receiver) => receiver.await.map_err(|_| UpgradeError::Closed),
        }
    }
}

/// A socket with bytes already read from it put back in front.
struct Prefixed<T> {
    prefix: Bytes,
    io: T,
}

impl<T: AsyncRead + Unpin> AsyncRead for Prefixed<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.prefix.is_empty() {
            return Pin::new(&mut self.io).poll_read(cx, buf);
        }
        let n = self.prefix.len().min(buf.remaining());
        buf.put_slice(&self.prefix[..n]);
        self.prefix.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Prefixed<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// What the service tells the connection loop; both run in the connection's task.
#[derive(Default)]
struct Turn {
    /// The latest response keeps the connection open and has been handed to hyper; cleared when
    /// the next request arrives, so a pipelined request is never cut off.
    release: AtomicBool,
    /// The latest response switched protocols: hand the socket over.
    upgrading: AtomicBool,
    /// Requests so far: a change tells the linger timer the connection was not quiet, and none at
    /// all changes the log line when the connection ends.
    requests: AtomicU64,
    handover: Mutex<Option<Handover>>,
}

/// The proxy's service, noting for the connection loop when the connection may be released.
struct Tracked<S> {
    inner: S,
    turn: Arc<Turn>,
}

type Responding = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

impl<S> hyper::service::Service<Request<Incoming>> for Tracked<S>
where
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<ProxyBody>,
            Error = Infallible,
        >,
    S::Future: Send + 'static,
{
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    // Boxed because `poll_without_shutdown` wants an `Unpin` future.
    type Future = Responding;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let turn = Arc::clone(&self.turn);
        turn.release.store(false, Ordering::Relaxed);
        turn.requests.fetch_add(1, Ordering::Relaxed);
        // hyper adds `OnUpgrade` exactly when it will stop after a 101 to this request.
        let upgrade = req.extensions_mut().remove::<OnUpgrade>().is_some();
        if upgrade {
            let (sender, receiver) = oneshot::channel();
            if let Ok(mut handover) = turn.handover.lock() {
                *handover = Some(sender);
            }
            req.extensions_mut()
                .insert(ReleasedUpgrade(Arc::new(Mutex::new(Some(receiver)))));
        }
        // A request with a body could leave some of it unread, and the socket would then not be at
        // a message boundary; HTTP/1.0 and `Connection: close` end the connection anyway.
        let reusable = !upgrade
            && req.version() == Version::HTTP_11
            && req.body().is_end_stream()
            && !asks_to_close(req.headers());
        let responding = self.inner.call(req);
        Box::pin(async move {
            let Ok(response) = responding.await;
            if upgrade && response.status() == StatusCode::SWITCHING_PROTOCOLS {
                turn.upgrading.store(true, Ordering::Relaxed);
            } else if reusable && !asks_to_close(response.headers()) {
                turn.release.store(true, Ordering::Relaxed);
            }
            Ok(response)
        })
    }
}

fn asks_to_close(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("close"))
}

/// Serves a plain connection until the client leaves, stays silent for `keep_alive`, or
/// `cancel` fires.
pub(crate) async fn serve<T, S>(
    socket: T,
    service: S,
    builders: &Builders,
    cancel: CancellationToken,
    ip: Option<IpAddr>,
    fast: Option<FastLane>,
) where
    T: Socket,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<ProxyBody>,
            Error = Infallible,
        > + Send
        + Unpin
        + 'static,
    S::Future: Send + 'static,
{
    let turn = Arc::new(Turn::default());
    let mut service = Tracked {
        inner: service,
        turn: Arc::clone(&turn),
    };
    let mut socket = Prefixed {
        prefix: Bytes::new(),
        io: socket,
    };
    loop {
        if socket.prefix.is_empty() {
            match conn::opening(builders.keep_alive, &cancel, socket.io.next_byte()).await {
                Opening::Done(_) => {}
                Opening::TimedOut => {
                    conn::log_silent(ip, turn.requests.load(Ordering::Relaxed) > 0);
                    return;
                }
                Opening::ShuttingDown => return,
            }
        }
        if let Some(fast) = &fast {
            let prefix = std::mem::take(&mut socket.prefix);
            match Box::pin(fast.serve(socket.io, prefix, LINGER, &cancel, &turn.requests)).await {
                Ended::Idle(io) => {
                    socket.io = io;
                    continue;
                }
                Ended::Hyper(io, prefix) => socket = Prefixed { prefix, io },
                Ended::Closed => return,
            }
        }
        // Boxed: the hyper connection and its buffers exist only while this runs, and the
        // connection's task stays small while it waits above.
        match Box::pin(burst(socket, service, &builders.http1, &cancel, &turn)).await {
            Some((next_socket, next_service)) => (socket, service) = (next_socket, next_service),
            None => return,
        }
    }
}

/// Serves requests with one hyper connection; gives the socket back if the connection stays open.
async fn burst<T, S>(
    socket: Prefixed<T>,
    service: Tracked<S>,
    builder: &http1::Builder,
    cancel: &CancellationToken,
    turn: &Turn,
) -> Option<(Prefixed<T>, Tracked<S>)>
where
    T: Socket,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<ProxyBody>,
            Error = Infallible,
        > + Unpin,
    S::Future: Send + 'static,
{
    turn.release.store(false, Ordering::Relaxed);
    let mut connection = builder.serve_connection(TokioIo::new(socket), service);
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    // Checked lazily: when it fires, a request since it was armed re-arms it, so a busy
    // connection touches the timer once per `LINGER`, not once per request.
    let linger = tokio::time::sleep(LINGER);
    tokio::pin!(linger);
    let mut armed_at = turn.requests.load(Ordering::Relaxed);
    let mut finishing = false;
    let result = poll_fn(|cx| {
        loop {
            if !finishing && cancelled.as_mut().poll(cx).is_ready() {
                finishing = true;
                Pin::new(&mut connection).graceful_shutdown();
            }
            match connection.poll_without_shutdown(cx) {
                Poll::Ready(result) => return Poll::Ready(result),
                // The flag is set when the service hands hyper a response, and hyper writes that
                // response's head before it returns, so the head still says keep-alive.
                Poll::Pending if !finishing && turn.release.load(Ordering::Relaxed) => {
                    if linger.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let requests = turn.requests.load(Ordering::Relaxed);
                    if requests == armed_at {
                        finishing = true;
                        Pin::new(&mut connection).graceful_shutdown();
                    } else {
                        armed_at = requests;
                        linger.as_mut().reset(tokio::time::Instant::now() + LINGER);
                    }
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    if let Err(error) = result {
        conn::log_end(&error, turn.requests.load(Ordering::Relaxed) > 0);
        return None;
    }
    let parts = connection.into_parts();
    let mut socket = parts.io.into_inner();
    // Bytes hyper read past the last request (a pipelined request, or a WebSocket's first frame)
    // come first next time.
    if !parts.read_buf.is_empty() {
        socket.prefix = if socket.prefix.is_empty() {
            parts.read_buf
        } else {
            let mut joined = BytesMut::from(parts.read_buf);
            joined.extend_from_slice(&socket.prefix);
            joined.freeze()
        };
    }
    if turn.upgrading.swap(false, Ordering::Relaxed) {
        let handover = turn.handover.lock().ok().and_then(|mut h| h.take());
        if let Some(handover) = handover {
            // The splice may have given up already; the socket is then closed here.
            let _ = handover.send(Box::new(socket));
        }
        return None;
    }
    let reusable = turn.release.load(Ordering::Relaxed) && !cancel.is_cancelled();
    reusable.then_some((socket, parts.service))
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn prefixed_socket_replays_its_prefix_then_reads_the_socket() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut socket = Prefixed {
            prefix: Bytes::from_static(b"GET / HTTP/1.1\r\n"),
            io: near,
        };
        far.write_all(b"Host: x\r\n\r\n").await.unwrap();
        drop(far);
        let mut read = Vec::new();
        socket.read_to_end(&mut read).await.unwrap();
        assert_eq!(read, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    #[test]
    fn connection_close_is_found_among_other_tokens() {
        let mut headers = HeaderMap::new();
        assert!(!asks_to_close(&headers));
        headers.append(header::CONNECTION, "keep-alive".parse().unwrap());
        assert!(!asks_to_close(&headers));
        headers.append(header::CONNECTION, "Upgrade, Close".parse().unwrap());
        assert!(asks_to_close(&headers));
    }
}
