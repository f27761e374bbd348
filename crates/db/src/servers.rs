//! Servers (JupyterHub's spawners): get-or-create, state transitions recorded in
//! `server_events` in the same transaction, endpoint and spawner state, activity, listing.

use serde_json::Value;
use sqlx::any::AnyRow;

use crate::clock::to_micros;
use crate::db::{Db, ExecuteWrite};
use crate::dialect::Dialect;
use crate::error::{DbError, Result, Violation, violation};
use crate::model::{
    Page, Pagination, ServerEventId, ServerEventRow, ServerId, ServerRow, ServerState, UserId,
};
use crate::read::{Arg, FromRow, ReadConn};
use crate::row::{RowExt, check_name, corrupt, to_json};

macro_rules! select_servers {
    ($rest:literal) => {
        concat!(
            "SELECT id, user_id, name, display_name, state, spawner_state, state_version, ",
            "user_options, url, base_url, host, port, started, last_activity, created FROM servers ",
            $rest
        )
    };
}

/// The fields [`Db::upsert_server`] writes; `(user, name)` is the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    /// `""` for the default server.
    pub name: String,
    /// Shown in the UI.
    pub display_name: String,
    /// The server's URL prefix, e.g. `/user/alice/`.
    pub base_url: String,
    /// Options chosen on the spawn form.
    pub user_options: Value,
}

/// A move of the spawn state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The state the caller believes the server is in; when set, the move fails with
    /// [`DbError::ServerStateConflict`] if another task moved it first.
    pub expected: Option<ServerState>,
    /// The new state.
    pub to: ServerState,
    /// Why, for the event log.
    pub message: String,
}

impl FromRow for ServerRow {
    fn from_row(row: &impl RowExt) -> Result<Self> {
        server_row(row)
    }
}

fn server_row(row: &impl RowExt) -> Result<ServerRow> {
    let port = row
        .opt_int("servers.port")?
        .map(|p| u16::try_from(p).map_err(|_| corrupt("servers.port", format!("port {p}"))))
        .transpose()?;
    Ok(ServerRow {
        id: ServerId(row.int("servers.id")?),
        user_id: UserId(row.int("servers.user_id")?),
        name: row.text("servers.name")?,
        display_name: row.text("servers.display_name")?,
        state: row.server_state("servers.state")?,
        spawner_state: row.json("servers.spawner_state")?,
        state_version: i32::try_from(row.int("servers.state_version")?)
            .map_err(|e| corrupt("servers.state_version", e.to_string()))?,
        user_options: row.json("servers.user_options")?,
        url: row.opt_text("servers.url")?,
        base_url: row.text("servers.base_url")?,
        host: row.opt_text("servers.host")?,
        port,
        started: row.opt_time("servers.started")?,
        last_activity: row.opt_time("servers.last_activity")?,
        created: row.time("servers.created")?,
    })
}

fn event_row(row: &AnyRow) -> Result<ServerEventRow> {
    Ok(ServerEventRow {
        id: ServerEventId(row.int("server_events.id")?),
        server_id: ServerId(row.int("server_events.server_id")?),
        at: row.time("server_events.at")?,
        from_state: row.server_state("server_events.from_state")?,
        to_state: row.server_state("server_events.to_state")?,
        message: row.text("server_events.message")?,
    })
}

fn not_found(id: ServerId) -> DbError {
    DbError::ServerNotFound {
        what: id.to_string(),
    }
}

// === impl Db ===

impl Db {
    /// The user's server with this name (`""` for the default one).
    pub async fn get_server(&self, user: UserId, name: &str) -> Result<Option<ServerRow>> {
        let row = self
            .q(select_servers!("WHERE user_id = ? AND name = ?"))
            .bind(user.0)
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(server_row).transpose()
    }

