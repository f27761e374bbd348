//! Protocol tests of `ganymede proxy`: the real binary, started on free ports, with real
//! backends behind it (see `ganymede-testkit`).
//!
//! One module per concern; each test names the scenario it covers. The JupyterHub and
//! configurable-http-proxy parity checks live in `tests/e2e` (Python); these cover the protocol
//! edges those do not: streaming, WebSockets, TLS and HTTP/2, broken backends and bad input.

mod bad_input;
mod cli;
mod error_target;
mod event_loops;
mod fast_lane;
mod forwarding;
mod keep_alive;
mod metrics;
mod reset;
mod streaming;
mod tls;
mod websocket;

use std::time::Duration;

use ganymede_testkit::{Echoed, ProxyBuilder};

/// A deadline for anything that should happen at once; generous, since a wait ends as soon as
/// its condition holds.
const SOON: Duration = Duration::from_secs(5);

/// A proxy from the binary under test.
fn proxy() -> ProxyBuilder {
    ProxyBuilder::new(env!("CARGO_BIN_EXE_ganymede"))
}

/// `GET url` with extra headers, read as an echo backend's answer; fails unless the status is 200.
async fn echo_get(url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Echoed> {
    let client = ganymede_testkit::http_client()?;
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    anyhow::ensure!(
        response.status() == reqwest::StatusCode::OK,
        "GET {url} answered {}",
        response.status()
    );
    Echoed::from_response(response).await
}
