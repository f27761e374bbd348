//! [`Db`]: the connection pool, the dialect it speaks, and the clock it stamps rows with;
//! opening a database and the few helpers every query module shares.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, AnyQueryResult, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::bookmarks::Bookmarks;
use crate::clock::{Clock, to_micros};
use crate::dialect::{DbUrl, Dialect, SqliteTarget, placeholders};
use crate::error::{BackendError, DbError, Result};
use crate::model::{Page, Pagination};
use crate::read::SqliteReaders;

/// A query with `Any` arguments, as [`sqlx::query`] builds it.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

/// The hub's database: a connection pool plus the dialect it speaks.
///
/// Cloning is cheap and shares the pool.
/// Open one with [`Db::connect`] (refuses a schema this binary does not match),
/// [`Db::connect_or_init`] (also creates the schema of a brand-new, empty database),
/// and migrate with [`Db::upgrade`].
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) dialect: Dialect,
    pub(crate) clock: Clock,
    /// Bumped after every write but activity's; see [`Db::write_generation`].
    writes: Arc<AtomicU64>,
    /// Where pages of the id-sorted user listings start (`bookmarks.rs`).
    pub(crate) bookmarks: Arc<Bookmarks>,
    /// For a SQLite file, the connections of the hot reads ([`Db::with_read_conn`]).
    pub(crate) readers: Option<Arc<SqliteReaders>>,
}

/// Rows are inserted in batches of this many per statement.
pub(crate) const INSERT_BATCH: usize = 100;
/// `IN (...)` lists hold at most this many values.
pub(crate) const IN_BATCH: usize = 500;
/// Rows per `last_activity` statement (five values each).
pub(crate) const TOUCH_BATCH: usize = 100;

