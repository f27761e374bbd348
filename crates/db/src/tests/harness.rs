//! Scratch databases for the suite: a private database per test on the PostgreSQL and MariaDB
//! servers named by `GANYMEDE_TEST_POSTGRES_URL` / `GANYMEDE_TEST_MYSQL_URL`, dropped afterwards,
//! and a temporary directory for SQLite files.

use std::future::Future;

use sqlx::{AnyConnection, Connection, Executor};

use crate::Db;
use crate::dialect::DbUrl;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_MYSQL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// Where a test's database lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    SqliteMemory,
    SqliteFile,
    Postgres,
    MySql,
}

/// What a test gets: the URL of its own empty database.
pub(crate) struct Ctx {
    pub(crate) backend: Backend,
    pub(crate) url: String,
}

/// A database created for one test, and what it takes to remove it.
struct Scratch {
    url: String,
    server: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Ctx {
    /// The test's database with the current schema.
    pub(crate) async fn db(&self) -> Db {
        Db::connect_or_init(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect_or_init({}): {e}", self.url))
    }

    /// A pool on the test's database that checks nothing, for raw SQL.
    pub(crate) async fn raw(&self) -> Db {
        let url = DbUrl::parse(&self.url).expect("test url");
        Db::open(&url, true).await.expect("open raw pool")
    }

    /// The file of a SQLite file backend.
    pub(crate) fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match self.backend {
            Backend::SqliteFile => self.url.strip_prefix("sqlite://").map(Into::into),
            _ => None,
        }
    }
}

/// Runs `test` on a fresh database of `backend`, then removes the database, even if the test
/// panicked.
pub(crate) async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let scratch = Scratch::create(backend).await;
    let ctx = Ctx {
        backend,
        url: scratch.url.clone(),
    };
    let outcome = tokio::spawn(test(ctx)).await;
    scratch.remove().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

impl Scratch {
    async fn create(backend: Backend) -> Self {
        let (env, default, kind) = match backend {
            Backend::SqliteMemory => {
                return Self {
                    url: "sqlite::memory:".to_owned(),
                    server: None,
                    _dir: None,
                };
            }
            Backend::SqliteFile => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("ganymede.sqlite").display());
                return Self {
                    url,
                    server: None,
                    _dir: Some(dir),
                };
            }
            Backend::Postgres => ("GANYMEDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES, "PostgreSQL"),
            Backend::MySql => ("GANYMEDE_TEST_MYSQL_URL", DEFAULT_MYSQL, "MariaDB/MySQL"),
        };
        let admin = std::env::var(env).unwrap_or_else(|_| default.to_owned());
        let name = format!("ganymede_test_{}", crate::db::random_hex(8));
        let mut conn = admin_connection(&admin, kind, env).await;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {kind}: {e}"));
        let _ = conn.close().await;
        Self {
            url: with_database(&admin, &name),
            server: Some((admin, name)),
            _dir: None,
        }
    }

    async fn remove(self) {
        let Some((admin, name)) = self.server else {
            return;
        };
        let sql = if admin.starts_with("postgres") {
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        } else {
            format!("DROP DATABASE IF EXISTS {name}")
        };
        let mut conn = admin_connection(&admin, "database server", "").await;
        conn.execute(sqlx::AssertSqlSafe(sql))
            .await
            .unwrap_or_else(|e| panic!("DROP DATABASE {name}: {e}"));
        let _ = conn.close().await;
    }
}

async fn admin_connection(url: &str, kind: &str, env: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "{kind} is unreachable at {} ({e}); start it with `bash scripts/databases.sh` \
             (or point {env} at a server)",
            crate::dialect::redact(url)
        )
    })
}

/// `url` with its database (the path) replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[test]
fn database_is_swapped_in_urls() {
    let cases = [
        (
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://postgres@127.0.0.1:5432/t",
        ),
        (
            "mysql://root@h:3306/mysql?ssl-mode=disabled",
            "mysql://root@h:3306/t?ssl-mode=disabled",
        ),
        ("postgres://h", "postgres://h/t"),
    ];
    for (input, want) in cases {
        assert_eq!(with_database(input, "t"), want);
    }
}

/// A clock a test moves by hand.
#[derive(Clone)]
pub(crate) struct ManualClock(std::sync::Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>);

impl ManualClock {
    pub(crate) fn starting_at(t: chrono::DateTime<chrono::Utc>) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(t)))
    }

    pub(crate) fn clock(&self) -> crate::Clock {
        let now = self.0.clone();
        crate::Clock::from_fn(move || *now.lock().expect("clock lock"))
    }

    pub(crate) fn advance(&self, by: chrono::Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
}
