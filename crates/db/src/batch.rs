//! What a user model shows beyond its row (groups and roles), for many users at once: a page of
//! `GET /users` costs one query per kind, not one per user.

use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;

use crate::db::{Db, IN_BATCH};
use crate::dialect::placeholders;
use crate::error::Result;
use crate::model::{Page, RoleRow, ServerRow, UserId, UserQuery, UserRow};
use crate::read::{Arg, FromRow, ReadConn};
use crate::roles::role_row;
use crate::row::RowExt;

// === impl Db ===

impl Db {
    /// Which of these user names are taken.
    pub async fn existing_user_names(&self, names: &[&str]) -> Result<HashSet<String>> {
        let mut conn = self.pool.acquire().await?;
        self.taken_names(&mut conn, names).await
    }

    /// The same, on `conn` (inside a transaction that then creates the others).
    pub(crate) async fn taken_names(
        &self,
        conn: &mut AnyConnection,
        names: &[&str],
    ) -> Result<HashSet<String>> {
        let mut taken = HashSet::new();
        for chunk in names.chunks(IN_BATCH) {
            let sql = format!(
                "SELECT name FROM users WHERE name IN ({})",
                placeholders(chunk.len())
            );
            let rows = chunk
                .iter()
                .fold(self.q_owned(sql), |q, n| q.bind((*n).to_owned()))
                .fetch_all(&mut *conn)
                .await?;
            for row in &rows {
                taken.insert(row.text("users.name")?);
            }
        }
        Ok(taken)
    }

    /// The sorted group names of each user; every id given is a key, with no groups if the
    /// user has none or does not exist.
    pub async fn group_names_of_users(
        &self,
        users: &[UserId],
    ) -> Result<HashMap<UserId, Vec<String>>> {
        let mut out: HashMap<UserId, Vec<String>> =
            users.iter().map(|id| (*id, Vec::new())).collect();
        let users = distinct(users);
        for chunk in users.chunks(IN_BATCH) {
            let sql = format!(
                "SELECT ug.user_id, g.name FROM user_groups ug \
                 JOIN hub_groups g ON g.id = ug.group_id \
                 WHERE ug.user_id IN ({}) ORDER BY ug.user_id, g.name",
                placeholders(chunk.len())
            );
            let rows = chunk
                .iter()
                .fold(self.q_owned(sql), |q, id| q.bind(id.0))
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                let user = UserId(row.int("user_groups.user_id")?);
                out.entry(user)
                    .or_default()
                    .push(row.text("hub_groups.name")?);
            }
        }
        Ok(out)
    }

    /// The roles each user holds, directly or through any of their groups, sorted by name;
    /// every id given is a key, with no roles if the user has none or does not exist.
    ///
    /// The same answer as [`Db::user_roles`] for each user.
    pub async fn roles_of_users(&self, users: &[UserId]) -> Result<HashMap<UserId, Vec<RoleRow>>> {
        let mut out: HashMap<UserId, Vec<RoleRow>> =
            users.iter().map(|id| (*id, Vec::new())).collect();
        let users = distinct(users);
        for chunk in users.chunks(IN_BATCH) {
            let marks = placeholders(chunk.len());
            // UNION, not UNION ALL: a role held directly and through a group is listed once.
            let sql = format!(
                "SELECT h.user_id, r.id, r.name, r.description, r.scopes, r.managed_by_config \
                 FROM roles r JOIN (\
                 SELECT ur.user_id AS user_id, ur.role_id AS role_id FROM user_roles ur \
                 WHERE ur.user_id IN ({marks}) \
                 UNION SELECT ug.user_id AS user_id, gr.role_id AS role_id FROM group_roles gr \
                 JOIN user_groups ug ON ug.group_id = gr.group_id WHERE ug.user_id IN ({marks})\
                 ) h ON h.role_id = r.id ORDER BY h.user_id, r.name"
            );
            let query = chunk.iter().fold(self.q_owned(sql), |q, id| q.bind(id.0));
            let rows = chunk
                .iter()
                .fold(query, |q, id| q.bind(id.0))
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                let user = UserId(row.int("h.user_id")?);
                out.entry(user).or_default().push(role_row(row)?);
            }
        }
        Ok(out)
    }
}

/// A user's group names and the names of the roles they hold, directly or through a group,
/// each sorted: what a user model lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    /// Group names.
    pub groups: Vec<String>,
    /// Role names, without the default roles.
    pub roles: Vec<String>,
}

impl Db {
    /// [`Db::group_names_of_users`] and the names of [`Db::roles_of_users`] in one query: a
    /// user model needs both, and each query is a round trip to the database.
    pub async fn memberships_of_users(
        &self,
        users: &[UserId],
    ) -> Result<HashMap<UserId, Memberships>> {
        let users = users.to_vec();
        self.with_read_conn(move |db, mut conn| async move {
            db.memberships_on(&mut conn, &users).await
        })
        .await
    }

