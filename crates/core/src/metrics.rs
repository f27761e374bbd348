//! The hub's Prometheus metrics, with JupyterHub's names (`jupyterhub_*`) so existing
//! dashboards keep working, plus Ganymede's own (`ganymede_*`).

use std::sync::Mutex;

use ganymede_db::{Pagination, UserQuery, UserSort, UserState};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::CoreError;
use crate::hub::Hub;

/// `jupyterhub_request_duration_seconds` labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    handler: String,
    code: u16,
}

/// A login's outcome: `status` for JupyterHub's histogram, `outcome` for ours.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// Counters and histograms the web layer feeds; gauges are read from the database at scrape.
#[derive(Debug)]
pub struct HubMetrics {
    // prometheus-client encodes from `&Registry`; the mutex only serialises scrapes.
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Histogram>,
    login_duration: Family<StatusLabel, Histogram>,
    logins: Family<OutcomeLabel, Counter>,
    logout_duration: Histogram,
    csp_reports: Counter,
    total_users: Gauge,
    running_servers: Gauge,
}

fn request_buckets() -> impl Iterator<Item = f64> {
    // 100 µs to about 26 s.
    exponential_buckets(0.0001, 2.0, 19)
}

impl Default for HubMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(request_buckets())
        });
        let login_duration = Family::<StatusLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(request_buckets())
        });
        let logins = Family::<OutcomeLabel, Counter>::default();
        let logout_duration = Histogram::new(request_buckets());
        let csp_reports = Counter::default();
        let total_users = Gauge::default();
        let running_servers = Gauge::default();
        registry.register(
            "jupyterhub_request_duration_seconds",
            "Request duration for all HTTP requests",
            requests.clone(),
        );
        registry.register(
            "jupyterhub_login_duration_seconds",
            "duration for all authentication attempts",
            login_duration.clone(),
        );
        registry.register(
            "jupyterhub_logout_duration_seconds",
            "duration for all logout requests",
            logout_duration.clone(),
        );
        registry.register(
            "jupyterhub_csp_reports",
            "content security policy violation reports",
            csp_reports.clone(),
        );
        registry.register(
            "jupyterhub_total_users",
            "Total number of users",
            total_users.clone(),
        );
        registry.register(
            "jupyterhub_running_servers",
            "The number of user servers currently running",
            running_servers.clone(),
        );
        registry.register(
            "ganymede_logins",
            "Login attempts by outcome (success, wrong_credentials, blocked, not_allowed, invalid_name, rate_limited, xsrf)",
            logins.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            requests,
            login_duration,
            logins,
            logout_duration,
            csp_reports,
            total_users,
            running_servers,
        }
    }
}

impl HubMetrics {
    /// One HTTP request: `handler` is the matched route pattern, never the raw path, so the
    /// label set stays bounded.
    pub fn observe_request(&self, method: &str, handler: &str, code: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                handler: handler.to_owned(),
                code,
            })
            .observe(seconds);
    }

    /// One login attempt; `outcome` is `success` or the reason it failed.
    pub fn observe_login(&self, outcome: &'static str, seconds: f64) {
        let status = if outcome == "success" {
            "success"
        } else {
            "failure"
        };
        self.login_duration
            .get_or_create(&StatusLabel { status })
            .observe(seconds);
        self.logins.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    /// One logout.
    pub fn observe_logout(&self, seconds: f64) {
        self.logout_duration.observe(seconds);
    }

    /// One content-security-policy report.
    pub fn count_csp_report(&self) {
        self.csp_reports.inc();
    }
}

impl Hub {
    /// The metrics the web layer records into.
    pub fn metrics(&self) -> &HubMetrics {
        &self.metrics
    }

    /// The Prometheus text exposition, with the user and server gauges read from the database
    /// (two indexed counts, so a scrape stays cheap at 100k users). `running_servers` counts
    /// users with a ready server, which is the number of servers until named servers are used.
    pub async fn render_metrics(&self) -> Result<String, CoreError> {
        let count = |state| UserQuery {
            page: Pagination::new(0, 1),
            name_filter: None,
            state,
            sort: UserSort::Id,
            descending: false,
        };
        let total = self.db.list_users(&count(None)).await?.total;
        let ready = self
            .db
            .list_users(&count(Some(UserState::Ready)))
            .await?
            .total;
        let metrics = &self.metrics;
        metrics
            .total_users
            .set(i64::try_from(total).unwrap_or(i64::MAX));
        metrics
            .running_servers
            .set(i64::try_from(ready).unwrap_or(i64::MAX));
        let mut text = String::new();
        let registry = metrics
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing into a String cannot fail; a partial text would still be valid to scrape.
        if let Err(error) = encode(&mut text, &registry) {
            tracing::error!(%error, "cannot encode the metrics");
        }
        Ok(text)
    }
}
