//! Where "now" comes from: the system clock in production, a fixed or stepped clock in tests.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A source of the current time, cloned into every [`crate::Db`].
///
/// Every timestamp the database layer writes by itself (`created`, `started`, event times) and
/// every expiry check reads this clock, so tests can move time without sleeping.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

// === impl Clock ===

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(Utc::now))
    }

    /// A clock that calls `now`, e.g. one reading a test's `Arc<Mutex<DateTime<Utc>>>`.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time, truncated to the microsecond the database stores.
    pub fn now(&self) -> DateTime<Utc> {
        truncate((self.0)())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// Timestamps are stored as microseconds since the Unix epoch, UTC.
pub(crate) fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The inverse of [`to_micros`]; `None` only for values no clock can produce.
pub(crate) fn from_micros(us: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us)
}

/// Drops sub-microsecond precision so a value reads back equal to what was written.
pub(crate) fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    from_micros(to_micros(t)).unwrap_or(t)
}
