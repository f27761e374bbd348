//! The fast lane: plain-HTTP `GET`s without a body, proxied straight between the two sockets.
//!
//! hyper turns every message into a `Request`/`Response` with a `HeaderMap`, runs the target's
//! connection in a task of its own and re-frames the body; for a proxy that only passes messages
//! on, that was most of its user-space time per request (7.5 µs against nginx's 3). The fast lane
//! parses the client's request head with `httparse`, writes the rewritten head to a pooled plain
//! TCP connection, parses the target's answer the same way and passes the body through with its
//! own framing, all within the client connection's task.
//!
//! It takes only what it can serve exactly like the hyper path (see [`head::take`]): anything
//! else — a body, an upgrade, HTTP/1.0, a head that did not arrive in one read, an HTTPS target,
//! no matching route — goes to hyper with the bytes read so far put back, before the fast lane
//! has sent anything anywhere.

mod framing;
mod head;
pub(crate) mod pool;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::Uri;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::error_page::ErrorPageKind;
use crate::forward;
use crate::headers::{ClientSide, target_authority};
use crate::route_table::Route;
use crate::state::DataPlane;

use self::framing::Framing;
use self::head::{Answer, BadAnswer};

/// The most headers a message may have, as in hyper: a request with more goes to hyper (which
/// refuses it), a response with more is an error.
const MAX_HEADERS: usize = 100;

/// The biggest response head read from a target.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// How much of a body is moved per read.
const BODY_CHUNK: usize = 64 * 1024;

/// What the fast lane needs to serve a client connection.
#[derive(Clone)]
pub(crate) struct FastLane {
    pub(crate) plane: Arc<DataPlane>,
    pub(crate) client: ClientSide,
}

/// How a fast-lane run ended.
pub(crate) enum Ended<T> {
    /// The client went quiet: wait for its next byte without any buffer.
    Idle(T),
    /// A request the fast lane does not take; hyper serves it, these bytes first.
    Hyper(T, Bytes),
    /// The connection is finished.
    Closed,
}

impl FastLane {
    /// Whether this proxy's options let the fast lane serve anything at all.
    pub(crate) fn applies(plane: &DataPlane) -> bool {
        // Location rewriting needs the parsed response; leave those proxies to hyper.
        !(plane.forward.auto_rewrite || plane.forward.protocol_rewrite.is_some())
    }

