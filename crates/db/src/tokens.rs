//! API tokens (and OAuth access tokens): insert by hash, look up by value, list by owner,
//! delete, purge the expired, and batched activity updates.

use sqlx::any::AnyRow;

use crate::clock::to_micros;
use crate::db::{Db, ExecuteWrite, hash_token};
use crate::error::{DbError, Result, Violation, violation};
use crate::model::{NewToken, Page, Pagination, ServiceId, TokenId, TokenOwner, TokenRow, UserId};
use crate::row::{RowExt, corrupt, to_json};

macro_rules! select_tokens {
    ($rest:literal) => {
        concat!(
            "SELECT id, prefix, user_id, service_id, session_id, oauth_client_id, scopes, note, ",
            "created, last_activity, expires_at FROM api_tokens ",
            $rest
        )
    };
}

/// Tokens shorter than this are refused, as JupyterHub does.
const MIN_TOKEN_CHARS: usize = 8;

fn token_row(row: &AnyRow) -> Result<TokenRow> {
    let owner = match (
        row.opt_int("api_tokens.user_id")?,
        row.opt_int("api_tokens.service_id")?,
    ) {
        (Some(user), None) => TokenOwner::User(UserId(user)),
        (None, Some(service)) => TokenOwner::Service(ServiceId(service)),
        _ => return Err(corrupt("api_tokens.user_id", "not exactly one owner")),
    };
    Ok(TokenRow {
        id: TokenId(row.int("api_tokens.id")?),
        prefix: row.text("api_tokens.prefix")?,
        owner,
        session_id: row.opt_text("api_tokens.session_id")?,
        oauth_client_id: row.opt_text("api_tokens.oauth_client_id")?,
        scopes: row.json("api_tokens.scopes")?,
        note: row.text("api_tokens.note")?,
        created: row.time("api_tokens.created")?,
        last_activity: row.opt_time("api_tokens.last_activity")?,
        expires_at: row.opt_time("api_tokens.expires_at")?,
    })
}

/// `(user_id, service_id)` for an owner.
fn owner_ids(owner: TokenOwner) -> (Option<i64>, Option<i64>) {
    match owner {
        TokenOwner::User(id) => (Some(id.0), None),
        TokenOwner::Service(id) => (None, Some(id.0)),
    }
}

// === impl Db ===

