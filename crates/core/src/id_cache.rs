//! User and server ids by name, kept between activity posts.
//!
//! Every running server posts `POST /users/{name}/activity` every few minutes, and a post needs
//! nothing of the user but its id (and its servers' ids). Reading them from the database costs a
//! round trip to a connection's worker thread per post, which at 10,000 servers was most of the
//! hub's idle CPU. The names map to ids as long as nothing but activity was written: an entry is
//! used only while [`ganymede_db::Db::write_generation`] is the one read before it was looked
//! up, so a deleted, renamed or recreated user or server is read again on the next post.
//! Entries also age out after [`MAX_AGE`], which bounds how long a write by another process
//! goes unnoticed; servers post every 5 minutes by default, so the age is longer than that.
//!
//! The maps are emptied when the generation moves or they reach [`MAX_ENTRIES`], so memory
//! stays bounded without per-entry bookkeeping.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use ganymede_db::{ServerId, UserId};

/// Most names kept before the maps are emptied and refilled by the next misses.
const MAX_ENTRIES: usize = 200_000;

/// The oldest entry used.
const MAX_AGE: TimeDelta = TimeDelta::minutes(10);

/// An id and when it was read.
type Entry<Id> = (Id, DateTime<Utc>);

#[derive(Debug, Default)]
struct Maps {
    generation: u64,
    users: HashMap<Box<str>, Entry<UserId>>,
    servers: HashMap<UserId, HashMap<Box<str>, Entry<ServerId>>>,
}

impl Maps {
    /// The maps as of `generation`: emptied if they hold an older one, `None` if they already
    /// hold a newer one (what was read at `generation` may be stale).
    fn at(&mut self, generation: u64) -> Option<&mut Self> {
        if generation < self.generation {
            return None;
        }
        if generation > self.generation {
            self.clear();
            self.generation = generation;
        }
        Some(self)
    }

    fn clear(&mut self) {
        self.users.clear();
        self.servers.clear();
    }

    /// Makes room for one more entry. Users with servers count once: they have one or a few.
    fn reserve_one(&mut self) {
        if self.users.len() + self.servers.len() >= MAX_ENTRIES {
            self.clear();
        }
    }
}

/// Names to ids; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct IdCache {
    maps: Mutex<Maps>,
}

fn fresh<T: Copy>(entry: Option<&Entry<T>>, now: DateTime<Utc>) -> Option<T> {
    entry
        .filter(|(_, cached_at)| now - *cached_at < MAX_AGE)
        .map(|(id, _)| *id)
}

impl IdCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        // Every critical section is a map operation, so a poisoned map is intact.
        self.maps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The id of the user `name`, if it was looked up at `generation` less than [`MAX_AGE`]
    /// before `now`.
    pub(crate) fn user(&self, name: &str, generation: u64, now: DateTime<Utc>) -> Option<UserId> {
        let mut maps = self.lock();
        fresh(maps.at(generation)?.users.get(name), now)
    }

    /// Keeps the id of the user `name`, read after `generation` was.
    pub(crate) fn insert_user(&self, name: &str, id: UserId, generation: u64, now: DateTime<Utc>) {
        let mut maps = self.lock();
        if let Some(maps) = maps.at(generation) {
            maps.reserve_one();
            maps.users.insert(name.into(), (id, now));
        }
    }

    /// The id of `user`'s server `name`, as [`IdCache::user`].
    pub(crate) fn server(
        &self,
        user: UserId,
        name: &str,
        generation: u64,
        now: DateTime<Utc>,
    ) -> Option<ServerId> {
        let mut maps = self.lock();
        fresh(maps.at(generation)?.servers.get(&user)?.get(name), now)
    }

    /// Keeps the id of `user`'s server `name`, read after `generation` was.
    pub(crate) fn insert_server(
        &self,
        user: UserId,
        name: &str,
        id: ServerId,
        generation: u64,
        now: DateTime<Utc>,
    ) {
        let mut maps = self.lock();
        if let Some(maps) = maps.at(generation) {
            maps.reserve_one();
            maps.servers
                .entry(user)
                .or_default()
                .insert(name.into(), (id, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_one_generation_and_age_out() {
        let cache = IdCache::default();
        let now = Utc::now();
        assert_eq!(cache.user("alice", 1, now), None);
        cache.insert_user("alice", UserId(7), 1, now);
        assert_eq!(cache.user("alice", 1, now), Some(UserId(7)));
        assert_eq!(cache.user("bob", 1, now), None);
        assert_eq!(cache.user("alice", 1, now + MAX_AGE), None);
        // A write happened: everything is read again, and the old generation is stale.
        assert_eq!(cache.user("alice", 2, now), None);
        assert_eq!(cache.user("alice", 1, now), None);
        cache.insert_user("alice", UserId(7), 1, now);
        assert_eq!(cache.user("alice", 2, now), None);
    }

    #[test]
    fn a_lookup_that_started_before_a_write_is_not_kept() {
        let cache = IdCache::default();
        let now = Utc::now();
        // Another request already saw generation 3; a lookup that began at 2 is stale.
        assert_eq!(cache.user("x", 3, now), None);
        cache.insert_user("alice", UserId(7), 2, now);
        assert_eq!(cache.user("alice", 3, now), None);
    }

    #[test]
    fn servers_are_per_user() {
        let cache = IdCache::default();
        let now = Utc::now();
        cache.insert_server(UserId(1), "", ServerId(10), 5, now);
        cache.insert_server(UserId(1), "gpu", ServerId(11), 5, now);
        assert_eq!(cache.server(UserId(1), "", 5, now), Some(ServerId(10)));
        assert_eq!(cache.server(UserId(1), "gpu", 5, now), Some(ServerId(11)));
        assert_eq!(cache.server(UserId(2), "", 5, now), None);
        assert_eq!(cache.server(UserId(1), "", 6, now), None);
    }
}
