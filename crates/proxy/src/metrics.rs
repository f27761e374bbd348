//! Prometheus metrics of the proxy, served as OpenMetrics text on `--metrics-port`.
//!
//! Every proxied request adds to a status counter and the latency histogram. prometheus-client's
//! own types would have each request take the histogram's mutex and the status family's lock and
//! hash, all shared by the event loops; so each event loop counts its requests in a
//! [`RequestCounts`] of its own (plain relaxed atomics no other core writes), and a scrape adds the
//! loops' counts up. The text is the same as prometheus-client's types would write.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// A label set holding an HTTP status code.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StatusLabel {
    status: u16,
}

/// The histogram's upper bounds: 100 µs doubling 19 times, to about 26 s, then +Inf.
const BUCKETS: usize = 19;
const FIRST_BOUND_NANOS: u64 = 100_000;

/// Status codes hyper can hold: 100 to 999.
const STATUSES: usize = 900;

/// The requests one event loop served: by status, and by latency bucket.
#[derive(Debug)]
pub(crate) struct RequestCounts {
    /// Index `status - 100`.
    statuses: Box<[AtomicU64]>,
    /// Index `i` counts latencies in `(bound(i - 1), bound(i)]`; the last one, those above all.
    buckets: [AtomicU64; BUCKETS + 1],
    sum_nanos: AtomicU64,
}

impl RequestCounts {
    fn new() -> Self {
        Self {
            statuses: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Counts one request answered with `status` after `latency`.
    pub(crate) fn record(&self, status: http::StatusCode, latency: Duration) {
        let index = usize::from(status.as_u16()).saturating_sub(100);
        if let Some(counter) = self.statuses.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        let bucket = (0..BUCKETS)
            .find(|&i| nanos <= FIRST_BOUND_NANOS << i)
            .unwrap_or(BUCKETS);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Every event loop's [`RequestCounts`], encoded as their sum.
#[derive(Debug, Default)]
struct RequestCollector {
    loops: Mutex<Vec<Arc<RequestCounts>>>,
}

impl Collector for RequestCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let loops = self.loops.lock().unwrap_or_else(PoisonError::into_inner);
        let total = |counter: &dyn Fn(&RequestCounts) -> &AtomicU64| -> u64 {
            loops
                .iter()
                .map(|counts| counter(counts).load(Ordering::Relaxed))
                .sum()
        };

        let mut family = encoder.encode_descriptor(
            "requests",
            "Proxied requests by the status sent to the client (404 and 503 included)",
            None,
            MetricType::Counter,
        )?;
        for index in 0..STATUSES {
            let count = total(&|counts| &counts.statuses[index]);
            if count > 0 {
                let label = StatusLabel {
                    status: u16::try_from(index + 100).unwrap_or(u16::MAX),
                };
                family
                    .encode_family(&label)?
                    .encode_counter::<NoLabelSet, _, u64>(&count, None)?;
            }
        }

        let mut histogram = encoder.encode_descriptor(
            "request_duration_seconds",
            "Time from a request's arrival to its response headers",
            None,
            MetricType::Histogram,
        )?;
        let mut count = 0;
        let mut buckets = Vec::with_capacity(BUCKETS + 1);
        for index in 0..=BUCKETS {
            let in_bucket = total(&|counts| &counts.buckets[index]);
            count += in_bucket;
            let bound = match index {
                BUCKETS => f64::INFINITY,
                _ => (FIRST_BOUND_NANOS << index) as f64 / 1e9,
            };
            buckets.push((bound, in_bucket));
        }
        let sum = total(&|counts| &counts.sum_nanos) as f64 / 1e9;
        histogram.encode_histogram::<NoLabelSet>(sum, count, &buckets, None::<&_>)
    }
}

/// The proxy's counters and gauges.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Arc<RequestCollector>,
    pub(crate) api_requests: Family<StatusLabel, Counter>,
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
        let requests = Arc::new(RequestCollector::default());
        let api_requests = Family::<StatusLabel, Counter>::default();
        let active_connections = Gauge::default();
        let open_websockets = Gauge::default();
        let websockets_total = Counter::default();
        let routes = Gauge::default();
        registry.register_collector(Box::new(Arc::clone(&requests)));
        registry.register(
            "api_requests",
            "REST API requests by status",
            api_requests.clone(),
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
            active_connections,
            open_websockets,
            websockets_total,
            routes,
        }
    }

    /// Counts for one more event loop, added into every scrape from now on.
    pub(crate) fn request_counts(&self) -> Arc<RequestCounts> {
        let counts = Arc::new(RequestCounts::new());
        self.requests
            .loops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&counts));
        counts
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_are_summed_into_one_status_family_and_one_histogram() {
        let metrics = Metrics::new();
        let first = metrics.request_counts();
        let second = metrics.request_counts();
        first.record(http::StatusCode::OK, Duration::from_micros(50));
        second.record(http::StatusCode::OK, Duration::from_micros(150));
        second.record(http::StatusCode::NOT_FOUND, Duration::from_secs(60));
        let text = metrics.render(0);
        for line in [
            r#"ganymede_proxy_requests_total{status="200"} 2"#,
            r#"ganymede_proxy_requests_total{status="404"} 1"#,
            "ganymede_proxy_request_duration_seconds_count 3",
            r#"ganymede_proxy_request_duration_seconds_bucket{le="0.0001"} 1"#,
            r#"ganymede_proxy_request_duration_seconds_bucket{le="0.0002"} 2"#,
            r#"ganymede_proxy_request_duration_seconds_bucket{le="26.2144"} 2"#,
            r#"ganymede_proxy_request_duration_seconds_bucket{le="+Inf"} 3"#,
            "ganymede_proxy_request_duration_seconds_sum 60.0002",
            "# TYPE ganymede_proxy_requests counter",
            "# TYPE ganymede_proxy_request_duration_seconds histogram",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(!text.contains(r#"status="500""#), "{text}");
    }
}
