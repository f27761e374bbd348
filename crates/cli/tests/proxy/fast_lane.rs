//! The fast lane passes a target's framing through as it is: chunked bodies, bodies that end at
//! close, interim answers, and a pooled connection the target closed in between.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ganymede_testkit::{ProxyProcess, http_client};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::proxy;

/// A target answering each path with a fixed byte string; `close` ones end the connection after.
struct ScriptedTarget {
    url: String,
    connections: Arc<AtomicUsize>,
}

/// The answer for a path, and whether the connection closes after it.
fn script(path: &str) -> (&'static [u8], bool) {
    match path {
        "/chunked" => (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n",
            false,
        ),
        "/until-close" => (b"HTTP/1.1 200 OK\r\n\r\nall until close", true),
        "/once" => (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nonce", true),
        "/hints" => (
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n\
              HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            false,
        ),
        "/hop" => (
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nX-Private: 1\r\n\
              Keep-Alive: timeout=5\r\nX-Kept: 1\r\nContent-Length: 3\r\n\r\nhop",
            false,
        ),
        "/no-content" => (b"HTTP/1.1 204 No Content\r\nX-Kept: 1\r\n\r\n", false),
        "/smuggle" => (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            true,
        ),
        _ => (
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            false,
        ),
    }
}

impl ScriptedTarget {
    async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(socket));
            }
        });
        Ok(Self { url, connections })
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A scripted target behind a proxy from the binary, and a client.
async fn started() -> anyhow::Result<(ScriptedTarget, ProxyProcess, reqwest::Client)> {
    let target = ScriptedTarget::start().await?;
    let proxy = proxy().start().await?;
    proxy.add_target("/", &target.url).await?;
    Ok((target, proxy, http_client()?))
}

async fn serve(mut socket: TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).into_owned();
            seen.drain(..end + 4);
            let path = head.split(' ').nth(1).unwrap_or("/");
            let (answer, close) = script(path);
            if socket.write_all(answer).await.is_err() || close {
                return;
            }
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn chunked_and_until_close_bodies_pass_through_whole() -> anyhow::Result<()> {
    let (_target, proxy, client) = started().await?;
    for _ in 0..2 {
        let response = client.get(proxy.url("/chunked")).send().await?;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await?, "hello world");
    }
    let response = client.get(proxy.url("/until-close")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await?, "all until close");
    // Still serving on a new connection.
    let response = client.get(proxy.url("/chunked")).send().await?;
    assert_eq!(response.text().await?, "hello world");
    Ok(())
}

#[tokio::test]
async fn a_pooled_connection_the_target_closed_is_replaced_unseen() -> anyhow::Result<()> {
    let (target, proxy, client) = started().await?;
    for _ in 0..3 {
        let response = client.get(proxy.url("/once")).send().await?;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await?, "once");
    }
    assert!(target.connections() >= 3, "{}", target.connections());
    Ok(())
}

#[tokio::test]
async fn interim_answers_are_skipped_and_connection_headers_dropped() -> anyhow::Result<()> {
    let (_target, proxy, client) = started().await?;

    let response = client.get(proxy.url("/hints")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await?, "ok");

    let response = client.get(proxy.url("/hop")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(response.text().await?, "hop");
    assert!(headers.get("x-private").is_none(), "{headers:?}");
    assert!(headers.get("keep-alive").is_none(), "{headers:?}");
    assert_eq!(headers.get("x-kept").map(|v| v.as_bytes()), Some(&b"1"[..]));
    assert!(headers.get("date").is_some(), "{headers:?}");

    let response = client.get(proxy.url("/no-content")).send().await?;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The connection is still good for the next request after an empty body.
    let response = client.get(proxy.url("/hop")).send().await?;
    assert_eq!(response.text().await?, "hop");
    Ok(())
}

#[tokio::test]
async fn an_answer_with_both_length_and_chunked_is_a_503() -> anyhow::Result<()> {
    let (_target, proxy, client) = started().await?;
    let response = client.get(proxy.url("/smuggle")).send().await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let response = client.get(proxy.url("/hop")).send().await?;
    assert_eq!(response.text().await?, "hop");
    Ok(())
}
