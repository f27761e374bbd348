//! Resolved API tokens, kept between requests: a token's row, its owner and the owner's
//! expanded scopes cost three or four queries to rebuild, and every API request needs them.
//!
//! An entry is only used while the database's write generation ([`ganymede_db::Db::write_generation`])
//! is the one read before the entry was built: every write except `last_activity` bumps it, so
//! a deleted token, user or service, a changed role, group membership or admin flag takes
//! effect on the next request. Expiry is checked on every use. Entries also age out after
//! [`MAX_AGE`], which bounds how long a write by another process (which this one cannot see:
//! one hub owns its database, so only a hand-made change) goes unnoticed. The age is longer
//! than the 5 minutes between a single-user server's activity posts, so a server's token is
//! resolved once, not on every post.
//!
//! Entries are keyed by the SHA-256 of the token, never the token itself, and the map is
//! cleared when it reaches [`MAX_ENTRIES`], so memory stays bounded without LRU bookkeeping on
//! the hot path.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use crate::identity::{Identity, Principal};

/// Most entries before the map is emptied and refilled by the next misses: room for the tokens
/// of 10,000 running servers and as many other clients, a few kilobytes each at most.
const MAX_ENTRIES: usize = 30_000;

/// The oldest entry used; writes by other processes take at most this long to be seen.
const MAX_AGE: TimeDelta = TimeDelta::minutes(10);

/// The key of a token: its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TokenKey([u8; 32]);

impl TokenKey {
    pub(crate) fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    cached_at: DateTime<Utc>,
    identity: Identity,
}

/// Token hash to resolved identity; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    entries: Mutex<HashMap<TokenKey, Entry>>,
}

impl AuthCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenKey, Entry>> {
        // Every critical section is a map operation or a clone, so a poisoned map is intact.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The identity cached for `key`, if it was built at `generation`, is younger than
    /// [`MAX_AGE`] and its token has not expired by `now`.
    pub(crate) fn get(
        &self,
        key: TokenKey,
        generation: u64,
        now: DateTime<Utc>,
    ) -> Option<Identity> {
        let mut entries = self.lock();
        let entry = entries.get(&key)?;
        let expired = entry
            .identity
            .token
            .as_ref()
            .and_then(|token| token.expires_at)
            .is_some_and(|at| at <= now);
        if entry.generation != generation || now - entry.cached_at >= MAX_AGE || expired {
            entries.remove(&key);
            return None;
        }
        Some(entry.identity.clone())
    }

    /// Keeps `identity`, built from reads that started at `generation`.
    pub(crate) fn insert(
        &self,
        key: TokenKey,
        generation: u64,
        now: DateTime<Utc>,
        identity: Identity,
    ) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                cached_at: now,
                identity,
            },
        );
    }

    /// Copies the `last_activity` just recorded for the token and its user into the entry, so
    /// the next request does not find it due again.
    pub(crate) fn recorded_activity(&self, key: TokenKey, identity: &Identity) {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(&key) else {
            return;
        };
        if let (Some(cached), Some(used)) = (&mut entry.identity.token, &identity.token)
            && cached.id == used.id
        {
            cached.last_activity = used.last_activity;
        }
        if let (Principal::User(cached), Principal::User(used)) =
            (&mut entry.identity.principal, &identity.principal)
            && cached.id == used.id
        {
            cached.last_activity = used.last_activity;
        }
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests;
