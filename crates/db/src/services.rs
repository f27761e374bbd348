//! Services: upsert from config or the API, lookups, the paginated list, deletion.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::db::Db;
use crate::dialect::Dialect;
use crate::error::{DbError, Result};
use crate::model::{Page, Pagination, ServiceId, ServiceRow, ServiceSpec};
use crate::row::{RowExt, check_name, flag, to_json};

macro_rules! select_services {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, admin, url, oauth_client_id, info, display, oauth_no_confirm, ",
            "from_config FROM services ",
            $rest
        )
    };
}

fn service_row(row: &AnyRow) -> Result<ServiceRow> {
    Ok(ServiceRow {
        id: ServiceId(row.int("services.id")?),
        name: row.text("services.name")?,
        admin: row.flag("services.admin")?,
        url: row.opt_text("services.url")?,
        oauth_client_id: row.opt_text("services.oauth_client_id")?,
        info: row.json("services.info")?,
        display: row.flag("services.display")?,
        oauth_no_confirm: row.flag("services.oauth_no_confirm")?,
        from_config: row.flag("services.from_config")?,
    })
}

fn not_found(name: &str) -> DbError {
    DbError::ServiceNotFound {
        name: name.to_owned(),
    }
}

// === impl Db ===

impl Db {
    /// Creates the service, or replaces every field of the one with this name (its id, roles
    /// and tokens are kept).
    pub async fn upsert_service(&self, spec: &ServiceSpec) -> Result<ServiceRow> {
        check_name("service name", &spec.name, false)?;
        let sql = match self.dialect {
            Dialect::MySql => concat!(
                "INSERT INTO services (name, admin, url, oauth_client_id, info, display, ",
                "oauth_no_confirm, from_config) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ",
                "ON DUPLICATE KEY UPDATE admin = VALUES(admin), url = VALUES(url), ",
                "oauth_client_id = VALUES(oauth_client_id), info = VALUES(info), ",
                "display = VALUES(display), oauth_no_confirm = VALUES(oauth_no_confirm), ",
                "from_config = VALUES(from_config)"
            ),
            Dialect::Sqlite | Dialect::Postgres => concat!(
                "INSERT INTO services (name, admin, url, oauth_client_id, info, display, ",
                "oauth_no_confirm, from_config) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ",
                "ON CONFLICT (name) DO UPDATE SET admin = excluded.admin, url = excluded.url, ",
                "oauth_client_id = excluded.oauth_client_id, info = excluded.info, ",
                "display = excluded.display, oauth_no_confirm = excluded.oauth_no_confirm, ",
                "from_config = excluded.from_config"
            ),
        };
        let mut tx = self.begin().await?;
        self.q(sql)
            .bind(spec.name.clone())
            .bind(flag(spec.admin))
            .bind(spec.url.clone())
            .bind(spec.oauth_client_id.clone())
            .bind(to_json(&spec.info))
            .bind(flag(spec.display))
            .bind(flag(spec.oauth_no_confirm))
            .bind(flag(spec.from_config))
            .execute(&mut *tx)
            .await?;
        let row = self
            .q(select_services!("WHERE name = ?"))
            .bind(spec.name.clone())
            .fetch_one(&mut *tx)
            .await?;
        self.commit(tx).await?;
        service_row(&row)
    }

    /// The service with this name.
    pub async fn get_service(&self, name: &str) -> Result<Option<ServiceRow>> {
        let row = self
            .q(select_services!("WHERE name = ?"))
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(service_row).transpose()
    }

    /// The service with this id (the owner of a service token).
    pub async fn get_service_by_id(&self, id: ServiceId) -> Result<Option<ServiceRow>> {
        let row = self
            .q(select_services!("WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(service_row).transpose()
    }

    /// One page of services, by name.
    pub async fn list_services(&self, page: Pagination) -> Result<Page<ServiceRow>> {
        self.list_page(
            select_services!("ORDER BY name LIMIT ? OFFSET ?"),
            "SELECT COUNT(*) FROM services",
            page,
            service_row,
        )
        .await
    }

    /// Deletes a service with its tokens, roles and OAuth clients.
    pub async fn delete_service(&self, name: &str) -> Result<()> {
        self.delete_by_key("DELETE FROM services WHERE name = ?", name, not_found)
            .await
    }

    pub(crate) async fn service_id(
        &self,
        conn: &mut AnyConnection,
        name: &str,
    ) -> Result<ServiceId> {
        let row = self
            .q("SELECT id FROM services WHERE name = ?")
            .bind(name.to_owned())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found(name))?;
        Ok(ServiceId(row.int("services.id")?))
    }
}
