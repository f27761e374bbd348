//! Idle keep-alive connections to targets, by target, shared by the hyper pool
//! (`crate::upstream`) and the fast lane's plain one (`crate::fast::pool`).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How often a return also sweeps every target's idle list, not just its own.
const SWEEP_EVERY: u32 = 1024;

/// A connection that can wait in an [`IdleConnections`].
pub(crate) trait Reusable {
    /// The target closed it: drop it.
    fn is_closed(&self) -> bool;
    /// It can take a request now (hyper may still be winding up the previous exchange).
    fn is_ready(&self) -> bool {
        true
    }
}

/// Each target's idle connections, each with the time it was returned.
type ByTarget<K, C> = HashMap<K, Vec<(C, Instant)>, foldhash::fast::RandomState>;

/// Connections by target key, each with the time it was returned.
///
/// foldhash, not SipHash: keys come from the route table, not from clients, and are hashed twice
/// per request.
#[derive(Debug)]
pub(crate) struct IdleConnections<K, C> {
    idle: Mutex<ByTarget<K, C>>,
    idle_timeout: Duration,
    returns: AtomicU32,
}

impl<K: Hash + Eq, C: Reusable> IdleConnections<K, C> {
    pub(crate) fn new(idle_timeout: Duration) -> Self {
        Self {
            idle: Mutex::new(HashMap::default()),
            idle_timeout,
            returns: AtomicU32::new(0),
        }
    }

    /// The most recently returned connection to `key` that is ready; closed and stale ones are
    /// dropped, one not ready yet stays for later.
    pub(crate) fn take<Q>(&self, key: &Q) -> Option<C>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut idle = self.idle.lock().ok()?;
        let list = idle.get_mut(key)?;
        let now = Instant::now();
        list.retain(|entry| self.usable(entry, now));
        let ready = list.iter().rposition(|(conn, _)| conn.is_ready())?;
        Some(list.swap_remove(ready).0)
    }

    /// Keeps `conn`, at a message boundary, for the next request to `key`.
    pub(crate) fn put<Q>(&self, key: &Q, conn: C)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if conn.is_closed() {
            return;
        }
        let sweep = self
            .returns
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY);
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        let now = Instant::now();
        if sweep {
            idle.retain(|_, list| {
                list.retain(|entry| self.usable(entry, now));
                !list.is_empty()
            });
        }
        match idle.get_mut(key) {
            Some(list) => list.push((conn, now)),
            None => {
                idle.insert(key.to_owned(), vec![(conn, now)]);
            }
        }
    }

    fn usable(&self, (conn, since): &(C, Instant), now: Instant) -> bool {
        !conn.is_closed() && now.duration_since(*since) < self.idle_timeout
    }
}
