//! Keep-alive connections: between requests the proxy hands the socket back from hyper and waits
//! for the next byte with no buffer (see `crates/proxy/src/http1.rs`); these check that nothing a
//! client sends in between, or together, is lost or misread.

use std::time::Duration;

use ganymede_testkit::EchoBackend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{SOON, proxy};

/// A raw client connection that keeps bytes read past one response for the next.
struct Raw {
    stream: TcpStream,
    seen: Vec<u8>,
}

impl Raw {
    async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Self> {
        Ok(Self {
            stream: TcpStream::connect(addr).await?,
            seen: Vec::new(),
        })
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(SOON, self.stream.read(&mut buf)).await??;
        anyhow::ensure!(n > 0, "closed before a whole response");
        self.seen.extend_from_slice(&buf[..n]);
        Ok(())
    }

    /// Reads one response with a `content-length` body; returns its head (lower-cased) and body.
    async fn response(&mut self) -> anyhow::Result<(String, String)> {
        loop {
            if let Some(end) = self.seen.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.seen[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse())
                    .transpose()?
                    .ok_or_else(|| anyhow::anyhow!("no content-length in {head}"))?;
                let body_end = end + 4 + length;
                while self.seen.len() < body_end {
                    self.fill().await?;
                }
                let body = String::from_utf8_lossy(&self.seen[end + 4..body_end]).into_owned();
                self.seen.drain(..body_end);
                return Ok((head, body));
            }
            self.fill().await?;
        }
    }
}

#[tokio::test]
async fn sequential_requests_with_pauses_share_one_connection() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let proxy = proxy().start().await?;
    proxy.add_target("/", &echo.url()).await?;
    let mut client = Raw::connect(proxy.addrs().proxy).await?;
    for i in 0..5 {
        let request = format!("GET /seq/{i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        // Sent in two parts around a pause, so the next request arrives at an idle connection
        // and its head arrives in pieces.
        let (first, rest) = request.split_at(7);
        client.stream.write_all(first.as_bytes()).await?;
        tokio::time::sleep(Duration::from_millis(30)).await;
        client.stream.write_all(rest.as_bytes()).await?;
        let (head, body) = client.response().await?;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(!head.contains("connection: close"), "{head}");
        assert!(body.contains(&format!("\"path\":\"/seq/{i}\"")), "{body}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    Ok(())
}

#[tokio::test]
async fn pipelined_requests_with_and_without_bodies_are_answered_in_order() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let proxy = proxy().start().await?;
    proxy.add_target("/", &echo.url()).await?;
    let mut client = Raw::connect(proxy.addrs().proxy).await?;
    // One write: hyper reads past the first request, and those bytes must be served next.
    client
        .stream
        .write_all(
            b"GET /p/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\
              POST /p/2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello\
              GET /p/3 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\
              POST /p/4 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
              GET /p/5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        )
        .await?;
    for (i, body_len) in [(1, 0), (2, 5), (3, 0), (4, 3), (5, 0)] {
        let (head, body) = client.response().await?;
        assert!(head.starts_with("http/1.1 200"), "{i}: {head}");
        assert!(
            body.contains(&format!("\"path\":\"/p/{i}\"")),
            "{i}: {body}"
        );
        assert!(
            body.contains(&format!("\"body_len\":{body_len}")),
            "{i}: {body}"
        );
    }
    // Still open, and still serving.
    client
        .stream
        .write_all(b"GET /p/6 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let (head, body) = client.response().await?;
    assert!(head.contains("connection: close"), "{head}");
    assert!(body.contains("\"path\":\"/p/6\""), "{body}");
    // `Connection: close` is honoured: the proxy closes its end.
    let mut rest = Vec::new();
    tokio::time::timeout(SOON, client.stream.read_to_end(&mut rest)).await??;
    assert!(rest.is_empty() && client.seen.is_empty());
    Ok(())
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let proxy = proxy()
        .args(["--keep-alive-timeout", "300"])
        .start()
        .await?;
    proxy.add_target("/", &echo.url()).await?;
    let mut client = Raw::connect(proxy.addrs().proxy).await?;
    client
        .stream
        .write_all(b"GET /once HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await?;
    let (head, _) = client.response().await?;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(SOON, client.stream.read_to_end(&mut rest)).await??;
    assert!(rest.is_empty() && client.seen.is_empty());
    assert!(started.elapsed() < Duration::from_secs(3));
    Ok(())
}
