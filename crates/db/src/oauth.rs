//! The hub as OAuth provider: clients (upserted at every start) and single-use authorization
//! codes (taken and deleted in one transaction).

use sqlx::any::AnyRow;

use crate::clock::to_micros;
use crate::db::{Db, ExecuteWrite, hash_token};
use crate::dialect::Dialect;
use crate::error::{DbError, Result, Violation, violation};
use crate::model::{
    NewOAuthClient, NewOAuthCode, OAuthClientRow, OAuthCodeId, OAuthCodeRow, Page, Pagination,
    ServerId, ServiceId, UserId,
};
use crate::row::{RowExt, check_name, to_json};

macro_rules! select_clients {
    ($rest:literal) => {
        concat!(
            "SELECT identifier, description, secret_hash, redirect_uri, allowed_scopes, user_id, ",
            "server_id, service_id FROM oauth_clients ",
            $rest
        )
    };
}

fn client_row(row: &AnyRow) -> Result<OAuthClientRow> {
    Ok(OAuthClientRow {
        identifier: row.text("oauth_clients.identifier")?,
        description: row.text("oauth_clients.description")?,
        secret_hash: row.text("oauth_clients.secret_hash")?,
        redirect_uri: row.text("oauth_clients.redirect_uri")?,
        allowed_scopes: row.json("oauth_clients.allowed_scopes")?,
        user_id: row.opt_int("oauth_clients.user_id")?.map(UserId),
        server_id: row.opt_int("oauth_clients.server_id")?.map(ServerId),
        service_id: row.opt_int("oauth_clients.service_id")?.map(ServiceId),
    })
}

fn code_row(row: &AnyRow) -> Result<OAuthCodeRow> {
    Ok(OAuthCodeRow {
        id: OAuthCodeId(row.int("oauth_codes.id")?),
        client_id: row.text("oauth_codes.client_id")?,
        user_id: UserId(row.int("oauth_codes.user_id")?),
        session_id: row.opt_text("oauth_codes.session_id")?,
        scopes: row.json("oauth_codes.scopes")?,
        redirect_uri: row.text("oauth_codes.redirect_uri")?,
        code_challenge: row.opt_text("oauth_codes.code_challenge")?,
        code_challenge_method: row.opt_text("oauth_codes.code_challenge_method")?,
        expires_at: row.time("oauth_codes.expires_at")?,
    })
}

fn not_found(identifier: &str) -> DbError {
    DbError::OAuthClientNotFound {
        identifier: identifier.to_owned(),
    }
}

// === impl Db ===

