//! `--error-target`: the proxy asks another server for its 404 and 503 pages.

use ganymede_testkit::{EchoBackend, Echoed, closed_port, http_client};
use reqwest::StatusCode;

use crate::proxy;

#[tokio::test]
async fn error_target_gets_code_and_original_url_and_its_page_is_served_with_the_status()
-> anyhow::Result<()> {
    let pages = EchoBackend::start().await?;
    let proxy = proxy()
        .args(["--error-target", &pages.url()])
        .start()
        .await?;
    proxy
        .add_target(
            "/user/gone",
            &format!("http://127.0.0.1:{}", closed_port()?),
        )
        .await?;
    let client = http_client()?;

    let response = client.get(proxy.url("/nowhere/page?x=1")).send().await?;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let seen = Echoed::from_response(response).await?;
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/404?url=%2Fnowhere%2Fpage%3Fx%3D1");

    let response = client.get(proxy.url("/user/gone/lab")).send().await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let seen = Echoed::from_response(response).await?;
    assert_eq!(seen.path, "/503?url=%2Fuser%2Fgone%2Flab");
    Ok(())
}
