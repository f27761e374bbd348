//! Sharing a server: grants to users or groups, and invitation codes that become grants.

use sqlx::any::AnyRow;

use crate::clock::to_micros;
use crate::db::{Db, ExecuteWrite, hash_token};
use crate::dialect::Dialect;
use crate::error::{DbError, Result, Violation, violation};
use crate::model::{
    GroupId, NewShareCode, Page, Pagination, ServerId, ShareCodeId, ShareCodeRow, ShareId,
    ShareRow, ShareTarget, UserId,
};
use crate::row::{RowExt, corrupt, to_json};

macro_rules! select_codes {
    ($rest:literal) => {
        concat!(
            "SELECT id, server_id, scopes, created, expires_at, exchange_count, last_exchanged_at ",
            "FROM share_codes ",
            $rest
        )
    };
}

pub(crate) fn share_row(row: &AnyRow) -> Result<ShareRow> {
    let target = match (
        row.opt_int("shares.user_id")?,
        row.opt_int("shares.group_id")?,
    ) {
        (Some(user), None) => ShareTarget::User(UserId(user)),
        (None, Some(group)) => ShareTarget::Group(GroupId(group)),
        _ => return Err(corrupt("shares.user_id", "not exactly one target")),
    };
    Ok(ShareRow {
        id: ShareId(row.int("shares.id")?),
        server_id: ServerId(row.int("shares.server_id")?),
        target,
        scopes: row.json("shares.scopes")?,
        created: row.time("shares.created")?,
    })
}

pub(crate) fn code_row(row: &AnyRow) -> Result<ShareCodeRow> {
    Ok(ShareCodeRow {
        id: ShareCodeId(row.int("share_codes.id")?),
        server_id: ServerId(row.int("share_codes.server_id")?),
        scopes: row.json("share_codes.scopes")?,
        created: row.time("share_codes.created")?,
        expires_at: row.time("share_codes.expires_at")?,
        exchange_count: row.int("share_codes.exchange_count")?,
        last_exchanged_at: row.opt_time("share_codes.last_exchanged_at")?,
    })
}

pub(crate) fn target_ids(target: ShareTarget) -> (Option<i64>, Option<i64>, &'static str) {
    match target {
        ShareTarget::User(id) => (Some(id.0), None, "user_id"),
        ShareTarget::Group(id) => (None, Some(id.0), "group_id"),
    }
}

// === impl Db ===

