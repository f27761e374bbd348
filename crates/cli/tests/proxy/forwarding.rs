//! The flags that change what a target sees, checked against the echo backend, each next to the
//! default behaviour it changes.

use ganymede_testkit::{EchoBackend, Echoed, ProxyProcess};

use crate::{echo_get, proxy};

/// Two proxies, one with default flags and one with `flags`, both routing `route` to `target`.
async fn default_and_flagged(
    flags: &[&str],
    route: &str,
    target: &str,
) -> anyhow::Result<(ProxyProcess, ProxyProcess)> {
    let (default, flagged) = tokio::try_join!(proxy().start(), proxy().args(flags).start())?;
    default.add_target(route, target).await?;
    flagged.add_target(route, target).await?;
    Ok((default, flagged))
}

/// What the echo backend saw for `GET path` through `proxy`.
async fn seen(proxy: &ProxyProcess, path: &str) -> anyhow::Result<Echoed> {
    echo_get(&proxy.url(path), &[]).await
}

#[tokio::test]
async fn host_routing_picks_the_route_by_host_and_forwards_the_plain_path() -> anyhow::Result<()> {
    let alice = EchoBackend::start().await?;
    let bob = EchoBackend::start().await?;
    let proxy = proxy().arg("--host-routing").start().await?;
    proxy.add_target("/alice.example.org", &alice.url()).await?;
    proxy.add_target("/bob.example.org/", &bob.url()).await?;
    let port = proxy.addrs().proxy.port();

    // The API stores the host with the route, as CHP does.
    let route = proxy.route("/alice.example.org").await?;
    assert_eq!(
        route.as_ref().and_then(|r| r["host"].as_str()),
        Some("alice.example.org")
    );

    let host = format!("alice.example.org:{port}");
    let echoed = echo_get(&proxy.url("/lab/tree?x=1"), &[("host", &host)]).await?;
    assert_eq!(echoed.path, "/lab/tree?x=1");
    assert_eq!(echoed.header("host"), Some(host.as_str()));
    let echoed = echo_get(&proxy.url("/api/status"), &[("host", "bob.example.org")]).await?;
    assert_eq!(echoed.path, "/api/status");

    let response = ganymede_testkit::http_client()?
        .get(proxy.url("/lab"))
        .header("host", "carol.example.org")
        .send()
        .await?;
    assert_eq!(response.status(), 404);
    Ok(())
}

#[tokio::test]
async fn no_include_prefix_drops_the_route_prefix() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let (default, flagged) =
        default_and_flagged(&["--no-include-prefix"], "/user/alice", &echo.url()).await?;
    let path = "/user/alice/lab/tree?token=x";
    assert_eq!(seen(&default, path).await?.path, path);
    assert_eq!(seen(&flagged, path).await?.path, "/lab/tree?token=x");
    assert_eq!(seen(&flagged, "/user/alice").await?.path, "/");
    Ok(())
}

#[tokio::test]
async fn no_prepend_path_drops_the_target_path() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let target = format!("{}/base/prefix", echo.url());
    let (default, flagged) = default_and_flagged(&["--no-prepend-path"], "/p", &target).await?;
    assert_eq!(
        seen(&default, "/p/x?y=1").await?.path,
        "/base/prefix/p/x?y=1"
    );
    assert_eq!(seen(&flagged, "/p/x?y=1").await?.path, "/p/x?y=1");
    Ok(())
}

#[tokio::test]
async fn custom_header_is_added_to_every_proxied_request() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let flags = [
        "--custom-header",
        "X-Hub-Name:ganymede",
        "--custom-header",
        "X-Spaced : two words ",
    ];
    let (default, flagged) = default_and_flagged(&flags, "/", &echo.url()).await?;
    let plain = seen(&default, "/a").await?;
    assert_eq!(plain.header("x-hub-name"), None);
    // A header the client sent is replaced, not doubled.
    let echoed = echo_get(&flagged.url("/a"), &[("x-hub-name", "forged")]).await?;
    assert_eq!(echoed.header("x-hub-name"), Some("ganymede"));
    assert_eq!(echoed.header("x-spaced"), Some("two words"));
    Ok(())
}

#[tokio::test]
async fn no_x_forward_leaves_out_the_x_forwarded_headers() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let (default, flagged) = default_and_flagged(&["--no-x-forward"], "/", &echo.url()).await?;
    let echoed = seen(&default, "/a").await?;
    let authority = default.addrs().proxy.to_string();
    let port = default.addrs().proxy.port().to_string();
    assert_eq!(echoed.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(echoed.header("x-forwarded-proto"), Some("http"));
    assert_eq!(echoed.header("x-forwarded-host"), Some(authority.as_str()));
    assert_eq!(echoed.header("x-forwarded-port"), Some(port.as_str()));

    let echoed = seen(&flagged, "/a").await?;
    let forwarded: Vec<_> = echoed
        .headers
        .keys()
        .filter(|name| name.starts_with("x-forwarded"))
        .collect();
    assert!(forwarded.is_empty(), "{forwarded:?}");
    Ok(())
}

#[tokio::test]
async fn change_origin_sends_the_target_host() -> anyhow::Result<()> {
    let echo = EchoBackend::start().await?;
    let (default, flagged) = default_and_flagged(&["--change-origin"], "/", &echo.url()).await?;
    let proxy_authority = default.addrs().proxy.to_string();
    assert_eq!(
        seen(&default, "/a").await?.header("host"),
        Some(proxy_authority.as_str())
    );
    let target_authority = echo.addr().to_string();
    let echoed = seen(&flagged, "/a").await?;
    assert_eq!(echoed.header("host"), Some(target_authority.as_str()));
    // X-Forwarded-Host still names the proxy, so the target can build public URLs.
    let flagged_authority = flagged.addrs().proxy.to_string();
    assert_eq!(
        echoed.header("x-forwarded-host"),
        Some(flagged_authority.as_str())
    );
    Ok(())
}