impl Db {
    /// Creates the client, or replaces every field of the one with this identifier.
    pub async fn upsert_oauth_client(&self, new: &NewOAuthClient) -> Result<OAuthClientRow> {
        check_name("oauth client id", &new.identifier, false)?;
        let sql = match self.dialect {
            Dialect::MySql => concat!(
                "INSERT INTO oauth_clients (identifier, description, secret_hash, redirect_uri, ",
                "allowed_scopes, user_id, server_id, service_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ",
                "ON DUPLICATE KEY UPDATE description = VALUES(description), ",
                "secret_hash = VALUES(secret_hash), redirect_uri = VALUES(redirect_uri), ",
                "allowed_scopes = VALUES(allowed_scopes), user_id = VALUES(user_id), ",
                "server_id = VALUES(server_id), service_id = VALUES(service_id)"
            ),
            Dialect::Sqlite | Dialect::Postgres => concat!(
                "INSERT INTO oauth_clients (identifier, description, secret_hash, redirect_uri, ",
                "allowed_scopes, user_id, server_id, service_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ",
                "ON CONFLICT (identifier) DO UPDATE SET description = excluded.description, ",
                "secret_hash = excluded.secret_hash, redirect_uri = excluded.redirect_uri, ",
                "allowed_scopes = excluded.allowed_scopes, user_id = excluded.user_id, ",
                "server_id = excluded.server_id, service_id = excluded.service_id"
            ),
        };
        let row = OAuthClientRow {
            identifier: new.identifier.clone(),
            description: new.description.clone(),
            secret_hash: hash_token(&new.secret),
            redirect_uri: new.redirect_uri.clone(),
            allowed_scopes: new.allowed_scopes.clone(),
            user_id: new.user_id,
            server_id: new.server_id,
            service_id: new.service_id,
        };
        self.q(sql)
            .bind(row.identifier.clone())
            .bind(row.description.clone())
            .bind(row.secret_hash.clone())
            .bind(row.redirect_uri.clone())
            .bind(to_json(&row.allowed_scopes))
            .bind(row.user_id.map(|id| id.0))
            .bind(row.server_id.map(|id| id.0))
            .bind(row.service_id.map(|id| id.0))
            .execute_write(self)
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::ForeignKey) => DbError::Invalid {
                    what: "oauth client",
                    reason: "its user, server or service does not exist".to_owned(),
                },
                _ => e.into(),
            })?;
        Ok(row)
    }

    /// The client with this identifier.
    pub async fn get_oauth_client(&self, identifier: &str) -> Result<Option<OAuthClientRow>> {
        let row = self
            .q(select_clients!("WHERE identifier = ?"))
            .bind(identifier.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(client_row).transpose()
    }

    /// One page of clients, by identifier.
    pub async fn list_oauth_clients(&self, page: Pagination) -> Result<Page<OAuthClientRow>> {
        self.list_page(
            select_clients!("ORDER BY identifier LIMIT ? OFFSET ?"),
            "SELECT COUNT(*) FROM oauth_clients",
            page,
            client_row,
        )
        .await
    }

    /// Deletes a client with the tokens and codes it issued.
    pub async fn delete_oauth_client(&self, identifier: &str) -> Result<()> {
        let done = self
            .q("DELETE FROM oauth_clients WHERE identifier = ?")
            .bind(identifier.to_owned())
            .execute_write(self)
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(identifier));
        }
        Ok(())
    }

    /// Stores an authorization code's SHA-256 and what it grants.
    pub async fn insert_oauth_code(&self, new: &NewOAuthCode) -> Result<OAuthCodeRow> {
        let mut conn = self.pool.acquire().await?;
        let sql = concat!(
            "INSERT INTO oauth_codes (client_id, code_hash, user_id, session_id, scopes, ",
            "redirect_uri, code_challenge, code_challenge_method, expires_at) ",
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        let id = self
            .insert_id(&mut conn, sql, |q| {
                q.bind(new.client_id.clone())
                    .bind(hash_token(&new.code))
                    .bind(new.user_id.0)
                    .bind(new.session_id.clone())
                    .bind(to_json(&new.scopes))
                    .bind(new.redirect_uri.clone())
                    .bind(new.code_challenge.clone())
                    .bind(new.code_challenge_method.clone())
                    .bind(to_micros(new.expires_at))
            })
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::ForeignKey) => not_found(&new.client_id),
                Some(Violation::Unique) => DbError::Invalid {
                    what: "oauth code",
                    reason: "already issued".to_owned(),
                },
                _ => e.into(),
            })?;
        Ok(OAuthCodeRow {
            id: OAuthCodeId(id),
            client_id: new.client_id.clone(),
            user_id: new.user_id,
            session_id: new.session_id.clone(),
            scopes: new.scopes.clone(),
            redirect_uri: new.redirect_uri.clone(),
            code_challenge: new.code_challenge.clone(),
            code_challenge_method: new.code_challenge_method.clone(),
            expires_at: new.expires_at,
        })
    }

    /// Redeems a code: returns it and deletes it, so a second redemption finds nothing.
    ///
    /// An expired code is deleted too, and `None` is returned. Of two concurrent callers,
    /// exactly one gets the row: the delete's row count decides.
    pub async fn take_oauth_code(&self, code: &str) -> Result<Option<OAuthCodeRow>> {
        let mut tx = self.begin().await?;
        let row = self
            .q(concat!(
                "SELECT id, client_id, user_id, session_id, scopes, redirect_uri, code_challenge, ",
                "code_challenge_method, expires_at FROM oauth_codes WHERE code_hash = ?"
            ))
            .bind(hash_token(code))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let found = code_row(&row)?;
        let done = self
            .q("DELETE FROM oauth_codes WHERE id = ?")
            .bind(found.id.0)
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        let live = found.expires_at > self.now();
        Ok((done.rows_affected() == 1 && live).then_some(found))
    }

    /// Deletes every expired code; returns how many.
    pub async fn delete_expired_oauth_codes(&self) -> Result<u64> {
        let done = self
            .q("DELETE FROM oauth_codes WHERE expires_at <= ?")
            .bind(to_micros(self.now()))
            .execute_write(self)
            .await?;
        Ok(done.rows_affected())
    }
}
