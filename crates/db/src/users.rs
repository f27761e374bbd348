//! Users: batch creation, lookups, the paginated and filtered list behind `GET /users`, renames,
//! the admin flag, encrypted auth state and batched activity updates.

use std::collections::HashSet;

use serde_json::Value;
use sqlx::AnyConnection;

use crate::bookmarks::Listing;
use crate::clock::to_micros;
use crate::db::{Db, ExecuteWrite, IN_BATCH, INSERT_BATCH, random_hex};
use crate::dialect::{Dialect, placeholders};
use crate::error::{DbError, Result, Violation, violation};
use crate::model::{Page, UserId, UserQuery, UserRow, UserSort, UserState};
use crate::read::{Arg, Count, FromRow, ReadConn};
use crate::row::{RowExt, check_name, flag, to_json};

macro_rules! select_users {
    ($($rest:literal)?) => {
        concat!(
            "SELECT id, name, admin, created, last_activity, cookie_id, user_info FROM users ",
            $($rest)?
        )
    };
}

/// The server states that make a user "active" (everything but stopped and failed).
const ACTIVE_STATES: &str = "('queued', 'starting', 'waiting', 'running', 'stopping')";

fn user_row(row: &impl RowExt) -> Result<UserRow> {
    Ok(UserRow {
        id: UserId(row.int("users.id")?),
        name: row.text("users.name")?,
        admin: row.flag("users.admin")?,
        created: row.time("users.created")?,
        last_activity: row.opt_time("users.last_activity")?,
        cookie_id: row.text("users.cookie_id")?,
        user_info: row.opt_json("users.user_info")?,
    })
}

impl FromRow for UserRow {
    fn from_row(row: &impl RowExt) -> Result<Self> {
        user_row(row)
    }
}

/// `WHERE a AND b ...`, or nothing for no conditions.
fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// `%<filter>%` for `LIKE ... ESCAPE '!'`, with the wildcards in the filter escaped.
fn like_pattern(filter: &str) -> String {
    let mut out = String::with_capacity(filter.len() + 2);
    out.push('%');
    for c in filter.chars() {
        if matches!(c, '!' | '%' | '_') {
            out.push('!');
        }
        out.push(c);
    }
    out.push('%');
    out
}

// === impl Db ===

impl Db {
    /// Creates one user; [`DbError::UserExists`] if the name is taken.
    pub async fn create_user(&self, name: &str, admin: bool) -> Result<UserRow> {
        let mut rows = self.create_users(&[name], admin).await?;
        rows.pop().ok_or_else(|| DbError::UserExists {
            names: vec![name.to_owned()],
        })
    }

