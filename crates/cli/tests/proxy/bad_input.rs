//! Bad input, each answered with its status and reported in one log line: broken API requests,
//! oversized and too-slow request heads, unknown paths and dead targets.

use std::time::{Duration, Instant};

use ganymede_testkit::{EchoBackend, ProxyProcess, closed_port, http_client};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{SOON, echo_get, proxy};

/// `POST /api/routes/<path>` with a raw body; the status and body text.
async fn post_route(
    proxy: &ProxyProcess,
    path: &str,
    body: &str,
) -> anyhow::Result<(StatusCode, String)> {
    let response = proxy
        .api_request(Method::POST, &format!("/api/routes{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await?;
    Ok((response.status(), response.text().await?))
}

/// Asserts that a line containing every one of `needles` gets logged.
async fn assert_logged(proxy: &ProxyProcess, needles: &[&str]) {
    let found = proxy
        .log()
        .wait_for(SOON, |text| {
            text.lines()
                .any(|line| needles.iter().all(|n| line.contains(n)))
        })
        .await;
    assert!(
        found,
        "no log line with {needles:?}:\n{}",
        proxy.log().text()
    );
}

#[tokio::test]
async fn api_malformed_json_is_400() -> anyhow::Result<()> {
    let proxy = proxy().start().await?;
    let (status, text) = post_route(&proxy, "/user/alice", "{\"target\": ").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("not valid JSON"), "{text}");
    assert_logged(
        &proxy,
        &["status=400", "/api/routes/user/alice", "not valid JSON"],
    )
    .await;
    assert_eq!(proxy.routes().await?, serde_json::json!({}));
    Ok(())
}

#[tokio::test]
async fn api_route_without_target_is_400() -> anyhow::Result<()> {
    let proxy = proxy().start().await?;
    let (status, text) = post_route(&proxy, "/user/alice", r#"{"user": "alice"}"#).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(text, "Must specify 'target' as string");
    assert_logged(&proxy, &["status=400", "Must specify 'target' as string"]).await;
    Ok(())
}

#[tokio::test]
async fn api_invalid_target_is_400() -> anyhow::Result<()> {
    let proxy = proxy().start().await?;
    for target in ["not a url", "ftp://127.0.0.1/", "http://"] {
        let body = serde_json::json!({ "target": target }).to_string();
        let (status, text) = post_route(&proxy, "/user/alice", &body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "target {target:?}: {text}");
        assert!(text.contains("Invalid target"), "{text}");
    }
    assert_logged(&proxy, &["status=400", "Invalid target \"not a url\""]).await;
    assert_eq!(proxy.routes().await?, serde_json::json!({}));
    Ok(())
}

#[tokio::test]
async fn api_unknown_path_is_404() -> anyhow::Result<()> {
    let proxy = proxy().start().await?;
    let response = proxy
        .api_request(Method::GET, "/api/nothing-here")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_logged(&proxy, &["status=404", "/api/nothing-here"]).await;
    Ok(())
}

#[tokio::test]
async fn api_wrong_token_is_403() -> anyhow::Result<()> {
    let proxy = proxy().start().await?;
    let client = http_client()?;
    for authorization in [
        Some("token wrong-token"),
        Some("Bearer testkit-token"),
        None,
    ] {
        let mut request = client.get(proxy.api_url(""));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await?;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{authorization:?}"
        );
    }
    assert_logged(&proxy, &["status=403", "wrong token"]).await;
    // The log never repeats what a caller sent as a token.
    assert!(!proxy.log().text().contains("wrong-token"));
    Ok(())
}

/// hyper reads at most the proxy's 32 KiB head buffer, answers `431 Request Header Fields Too
/// Large` and closes the connection.
#[tokio::test]
async fn oversized_request_headers_are_431() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let proxy = proxy().start().await?;
    proxy.add_target("/", &echo.url()).await?;
    let huge = "a".repeat(40 * 1024);
    let response = http_client()?
        .get(proxy.url("/page"))
        .header("x-huge", huge)
        .send()
        .await?;
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_logged(&proxy, &["status=431", "over 32 KiB"]).await;
    // A normal request right after is served.
    assert_eq!(echo_get(&proxy.url("/page"), &[]).await?.path, "/page");
    Ok(())
}

/// Reads until the peer closes (EOF or reset); how long that took, and what was read.
async fn read_until_closed(stream: &mut TcpStream) -> anyhow::Result<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(SOON, stream.read(&mut buf)).await? {
            Ok(0) | Err(_) => return Ok((started.elapsed(), seen)),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn slow_request_headers_are_cut_off_after_the_keep_alive_timeout_and_others_are_served()
-> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let proxy = proxy()
        .args(["--keep-alive-timeout", "300"])
        .start()
        .await?;
    proxy.add_target("/", &echo.url()).await?;
    let addr = proxy.addrs().proxy;

    // One client stops halfway through its head, another never sends a byte.
    let mut slow = TcpStream::connect(addr).await?;
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ")
        .await?;
    let mut silent = TcpStream::connect(addr).await?;

    // Meanwhile, other clients are served as usual.
    for i in 0..5 {
        let path = format!("/busy/{i}");
        assert_eq!(echo_get(&proxy.url(&path), &[]).await?.path, path);
    }

    let closed = |what: &'static str| {
        let log = proxy.log().text();
        move |error: anyhow::Error| error.context(format!("the {what} client: proxy log:\n{log}"))
    };
    let (slow_after, slow_got) = read_until_closed(&mut slow).await.map_err(closed("slow"))?;
    let (silent_after, _) = read_until_closed(&mut silent)
        .await
        .map_err(closed("silent"))?;
    // Closed by the timeout, not at once, and long before the test's own deadline.
    assert!(slow_after < Duration::from_secs(3), "{slow_after:?}");
    assert!(silent_after < Duration::from_secs(3), "{silent_after:?}");
    let slow_got = String::from_utf8_lossy(&slow_got);
    assert!(
        slow_got.is_empty() || slow_got.starts_with("HTTP/1.1 408"),
        "{slow_got}"
    );
    assert_logged(&proxy, &["no complete request head in time"]).await;

    // And the proxy still serves new connections.
    assert_eq!(echo_get(&proxy.url("/after"), &[]).await?.path, "/after");
    Ok(())
}

#[tokio::test]
async fn unknown_public_path_serves_the_404_page() -> anyhow::Result<()> {
    let proxy = proxy().start().await?;
    let response = http_client()?
        .get(proxy.url("/no/such/page"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/html")
    );
    assert!(response.text().await?.contains("404"));
    assert_logged(&proxy, &["status=404", "/no/such/page", "no route"]).await;
    Ok(())
}

#[tokio::test]
async fn target_down_serves_the_503_page() -> anyhow::Result<()> {
    let proxy = proxy().start().await?;
    let target = format!("http://127.0.0.1:{}", closed_port()?);
    proxy.add_target("/user/bob", &target).await?;
    let response = http_client()?
        .get(proxy.url("/user/bob/lab"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/html")
    );
    assert!(response.text().await?.contains("503"));
    assert_logged(&proxy, &["status=503", "/user/bob/lab", &target]).await;
    Ok(())
}
