//! [`LoginLimiter`]: a pause after too many failed logins for one user name from one client.
//!
//! After `authenticator.allowed_failed_logins` failures within
//! `authenticator.seconds_before_next_try` seconds, the pair is refused without checking the
//! password until that many seconds have passed since the last counted failure; a success
//! clears the pair.
//! JupyterHub itself has no such limit; the two settings and their meaning come from its
//! NativeAuthenticator.
//!
//! Memory stays bounded whatever names an attacker sends: each pair is kept as a keyed 64-bit
//! hash (so a long name costs nothing), and past the capacity the least recently touched pair is
//! forgotten.
//! The caller passes the time, so tests need no clock and no sleep.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ganymede_config::AuthenticatorSection;

/// How many (user name, client) pairs a limiter remembers by default (a few MiB at most).
pub const DEFAULT_LIMITER_CAPACITY: usize = 100_000;

/// The longest pause honoured, so `now + pause` cannot overflow (ten years).
const MAX_PAUSE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Failed-login counts per (normalised user name, client address).
#[derive(Debug)]
pub struct LoginLimiter {
    /// Failures allowed before the pause; 0 turns the limiter off.
    allowed: u32,
    /// The pause, and the window failures are counted in; zero turns the limiter off.
    pause: Duration,
    capacity: usize,
    /// Keys the pair hashes, randomly per limiter so no one can aim for collisions.
    hasher: RandomState,
    table: Mutex<Table>,
}

/// The pairs, and their order of last use for eviction.
#[derive(Debug, Default)]
struct Table {
    slots: HashMap<u64, Slot>,
    /// Last-use sequence number → pair; the first entry is the one to evict.
    by_use: BTreeMap<u64, u64>,
    next_use: u64,
}

/// One pair's failures.
#[derive(Debug, Clone, Copy)]
struct Slot {
    failures: u32,
    /// The first failure counted in the current window.
    since: Instant,
    /// Set once `failures` reaches the limit.
    locked_until: Option<Instant>,
    /// This pair's key in `Table::by_use`.
    last_use: u64,
}

// === impl LoginLimiter ===

impl LoginLimiter {
    /// A limiter allowing `allowed_failed_logins` failures, then pausing for
    /// `seconds_before_next_try` seconds; either being 0 turns it off.
    pub fn new(allowed_failed_logins: u32, seconds_before_next_try: u64) -> Self {
        Self {
            allowed: allowed_failed_logins,
            pause: Duration::from_secs(seconds_before_next_try).min(MAX_PAUSE),
            capacity: DEFAULT_LIMITER_CAPACITY,
            hasher: RandomState::new(),
            table: Mutex::new(Table::default()),
        }
    }

    /// The limiter `authenticator.allowed_failed_logins` and
    /// `authenticator.seconds_before_next_try` describe.
    pub fn from_config(section: &AuthenticatorSection) -> Self {
        Self::new(
            section.allowed_failed_logins,
            section.seconds_before_next_try,
        )
    }

    /// Remembers at most `capacity` pairs (at least one), forgetting the least recently used.
    #[must_use]
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Whether the limiter counts anything.
    pub fn is_enabled(&self) -> bool {
        self.allowed > 0 && !self.pause.is_zero()
    }

    /// `Err(wait)` when the pair must wait before its password is checked again.
    pub fn check(&self, user: &str, client: &str, now: Instant) -> Result<(), Duration> {
        if !self.is_enabled() {
            return Ok(());
        }
        let key = self.key(user, client);
        match self
            .lock()
            .slots
            .get(&key)
            .and_then(|slot| slot.locked_until)
        {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failed login; the failure that reaches the limit starts the pause.
    pub fn record_failure(&self, user: &str, client: &str, now: Instant) {
        if !self.is_enabled() {
            return;
        }
        let key = self.key(user, client);
        let mut table = self.lock();
        let fresh = Slot {
            failures: 0,
            since: now,
            locked_until: None,
            last_use: 0,
        };
        let mut slot = match table.slots.get(&key) {
            Some(slot) => *slot,
            None => {
                table.evict_to(self.capacity - 1);
                fresh
            }
        };
        let lock_over = slot.locked_until.is_some_and(|until| until <= now);
        let window_over = now.saturating_duration_since(slot.since) >= self.pause;
        if lock_over || (slot.locked_until.is_none() && window_over) {
            slot = Slot {
                last_use: slot.last_use,
                ..fresh
            };
        }
        slot.failures = slot.failures.saturating_add(1);
        if slot.locked_until.is_none() && slot.failures >= self.allowed {
            slot.locked_until = Some(now + self.pause);
            tracing::debug!(
                failures = slot.failures,
                "pausing logins for a user and client"
            );
        }
        table.touch(key, slot);
    }

    /// Forgets the pair's failures after a successful login.
    pub fn record_success(&self, user: &str, client: &str) {
        if !self.is_enabled() {
            return;
        }
        let key = self.key(user, client);
        let mut table = self.lock();
        if let Some(slot) = table.slots.remove(&key) {
            table.by_use.remove(&slot.last_use);
        }
    }

    /// How many pairs are remembered.
    pub fn len(&self) -> usize {
        self.lock().slots.len()
    }

    /// Whether no pair is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key(&self, user: &str, client: &str) -> u64 {
        self.hasher.hash_one((user, client))
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every update leaves the table consistent before anything that could panic.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// === impl Table ===

impl Table {
    /// Stores `slot` as the most recently used.
    fn touch(&mut self, key: u64, mut slot: Slot) {
        if let Some(old) = self.slots.get(&key) {
            self.by_use.remove(&old.last_use);
        }
        slot.last_use = self.next_use;
        self.next_use += 1;
        self.by_use.insert(slot.last_use, key);
        self.slots.insert(key, slot);
    }

    /// Forgets the least recently used pairs until at most `len` remain.
    fn evict_to(&mut self, len: usize) {
        while self.slots.len() > len {
            let Some((_, key)) = self.by_use.pop_first() else {
                break;
            };
            self.slots.remove(&key);
        }
    }
}
