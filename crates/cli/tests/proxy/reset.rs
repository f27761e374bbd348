//! A target that dies mid-response: the client learns the body is incomplete, the proxy says so
//! once in its log, and nothing else is disturbed.

use ganymede_testkit::{EchoBackend, ResettingBackend, http_client};
use reqwest::StatusCode;

use crate::{SOON, echo_get, proxy};

/// Bytes the backend sends before resetting.
const PARTIAL: usize = 16 * 1024;

#[tokio::test]
async fn backend_reset_mid_response_truncates_the_body_logs_one_line_and_other_routes_keep_serving()
-> anyhow::Result<()> {
    let resetting = ResettingBackend::start(PARTIAL).await?;
    let echo = EchoBackend::start().await?;
    let mut proxy = proxy().start().await?;
    proxy.add_target("/broken", &resetting.url()).await?;
    proxy.add_target("/fine", &echo.url()).await?;
    let client = http_client()?;

    let mut response = client.get(proxy.url("/broken/download")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let announced = ResettingBackend::announced(PARTIAL) as u64;
    assert_eq!(response.content_length(), Some(announced));
    // The first bytes arrive before the backend is told to reset, so this is a failure in the
    // middle of the response and not a failure to answer.
    let mut received = response.chunk().await?.map_or(0, |c| c.len()) as u64;
    assert!(received > 0);
    resetting.reset();
    let ended = loop {
        match tokio::time::timeout(SOON, response.chunk()).await? {
            Ok(Some(chunk)) => received += chunk.len() as u64,
            Ok(None) => break Ok(()),
            Err(error) => break Err(error),
        }
    };
    assert!(
        ended.is_err() || received < announced,
        "the client got a complete-looking body: {received} of {announced} bytes"
    );
    assert!(received <= PARTIAL as u64);

    assert!(
        proxy.log_contains("broke off the response", SOON).await,
        "{}",
        proxy.log().text()
    );

    // The proxy is still up, and the other route (and a new connection) works.
    let echoed = echo_get(&proxy.url("/fine/after"), &[]).await?;
    assert_eq!(echoed.path, "/fine/after");
    assert!(proxy.is_running());
    // One line in all about the broken response, and nothing else mentions its path.
    assert_eq!(
        proxy.log().lines_containing("/broken/download").len(),
        1,
        "{}",
        proxy.log().text()
    );
    Ok(())
}
