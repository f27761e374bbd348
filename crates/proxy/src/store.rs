//! The route table shared between the REST API (writers) and the data plane (readers).

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Map, Value};

use crate::route_table::{Route, RouteError, RouteTable};

/// A [`RouteTable`] behind a lock, with the operations the API and the hub need.
///
/// Readers hold the lock only for a hash lookup and clone an `Arc<Route>` out, so a writer adding
/// routes never waits on a slow request.
#[derive(Debug, Default)]
pub struct RouteStore {
    table: RwLock<RouteTable>,
}

impl RouteStore {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn read(&self) -> RwLockReadGuard<'_, RouteTable> {
        // A panic while holding the lock cannot leave the map half-written (insert and remove are
        // single calls), so a poisoned lock is still a consistent table.
        self.table
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, RouteTable> {
        self.table
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds or replaces a route from the JSON object an API client posted.
    pub fn add(&self, path: &str, data: Map<String, Value>) -> Result<Arc<Route>, RouteError> {
        let route = Route::new(path, data)?;
        let mut table = self.write();
        table.insert(route);
        // Just inserted under this same lock, so the lookup cannot miss; fall back to an error
        // rather than panic all the same.
        table.get(path).cloned().ok_or(RouteError::MissingTarget)
    }

    /// Removes a route; `None` if there was none.
    pub fn remove(&self, path: &str) -> Option<Arc<Route>> {
        self.write().remove(path)
    }

    /// The route with exactly this path.
    pub fn get(&self, path: &str) -> Option<Arc<Route>> {
        self.read().get(path).cloned()
    }

    /// The route that serves a decoded request path.
    pub fn lookup(&self, path: &str) -> Option<Arc<Route>> {
        self.read().lookup(path).cloned()
    }

    /// How many routes there are.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether there are no routes.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Every route, as a snapshot.
    pub fn all(&self) -> Vec<Arc<Route>> {
        self.read().iter().cloned().collect()
    }

    /// The API's listing: `{path: route}` for routes whose last activity is before
    /// `inactive_since_ms`, or all of them.
    pub fn to_json(&self, inactive_since_ms: Option<i64>) -> Value {
        let routes = self.all();
        let map: Map<String, Value> = routes
            .iter()
            .filter(|route| inactive_since_ms.is_none_or(|since| route.activity().millis() < since))
            .map(|route| (route.prefix().to_owned(), route.to_json()))
            .collect();
        Value::Object(map)
    }
}
