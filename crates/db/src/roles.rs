//! Roles: upsert from config, lookups, the paginated list, and assignment to users, groups and
//! services.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::db::Db;
use crate::dialect::Dialect;
use crate::error::{DbError, Result};
use crate::model::{
    HolderKind, Page, Pagination, RoleHolder, RoleId, RoleRow, RoleSpec, ServiceId,
};
use crate::row::{RowExt, check_name, flag, to_json};

macro_rules! select_roles {
    ($rest:literal) => {
        concat!(
            "SELECT r.id, r.name, r.description, r.scopes, r.managed_by_config FROM roles r ",
            $rest
        )
    };
}

pub(crate) fn role_row(row: &AnyRow) -> Result<RoleRow> {
    Ok(RoleRow {
        id: RoleId(row.int("roles.id")?),
        name: row.text("roles.name")?,
        description: row.text("roles.description")?,
        scopes: row.json("roles.scopes")?,
        managed_by_config: row.flag("roles.managed_by_config")?,
    })
}

fn not_found(name: &str) -> DbError {
    DbError::RoleNotFound {
        name: name.to_owned(),
    }
}

/// The membership table, its holder column, and a lookup of the holder's id.
fn holder_table(holder: RoleHolder<'_>) -> (&'static str, &'static str) {
    match holder {
        RoleHolder::User(_) => ("user_roles", "user_id"),
        RoleHolder::Group(_) => ("group_roles", "group_id"),
        RoleHolder::Service(_) => ("service_roles", "service_id"),
    }
}

// === impl Db ===

impl Db {
    /// Creates the role, or replaces the description, scopes and flag of the one with this
    /// name; assignments are kept.
    pub async fn upsert_role(&self, spec: &RoleSpec) -> Result<RoleRow> {
        check_name("role name", &spec.name, false)?;
        let sql = match self.dialect {
            Dialect::MySql => concat!(
                "INSERT INTO roles (name, description, scopes, managed_by_config) VALUES (?, ?, ?, ?) ",
                "ON DUPLICATE KEY UPDATE description = VALUES(description), scopes = VALUES(scopes), ",
                "managed_by_config = VALUES(managed_by_config)"
            ),
            Dialect::Sqlite | Dialect::Postgres => concat!(
                "INSERT INTO roles (name, description, scopes, managed_by_config) VALUES (?, ?, ?, ?) ",
                "ON CONFLICT (name) DO UPDATE SET description = excluded.description, ",
                "scopes = excluded.scopes, managed_by_config = excluded.managed_by_config"
            ),
        };
        let mut tx = self.begin().await?;
        self.q(sql)
            .bind(spec.name.clone())
            .bind(spec.description.clone())
            .bind(to_json(&spec.scopes))
            .bind(flag(spec.managed_by_config))
            .execute(&mut *tx)
            .await?;
        let row = self
            .q(select_roles!("WHERE r.name = ?"))
            .bind(spec.name.clone())
            .fetch_one(&mut *tx)
            .await?;
        self.commit(tx).await?;
        role_row(&row)
    }

    /// The role with this name.
    pub async fn get_role(&self, name: &str) -> Result<Option<RoleRow>> {
        let row = self
            .q(select_roles!("WHERE r.name = ?"))
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(role_row).transpose()
    }

    /// One page of roles, by name.
    pub async fn list_roles(&self, page: Pagination) -> Result<Page<RoleRow>> {
        self.list_page(
            select_roles!("ORDER BY r.name LIMIT ? OFFSET ?"),
            "SELECT COUNT(*) FROM roles",
            page,
            role_row,
        )
        .await
    }

