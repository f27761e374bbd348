//! TLS on both sides of the proxy: HTTP/2 and HTTP/1.1 clients on `--ssl-key`/`--ssl-cert`,
//! `https://` targets verified with `--client-ssl-ca` (or not, with `--insecure`), and the
//! `--redirect-port` listener that sends plain-HTTP visitors to HTTPS.

use ganymede_testkit::{EchoBackend, Echoed, ProxyProcess, TestCert, http_client};
use std::time::Duration;

use reqwest::{StatusCode, Version};

use crate::{SOON, proxy};

/// A proxy serving TLS with `cert`, plus `more` flags.
async fn tls_proxy(cert: &TestCert, more: &[&str]) -> anyhow::Result<ProxyProcess> {
    proxy()
        .arg("--ssl-key")
        .arg(cert.key_path())
        .arg("--ssl-cert")
        .arg(cert.cert_path())
        .args(more)
        .start()
        .await
}

/// A client that trusts only `cert`.
fn trusting(cert: &TestCert) -> anyhow::Result<reqwest::ClientBuilder> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([cert.reqwest_root()?]))
}

#[tokio::test]
async fn http2_client_over_tls_gets_http2_and_http11_over_tls_still_works() -> anyhow::Result<()> {
    let cert = TestCert::generate()?;
    let echo = EchoBackend::start().await?;
    let proxy = tls_proxy(&cert, &[]).await?;
    assert!(proxy.addrs().proxy_tls);
    proxy.add_target("/", &echo.url()).await?;
    let authority = proxy.addrs().proxy.to_string();

    // ALPN offers h2 first, so a client that can speak it gets it.
    let h2 = trusting(&cert)?.build()?;
    let response = h2.get(proxy.url("/user/alice/lab?x=1")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2);
    let echoed = Echoed::from_response(response).await?;
    assert_eq!(echoed.path, "/user/alice/lab?x=1");
    // The target speaks HTTP/1.1, so `:authority` must come through as `Host`.
    assert_eq!(echoed.header("host"), Some(authority.as_str()));
    assert_eq!(echoed.header("x-forwarded-proto"), Some("https"));

    // Many streams on the one HTTP/2 connection at once.
    let many = (0..20).map(|i| {
        let h2 = h2.clone();
        let url = proxy.url(&format!("/stream/{i}"));
        async move { Echoed::from_response(h2.get(url).send().await?).await }
    });
    for (i, echoed) in futures_util::future::try_join_all(many)
        .await?
        .into_iter()
        .enumerate()
    {
        assert_eq!(echoed.path, format!("/stream/{i}"));
    }

    let h1 = trusting(&cert)?.http1_only().build()?;
    let response = h1.get(proxy.url("/tree")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_11);
    let echoed = Echoed::from_response(response).await?;
    assert_eq!(echoed.path, "/tree");
    assert_eq!(echoed.header("host"), Some(authority.as_str()));
    Ok(())
}

#[tokio::test]
async fn client_ssl_ca_verifies_https_targets_and_insecure_skips_verification() -> anyhow::Result<()>
{
    let cert = TestCert::generate()?;
    let backend = EchoBackend::start_tls(&cert).await?;
    assert!(backend.url().starts_with("https://"));
    let ca = cert.cert_path();
    let ca = ca.to_string_lossy();
    let (verifying, unverified, insecure) = tokio::try_join!(
        proxy().args(["--client-ssl-ca", ca.as_ref()]).start(),
        proxy().start(),
        proxy().arg("--insecure").start(),
    )?;
    let client = http_client()?;
    for proxy in [&verifying, &unverified, &insecure] {
        proxy.add_target("/secure", &backend.url()).await?;
    }

    let response = client.get(verifying.url("/secure/data")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let echoed = Echoed::from_response(response).await?;
    assert_eq!(echoed.path, "/secure/data");

    // Without the CA, the self-signed certificate is not trusted: the target is unreachable.
    let response = client.get(unverified.url("/secure/data")).send().await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        unverified.log_contains("target did not answer", SOON).await,
        "{}",
        unverified.log().text()
    );
    assert!(
        unverified
            .log()
            .lines_containing("target did not answer")
            .iter()
            .any(|line| line.contains("certificate")),
        "the log should say the certificate was refused: {}",
        unverified.log().text()
    );

    let response = client.get(insecure.url("/secure/data")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(Echoed::from_response(response).await?.path, "/secure/data");
    Ok(())
}

#[tokio::test]
async fn redirect_port_answers_301_to_the_https_url() -> anyhow::Result<()> {
    let cert = TestCert::generate()?;
    let echo = EchoBackend::start().await?;
    let (proxy, explicit) = tokio::try_join!(
        tls_proxy(&cert, &["--redirect-port", "0"]),
        tls_proxy(&cert, &["--redirect-port", "0", "--redirect-to", "8443"]),
    )?;
    proxy.add_target("/", &echo.url()).await?;
    let no_follow = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // With no --redirect-to, the Location names the port the HTTPS listener really has.
    let redirect = proxy
        .addrs()
        .redirect
        .ok_or_else(|| anyhow::anyhow!("no redirect port"))?;
    let response = no_follow
        .get(format!("http://{redirect}/user/alice/tree?path=a%20b"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    let https = proxy.url("/user/alice/tree?path=a%20b");
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(https.as_str())
    );

    let redirect = explicit
        .addrs()
        .redirect
        .ok_or_else(|| anyhow::anyhow!("no redirect port"))?;
    let response = no_follow
        .get(format!("http://{redirect}/hub/"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("https://127.0.0.1:8443/hub/")
    );

    // A browser following the redirect ends up at the target over HTTPS.
    let redirect = proxy
        .addrs()
        .redirect
        .ok_or_else(|| anyhow::anyhow!("no redirect port"))?;
    let following = trusting(&cert)?.build()?;
    let response = following
        .get(format!("http://{redirect}/user/alice/tree"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.url().scheme(), "https");
    assert_eq!(
        Echoed::from_response(response).await?.path,
        "/user/alice/tree"
    );
    Ok(())
}

#[tokio::test]
async fn tls_client_that_never_handshakes_is_cut_off_after_the_keep_alive_timeout()
-> anyhow::Result<()> {
    use tokio::io::AsyncReadExt;

    let cert = TestCert::generate()?;
    let echo = EchoBackend::start().await?;
    // Long enough for a real client's handshake on a loaded 2-core machine in a debug build.
    let proxy = tls_proxy(&cert, &["--keep-alive-timeout", "1000"]).await?;
    proxy.add_target("/", &echo.url()).await?;
    let mut silent = tokio::net::TcpStream::connect(proxy.addrs().proxy).await?;

    // A real client is served meanwhile.
    let client = trusting(&cert)?.build()?;
    let response = client.get(proxy.url("/busy")).send().await?;
    assert_eq!(Echoed::from_response(response).await?.path, "/busy");

    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut buf)).await?;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        proxy
            .log_contains("no complete request head in time", SOON)
            .await
    );
    Ok(())
}
