//! The route table: configurable-http-proxy's routing semantics as a pure data structure.
//!
//! A route is keyed by its *clean path*: a leading `/`, no trailing `/`, and inner empty
//! segments kept (CHP's trie splits `a//b` into `a`, ``, `b`).
//! A request matches the route with the longest prefix made of whole path segments, so
//! `/user/alice` serves `/user/alice/lab` but not `/user/alice2`, and `/` catches the rest.
//! This module does no I/O and takes no locks; [`crate::RouteStore`] shares it between tasks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Map, Value};
use url::Url;

/// One entry of the table: where a path prefix goes, and the data the API client stored with it.
#[derive(Debug)]
pub struct Route {
    prefix: Box<str>,
    target: Url,
    /// The data says `"hub": true` (JupyterHub marks its own route so).
    hub: bool,
    data: Map<String, Value>,
    activity: Arc<Activity>,
}

/// The time a route last served traffic, in milliseconds since the Unix epoch.
///
/// Shared by reference with every in-flight request and WebSocket of the route, and kept across
/// an overwrite of the route, so recording activity is one relaxed atomic `max`.
#[derive(Debug, Default)]
pub struct Activity(AtomicI64);

/// The routes, keyed by clean path.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: HashMap<Box<str>, Arc<Route>>,
}

/// Why a route cannot be added.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RouteError {
    /// The body has no `target` string.
    #[error("Must specify 'target' as string")]
    MissingTarget,
    /// The target is not an absolute `http://` or `https://` URL.
    #[error("Invalid target {target:?}: {reason}")]
    InvalidTarget {
        /// The target as given.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
}

// === impl Route ===

impl Route {
    /// Builds a route from the JSON object an API client posted, which must hold a `target`.
    ///
    /// Every other key is kept verbatim and returned with the route, as CHP does.
    pub fn new(prefix: &str, data: Map<String, Value>) -> Result<Self, RouteError> {
        let target = match data.get("target") {
            Some(Value::String(target)) => parse_target(target)?,
            _ => return Err(RouteError::MissingTarget),
        };
        Ok(Self {
            prefix: clean_path(prefix).into_boxed_str(),
            target,
            hub: data.get("hub") == Some(&Value::Bool(true)),
            data,
            activity: Arc::new(Activity::default()),
        })
    }

    /// The clean path this route is keyed by.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The backend URL.
    pub fn target(&self) -> &Url {
        &self.target
    }

    /// Whether this is the hub's own route (`"hub": true` in its data).
    pub fn is_hub(&self) -> bool {
        self.hub
    }

    /// The route's activity clock, shared with the traffic it serves.
    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }

    /// The route as the REST API shows it: the stored data plus `last_activity`.
    pub fn to_json(&self) -> Value {
        let mut data = self.data.clone();
        data.insert(
            "last_activity".to_owned(),
            Value::String(self.activity.to_iso8601()),
        );
        Value::Object(data)
    }
}

fn parse_target(target: &str) -> Result<Url, RouteError> {
    let invalid = |reason: String| RouteError::InvalidTarget {
        target: target.to_owned(),
        reason,
    };
    let url = Url::parse(target).map_err(|e| invalid(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(invalid(format!(
                "unsupported scheme {other:?}, use http or https"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_owned()));
    }
    Ok(url)
}

// === impl Activity ===

impl Activity {
    /// Records traffic at `now_ms`; an older time never moves the clock back.
    pub fn touch(&self, now_ms: i64) {
        // Most requests land in a millisecond already recorded: a plain load then leaves the
        // cache line shared between the event loops' cores instead of taking it for a write.
        if self.0.load(Ordering::Relaxed) < now_ms {
            self.0.fetch_max(now_ms, Ordering::Relaxed);
        }
    }

    /// Records traffic now.
    pub fn touch_now(&self) {
        self.touch(now_millis());
    }

    /// The last activity, in milliseconds since the Unix epoch.
    pub fn millis(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    /// The last activity the way JavaScript's `Date.toJSON` writes it: `2026-11-23T00:31:17.924Z`.
    pub fn to_iso8601(&self) -> String {
        chrono::DateTime::from_timestamp_millis(self.millis())
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// The wall clock in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

// === impl RouteTable ===

impl RouteTable {
    /// Adds or replaces the route at `route.prefix()`.
    ///
    /// A replaced route hands its activity clock to the new one, so open WebSockets of the old
    /// target keep counting; the add itself counts as activity, as in CHP.
    pub fn insert(&mut self, mut route: Route) -> Option<Arc<Route>> {
        if let Some(old) = self.routes.get(&route.prefix) {
            route.activity = Arc::clone(&old.activity);
        }
        route.activity.touch_now();
        self.routes.insert(route.prefix.clone(), Arc::new(route))
    }

    /// Removes the route with this path, cleaned first.
    pub fn remove(&mut self, path: &str) -> Option<Arc<Route>> {
        self.routes.remove(clean_path(path).as_str())
    }

    /// The route with exactly this path, cleaned first.
    pub fn get(&self, path: &str) -> Option<&Arc<Route>> {
        self.routes.get(clean_path(path).as_str())
    }

    /// The route with the longest whole-segment prefix of the decoded request path.
    pub fn lookup(&self, path: &str) -> Option<&Arc<Route>> {
        let trimmed = path.trim_matches('/');
        if trimmed.is_empty() {
            return self.routes.get("/");
        }
        let mut key = String::with_capacity(trimmed.len() + 1);
        key.push('/');
        key.push_str(trimmed);
        let mut end = key.len();
        loop {
            if let Some(route) = self.routes.get(&key[..end]) {
                return Some(route);
            }
            match key[..end].rfind('/') {
                Some(0) | None => return self.routes.get("/"),
                Some(slash) => end = slash,
            }
        }
    }

    /// How many routes there are.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Every route, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Route>> {
        self.routes.values()
    }
}

/// CHP's path normalisation: one leading `/`, no leading or trailing slashes beyond it.
pub fn clean_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    let mut clean = String::with_capacity(trimmed.len() + 1);
    clean.push('/');
    clean.push_str(trimmed);
    clean
}

#[cfg(test)]
mod tests;