impl Db {
    /// Grants `scopes` on a server to a user or group, replacing the scopes of an existing
    /// grant (whose `created` is kept).
    pub async fn upsert_share(
        &self,
        server: ServerId,
        target: ShareTarget,
        scopes: &[String],
    ) -> Result<ShareRow> {
        let (user_id, group_id, column) = target_ids(target);
        let upsert = match self.dialect {
            Dialect::MySql => concat!(
                "INSERT INTO shares (server_id, user_id, group_id, scopes, created) ",
                "VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE scopes = VALUES(scopes)"
            )
            .to_owned(),
            Dialect::Sqlite | Dialect::Postgres => format!(
                "INSERT INTO shares (server_id, user_id, group_id, scopes, created) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (server_id, {column}) \
                 DO UPDATE SET scopes = excluded.scopes"
            ),
        };
        let mut tx = self.begin().await?;
        self.q_owned(upsert)
            .bind(server.0)
            .bind(user_id)
            .bind(group_id)
            .bind(to_json(&scopes))
            .bind(to_micros(self.now()))
            .execute(&mut *tx)
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::ForeignKey) => DbError::Invalid {
                    what: "share",
                    reason: "its server, user or group does not exist".to_owned(),
                },
                _ => e.into(),
            })?;
        let row = self
            .q_owned(format!(
                "SELECT id, server_id, user_id, group_id, scopes, created FROM shares \
                 WHERE server_id = ? AND {column} = ?"
            ))
            .bind(server.0)
            .bind(user_id.or(group_id))
            .fetch_one(&mut *tx)
            .await?;
        self.commit(tx).await?;
        share_row(&row)
    }

    /// One page of a server's shares, oldest first.
    pub async fn list_server_shares(
        &self,
        server: ServerId,
        page: Pagination,
    ) -> Result<Page<ShareRow>> {
        let (limit, offset) = page.sql_args();
        let rows = self
            .q(concat!(
                "SELECT id, server_id, user_id, group_id, scopes, created FROM shares ",
                "WHERE server_id = ? ORDER BY id LIMIT ? OFFSET ?"
            ))
            .bind(server.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(share_row).collect::<Result<Vec<_>>>()?;
        let count = self
            .q("SELECT COUNT(*) FROM shares WHERE server_id = ?")
            .bind(server.0);
        let total = self.count(&self.pool, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// One page of the shares a user receives, directly or through a group, oldest first.
    pub async fn list_user_shares(&self, user: UserId, page: Pagination) -> Result<Page<ShareRow>> {
        let (limit, offset) = page.sql_args();
        let filter = concat!(
            "WHERE user_id = ? OR group_id IN ",
            "(SELECT group_id FROM user_groups WHERE user_id = ?)"
        );
        let rows = self
            .q_owned(format!(
                "SELECT id, server_id, user_id, group_id, scopes, created FROM shares {filter} \
                 ORDER BY id LIMIT ? OFFSET ?"
            ))
            .bind(user.0)
            .bind(user.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(share_row).collect::<Result<Vec<_>>>()?;
        let count = self
            .q_owned(format!("SELECT COUNT(*) FROM shares {filter}"))
            .bind(user.0)
            .bind(user.0);
        let total = self.count(&self.pool, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// Revokes one grant; returns whether it existed.
    pub async fn delete_share(&self, server: ServerId, target: ShareTarget) -> Result<bool> {
        let (user_id, group_id, column) = target_ids(target);
        let done = self
            .q_owned(format!(
                "DELETE FROM shares WHERE server_id = ? AND {column} = ?"
            ))
            .bind(server.0)
            .bind(user_id.or(group_id))
            .execute_write(self)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores a share code's SHA-256.
    pub async fn insert_share_code(&self, new: &NewShareCode) -> Result<ShareCodeRow> {
        let now = self.now();
        let mut conn = self.pool.acquire().await?;
        let sql = concat!(
            "INSERT INTO share_codes (server_id, code_hash, scopes, created, expires_at, ",
            "exchange_count) VALUES (?, ?, ?, ?, ?, 0)"
        );
        let id = self
            .insert_id(&mut conn, sql, |q| {
                q.bind(new.server_id.0)
                    .bind(hash_token(&new.code))
                    .bind(to_json(&new.scopes))
                    .bind(to_micros(now))
                    .bind(to_micros(new.expires_at))
            })
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::ForeignKey) => DbError::ServerNotFound {
                    what: new.server_id.to_string(),
                },
                _ => e.into(),
            })?;
        Ok(ShareCodeRow {
            id: ShareCodeId(id),
            server_id: new.server_id,
            scopes: new.scopes.clone(),
            created: now,
            expires_at: new.expires_at,
            exchange_count: 0,
            last_exchanged_at: None,
        })
    }

    /// One page of a server's unexpired share codes, oldest first.
    pub async fn list_share_codes(
        &self,
        server: ServerId,
        page: Pagination,
    ) -> Result<Page<ShareCodeRow>> {
        let (limit, offset) = page.sql_args();
        let now = to_micros(self.now());
        let rows = self
            .q(select_codes!(
                "WHERE server_id = ? AND expires_at > ? ORDER BY id LIMIT ? OFFSET ?"
            ))
            .bind(server.0)
            .bind(now)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(code_row).collect::<Result<Vec<_>>>()?;
        let count = self
            .q("SELECT COUNT(*) FROM share_codes WHERE server_id = ? AND expires_at > ?")
            .bind(server.0)
            .bind(now);
        let total = self.count(&self.pool, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// Accepts a share code: counts the exchange and returns the code, or `None` if it is
    /// unknown or expired. Codes are reusable until they expire, as in JupyterHub.
    pub async fn exchange_share_code(&self, code: &str) -> Result<Option<ShareCodeRow>> {
        let now = self.now();
        let hashed = hash_token(code);
        let mut tx = self.begin().await?;
        let done = self
            .q(concat!(
                "UPDATE share_codes SET exchange_count = exchange_count + 1, last_exchanged_at = ? ",
                "WHERE code_hash = ? AND expires_at > ?"
            ))
            .bind(to_micros(now))
            .bind(hashed.clone())
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = self
            .q(select_codes!("WHERE code_hash = ?"))
            .bind(hashed)
            .fetch_one(&mut *tx)
            .await?;
        self.commit(tx).await?;
        code_row(&row).map(Some)
    }

    /// Deletes one share code; returns whether it existed.
    pub async fn delete_share_code(&self, id: ShareCodeId) -> Result<bool> {
        let done = self
            .q("DELETE FROM share_codes WHERE id = ?")
            .bind(id.0)
            .execute_write(self)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes every expired share code; returns how many.
    pub async fn delete_expired_share_codes(&self) -> Result<u64> {
        let done = self
            .q("DELETE FROM share_codes WHERE expires_at <= ?")
            .bind(to_micros(self.now()))
            .execute_write(self)
            .await?;
        Ok(done.rows_affected())
    }
}
