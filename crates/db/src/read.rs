//! Connections for the hot reads (a page of `GET /users`, one user's model): a pooled sqlx
//! connection, or, for a SQLite file, a rusqlite connection used on tokio's blocking threads.
//!
//! Why two: sqlx's SQLite driver runs each connection on a thread of its own and hands every
//! row to the async side through a channel, then converts it to an `AnyRow`; on a `limit=200`
//! page about half of the CPU went to that thread and a fifth to the kernel switching between
//! it and the runtime. Through [`Db::with_read_conn`] and [`SqliteReaders`] a whole sequence of
//! queries is one hop to a blocking thread and back, and rows are decoded where SQLite
//! produced them. PostgreSQL, MySQL and
//! `sqlite::memory:` (whose single pooled connection *is* the database) keep the pool.
//!
//! The SQL text and the row decoders ([`FromRow`] over [`RowExt`]) are the same on both paths,
//! so the tests that run every query on SQLite files, in memory, PostgreSQL and MariaDB cover
//! both.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::ToSqlOutput;
use rusqlite::{OpenFlags, ToSql};
use sqlx::Any;
use sqlx::pool::PoolConnection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::db::Db;
use crate::error::{BackendError, DbError, Result};
use crate::row::RowExt;

/// Reader connections: at most this many reads run at once, each on its own connection, kept
/// open between reads. Reads use the CPU, not the disk, so more would only queue in the kernel.
const READERS: usize = 8;
/// Statements each reader keeps prepared (the hot reads use a handful of texts per page size).
const STATEMENT_CACHE: usize = 64;

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// A row type both connection kinds decode the same way.
pub(crate) trait FromRow: Sized + Send + 'static {
    fn from_row(row: &impl RowExt) -> Result<Self>;
}

/// `SELECT COUNT(*) AS n ...`.
pub(crate) struct Count(pub(crate) i64);

impl FromRow for Count {
    fn from_row(row: &impl RowExt) -> Result<Self> {
        Ok(Self(row.int("n")?))
    }
}

/// A connection for a sequence of reads, handed out by [`Db::with_read_conn`] only: a SQLite
/// reader blocks while it queries.
pub(crate) enum ReadConn {
    Pool(PoolConnection<Any>),
    Sqlite(SqliteLease),
}

impl ReadConn {
    /// Every row of `sql` (written with `?` placeholders) bound to `args`.
    pub(crate) async fn fetch_all<T: FromRow>(
        &mut self,
        db: &Db,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Vec<T>> {
        match self {
            Self::Pool(conn) => {
                let query = args
                    .into_iter()
                    .fold(db.q_owned(sql), |query, arg| match arg {
                        Arg::Int(value) => query.bind(value),
                        Arg::Text(value) => query.bind(value),
                    });
                let rows = query.fetch_all(&mut **conn).await?;
                rows.iter().map(|row| T::from_row(row)).collect()
            }
            Self::Sqlite(lease) => lease.fetch_all(&sql, &args),
        }
    }

    /// The first row, if any.
    pub(crate) async fn fetch_optional<T: FromRow>(
        &mut self,
        db: &Db,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Option<T>> {
        Ok(self.fetch_all(db, sql, args).await?.into_iter().next())
    }
}

impl Db {
    /// Runs `read` with a connection for the hot reads.
    ///
    /// For a SQLite file the whole of `read` runs on one of tokio's blocking threads with a
    /// [`SqliteReaders`] connection, whose queries then run inline: one hop per call however
    /// many queries it makes. Otherwise it runs here on a connection from the pool.
    pub(crate) async fn with_read_conn<T, F, Fut>(&self, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Db, ReadConn) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let db = self.clone();
        match &self.readers {
            Some(readers) => {
                let lease = readers.lease().await?;
                let runtime = tokio::runtime::Handle::current();
                // The future never waits on anything (rusqlite is synchronous), so `block_on`
                // polls it once.
                tokio::task::spawn_blocking(move || {
                    runtime.block_on(read(db, ReadConn::Sqlite(lease)))
                })
                .await
                .map_err(|error| DbError::Backend(BackendError::new(error)))?
            }
            None => {
                let conn = self.pool.acquire().await?;
                read(db, ReadConn::Pool(conn)).await
            }
        }
    }
}

/// Read-only rusqlite connections to one SQLite file, reused.
///
/// WAL mode (set by the pool's connections) lets them read while the pool writes; each
/// statement runs in its own read transaction, so a read sees every write committed before it.
#[derive(Debug)]
pub(crate) struct SqliteReaders {
    path: Arc<Path>,
    idle: Mutex<Vec<rusqlite::Connection>>,
    /// One permit per reader; closed by [`SqliteReaders::close`].
    permits: Arc<Semaphore>,
}

/// A reader checked out for a sequence of queries; goes back to the idle list when dropped.
#[derive(Debug)]
pub(crate) struct SqliteLease {
    readers: Arc<SqliteReaders>,
    _permit: OwnedSemaphorePermit,
    /// `None` until the first query opens one (opening blocks, so it happens on the blocking
    /// thread).
    conn: Option<rusqlite::Connection>,
}

impl SqliteReaders {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path: path.into(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(READERS)),
        }
    }

    /// Waits for a free reader (a semaphore closed by [`SqliteReaders::close`] fails at once).
    async fn lease(self: &Arc<Self>) -> Result<SqliteLease> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| DbError::Backend(BackendError::msg("the database has been closed")))?;
        let conn = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        Ok(SqliteLease {
            readers: Arc::clone(self),
            _permit: permit,
            conn,
        })
    }

    /// Closes the idle readers; later reads fail, as the pool's do after `close`.
    pub(crate) fn close(&self) {
        self.permits.close();
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

impl SqliteLease {
    /// Runs on the blocking thread of [`Db::with_read_conn`], never on the runtime's.
    fn fetch_all<T: FromRow>(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<T>> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => open(&self.readers.path)?,
        };
        let rows = query(&conn, sql, args);
        self.conn = Some(conn);
        rows
    }
}

impl Drop for SqliteLease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        // A lease that outlived `close` closes its connection instead of keeping it.
        if self.readers.permits.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.readers.idle.lock() {
            idle.push(conn);
        }
    }
}

fn open(path: &Path) -> Result<rusqlite::Connection> {
    // Read-write without CREATE, then `query_only`: a read-only open could not create the WAL
    // index it needs if no other connection had, and the file must already exist.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

fn query<T: FromRow>(conn: &rusqlite::Connection, sql: &str, args: &[Arg]) -> Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(T::from_row(row)?);
    }
    Ok(out)
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Int(value) => ToSqlOutput::from(*value),
            Self::Text(value) => ToSqlOutput::from(value.as_str()),
        })
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Backend(BackendError::new(err))
    }
}