    /// The server with this id.
    pub async fn get_server_by_id(&self, id: ServerId) -> Result<Option<ServerRow>> {
        let row = self
            .q(select_servers!("WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(server_row).transpose()
    }

    /// Creates the server stopped, or updates the display name, base URL and options of the
    /// existing one, leaving its state alone.
    pub async fn upsert_server(&self, user: UserId, spec: &ServerSpec) -> Result<ServerRow> {
        check_name("server name", &spec.name, true)?;
        let sql = match self.dialect {
            Dialect::MySql => concat!(
                "INSERT INTO servers (user_id, name, display_name, state, spawner_state, ",
                "state_version, user_options, base_url, created) VALUES (?, ?, ?, 'stopped', '{}', 0, ?, ?, ?) ",
                "ON DUPLICATE KEY UPDATE display_name = VALUES(display_name), ",
                "user_options = VALUES(user_options), base_url = VALUES(base_url)"
            ),
            Dialect::Sqlite | Dialect::Postgres => concat!(
                "INSERT INTO servers (user_id, name, display_name, state, spawner_state, ",
                "state_version, user_options, base_url, created) VALUES (?, ?, ?, 'stopped', '{}', 0, ?, ?, ?) ",
                "ON CONFLICT (user_id, name) DO UPDATE SET display_name = excluded.display_name, ",
                "user_options = excluded.user_options, base_url = excluded.base_url"
            ),
        };
        let mut tx = self.begin().await?;
        self.q(sql)
            .bind(user.0)
            .bind(spec.name.clone())
            .bind(spec.display_name.clone())
            .bind(to_json(&spec.user_options))
            .bind(spec.base_url.clone())
            .bind(to_micros(self.now()))
            .execute(&mut *tx)
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::ForeignKey) => DbError::UserNotFound {
                    name: format!("id {user}"),
                },
                _ => e.into(),
            })?;
        let row = self
            .q(select_servers!("WHERE user_id = ? AND name = ?"))
            .bind(user.0)
            .bind(spec.name.clone())
            .fetch_one(&mut *tx)
            .await?;
        self.commit(tx).await?;
        server_row(&row)
    }

    /// Moves a server to a new state and records the move in `server_events`, atomically.
    ///
    /// Entering `running` stamps `started`; entering `stopped` or `failed` clears `started` and
    /// the endpoint.
    pub async fn set_server_state(&self, id: ServerId, change: &Transition) -> Result<ServerRow> {
        let lock = match self.dialect {
            // SQLite's BEGIN IMMEDIATE already holds the write lock.
            Dialect::Sqlite => select_servers!("WHERE id = ?"),
            Dialect::Postgres | Dialect::MySql => select_servers!("WHERE id = ? FOR UPDATE"),
        };
        let mut tx = self.begin().await?;
        let row = self
            .q(lock)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found(id))?;
        let from = server_row(&row)?.state;
        if let Some(expected) = change.expected
            && expected != from
        {
            return Err(DbError::ServerStateConflict {
                server_id: id.0,
                expected,
                found: from,
            });
        }
        let now = to_micros(self.now());
        let update = match change.to {
            ServerState::Running if from != ServerState::Running => self
                .q("UPDATE servers SET state = ?, started = ? WHERE id = ?")
                .bind(change.to.as_str())
                .bind(now),
            ServerState::Stopped | ServerState::Failed => self
                .q("UPDATE servers SET state = ?, started = NULL, url = NULL, host = NULL, port = NULL WHERE id = ?")
                .bind(change.to.as_str()),
            _ => self
                .q("UPDATE servers SET state = ? WHERE id = ?")
                .bind(change.to.as_str()),
        };
        update.bind(id.0).execute(&mut *tx).await?;
        self.q("INSERT INTO server_events (server_id, at, from_state, to_state, message) VALUES (?, ?, ?, ?, ?)")
            .bind(id.0)
            .bind(now)
            .bind(from.as_str())
            .bind(change.to.as_str())
            .bind(change.message.clone())
            .execute(&mut *tx)
            .await?;
        let row = self
            .q(select_servers!("WHERE id = ?"))
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
        self.commit(tx).await?;
        server_row(&row)
    }

    /// Records where a started server listens.
    pub async fn set_server_endpoint(
        &self,
        id: ServerId,
        url: Option<&str>,
        host: Option<&str>,
        port: Option<u16>,
    ) -> Result<()> {
        let query = self
            .q("UPDATE servers SET url = ?, host = ?, port = ? WHERE id = ?")
            .bind(url.map(str::to_owned))
            .bind(host.map(str::to_owned))
            .bind(port.map(i64::from));
        self.update_server(id, query).await
    }

    /// Stores the spawner's state and its format version.
    pub async fn set_spawner_state(&self, id: ServerId, state: &Value, version: i32) -> Result<()> {
        let query = self
            .q("UPDATE servers SET spawner_state = ?, state_version = ? WHERE id = ?")
            .bind(to_json(state))
            .bind(i64::from(version));
        self.update_server(id, query).await
    }

    /// Renames a (stopped) named server, whose URL prefix moves with it;
    /// [`DbError::ServerExists`] if the name is taken.
    pub async fn rename_server(&self, id: ServerId, new_name: &str, base_url: &str) -> Result<()> {
        check_name("server name", new_name, true)?;
        let done = self
            .q("UPDATE servers SET name = ?, base_url = ? WHERE id = ?")
            .bind(new_name.to_owned())
            .bind(base_url.to_owned())
            .bind(id.0)
            .execute_write(self)
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::Unique) => DbError::ServerExists {
                    name: new_name.to_owned(),
                },
                _ => e.into(),
            })?;
        if done.rows_affected() == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Sets what a user may edit on a server: its display name and its options.
    pub async fn set_server_options(
        &self,
        id: ServerId,
        display_name: &str,
        user_options: &Value,
    ) -> Result<()> {
        let query = self
            .q("UPDATE servers SET display_name = ?, user_options = ? WHERE id = ?")
            .bind(display_name.to_owned())
            .bind(to_json(user_options));
        self.update_server(id, query).await
    }

    /// Deletes a server record with its events, OAuth client and shares.
    pub async fn delete_server(&self, id: ServerId) -> Result<()> {
        self.update_server(id, self.q("DELETE FROM servers WHERE id = ?"))
            .await
    }

    /// One page of a user's servers, by name (the default server first).
    pub async fn list_servers(&self, user: UserId, page: Pagination) -> Result<Page<ServerRow>> {
        let (limit, offset) = page.sql_args();
        let rows = self
            .q(select_servers!(
                "WHERE user_id = ? ORDER BY name LIMIT ? OFFSET ?"
            ))
            .bind(user.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(server_row).collect::<Result<Vec<_>>>()?;
        let count = self
            .q("SELECT COUNT(*) FROM servers WHERE user_id = ?")
            .bind(user.0);
        let total = self.count(&self.pool, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// Up to `limit` servers of any user that are not stopped or failed, with ids above
    /// `after` in id order (keyset paging, so a restart with many servers never scans twice).
    pub async fn list_active_servers(&self, after: ServerId, limit: u32) -> Result<Vec<ServerRow>> {
        let rows = self
            .q(select_servers!(
                "WHERE state IN ('queued', 'starting', 'waiting', 'running', 'stopping') AND id > ? ORDER BY id LIMIT ?"
            ))
            .bind(after.0)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(server_row).collect()
    }

    /// The servers of these users that are not stopped or failed (one query for a page of
    /// user models).
    pub async fn active_servers_of(&self, users: &[UserId]) -> Result<Vec<ServerRow>> {
        let users = users.to_vec();
        self.with_read_conn(move |db, mut conn| async move {
            db.active_servers_on(&mut conn, &users).await
        })
        .await
    }

    /// The same, on `conn` (with the rest of a page of user models).
    pub(crate) async fn active_servers_on(
        &self,
        conn: &mut ReadConn,
        users: &[UserId],
    ) -> Result<Vec<ServerRow>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; users.len()].join(", ");
        let sql = format!(
            "{} WHERE state IN ('queued', 'starting', 'waiting', 'running', 'stopping') AND user_id IN ({marks}) ORDER BY user_id, name",
            select_servers!("").trim_end()
        );
        let args = users.iter().map(|user| Arg::Int(user.0)).collect();
        conn.fetch_all(self, sql, args).await
    }

    /// One page of a server's state transitions, oldest first.
    pub async fn server_events(
        &self,
        id: ServerId,
        page: Pagination,
    ) -> Result<Page<ServerEventRow>> {
        let (limit, offset) = page.sql_args();
        let rows = self
            .q(concat!(
                "SELECT id, server_id, at, from_state, to_state, message FROM server_events ",
                "WHERE server_id = ? ORDER BY id LIMIT ? OFFSET ?"
            ))
            .bind(id.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(event_row).collect::<Result<Vec<_>>>()?;
        let count = self
            .q("SELECT COUNT(*) FROM server_events WHERE server_id = ?")
            .bind(id.0);
        let total = self.count(&self.pool, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// Runs an `UPDATE`/`DELETE` whose last placeholder is the server's id.
    async fn update_server(&self, id: ServerId, query: crate::db::AnyQuery<'static>) -> Result<()> {
        let done = query.bind(id.0).execute_write(self).await?;
        if done.rows_affected() == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }
}