// === impl Db ===

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dialect", &self.dialect)
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// The dialect of this database.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Replaces the clock used for timestamps and expiry checks.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The current time by this database's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        if let Some(readers) = &self.readers {
            readers.close();
        }
        self.pool.close().await;
    }

    /// Opens a pool without looking at the schema.
    pub(crate) async fn open(url: &DbUrl, create: bool) -> Result<Self> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(15));
        if url.sqlite.is_some() {
            // An embedded database cannot drop a connection the way a server can, so the ping
            // sqlx sends on every checkout by default would only add a round trip to the
            // connection's worker thread to each query.
            options = options.test_before_acquire(false);
        }
        options = match &url.sqlite {
            // Each connection to `sqlite::memory:` would open its own empty database, so the
            // pool holds exactly one, forever.
            Some(SqliteTarget::Memory) => options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(|conn, _| Box::pin(sqlite_pragmas(conn, false))),
            Some(SqliteTarget::File(path)) => {
                if !create && !path.exists() {
                    return Err(DbError::NotInitialized);
                }
                options
                    .max_connections(8)
                    .after_connect(|conn, _| Box::pin(sqlite_pragmas(conn, true)))
            }
            None => options.max_connections(10),
        };
        let pool = options
            .connect(&url.driver_url(create))
            .await
            .map_err(|source| DbError::Unreachable {
                url: url.redacted(),
                source: BackendError::new(source),
            })?;
        let readers = match &url.sqlite {
            Some(SqliteTarget::File(path)) => Some(Arc::new(SqliteReaders::start(path.clone())?)),
            Some(SqliteTarget::Memory) | None => None,
        };
        Ok(Self {
            pool,
            dialect: url.dialect,
            clock: Clock::system(),
            writes: Arc::new(AtomicU64::new(0)),
            bookmarks: Arc::default(),
            readers,
        })
    }

    /// A number that grows after every write this `Db` (or a clone) has finished, committed or
    /// not, except the `last_activity` writes of [`Db::record_activity`].
    ///
    /// Caches of what the database says compare it: read it *before* reading the database,
    /// and what was read is current as long as the number has not changed. Writes by other
    /// processes are not counted.
    pub fn write_generation(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// Records that a write finished. Called after the statement or the commit, never before:
    /// a reader that saw the old number could otherwise read the old rows and keep them.
    pub(crate) fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    /// Commits a write transaction and bumps [`Db::write_generation`], whatever the outcome.
    pub(crate) async fn commit(&self, tx: Transaction<'static, Any>) -> Result<()> {
        let done = tx.commit().await;
        self.wrote();
        Ok(done?)
    }

    /// `sqlx::query` for a statement written with `?` placeholders.
    pub(crate) fn q(&self, sql: &'static str) -> AnyQuery<'static> {
        sqlx::query(self.dialect.sql(sql))
    }

    /// [`Db::q`] for a statement built at run time.
    pub(crate) fn q_owned(&self, sql: String) -> AnyQuery<'static> {
        sqlx::query(self.dialect.sql_owned(sql))
    }

    /// Starts a transaction that will write.
    ///
    /// SQLite takes the write lock up front (`BEGIN IMMEDIATE`): a deferred transaction that
    /// reads first and writes later fails at once with "database is locked" when another
    /// writer got in between, instead of waiting out the busy timeout.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres | Dialect::MySql => self.pool.begin().await?,
        })
    }

    /// Runs an `INSERT` and returns the new row's `id`.
    ///
    /// SQLite and PostgreSQL use `RETURNING id`; MySQL has no `RETURNING`, but reports the id.
    pub(crate) async fn insert_id(
        &self,
        conn: &mut AnyConnection,
        sql: &'static str,
        bind: impl FnOnce(AnyQuery<'static>) -> AnyQuery<'static>,
    ) -> Result<i64, sqlx::Error> {
        let id = match self.dialect {
            Dialect::MySql => bind(self.q(sql))
                .execute(&mut *conn)
                .await
                .and_then(|done| {
                    done.last_insert_id()
                        .ok_or_else(|| sqlx::Error::Protocol("no insert id".into()))
                }),
            Dialect::Sqlite | Dialect::Postgres => {
                bind(self.q_owned(format!("{sql} RETURNING id")))
                    .fetch_one(&mut *conn)
                    .await
                    .and_then(|row| row.try_get::<i64, _>(0))
            }
        };
        // Outside a transaction the row is committed now; inside one, the commit bumps again.
        self.wrote();
        id
    }

    /// Moves `last_activity` of the rows of `table` forward to the times given, inside `tx`;
    /// returns how many rows changed.
    ///
    /// One statement per [`TOUCH_BATCH`] rows, not one per row: a busy hub's activity writer
    /// sends hundreds of rows a second, and each statement is a round trip to the database.
    pub(crate) async fn touch_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        table: &'static str,
        updates: impl Iterator<Item = (i64, DateTime<Utc>)>,
    ) -> Result<u64> {
        let updates: Vec<(i64, i64)> = updates.map(|(id, at)| (id, to_micros(at))).collect();
        let mut changed = 0;
        for chunk in updates.chunks(TOUCH_BATCH) {
            // The time of each id, twice: to set it, and to write only if it is newer.
            let case = format!("CASE id{} END", " WHEN ? THEN ?".repeat(chunk.len()));
            let sql = format!(
                "UPDATE {table} SET last_activity = {case} WHERE id IN ({}) \
                 AND (last_activity IS NULL OR last_activity < {case})",
                placeholders(chunk.len())
            );
            let mut query = self.q_owned(sql);
            for (id, at) in chunk {
                query = query.bind(*id).bind(*at);
            }
            for (id, _) in chunk {
                query = query.bind(*id);
            }
            for (id, at) in chunk {
                query = query.bind(*id).bind(*at);
            }
            let done: AnyQueryResult = query.execute(&mut **tx).await?;
            changed += done.rows_affected();
        }
        Ok(changed)
    }

    /// One page of a whole table: `select` ends with `LIMIT ? OFFSET ?`, `count` counts the rows.
    pub(crate) async fn list_page<T>(
        &self,
        select: &'static str,
        count: &'static str,
        page: Pagination,
        row: fn(&AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let (limit, offset) = page.sql_args();
        let rows = self
            .q(select)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(row).collect::<Result<Vec<_>>>()?;
        let total = self.count(&self.pool, self.q(count)).await?;
        Ok(Page::new(items, total, page))
    }

    /// `DELETE ... WHERE <key> = ?`; `missing` is the error when no row had that key.
    pub(crate) async fn delete_by_key(
        &self,
        sql: &'static str,
        key: &str,
        missing: fn(&str) -> DbError,
    ) -> Result<()> {
        let done = self.q(sql).bind(key.to_owned()).execute_write(self).await?;
        if done.rows_affected() == 0 {
            return Err(missing(key));
        }
        Ok(())
    }

    /// Runs `SELECT COUNT(*) ...` and returns the count.
    pub(crate) async fn count<'c>(
        &self,
        exec: impl Executor<'c, Database = Any>,
        query: AnyQuery<'static>,
    ) -> Result<i64> {
        let row: AnyRow = query.fetch_one(exec).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}

/// Runs a statement that writes on the pool, then bumps [`Db::write_generation`].
pub(crate) trait ExecuteWrite {
    /// `execute(&db.pool)` followed by [`Db::wrote`], whatever the outcome.
    async fn execute_write(self, db: &Db) -> Result<AnyQueryResult, sqlx::Error>;
}

impl ExecuteWrite for AnyQuery<'static> {
    async fn execute_write(self, db: &Db) -> Result<AnyQueryResult, sqlx::Error> {
        let done = self.execute(&db.pool).await;
        db.wrote();
        done
    }
}

/// Per-connection SQLite settings: foreign keys (off by default in SQLite), a busy timeout so
/// writers queue instead of failing, and WAL for files so readers never block the writer.
async fn sqlite_pragmas(conn: &mut AnyConnection, file: bool) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000")
        .await?;
    if file {
        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            .await?;
    }
    Ok(())
}

/// SHA-256 of a token, code or secret, as lower-case hex: what the database stores.
///
/// Tokens are 32 random bytes or more, so an unsalted fast hash is enough: nothing can be
/// guessed from it, and a lookup is one indexed equality.
pub fn hash_token(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// A fresh random hex string of `bytes` random bytes (cookie ids).
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(buf.as_mut_slice());
    hex::encode(buf)
}
