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
use tokio::sync::oneshot;

use crate::db::Db;
use crate::error::{BackendError, DbError, Result};
use crate::row::RowExt;

/// Reader threads: two per CPU, within these bounds. Reads use the CPU, not the disk, so more
/// would only queue in the kernel; more than one per CPU lets quick reads pass a slow one.
const MIN_READERS: usize = 4;
const MAX_READERS: usize = 16;
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
    /// For a SQLite file the whole of `read` runs on a [`SqliteReaders`] thread, whose
    /// connection's queries then run inline: one hop per call however many queries it makes.
    /// Otherwise it runs here on a connection from the pool.
    pub(crate) async fn with_read_conn<T, F, Fut>(&self, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Db, ReadConn) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let db = self.clone();
        match &self.readers {
            Some(readers) => {
                let (answer, answered) = oneshot::channel();
                let runtime = tokio::runtime::Handle::current();
                readers.submit(Box::new(move |slot| {
                    // The future never waits on anything (rusqlite is synchronous), so
                    // `block_on` polls it once. A caller that gave up has dropped `answered`.
                    let lease = SqliteLease::new(slot);
                    let rows = runtime.block_on(read(db, ReadConn::Sqlite(lease)));
                    let _ = answer.send(rows);
                }))?;
                answered.await.map_err(|_| {
                    DbError::Backend(BackendError::msg("a SQLite reader thread failed"))
                })?
            }
            None => {
                let conn = self.pool.acquire().await?;
                read(db, ReadConn::Pool(conn)).await
            }
        }
    }
}

/// A read to run on a reader thread, given that thread's connection slot.
type Job = Box<dyn FnOnce(Arc<Slot>) + Send>;

/// A reader thread's connection: `None` until its first query opens it (opening blocks, so it
/// happens on the reader thread), and while a [`SqliteLease`] has it.
#[derive(Debug)]
pub(crate) struct Slot {
    path: Arc<Path>,
    conn: Mutex<Option<rusqlite::Connection>>,
}

/// Threads that read one SQLite file, each with its own `query_only` rusqlite connection, and
/// the queue of reads they take from.
///
/// Own threads rather than tokio's blocking pool: `spawn_blocking` starts a new thread whenever
/// none is idle at that instant, and under a steady load of pages the hub grew to 59 threads,
/// each with its own allocator heap (RSS 53 → 185 MB at 10,000 users). Here the number is fixed.
///
/// WAL mode (set by the pool's connections) lets them read while the pool writes; each
/// statement runs in its own read transaction, so a read sees every write committed before it.
#[derive(Debug)]
pub(crate) struct SqliteReaders {
    /// `None` once closed; the threads end when the queue's last sender is gone.
    jobs: Mutex<Option<flume::Sender<Job>>>,
}

/// A reader thread's connection, lent to one [`Db::with_read_conn`] call.
#[derive(Debug)]
pub(crate) struct SqliteLease {
    slot: Arc<Slot>,
    conn: Option<rusqlite::Connection>,
}

impl SqliteReaders {
    /// Starts the reader threads (their connections open on first use).
    pub(crate) fn start(path: PathBuf) -> Result<Self> {
        // The pool has opened (or created) the file by now; its absolute path keeps the readers,
        // which open theirs later, on the same file whatever the working directory is then.
        let path: Arc<Path> = std::fs::canonicalize(&path).unwrap_or(path).into();
        let (jobs, queue) = flume::unbounded::<Job>();
        let threads = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .saturating_mul(2)
            .clamp(MIN_READERS, MAX_READERS);
        for index in 0..threads {
            let slot = Arc::new(Slot {
                path: Arc::clone(&path),
                conn: Mutex::new(None),
            });
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("sqlite-reader-{index}"))
                .spawn(move || serve(&slot, &queue))
                .map_err(|error| DbError::Backend(BackendError::new(error)))?;
        }
        Ok(Self {
            jobs: Mutex::new(Some(jobs)),
        })
    }

    fn submit(&self, job: Job) -> Result<()> {
        let closed = || DbError::Backend(BackendError::msg("the database has been closed"));
        let jobs = self.jobs.lock().map_err(|_| closed())?;
        jobs.as_ref()
            .ok_or_else(closed)?
            .send(job)
            .map_err(|_| closed())
    }

    /// Stops taking reads; the threads finish the queued ones, close their connections and end.
    pub(crate) fn close(&self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
    }
}

/// A reader thread: runs reads until the queue is closed. A read that panics loses its
/// connection (the next read opens another), not the thread.
fn serve(slot: &Arc<Slot>, queue: &flume::Receiver<Job>) {
    while let Ok(job) = queue.recv() {
        let slot = Arc::clone(slot);
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || job(slot))).is_err() {
            tracing::error!("a SQLite read panicked; its connection is closed");
        }
    }
}

impl SqliteLease {
    fn new(slot: Arc<Slot>) -> Self {
        let conn = slot.conn.lock().ok().and_then(|mut conn| conn.take());
        Self { slot, conn }
    }

    /// Runs on the reader thread of [`Db::with_read_conn`], never on the runtime's.
    fn fetch_all<T: FromRow>(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<T>> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => open(&self.slot.path)?,
        };
        let rows = query(&conn, sql, args);
        self.conn = Some(conn);
        rows
    }
}

impl Drop for SqliteLease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && let Ok(mut slot) = self.slot.conn.lock()
        {
            *slot = Some(conn);
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
