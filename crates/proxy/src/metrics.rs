//! Prometheus metrics of the proxy, served as OpenMetrics text on `--metrics-port`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A label set holding an HTTP status code.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StatusLabel {
    status: u16,
}

/// The proxy's counters and gauges; cheap atomics on the hot path.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub(crate) requests: Family<StatusLabel, Counter>,
    pub(crate) api_requests: Family<StatusLabel, Counter>,
    pub(crate) duration: Histogram,
    pub(crate) active_connections: Gauge,
    pub(crate) open_websockets: Gauge,
    pub(crate) websockets_total: Counter,
    pub(crate) routes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `ganymede_proxy` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("ganymede_proxy");
        let requests = Family::<StatusLabel, Counter>::default();
        let api_requests = Family::<StatusLabel, Counter>::default();
        // 100 µs to about 26 s.
        let duration = Histogram::new(exponential_buckets(0.0001, 2.0, 19));
        let active_connections = Gauge::default();
        let open_websockets = Gauge::default();
        let websockets_total = Counter::default();
        let routes = Gauge::default();
        registry.register(
            "requests",
            "Proxied requests by the status sent to the client (404 and 503 included)",
            requests.clone(),
        );
        registry.register(
            "api_requests",
            "REST API requests by status",
            api_requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to its response headers",
            duration.clone(),
        );
        registry.register(
            "active_connections",
            "Client connections open on the public listener",
            active_connections.clone(),
        );
        registry.register(
            "open_websockets",
            "WebSocket (upgraded) connections being spliced now",
            open_websockets.clone(),
        );
        registry.register(
            "websockets",
            "WebSocket upgrades completed",
            websockets_total.clone(),
        );
        registry.register("routes", "Routes in the table", routes.clone());
        Self {
            registry,
            requests,
            api_requests,
            duration,
            active_connections,
            open_websockets,
            websockets_total,
            routes,
        }
    }

    pub(crate) fn count_request(&self, status: http::StatusCode) {
        self.requests
            .get_or_create(&StatusLabel {
                status: status.as_u16(),
            })
            .inc();
    }

    pub(crate) fn count_api_request(&self, status: http::StatusCode) {
        self.api_requests
            .get_or_create(&StatusLabel {
                status: status.as_u16(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition; the route count is read at scrape time.
    pub fn render(&self, route_count: usize) -> String {
        self.routes
            .set(i64::try_from(route_count).unwrap_or(i64::MAX));
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "could not encode metrics");
        }
        text
    }
}
