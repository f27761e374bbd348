//! The shared state of the data plane, and the connection pool that reaches targets.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;

use crate::config::{ForwardOptions, ProxyConfig, Timeouts};
use crate::error_page::ErrorPageService;
use crate::fast::pool::RawPool;
use crate::metrics::{Metrics, RequestCounts};
use crate::store::RouteStore;
use crate::upstream::Upstream;

/// What every proxied request reads; one per event loop, shared by `Arc`.
#[derive(Debug)]
pub(crate) struct DataPlane {
    pub(crate) routes: Arc<RouteStore>,
    pub(crate) upstream: Arc<Upstream>,
    /// The fast lane's plain connections to targets (`crate::fast`).
    pub(crate) fast_pool: RawPool,
    pub(crate) forward: ForwardOptions,
    pub(crate) timeouts: Timeouts,
    pub(crate) error_pages: ErrorPageService,
    pub(crate) metrics: Arc<Metrics>,
    /// This event loop's share of the request metrics.
    pub(crate) requests: Arc<RequestCounts>,
}

/// How long a pooled connection to a target may sit idle.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

impl DataPlane {
    pub(crate) fn new(
        config: &ProxyConfig,
        routes: Arc<RouteStore>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let upstream = Arc::new(upstream(config));
        Self {
            routes,
            error_pages: ErrorPageService::new(config.error_pages.clone(), Arc::clone(&upstream)),
            upstream,
            fast_pool: RawPool::new(POOL_IDLE_TIMEOUT),
            forward: config.forward.clone(),
            timeouts: config.timeouts,
            requests: metrics.request_counts(),
            metrics,
        }
    }
}

fn upstream(config: &ProxyConfig) -> Upstream {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(config.timeouts.upstream.or(Some(Duration::from_secs(20))));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*config.client_tls).clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Upstream::new(connector, POOL_IDLE_TIMEOUT)
}
