//! Embedded, numbered, forward-only migrations (`migrations/{sqlite,postgres,mysql}`), the check
//! that a database matches this binary, and `upgrade-db` with its SQLite backup.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sqlx::migrate::{Migrate, Migrator};

use crate::db::Db;
use crate::dialect::{DbUrl, Dialect, SqliteTarget};
use crate::error::{BackendError, DbError, Result};

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
static MYSQL: Migrator = sqlx::migrate!("migrations/mysql");

/// The table sqlx records applied migrations in.
const HISTORY: &str = "_sqlx_migrations";

/// What [`Db::upgrade`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeReport {
    /// The schema version before (0 for an empty database).
    pub from: i64,
    /// The schema version after.
    pub to: i64,
    /// The migrations applied, oldest first.
    pub applied: Vec<i64>,
    /// Where the SQLite file was copied before migrating, if it was.
    pub backup: Option<PathBuf>,
}

/// How a database's migration history compares with a binary's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SchemaStatus {
    /// No tables at all.
    Empty,
    /// Tables, but no migration history.
    Foreign,
    /// A migration never finished.
    Dirty(i64),
    /// Applied migrations the binary does not know.
    Ahead { found: i64, supported: i64 },
    /// Migrations the binary has that are not applied.
    Behind { found: i64, required: i64 },
    /// Exactly the binary's migrations.
    Current(i64),
}

/// The embedded migrations for a dialect.
pub(crate) fn migrator(dialect: Dialect) -> &'static Migrator {
    match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
        Dialect::MySql => &MYSQL,
    }
}

