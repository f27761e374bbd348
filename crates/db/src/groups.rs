//! Groups: creation, lookups, the paginated list, membership and properties.

use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::db::{Db, ExecuteWrite};
use crate::dialect::Dialect;
use crate::error::{DbError, Result, Violation, violation};
use crate::model::{GroupId, GroupRow, Page, Pagination};
use crate::row::{RowExt, check_name, to_json};

fn group_row(row: &AnyRow) -> Result<GroupRow> {
    Ok(GroupRow {
        id: GroupId(row.int("hub_groups.id")?),
        name: row.text("hub_groups.name")?,
        properties: row.json("hub_groups.properties")?,
    })
}

fn not_found(name: &str) -> DbError {
    DbError::GroupNotFound {
        name: name.to_owned(),
    }
}

// === impl Db ===

impl Db {
    /// Creates a group with the given properties (an empty object if `None`);
    /// [`DbError::GroupExists`] if the name is taken.
    pub async fn create_group(&self, name: &str, properties: Option<&Value>) -> Result<GroupRow> {
        check_name("group name", name, false)?;
        let properties = properties
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default()));
        let mut conn = self.pool.acquire().await?;
        let id = self
            .insert_id(
                &mut conn,
                "INSERT INTO hub_groups (name, properties) VALUES (?, ?)",
                |q| q.bind(name.to_owned()).bind(to_json(&properties)),
            )
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::Unique) => DbError::GroupExists {
                    name: name.to_owned(),
                },
                _ => e.into(),
            })?;
        Ok(GroupRow {
            id: GroupId(id),
            name: name.to_owned(),
            properties,
        })
    }

    /// The group with this name.
    pub async fn get_group(&self, name: &str) -> Result<Option<GroupRow>> {
        let row = self
            .q("SELECT id, name, properties FROM hub_groups WHERE name = ?")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(group_row).transpose()
    }

    /// The group with this id (the target of a share).
    pub async fn get_group_by_id(&self, id: GroupId) -> Result<Option<GroupRow>> {
        let row = self
            .q("SELECT id, name, properties FROM hub_groups WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(group_row).transpose()
    }

    /// One page of groups, by id.
    pub async fn list_groups(&self, page: Pagination) -> Result<Page<GroupRow>> {
        self.list_page(
            "SELECT id, name, properties FROM hub_groups ORDER BY id LIMIT ? OFFSET ?",
            "SELECT COUNT(*) FROM hub_groups",
            page,
            group_row,
        )
        .await
    }

    /// Deletes a group; its memberships, role grants and shares go with it.
    pub async fn delete_group(&self, name: &str) -> Result<()> {
        self.delete_by_key("DELETE FROM hub_groups WHERE name = ?", name, not_found)
            .await
    }

    /// Replaces the group's properties.
    pub async fn set_group_properties(&self, name: &str, properties: &Value) -> Result<()> {
        let done = self
            .q("UPDATE hub_groups SET properties = ? WHERE name = ?")
            .bind(to_json(properties))
            .bind(name.to_owned())
            .execute_write(self)
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(name));
        }
        Ok(())
    }

    /// Adds users to a group in one transaction; members already in it are left alone.
    /// An unknown user fails the whole call with [`DbError::UserNotFound`].
    pub async fn add_group_members(&self, group: &str, users: &[&str]) -> Result<()> {
        let mut tx = self.begin().await?;
        let group_id = self.group_id(&mut tx, group).await?;
        let user_ids = self.user_ids(&mut tx, users).await?;
        let sql = match self.dialect {
            Dialect::MySql => "INSERT IGNORE INTO user_groups (user_id, group_id) VALUES (?, ?)",
            Dialect::Sqlite | Dialect::Postgres => {
                "INSERT INTO user_groups (user_id, group_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
            }
        };
        for user_id in user_ids {
            self.q(sql)
                .bind(user_id.0)
                .bind(group_id.0)
                .execute(&mut *tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// Removes users from a group in one transaction; non-members are ignored, unknown users
    /// fail with [`DbError::UserNotFound`].
    pub async fn remove_group_members(&self, group: &str, users: &[&str]) -> Result<()> {
        let mut tx = self.begin().await?;
        let group_id = self.group_id(&mut tx, group).await?;
        let user_ids = self.user_ids(&mut tx, users).await?;
        for user_id in user_ids {
            self.q("DELETE FROM user_groups WHERE user_id = ? AND group_id = ?")
                .bind(user_id.0)
                .bind(group_id.0)
                .execute(&mut *tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// One page of a group's member names, in the order they were created.
    pub async fn group_members(&self, group: &str, page: Pagination) -> Result<Page<String>> {
        let mut conn = self.pool.acquire().await?;
        let group_id = self.group_id(&mut conn, group).await?;
        let (limit, offset) = page.sql_args();
        let rows = self
            .q(concat!(
                "SELECT u.name FROM user_groups ug JOIN users u ON u.id = ug.user_id ",
                "WHERE ug.group_id = ? ORDER BY ug.user_id LIMIT ? OFFSET ?"
            ))
            .bind(group_id.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await?;
        let items = rows
            .iter()
            .map(|r| r.text("users.name"))
            .collect::<Result<Vec<_>>>()?;
        let count = self
            .q("SELECT COUNT(*) FROM user_groups WHERE group_id = ?")
            .bind(group_id.0);
        let total = self.count(&mut *conn, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// The names of the groups a user belongs to, sorted.
    ///
    /// Not paginated: it is bounded by the number of groups, and the hub needs all of them to
    /// resolve `!group=` scopes and group roles.
    pub async fn user_group_names(&self, user: &str) -> Result<Vec<String>> {
        // One statement: the user's row always comes back (with a NULL group when they have
        // none), so no row at all means no such user.
        let rows = self
            .q(concat!(
                "SELECT g.name FROM users u LEFT JOIN user_groups ug ON ug.user_id = u.id ",
                "LEFT JOIN hub_groups g ON g.id = ug.group_id WHERE u.name = ? ORDER BY g.name"
            ))
            .bind(user.to_owned())
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Err(DbError::UserNotFound {
                name: user.to_owned(),
            });
        }
        let mut names = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(name) = row.opt_text("hub_groups.name")? {
                names.push(name);
            }
        }
        Ok(names)
    }

    pub(crate) async fn group_id(&self, conn: &mut AnyConnection, name: &str) -> Result<GroupId> {
        let row = self
            .q("SELECT id FROM hub_groups WHERE name = ?")
            .bind(name.to_owned())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found(name))?;
        Ok(GroupId(row.int("hub_groups.id")?))
    }
}