impl Db {
    /// Stores a token's SHA-256 and metadata; the value itself is not kept.
    ///
    /// [`DbError::TokenExists`] if the same value is stored already.
    pub async fn insert_token(&self, new: &NewToken) -> Result<TokenRow> {
        if new.token.chars().count() < MIN_TOKEN_CHARS {
            return Err(DbError::Invalid {
                what: "token",
                reason: format!("shorter than {MIN_TOKEN_CHARS} characters"),
            });
        }
        let (user_id, service_id) = owner_ids(new.owner);
        let prefix: String = new.token.chars().take(4).collect();
        let now = self.now();
        let mut conn = self.pool.acquire().await?;
        let sql = concat!(
            "INSERT INTO api_tokens (hashed, prefix, user_id, service_id, session_id, ",
            "oauth_client_id, scopes, note, created, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        let id = self
            .insert_id(&mut conn, sql, |q| {
                q.bind(hash_token(&new.token))
                    .bind(prefix.clone())
                    .bind(user_id)
                    .bind(service_id)
                    .bind(new.session_id.clone())
                    .bind(new.oauth_client_id.clone())
                    .bind(to_json(&new.scopes))
                    .bind(new.note.clone())
                    .bind(to_micros(now))
                    .bind(new.expires_at.map(to_micros))
            })
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::Unique) => DbError::TokenExists,
                Some(Violation::ForeignKey) => DbError::Invalid {
                    what: "token",
                    reason: "its owner or oauth client does not exist".to_owned(),
                },
                _ => e.into(),
            })?;
        Ok(TokenRow {
            id: TokenId(id),
            prefix,
            owner: new.owner,
            session_id: new.session_id.clone(),
            oauth_client_id: new.oauth_client_id.clone(),
            scopes: new.scopes.clone(),
            note: new.note.clone(),
            created: now,
            last_activity: None,
            expires_at: new.expires_at,
        })
    }

    /// The unexpired token with this value.
    pub async fn find_token(&self, token: &str) -> Result<Option<TokenRow>> {
        let row = self
            .q(select_tokens!(
                "WHERE hashed = ? AND (expires_at IS NULL OR expires_at > ?)"
            ))
            .bind(hash_token(token))
            .bind(to_micros(self.now()))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_row).transpose()
    }

    /// The token with this id, expired or not.
    pub async fn get_token(&self, id: TokenId) -> Result<Option<TokenRow>> {
        let row = self
            .q(select_tokens!("WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_row).transpose()
    }

    /// One page of an owner's unexpired tokens, oldest first.
    pub async fn list_tokens(&self, owner: TokenOwner, page: Pagination) -> Result<Page<TokenRow>> {
        let (limit, offset) = page.sql_args();
        let now = to_micros(self.now());
        let (query, count) = match owner {
            TokenOwner::User(id) => (
                self.q(select_tokens!(
                    "WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id LIMIT ? OFFSET ?"
                ))
                .bind(id.0),
                self.q("SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)")
                    .bind(id.0),
            ),
            TokenOwner::Service(id) => (
                self.q(select_tokens!(
                    "WHERE service_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id LIMIT ? OFFSET ?"
                ))
                .bind(id.0),
                self.q("SELECT COUNT(*) FROM api_tokens WHERE service_id = ? AND (expires_at IS NULL OR expires_at > ?)")
                    .bind(id.0),
            ),
        };
        let rows = query
            .bind(now)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(token_row).collect::<Result<Vec<_>>>()?;
        let total = self.count(&self.pool, count.bind(now)).await?;
        Ok(Page::new(items, total, page))
    }

    /// Deletes one token; [`DbError::TokenNotFound`] if there is none with this id.
    pub async fn delete_token(&self, id: TokenId) -> Result<()> {
        let done = self
            .q("DELETE FROM api_tokens WHERE id = ?")
            .bind(id.0)
            .execute_write(self)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::TokenNotFound { id: id.0 });
        }
        Ok(())
    }

    /// The scopes of every unexpired token a user got from one OAuth client, together: what
    /// the user has already authorized that client to do.
    pub async fn client_token_scopes(
        &self,
        user: UserId,
        oauth_client_id: &str,
    ) -> Result<std::collections::BTreeSet<String>> {
        let rows = self
            .q("SELECT scopes, expires_at FROM api_tokens WHERE user_id = ? AND oauth_client_id = ?")
            .bind(user.0)
            .bind(oauth_client_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        let now = self.now();
        let mut scopes = std::collections::BTreeSet::new();
        for row in &rows {
            if row
                .opt_time("api_tokens.expires_at")?
                .is_some_and(|at| at <= now)
            {
                continue;
            }
            scopes.extend(row.json::<Vec<String>>("api_tokens.scopes")?);
        }
        Ok(scopes)
    }

    /// Deletes every token a user got from one OAuth client (revoking an OAuth token revokes
    /// them all, as in JupyterHub); returns how many.
    pub async fn delete_client_tokens(&self, user: UserId, oauth_client_id: &str) -> Result<u64> {
        let done = self
            .q("DELETE FROM api_tokens WHERE user_id = ? AND oauth_client_id = ?")
            .bind(user.0)
            .bind(oauth_client_id.to_owned())
            .execute_write(self)
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes every token issued to a browser session (logout revokes what that browser's
    /// OAuth logins created, as in JupyterHub); returns how many.
    pub async fn delete_session_tokens(&self, user: UserId, session_id: &str) -> Result<u64> {
        let done = self
            .q("DELETE FROM api_tokens WHERE user_id = ? AND session_id = ?")
            .bind(user.0)
            .bind(session_id.to_owned())
            .execute_write(self)
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes every token whose expiry has passed; returns how many.
    pub async fn delete_expired_tokens(&self) -> Result<u64> {
        let done = self
            .q("DELETE FROM api_tokens WHERE expires_at <= ?")
            .bind(to_micros(self.now()))
            .execute_write(self)
            .await?;
        Ok(done.rows_affected())
    }
}
