//! The shared state of the data plane, and the pooled client that reaches targets.

use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::ProxyBody;
use crate::config::{ForwardOptions, ProxyConfig, Timeouts};
use crate::error_page::ErrorPageService;
use crate::metrics::Metrics;
use crate::store::RouteStore;

/// The pooled HTTP/1.1 client towards targets, `http://` and `https://`.
pub(crate) type UpstreamClient = Client<HttpsConnector<HttpConnector>, ProxyBody>;

/// What every proxied request reads; built once, shared by `Arc`.
#[derive(Debug)]
pub(crate) struct DataPlane {
    pub(crate) routes: Arc<RouteStore>,
    pub(crate) client: UpstreamClient,
    pub(crate) forward: ForwardOptions,
    pub(crate) timeouts: Timeouts,
    pub(crate) error_pages: ErrorPageService,
    pub(crate) metrics: Arc<Metrics>,
}

/// How long a pooled connection to a target may sit idle.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

impl DataPlane {
    pub(crate) fn new(
        config: &ProxyConfig,
        routes: Arc<RouteStore>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let client = upstream_client(config);
        Self {
            routes,
            error_pages: ErrorPageService::new(config.error_pages.clone(), client.clone()),
            client,
            forward: config.forward.clone(),
            timeouts: config.timeouts,
            metrics,
        }
    }
}

fn upstream_client(config: &ProxyConfig) -> UpstreamClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(config.timeouts.upstream.or(Some(Duration::from_secs(20))));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*config.client_tls).clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .build(connector)
}