    /// Creates the users that do not exist yet, in one transaction, and returns them in the
    /// order given; like JupyterHub's `POST /users`, existing names are skipped, and only if
    /// every name exists is it an error ([`DbError::UserExists`]).
    pub async fn create_users(&self, names: &[&str], admin: bool) -> Result<Vec<UserRow>> {
        let mut seen = HashSet::new();
        let names: Vec<&str> = names.iter().copied().filter(|n| seen.insert(*n)).collect();
        for name in &names {
            check_name("user name", name, false)?;
        }
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let existing = self.taken_names(&mut tx, &names).await?;
        let fresh: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !existing.contains(*n))
            .collect();
        if fresh.is_empty() {
            let names = names.iter().map(|n| n.to_string()).collect();
            return Err(DbError::UserExists { names });
        }
        let now = to_micros(self.now());
        let mut created = Vec::with_capacity(fresh.len());
        for chunk in fresh.chunks(INSERT_BATCH) {
            let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql =
                format!("INSERT INTO users (name, admin, created, cookie_id) VALUES {values}");
            let insert = chunk.iter().fold(self.q_owned(sql), |q, n| {
                q.bind(n.to_string())
                    .bind(flag(admin))
                    .bind(now)
                    .bind(random_hex(16))
            });
            insert
                .execute(&mut *tx)
                .await
                .map_err(|e| match violation(&e) {
                    Some(Violation::Unique) => DbError::UserExists {
                        names: chunk.iter().map(|n| n.to_string()).collect(),
                    },
                    _ => e.into(),
                })?;
            let sql = format!(
                concat!(select_users!(), "WHERE name IN ({})"),
                placeholders(chunk.len())
            );
            let rows = chunk
                .iter()
                .fold(self.q_owned(sql), |q, n| q.bind(n.to_string()))
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                created.push(user_row(row)?);
            }
        }
        self.commit(tx).await?;
        let order: std::collections::HashMap<&str, usize> =
            fresh.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        created.sort_by_key(|u| order.get(u.name.as_str()).copied());
        Ok(created)
    }

    /// The user with this name.
    pub async fn get_user(&self, name: &str) -> Result<Option<UserRow>> {
        let row = self
            .q(select_users!("WHERE name = ?"))
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// The same, on `conn` (with the rest of a user's model).
    pub(crate) async fn get_user_on(
        &self,
        conn: &mut ReadConn,
        name: &str,
    ) -> Result<Option<UserRow>> {
        let sql = select_users!("WHERE name = ?").to_owned();
        conn.fetch_optional(self, sql, vec![Arg::Text(name.to_owned())])
            .await
    }

    /// The user with this id.
    pub async fn get_user_by_id(&self, id: UserId) -> Result<Option<UserRow>> {
        let row = self
            .q(select_users!("WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// The user whose login cookie carries this id.
    pub async fn get_user_by_cookie_id(&self, cookie_id: &str) -> Result<Option<UserRow>> {
        let row = self
            .q(select_users!("WHERE cookie_id = ?"))
            .bind(cookie_id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// One page of users matching `query`, and how many match in all.
    pub async fn list_users(&self, query: &UserQuery) -> Result<Page<UserRow>> {
        let query = query.clone();
        self.with_read_conn(
            move |db, mut conn| async move { db.list_users_on(&mut conn, &query).await },
        )
        .await
    }

    /// The same, on `conn`: the page and the count share one checkout.
    pub(crate) async fn list_users_on(
        &self,
        conn: &mut ReadConn,
        query: &UserQuery,
    ) -> Result<Page<UserRow>> {
        let mut filters = Vec::new();
        let pattern = query.name_filter.as_deref().map(like_pattern);
        if pattern.is_some() {
            // Case-insensitive substring match. SQLite's LIKE already ignores ASCII case (and
            // is three times faster than LOWER() on every row); PostgreSQL's ILIKE does the
            // same; MySQL's utf8mb4_bin columns compare case-sensitively, so both sides are
            // lowered there.
            let like = match self.dialect {
                Dialect::Sqlite => "users.name LIKE ? ESCAPE '!'",
                Dialect::Postgres => "users.name ILIKE ? ESCAPE '!'",
                Dialect::MySql => "LOWER(users.name) LIKE LOWER(?) ESCAPE '!'",
            };
            filters.push(like.to_owned());
        }
        let active = format!(
            "EXISTS (SELECT 1 FROM servers s WHERE s.user_id = users.id AND s.state IN {ACTIVE_STATES})"
        );
        match query.state {
            None => {}
            Some(UserState::Ready) => filters.push(
                "EXISTS (SELECT 1 FROM servers s WHERE s.user_id = users.id AND s.state = 'running')"
                    .to_owned(),
            ),
            Some(UserState::Active) => filters.push(active),
            Some(UserState::Inactive) => filters.push(format!("NOT {active}")),
        }
        let filter = where_clause(&filters);
        let dir = if query.descending { "DESC" } else { "ASC" };
        let order = match (query.sort, self.dialect) {
            (UserSort::Id, _) => format!("users.id {dir}"),
            (UserSort::Name, _) => format!("users.name {dir}"),
            // NULLs sort first ascending and last descending, with id breaking ties in the same
            // direction, so one (last_activity, id) index serves both; PostgreSQL needs the
            // NULLs placement spelled out, the others sort NULL lowest already.
            (UserSort::LastActivity, Dialect::Postgres) => {
                let nulls = if query.descending { "LAST" } else { "FIRST" };
                format!("users.last_activity {dir} NULLS {nulls}, users.id {dir}")
            }
            (UserSort::LastActivity, Dialect::Sqlite | Dialect::MySql) => {
                format!("users.last_activity {dir}, users.id {dir}")
            }
        };
        let (limit, offset) = query.page.sql_args();
        let filter_args: Vec<Arg> = pattern.into_iter().map(Arg::Text).collect();
        // Read before the query: a bookmark recorded from it is only as new as this.
        let generation = self.write_generation();
        let listing = Listing::of(query);
        let offset = u64::try_from(offset).unwrap_or(0);
        let bookmark = listing
            .as_ref()
            .and_then(|listing| self.bookmarks.nearest(generation, listing, offset));
        let mut page_filters = filters;
        let mut page_args = filter_args.clone();
        let mut skip = offset;
        if let Some((at, id)) = bookmark {
            page_filters.push(format!(
                "users.id {} ?",
                if query.descending { "<=" } else { ">=" }
            ));
            page_args.push(Arg::Int(id));
            skip = offset - at;
        }
        let page_filter = where_clause(&page_filters);
        let page_sql = format!(
            concat!(select_users!(), "{} ORDER BY {} LIMIT ? OFFSET ?"),
            page_filter, order
        );
        page_args.extend([
            Arg::Int(limit),
            Arg::Int(i64::try_from(skip).unwrap_or(i64::MAX)),
        ]);
        let items: Vec<UserRow> = conn.fetch_all(self, page_sql, page_args).await?;
        if let (Some(listing), Some(first), Some(last)) = (listing, items.first(), items.last()) {
            let last_at = offset + (items.len() as u64 - 1);
            self.bookmarks.record(
                generation,
                listing,
                [(offset, first.id.0), (last_at, last.id.0)],
            );
        }
        let count_sql = format!("SELECT COUNT(*) AS n FROM users {filter}");
        let total = conn
            .fetch_optional::<Count>(self, count_sql, filter_args)
            .await?
            .map_or(0, |count| count.0);
        Ok(Page::new(items, total, query.page))
    }

    /// Renames a user; [`DbError::UserExists`] if `new_name` is taken.
    pub async fn rename_user(&self, name: &str, new_name: &str) -> Result<UserRow> {
        check_name("user name", new_name, false)?;
        let done = self
            .q("UPDATE users SET name = ? WHERE name = ?")
            .bind(new_name.to_owned())
            .bind(name.to_owned())
            .execute_write(self)
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::Unique) => DbError::UserExists {
                    names: vec![new_name.to_owned()],
                },
                _ => e.into(),
            })?;
        if done.rows_affected() == 0 {
            return Err(not_found(name));
        }
        self.get_user(new_name)
            .await?
            .ok_or_else(|| not_found(new_name))
    }

    /// Sets or clears the admin flag.
    pub async fn set_user_admin(&self, name: &str, admin: bool) -> Result<()> {
        let sql = "UPDATE users SET admin = ? WHERE name = ?";
        self.update_user(name, self.q(sql).bind(flag(admin))).await
    }

    /// Replaces `user_info` (what the authenticator reported).
    pub async fn set_user_info(&self, name: &str, info: Option<&Value>) -> Result<()> {
        let sql = "UPDATE users SET user_info = ? WHERE name = ?";
        self.update_user(name, self.q(sql).bind(info.map(to_json)))
            .await
    }

    /// Gives the user a new cookie id, which logs out every browser; returns it.
    pub async fn rotate_cookie_id(&self, name: &str) -> Result<String> {
        let cookie_id = random_hex(16);
        let sql = "UPDATE users SET cookie_id = ? WHERE name = ?";
        self.update_user(name, self.q(sql).bind(cookie_id.clone()))
            .await?;
        Ok(cookie_id)
    }

    /// Deletes a user and, by cascade, their servers, tokens, memberships, codes and shares.
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        self.update_user(name, self.q("DELETE FROM users WHERE name = ?"))
            .await
    }

    /// Stores (or with `None` clears) the user's encrypted auth state.
    pub async fn set_auth_state(&self, name: &str, encrypted: Option<&[u8]>) -> Result<()> {
        let sql = "UPDATE users SET encrypted_auth_state = ? WHERE name = ?";
        self.update_user(name, self.q(sql).bind(encrypted.map(<[u8]>::to_vec)))
            .await
    }

    /// The user's encrypted auth state, if any.
    pub async fn get_auth_state(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let row = self
            .q("SELECT encrypted_auth_state FROM users WHERE name = ?")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found(name))?;
        row.opt_blob("users.encrypted_auth_state")
    }

    /// Runs an `UPDATE`/`DELETE` whose last placeholder is the user's name.
    async fn update_user(&self, name: &str, query: crate::db::AnyQuery<'static>) -> Result<()> {
        let done = query.bind(name.to_owned()).execute_write(self).await?;
        if done.rows_affected() == 0 {
            return Err(not_found(name));
        }
        Ok(())
    }

    /// Resolves names to ids; [`DbError::UserNotFound`] names the first unknown one.
    pub(crate) async fn user_ids(
        &self,
        conn: &mut AnyConnection,
        names: &[&str],
    ) -> Result<Vec<UserId>> {
        let mut found = std::collections::HashMap::new();
        for chunk in names.chunks(IN_BATCH) {
            let sql = format!(
                "SELECT id, name FROM users WHERE name IN ({})",
                placeholders(chunk.len())
            );
            let rows = chunk
                .iter()
                .fold(self.q_owned(sql), |q, n| q.bind(n.to_string()))
                .fetch_all(&mut *conn)
                .await?;
            for row in rows {
                found.insert(row.text("users.name")?, UserId(row.int("users.id")?));
            }
        }
        names
            .iter()
            .map(|n| found.get(*n).copied().ok_or_else(|| not_found(n)))
            .collect()
    }
}

fn not_found(name: &str) -> DbError {
    DbError::UserNotFound {
        name: name.to_owned(),
    }
}
