//! `last_activity` of users, servers and tokens, written many at a time.
//!
//! Every single-user server reports activity every few minutes and every authenticated
//! request may touch its token and user: one transaction per report would make the
//! database's commit rate the hub's limit. The hub gathers reports and writes them together.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::error::Result;
use crate::model::{ServerId, TokenId, UserId};

/// Activity to record: each id with the newest time reported for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityBatch {
    users: HashMap<UserId, DateTime<Utc>>,
    servers: HashMap<ServerId, DateTime<Utc>>,
    tokens: HashMap<TokenId, DateTime<Utc>>,
}

fn keep_newest<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, DateTime<Utc>>,
    id: K,
    at: DateTime<Utc>,
) {
    let slot = map.entry(id).or_insert(at);
    if *slot < at {
        *slot = at;
    }
}

impl ActivityBatch {
    /// A user was active at `at`.
    pub fn user(&mut self, id: UserId, at: DateTime<Utc>) {
        keep_newest(&mut self.users, id, at);
    }

    /// A server was active at `at`.
    pub fn server(&mut self, id: ServerId, at: DateTime<Utc>) {
        keep_newest(&mut self.servers, id, at);
    }

    /// A token was used at `at`.
    pub fn token(&mut self, id: TokenId, at: DateTime<Utc>) {
        keep_newest(&mut self.tokens, id, at);
    }

    /// Adds another batch's reports.
    pub fn merge(&mut self, other: Self) {
        for (id, at) in other.users {
            self.user(id, at);
        }
        for (id, at) in other.servers {
            self.server(id, at);
        }
        for (id, at) in other.tokens {
            self.token(id, at);
        }
    }

    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.servers.is_empty() && self.tokens.is_empty()
    }

    /// How many rows the batch may change.
    pub fn len(&self) -> usize {
        self.users.len() + self.servers.len() + self.tokens.len()
    }
}

impl Db {
    /// Writes a batch in one transaction. Times only move forward, so a late or repeated
    /// report changes nothing. Returns how many rows changed.
    pub async fn record_activity(&self, batch: &ActivityBatch) -> Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let mut changed = 0;
        let users = batch.users.iter().map(|(id, at)| (id.0, *at));
        let servers = batch.servers.iter().map(|(id, at)| (id.0, *at));
        let tokens = batch.tokens.iter().map(|(id, at)| (id.0, *at));
        changed += self.touch_in(&mut tx, "users", users).await?;
        changed += self.touch_in(&mut tx, "servers", servers).await?;
        changed += self.touch_in(&mut tx, "api_tokens", tokens).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Records activity for many users in one transaction.
    pub async fn touch_users(&self, updates: &[(UserId, DateTime<Utc>)]) -> Result<u64> {
        let mut batch = ActivityBatch::default();
        updates.iter().for_each(|(id, at)| batch.user(*id, *at));
        self.record_activity(&batch).await
    }

    /// Records activity for many servers in one transaction.
    pub async fn touch_servers(&self, updates: &[(ServerId, DateTime<Utc>)]) -> Result<u64> {
        let mut batch = ActivityBatch::default();
        updates.iter().for_each(|(id, at)| batch.server(*id, *at));
        self.record_activity(&batch).await
    }

    /// Records the use of many tokens in one transaction.
    pub async fn touch_tokens(&self, updates: &[(TokenId, DateTime<Utc>)]) -> Result<u64> {
        let mut batch = ActivityBatch::default();
        updates.iter().for_each(|(id, at)| batch.token(*id, *at));
        self.record_activity(&batch).await
    }
}