    /// Serves requests from `socket` while it sends ones the fast lane takes. `prefix` holds bytes
    /// already read from it. A quiet spell of `linger` after a response ends the run.
    pub(crate) async fn serve<T: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut socket: T,
        prefix: Bytes,
        linger: Duration,
        cancel: &CancellationToken,
        requests: &AtomicU64,
    ) -> Ended<T> {
        let mut buf = if prefix.is_empty() {
            BytesMut::with_capacity(4096)
        } else {
            BytesMut::from(prefix)
        };
        let mut served = 0u64;
        let quiet = tokio::time::sleep(linger);
        tokio::pin!(quiet);
        let mut armed_at = 0u64;
        loop {
            if buf.is_empty() {
                let read = if served == 0 {
                    // The caller saw a byte arrive; it is there to read.
                    socket.read_buf(&mut buf).await
                } else {
                    // Checked lazily, as in `http1::burst`: a busy connection touches the timer
                    // once per `linger`, not once per request.
                    loop {
                        tokio::select! {
                            biased;
                            read = socket.read_buf(&mut buf) => break read,
                            () = cancel.cancelled() => return Ended::Idle(socket),
                            () = &mut quiet => {
                                if served == armed_at {
                                    return Ended::Idle(socket);
                                }
                                armed_at = served;
                                quiet.as_mut().reset(tokio::time::Instant::now() + linger);
                            }
                        }
                    }
                };
                match read {
                    Ok(0) | Err(_) => return Ended::Closed,
                    Ok(_) => {}
                }
            }
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            let head_len = match request.parse(&buf) {
                Ok(httparse::Status::Complete(len)) => len,
                _ => return Ended::Hyper(socket, buf.freeze()),
            };
            let Some(exchange) = self.prepare(&request) else {
                return Ended::Hyper(socket, buf.freeze());
            };
            buf.advance(head_len);
            requests.fetch_add(1, Ordering::Relaxed);
            served += 1;
            match self.exchange(&mut socket, exchange).await {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    let _ = socket.shutdown().await;
                    return Ended::Closed;
                }
            }
            if buf.is_empty() && buf.capacity() < 1024 {
                buf.reserve(4096);
            }
        }
    }

    /// The target's request head for `request`, if the fast lane takes it.
    fn prepare(&self, request: &httparse::Request<'_, '_>) -> Option<Exchange> {
        let plane = &self.plane;
        let taken = head::take(request)?;
        let host = plane
            .forward
            .host_routing
            .then(|| std::str::from_utf8(taken.host).ok())
            .flatten();
        let route = forward::find_route(plane, taken.path, host).ok()??;
        let private_cookies = !plane.forward.private_cookies.is_empty() && !route.is_hub();
        if route.target().scheme() != "http" || (taken.has_cookie && private_cookies) {
            return None;
        }
        let path_and_query = forward::upstream_path(plane, &route, taken.path, taken.query);
        let mut head = Vec::with_capacity(512);
        head::write_request(
            &mut head,
            &path_and_query,
            request,
            taken.host,
            &route,
            &plane.forward,
            self.client,
        );
        let original = match taken.query {
            Some(query) => format!("{}?{query}", taken.path),
            None => taken.path.to_owned(),
        };
        Some(Exchange {
            route,
            head,
            original,
            started: Instant::now(),
        })
    }

    /// Sends one request and passes the answer back. `Ok(true)`: the client's connection can
    /// carry another request.
    async fn exchange<T: AsyncRead + AsyncWrite + Unpin>(
        &self,
        client: &mut T,
        exchange: Exchange,
    ) -> io::Result<bool> {
        let plane = &self.plane;
        let route = &exchange.route;
        // The client's head, written while the target's is parsed.
        let mut out = Vec::with_capacity(512);
        let sent = send(plane, route, &exchange.head, &mut out);
        let answered = match plane.timeouts.upstream {
            Some(limit) => tokio::time::timeout(limit, sent).await.unwrap_or_else(|_| {
                Err(Failure::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no response within {} ms", limit.as_millis()),
                )))
            }),
            None => sent.await,
        };
        let (mut upstream, mut rbuf, mut answer) = match answered {
            Ok(answered) => answered,
            Err(error) => {
                tracing::error!(status = 503, path = %exchange.log_path(), target = %route.target(), %error, "target did not answer");
                return self.error_page(client, &exchange).await;
            }
        };
        self.plane
            .requests
            .record(answer.status, exchange.started.elapsed());
        if answer.status.as_u16() < 300 {
            route.activity().touch_now();
        }
        // The head and whatever of the body came with it leave in one write.
        let first = take_body(&mut answer.framing, &rbuf)?;
        out.extend_from_slice(&rbuf[..first]);
        let extra = rbuf.len() > first;
        client.write_all(&out).await?;
        let mut reusable = answer.reusable && !extra;
        while !answer.framing.is_done() {
            rbuf.clear();
            rbuf.reserve(BODY_CHUNK);
            let n = upstream.read_buf(&mut rbuf).await;
            match n {
                Ok(0) if matches!(answer.framing, Framing::UntilClose) => {
                    let _ = client.flush().await;
                    return Ok(false);
                }
                Ok(0) | Err(_) => {
                    tracing::warn!(path = %exchange.log_path(), "target broke off the response mid-stream; closing the client connection");
                    return Ok(false);
                }
                Ok(_) => {}
            }
            let n = take_body(&mut answer.framing, &rbuf)?;
            reusable &= n == rbuf.len();
            route.activity().touch_now();
            client.write_all(&rbuf[..n]).await?;
        }
        if reusable {
            plane
                .fast_pool
                .put(target_authority(route.target()), upstream);
        }
        Ok(!matches!(answer.framing, Framing::UntilClose))
    }

    /// Serves the 503 error page (CHP's, or `--error-target`'s / `--error-path`'s).
    async fn error_page<T: AsyncWrite + Unpin>(
        &self,
        client: &mut T,
        exchange: &Exchange,
    ) -> io::Result<bool> {
        let uri = Uri::try_from(exchange.original.as_str()).unwrap_or_default();
        let response = self
            .plane
            .error_pages
            .respond(ErrorPageKind::Unavailable, &uri, false)
            .await;
        self.plane
            .requests
            .record(response.status(), exchange.started.elapsed());
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_else(|_| Bytes::from_static(b"Service Unavailable"));
        let mut out = Vec::with_capacity(256 + body.len());
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(parts.status.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(parts.status.canonical_reason().unwrap_or("").as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &parts.headers {
            if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
                out.extend_from_slice(name.as_str().as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(value.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        out.extend_from_slice(
            format!("date: {date}\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes(),
        );
        out.extend_from_slice(&body);
        client.write_all(&out).await?;
        Ok(true)
    }
}

/// One request the fast lane took.
struct Exchange {
    route: Arc<Route>,
    /// The head for the target.
    head: Vec<u8>,
    /// The client's path and query, for the error page and the log.
    original: String,
    started: Instant,
}

impl Exchange {
    fn log_path(&self) -> &str {
        self.original
            .split_once('?')
            .map_or(self.original.as_str(), |(path, _)| path)
    }
}

/// Why a target gave no usable response head.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the connection closed before a response")]
    Closed,
    #[error("the response head is malformed: {0}")]
    Parse(httparse::Error),
    #[error("the response head is bigger than {MAX_RESPONSE_HEAD} bytes")]
    TooBig,
    #[error(transparent)]
    Answer(#[from] BadAnswer),
}

/// Writes `head` to a pooled connection, or a new one, reads the response head and writes the
/// client's into `out`; the returned buffer holds what came after the head. A pooled
/// connection that turns out closed (the target may close an idle one at any time) is replaced
/// by a new one once; the request is a `GET`, so sending it again is safe.
async fn send(
    plane: &DataPlane,
    route: &Route,
    head: &[u8],
    out: &mut Vec<u8>,
) -> Result<(TcpStream, BytesMut, Answer), Failure> {
    let key = target_authority(route.target());
    let mut pooled = plane.fast_pool.take(key);
    loop {
        let reused = pooled.is_some();
        let mut stream = match pooled.take() {
            Some(stream) => stream,
            None => connect(plane, route).await?,
        };
        match round_trip(&mut stream, head, out).await {
            Ok((rbuf, answer)) => return Ok((stream, rbuf, answer)),
            Err(Failure::Closed | Failure::Io(_)) if reused => {}
            Err(error) => return Err(error),
        }
    }
}

async fn connect(plane: &DataPlane, route: &Route) -> Result<TcpStream, Failure> {
    let limit = plane.timeouts.upstream.unwrap_or(Duration::from_secs(20));
    match tokio::time::timeout(limit, pool::connect(route.target())).await {
        Ok(connected) => Ok(connected?),
        Err(_) => Err(Failure::Io(io::Error::new(
            io::ErrorKind::TimedOut,
            "connect timed out",
        ))),
    }
}

/// Sends `head`, reads until a final (not 1xx) response head is complete and writes the client's
/// head for it into `out`.
async fn round_trip(
    stream: &mut TcpStream,
    head: &[u8],
    out: &mut Vec<u8>,
) -> Result<(BytesMut, Answer), Failure> {
    stream.write_all(head).await?;
    let mut rbuf = BytesMut::with_capacity(8192);
    loop {
        if stream.read_buf(&mut rbuf).await? == 0 {
            return Err(Failure::Closed);
        }
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&rbuf) {
                Ok(httparse::Status::Complete(len)) => {
                    // An interim answer (103 Early Hints, say) is skipped, as hyper does.
                    if response
                        .code
                        .is_some_and(|c| (100..200).contains(&c) && c != 101)
                    {
                        rbuf.advance(len);
                        continue;
                    }
                    out.clear();
                    let answer = head::write_response(out, &response)?;
                    rbuf.advance(len);
                    return Ok((rbuf, answer));
                }
                Ok(httparse::Status::Partial) => break,
                Err(error) => return Err(Failure::Parse(error)),
            }
        }
        if rbuf.len() > MAX_RESPONSE_HEAD {
            return Err(Failure::TooBig);
        }
        if rbuf.capacity() == rbuf.len() {
            rbuf.reserve(8192);
        }
    }
}

/// How many bytes at the front of `bytes` belong to the body.
fn take_body(framing: &mut Framing, bytes: &[u8]) -> io::Result<usize> {
    framing
        .take(bytes)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}