    /// The same, on `conn` (with the rest of a page of user models).
    async fn memberships_on(
        &self,
        conn: &mut ReadConn,
        users: &[UserId],
    ) -> Result<HashMap<UserId, Memberships>> {
        let mut out: HashMap<UserId, Memberships> = users
            .iter()
            .map(|id| (*id, Memberships::default()))
            .collect();
        let users = distinct(users);
        for chunk in users.chunks(IN_BATCH) {
            let marks = placeholders(chunk.len());
            // UNION, not UNION ALL: a role held directly and through a group is listed once.
            let sql = format!(
                "SELECT m.user_id, m.kind, m.name FROM (\
                 SELECT ug.user_id AS user_id, 'g' AS kind, g.name AS name FROM user_groups ug \
                 JOIN hub_groups g ON g.id = ug.group_id WHERE ug.user_id IN ({marks}) \
                 UNION SELECT ur.user_id AS user_id, 'r' AS kind, r.name AS name FROM user_roles ur \
                 JOIN roles r ON r.id = ur.role_id WHERE ur.user_id IN ({marks}) \
                 UNION SELECT ug.user_id AS user_id, 'r' AS kind, r.name AS name FROM user_groups ug \
                 JOIN group_roles gr ON gr.group_id = ug.group_id \
                 JOIN roles r ON r.id = gr.role_id WHERE ug.user_id IN ({marks})\
                 ) m ORDER BY m.user_id, m.kind, m.name"
            );
            let args = (0..3)
                .flat_map(|_| chunk.iter().map(|id| Arg::Int(id.0)))
                .collect();
            let rows: Vec<Membership> = conn.fetch_all(self, sql, args).await?;
            for Membership { user, group, name } in rows {
                let entry = out.entry(user).or_default();
                if group {
                    entry.groups.push(name);
                } else {
                    entry.roles.push(name);
                }
            }
        }
        Ok(out)
    }
}

/// One row of [`Db::memberships_of_users`]'s query: a group (`kind` `g`) or a role (`r`).
struct Membership {
    user: UserId,
    group: bool,
    name: String,
}

impl FromRow for Membership {
    fn from_row(row: &impl RowExt) -> Result<Self> {
        Ok(Self {
            user: UserId(row.int("m.user_id")?),
            group: row.text("m.kind")? == "g",
            name: row.text("m.name")?,
        })
    }
}

/// A page of `GET /users` with what its models show beyond the rows.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// The users.
    pub page: Page<UserRow>,
    /// Groups and roles of each listed user.
    pub memberships: HashMap<UserId, Memberships>,
    /// The listed users' active servers, if asked for.
    pub active_servers: Vec<ServerRow>,
}

/// One user with what its model shows beyond the row.
#[derive(Debug, Clone)]
pub struct UserDetail {
    /// The user.
    pub row: UserRow,
    /// Its groups and roles.
    pub memberships: Memberships,
    /// Its active servers.
    pub active_servers: Vec<ServerRow>,
}

impl Db {
    /// [`Db::get_user`], [`Db::memberships_of_users`] and [`Db::active_servers_of`] for one
    /// user, on one connection, as [`Db::user_page`].
    pub async fn user_detail(&self, name: &str) -> Result<Option<UserDetail>> {
        let name = name.to_owned();
        self.with_read_conn(move |db, mut conn| async move {
            let Some(row) = db.get_user_on(&mut conn, &name).await? else {
                return Ok(None);
            };
            let memberships = db
                .memberships_on(&mut conn, &[row.id])
                .await?
                .remove(&row.id)
                .unwrap_or_default();
            let active_servers = db.active_servers_on(&mut conn, &[row.id]).await?;
            Ok(Some(UserDetail {
                row,
                memberships,
                active_servers,
            }))
        })
        .await
    }

    /// [`Db::list_users`], [`Db::memberships_of_users`] and, with `active_servers`,
    /// [`Db::active_servers_of`] for the page, in one [`Db::with_read_conn`]: every return of
    /// a pooled connection costs a round trip to it (sqlx pings it; for SQLite, a hop to its
    /// worker thread and back), which was a tenth of a page's cost when each query took its own.
    pub async fn user_page(&self, query: &UserQuery, active_servers: bool) -> Result<UserPage> {
        let query = query.clone();
        self.with_read_conn(move |db, mut conn| async move {
            let page = db.list_users_on(&mut conn, &query).await?;
            let ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
            let memberships = db.memberships_on(&mut conn, &ids).await?;
            let active_servers = if active_servers {
                db.active_servers_on(&mut conn, &ids).await?
            } else {
                Vec::new()
            };
            Ok(UserPage {
                page,
                memberships,
                active_servers,
            })
        })
        .await
    }
}

/// The ids once each, so an id given twice does not list its rows twice.
fn distinct(users: &[UserId]) -> Vec<UserId> {
    let mut seen = HashSet::with_capacity(users.len());
    users
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect()
}