fn latest(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

// === impl Db ===

impl Db {
    /// Opens an existing database whose schema matches this binary exactly.
    ///
    /// Fails with [`DbError::SchemaTooNew`] when a newer ganymede migrated it, and with
    /// [`DbError::SchemaTooOld`] or [`DbError::NotInitialized`] (both saying to run
    /// `ganymede upgrade-db`) when it is behind.
    pub async fn connect(url: &str) -> Result<Self> {
        let url = DbUrl::parse(url)?;
        Self::connect_with(&url, migrator(url.dialect), false).await
    }

    /// Like [`Db::connect`], but a brand-new database (no tables at all, or a SQLite file that
    /// does not exist yet) gets the current schema: a fresh install needs no `upgrade-db`.
    pub async fn connect_or_init(url: &str) -> Result<Self> {
        let url = DbUrl::parse(url)?;
        Self::connect_with(&url, migrator(url.dialect), true).await
    }

    /// Applies every pending migration; `ganymede upgrade-db`.
    ///
    /// A SQLite file that already holds a schema is first copied to
    /// `<file>.<YYYY-MM-DD-HHMMSS>.bak` (a consistent copy, even with WAL).
    pub async fn upgrade(url: &str) -> Result<UpgradeReport> {
        let url = DbUrl::parse(url)?;
        Self::upgrade_with(&url, migrator(url.dialect)).await
    }

    /// The newest migration applied to this database.
    pub async fn schema_version(&self) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        let applied = conn.list_applied_migrations(HISTORY).await?;
        Ok(applied.iter().map(|m| m.version).max().unwrap_or(0))
    }

    /// The newest migration this binary has for `dialect`.
    pub fn supported_schema_version(dialect: Dialect) -> i64 {
        latest(migrator(dialect))
    }

    pub(crate) async fn connect_with(url: &DbUrl, migrator: &Migrator, init: bool) -> Result<Self> {
        let db = Self::open(url, init).await?;
        let status = db.schema_status(migrator).await;
        let outcome = match status {
            Ok(SchemaStatus::Current(_)) => return Ok(db),
            Ok(SchemaStatus::Empty) if init => {
                tracing::info!(dialect = %url.dialect, "creating the database schema");
                migrator.run(&db.pool).await.map_err(DbError::from)
            }
            Ok(status) => Err(status_error(status)),
            Err(err) => Err(err),
        };
        match outcome {
            Ok(()) => Ok(db),
            Err(err) => {
                db.close().await;
                Err(err)
            }
        }
    }

    pub(crate) async fn upgrade_with(url: &DbUrl, migrator: &Migrator) -> Result<UpgradeReport> {
        let db = Self::open(url, true).await?;
        let result = db.upgrade_open(url, migrator).await;
        db.close().await;
        result
    }

    async fn upgrade_open(&self, url: &DbUrl, migrator: &Migrator) -> Result<UpgradeReport> {
        let to = latest(migrator);
        let from = match self.schema_status(migrator).await? {
            SchemaStatus::Current(v) => {
                return Ok(UpgradeReport {
                    from: v,
                    to: v,
                    applied: Vec::new(),
                    backup: None,
                });
            }
            SchemaStatus::Empty => 0,
            SchemaStatus::Behind { found, .. } => found,
            status => return Err(status_error(status)),
        };
        let before = self.applied_versions().await?;
        let backup = match &url.sqlite {
            Some(SqliteTarget::File(path)) if from > 0 => Some(self.backup_sqlite(path).await?),
            _ => None,
        };
        tracing::info!(dialect = %url.dialect, from, to, "upgrading the database schema");
        migrator.run(&self.pool).await?;
        let applied = migrator
            .iter()
            .map(|m| m.version)
            .filter(|v| !before.contains(v))
            .collect();
        Ok(UpgradeReport {
            from,
            to,
            applied,
            backup,
        })
    }

    /// Compares the database's migration history with `migrator`, changing nothing.
    pub(crate) async fn schema_status(&self, migrator: &Migrator) -> Result<SchemaStatus> {
        if self.table_count(Some(HISTORY)).await? == 0 {
            return Ok(if self.table_count(None).await? == 0 {
                SchemaStatus::Empty
            } else {
                SchemaStatus::Foreign
            });
        }
        let mut conn = self.pool.acquire().await?;
        if let Some(version) = conn.dirty_version(HISTORY).await? {
            return Ok(SchemaStatus::Dirty(version));
        }
        drop(conn);
        let applied = self.applied_versions().await?;
        let known: BTreeSet<i64> = migrator.iter().map(|m| m.version).collect();
        let found = applied.iter().next_back().copied().unwrap_or(0);
        let supported = known.iter().next_back().copied().unwrap_or(0);
        Ok(if applied.iter().any(|v| !known.contains(v)) {
            SchemaStatus::Ahead { found, supported }
        } else if known.iter().any(|v| !applied.contains(v)) {
            SchemaStatus::Behind {
                found,
                required: supported,
            }
        } else {
            SchemaStatus::Current(found)
        })
    }

    async fn applied_versions(&self) -> Result<BTreeSet<i64>> {
        if self.table_count(Some(HISTORY)).await? == 0 {
            return Ok(BTreeSet::new());
        }
        let mut conn = self.pool.acquire().await?;
        let applied = conn.list_applied_migrations(HISTORY).await?;
        Ok(applied.into_iter().map(|m| m.version).collect())
    }

    /// Counts the tables in the current database/schema, or only the one named.
    async fn table_count(&self, name: Option<&str>) -> Result<i64> {
        let base = match self.dialect {
            Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
            }
            Dialect::MySql => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
            }
        };
        let column = match self.dialect {
            Dialect::Sqlite => "name",
            Dialect::Postgres | Dialect::MySql => "table_name",
        };
        let query = match name {
            Some(name) => self
                .q_owned(format!("{base} AND {column} = ?"))
                .bind(name.to_owned()),
            None => self.q_owned(base.to_owned()),
        };
        self.count(&self.pool, query).await
    }

    /// `VACUUM INTO` a timestamped sibling file: a consistent copy that includes the WAL.
    async fn backup_sqlite(&self, path: &Path) -> Result<PathBuf> {
        let stamp = chrono::Utc::now().format("%Y-%m-%d-%H%M%S");
        let mut backup = PathBuf::from(format!("{}.{stamp}.bak", path.display()));
        let mut n = 1;
        while backup.exists() {
            backup = PathBuf::from(format!("{}.{stamp}-{n}.bak", path.display()));
            n += 1;
        }
        let target = backup.to_string_lossy().into_owned();
        self.q("VACUUM INTO ?")
            .bind(target)
            .execute(&self.pool)
            .await
            .map_err(|e| DbError::Backup {
                path: backup.clone(),
                source: BackendError::new(e),
            })?;
        tracing::info!(backup = %backup.display(), "backed up the database");
        Ok(backup)
    }
}

fn status_error(status: SchemaStatus) -> DbError {
    match status {
        SchemaStatus::Empty => DbError::NotInitialized,
        SchemaStatus::Foreign => DbError::ForeignSchema,
        SchemaStatus::Dirty(version) => DbError::DirtyMigration { version },
        SchemaStatus::Ahead { found, supported } => DbError::SchemaTooNew { found, supported },
        SchemaStatus::Behind { found, required } => DbError::SchemaTooOld { found, required },
        // Callers handle `Current` before asking for an error.
        SchemaStatus::Current(_) => DbError::Backend(BackendError::msg("the schema is current")),
    }
}