    /// Deletes a role and every assignment of it.
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.delete_by_key("DELETE FROM roles WHERE name = ?", name, not_found)
            .await
    }

    /// Assigns a role; assigning it twice is not an error.
    pub async fn assign_role(&self, role: &str, holder: RoleHolder<'_>) -> Result<()> {
        let mut tx = self.begin().await?;
        let role_id = self.role_id(&mut tx, role).await?;
        let holder_id = self.holder_id(&mut tx, holder).await?;
        let (table, column) = holder_table(holder);
        let sql = match self.dialect {
            Dialect::MySql => {
                format!("INSERT IGNORE INTO {table} ({column}, role_id) VALUES (?, ?)")
            }
            Dialect::Sqlite | Dialect::Postgres => format!(
                "INSERT INTO {table} ({column}, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
            ),
        };
        self.q_owned(sql)
            .bind(holder_id)
            .bind(role_id.0)
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Takes a role away; returns whether it was assigned.
    pub async fn unassign_role(&self, role: &str, holder: RoleHolder<'_>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let role_id = self.role_id(&mut tx, role).await?;
        let holder_id = self.holder_id(&mut tx, holder).await?;
        let (table, column) = holder_table(holder);
        let done = self
            .q_owned(format!(
                "DELETE FROM {table} WHERE {column} = ? AND role_id = ?"
            ))
            .bind(holder_id)
            .bind(role_id.0)
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Makes `holders` (all of one kind) exactly the role's users, groups or services of that
    /// kind, as `load_roles` does for the kinds it lists; every holder must exist.
    ///
    /// Bounded by the list given, which comes from the config.
    pub async fn set_role_holders(
        &self,
        role: &str,
        kind: HolderKind,
        names: &[&str],
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let role_id = self.role_id(&mut tx, role).await?;
        let mut ids = Vec::with_capacity(names.len());
        for name in names {
            let holder = match kind {
                HolderKind::User => RoleHolder::User(name),
                HolderKind::Group => RoleHolder::Group(name),
                HolderKind::Service => RoleHolder::Service(name),
            };
            ids.push(self.holder_id(&mut tx, holder).await?);
        }
        let (table, column) = match kind {
            HolderKind::User => ("user_roles", "user_id"),
            HolderKind::Group => ("group_roles", "group_id"),
            HolderKind::Service => ("service_roles", "service_id"),
        };
        self.q_owned(format!("DELETE FROM {table} WHERE role_id = ?"))
            .bind(role_id.0)
            .execute(&mut *tx)
            .await?;
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            self.q_owned(format!(
                "INSERT INTO {table} ({column}, role_id) VALUES (?, ?)"
            ))
            .bind(id)
            .bind(role_id.0)
            .execute(&mut *tx)
            .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// The roles a user holds, directly or through any of their groups, by name.
    ///
    /// Not paginated: bounded by the number of roles, and all are needed to compute scopes.
    pub async fn user_roles(&self, user: &str) -> Result<Vec<RoleRow>> {
        let mut conn = self.pool.acquire().await?;
        let user_id = self.user_ids(&mut conn, &[user]).await?[0];
        let rows = self
            .q(select_roles!(
                "WHERE r.id IN (SELECT ur.role_id FROM user_roles ur WHERE ur.user_id = ? \
                 UNION SELECT gr.role_id FROM group_roles gr \
                 JOIN user_groups ug ON ug.group_id = gr.group_id WHERE ug.user_id = ?) \
                 ORDER BY r.name"
            ))
            .bind(user_id.0)
            .bind(user_id.0)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(role_row).collect()
    }

    /// The roles held directly by a group or a service (or a user, without group roles).
    pub async fn holder_roles(&self, holder: RoleHolder<'_>) -> Result<Vec<RoleRow>> {
        let mut conn = self.pool.acquire().await?;
        let holder_id = self.holder_id(&mut conn, holder).await?;
        let (table, column) = holder_table(holder);
        let sql = format!(
            "{} WHERE r.id IN (SELECT role_id FROM {table} WHERE {column} = ?) ORDER BY r.name",
            select_roles!("")
        );
        let rows = self
            .q_owned(sql)
            .bind(holder_id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(role_row).collect()
    }

    /// The roles a service holds, by name: [`Db::holder_roles`] for a service known by id, in
    /// one statement (every request with a service's token asks).
    pub async fn service_roles(&self, service: ServiceId) -> Result<Vec<RoleRow>> {
        let rows = self
            .q(select_roles!(
                "WHERE r.id IN (SELECT role_id FROM service_roles WHERE service_id = ?) ORDER BY r.name"
            ))
            .bind(service.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(role_row).collect()
    }

    async fn role_id(&self, conn: &mut AnyConnection, name: &str) -> Result<RoleId> {
        let row = self
            .q("SELECT id FROM roles WHERE name = ?")
            .bind(name.to_owned())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found(name))?;
        Ok(RoleId(row.int("roles.id")?))
    }

    async fn holder_id(&self, conn: &mut AnyConnection, holder: RoleHolder<'_>) -> Result<i64> {
        Ok(match holder {
            RoleHolder::User(name) => self.user_ids(conn, &[name]).await?[0].0,
            RoleHolder::Group(name) => self.group_id(conn, name).await?.0,
            RoleHolder::Service(name) => self.service_id(conn, name).await?.0,
        })
    }
}
