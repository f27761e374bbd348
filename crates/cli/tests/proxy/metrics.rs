//! `--metrics-port`: the Prometheus endpoint reports requests, latency, connections, WebSockets
//! and routes.

use futures_util::{SinkExt, StreamExt};
use ganymede_testkit::{EchoBackend, ProxyProcess, WsEchoBackend, http_client, wait_until_async};
use reqwest::StatusCode;
use tokio_tungstenite::tungstenite::Message;

use crate::{SOON, echo_get, proxy};

/// The value of the sample `name` (with its labels, exactly as exposed).
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
}

async fn scrape(proxy: &ProxyProcess) -> anyhow::Result<String> {
    let url = proxy
        .metrics_url()
        .ok_or_else(|| anyhow::anyhow!("no metrics listener"))?;
    let response = http_client()?.get(url).send().await?;
    anyhow::ensure!(response.status() == StatusCode::OK, "{}", response.status());
    Ok(response.text().await?)
}

#[tokio::test]
async fn metrics_port_serves_requests_latency_connections_websockets_and_routes()
-> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let ws = WsEchoBackend::start().await?;
    let proxy = proxy()
        .args(["--metrics-ip", "127.0.0.1", "--metrics-port", "0"])
        .start()
        .await?;
    proxy.add_target("/echo", &echo.url()).await?;
    proxy.add_target("/ws", &ws.url()).await?;
    proxy.add_target("/third", &echo.url()).await?;

    echo_get(&proxy.url("/echo/a"), &[]).await?;
    echo_get(&proxy.url("/echo/b"), &[]).await?;
    let client = http_client()?;
    let missing = client.get(proxy.url("/missing")).send().await?;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // A keep-alive connection that stays open while the metrics are read.
    let kept = client.get(proxy.url("/echo/kept")).send().await?;
    assert_eq!(kept.status(), StatusCode::OK);

    let (mut socket, _) = tokio_tungstenite::connect_async(proxy.ws_url("/ws/x")).await?;
    socket.send(Message::text("ping")).await?;
    // The echo proves both sides of the upgrade are spliced, so the gauge counts it.
    let echoed = tokio::time::timeout(SOON, socket.next()).await?;
    assert!(matches!(echoed, Some(Ok(Message::Text(_)))));

    let text = scrape(&proxy).await?;
    assert_eq!(
        sample(&text, r#"ganymede_proxy_requests_total{status="200"}"#),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"ganymede_proxy_requests_total{status="404"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"ganymede_proxy_requests_total{status="101"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "ganymede_proxy_request_duration_seconds_count"),
        Some(5.0),
        "{text}"
    );
    assert!(
        text.contains("ganymede_proxy_request_duration_seconds_bucket{le="),
        "{text}"
    );
    assert!(sample(&text, "ganymede_proxy_request_duration_seconds_sum").is_some_and(|s| s > 0.0));
    assert!(
        sample(&text, "ganymede_proxy_active_connections").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "ganymede_proxy_open_websockets"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "ganymede_proxy_websockets_total"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "ganymede_proxy_routes"), Some(3.0), "{text}");
    assert_eq!(
        sample(&text, r#"ganymede_proxy_api_requests_total{status="201"}"#),
        Some(3.0),
        "{text}"
    );

    // Closing the WebSocket brings the gauge back down.
    socket.close(None).await?;
    drop(socket);
    let closed = wait_until_async(SOON, || async {
        scrape(&proxy)
            .await
            .is_ok_and(|text| sample(&text, "ganymede_proxy_open_websockets") == Some(0.0))
    })
    .await;
    assert!(closed, "open_websockets did not return to 0");

    // Nothing else is served there.
    let url = proxy
        .metrics_url()
        .unwrap_or_default()
        .replace("/metrics", "/other");
    assert_eq!(
        client.get(url).send().await?.status(),
        StatusCode::NOT_FOUND
    );
    Ok(())
}
