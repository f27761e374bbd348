//! The crate's error type: domain facts first, then the few ways the database itself can fail.

use std::fmt;
use std::path::PathBuf;

/// Everything a [`crate::Db`] method can fail with.
///
/// The domain variants (`UserExists`, `UserNotFound`, ...) are what callers match on to pick an
/// HTTP status; [`DbError::Backend`] is an unexpected failure of the database or the connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The database URL names no supported dialect or cannot be parsed.
    #[error(
        "unsupported database url {url:?}: expected sqlite://<path>, sqlite::memory:, postgresql://, postgres://, mysql:// or mariadb://"
    )]
    UnsupportedUrl {
        /// The URL with any password replaced by `***`.
        url: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the database at {url}: {source}")]
    Unreachable {
        /// The URL with any password replaced by `***`.
        url: String,
        /// The driver's error.
        #[source]
        source: BackendError,
    },
    /// The database was migrated by a newer ganymede.
    #[error(
        "database schema version {found} is newer than this ganymede supports ({supported}); run a newer ganymede"
    )]
    SchemaTooNew {
        /// The newest migration recorded in the database.
        found: i64,
        /// The newest migration this binary knows.
        supported: i64,
    },
    /// The database's schema is older than this binary's.
    #[error(
        "database schema version {found} is older than {required}; back up the database and run `ganymede upgrade-db`"
    )]
    SchemaTooOld {
        /// The newest migration recorded in the database (0 for none).
        found: i64,
        /// The newest migration this binary knows.
        required: i64,
    },
    /// The database holds no ganymede schema at all.
    #[error("the database has no ganymede schema; run `ganymede upgrade-db` to create it")]
    NotInitialized,
    /// The database holds tables but no ganymede migration history, e.g. a JupyterHub database.
    #[error(
        "the database holds tables but no ganymede migration history (is it another application's database?); point ganymede at an empty database"
    )]
    ForeignSchema,
    /// A migration started but never finished.
    #[error(
        "migration {version} was left incomplete; restore the backup taken before `ganymede upgrade-db`"
    )]
    DirtyMigration {
        /// The incomplete migration.
        version: i64,
    },
    /// Applying migrations failed.
    #[error("migrating the database failed: {source}")]
    Migration {
        /// The migrator's error.
        #[source]
        source: BackendError,
    },
    /// Backing up the SQLite file before an upgrade failed.
    #[error("cannot back up the database to {path}: {source}")]
    Backup {
        /// The backup file that could not be written.
        path: PathBuf,
        /// Why.
        #[source]
        source: BackendError,
    },
    /// One or more users already exist (for a batch: all of them did).
    #[error("user already exists: {}", names.join(", "))]
    UserExists {
        /// The names that exist.
        names: Vec<String>,
    },
    /// No user has this name.
    #[error("no such user: {name}")]
    UserNotFound {
        /// The name asked for.
        name: String,
    },
    /// A group with this name exists.
    #[error("group already exists: {name}")]
    GroupExists {
        /// The name.
        name: String,
    },
    /// No group has this name.
    #[error("no such group: {name}")]
    GroupNotFound {
        /// The name asked for.
        name: String,
    },
    /// No role has this name.
    #[error("no such role: {name}")]
    RoleNotFound {
        /// The name asked for.
        name: String,
    },
    /// No service has this name.
    #[error("no such service: {name}")]
    ServiceNotFound {
        /// The name asked for.
        name: String,
    },
    /// The user already has a server with this name.
    #[error("the user already has a server named {name:?}")]
    ServerExists {
        /// The server's name.
        name: String,
    },
    /// No server with this id or name.
    #[error("no such server: {what}")]
    ServerNotFound {
        /// `<id>` or `<user>/<name>`.
        what: String,
    },
    /// A compare-and-set on a server's state lost a race.
    #[error("server {server_id} is {found}, not {expected}")]
    ServerStateConflict {
        /// The server.
        server_id: i64,
        /// The state the caller expected.
        expected: crate::ServerState,
        /// The state the row holds.
        found: crate::ServerState,
    },
    /// A token with the same hash exists (a collision or a re-used token).
    #[error("token already exists")]
    TokenExists,
    /// No token with this id.
    #[error("no such token: {id}")]
    TokenNotFound {
        /// The id asked for.
        id: i64,
    },
    /// An OAuth client with this identifier exists.
    #[error("oauth client already exists: {identifier}")]
    OAuthClientExists {
        /// The identifier.
        identifier: String,
    },
    /// No OAuth client with this identifier.
    #[error("no such oauth client: {identifier}")]
    OAuthClientNotFound {
        /// The identifier.
        identifier: String,
    },
    /// A value does not fit the schema (too long, empty, out of range).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A stored value cannot be decoded (bad JSON, unknown state): the row was written by
    /// something else or by hand.
    #[error("corrupt {column} in the database: {detail}")]
    Corrupt {
        /// `table.column`.
        column: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The database failed unexpectedly.
    #[error("database error: {0}")]
    Backend(#[source] BackendError),
}

/// A driver error, kept opaque so that no other crate depends on `sqlx`.
pub struct BackendError(Box<dyn std::error::Error + Send + Sync + 'static>);

/// The crate's result type.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

// === impl BackendError ===

impl BackendError {
    pub(crate) fn new(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(err))
    }

    pub(crate) fn msg(msg: impl Into<String>) -> Self {
        Self(msg.into().into())
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

// === impl DbError ===

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        Self::Backend(BackendError::new(err))
    }
}

impl From<sqlx::migrate::MigrateError> for DbError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        match err {
            sqlx::migrate::MigrateError::Dirty(version) => Self::DirtyMigration { version },
            other => Self::Migration {
                source: BackendError::new(other),
            },
        }
    }
}

/// The constraint a failed statement violated, when it was one we map to a domain error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    Unique,
    ForeignKey,
}

/// Classifies a driver error as a constraint violation, portably across the three drivers.
pub(crate) fn violation(err: &sqlx::Error) -> Option<Violation> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    match db.kind() {
        sqlx::error::ErrorKind::UniqueViolation => Some(Violation::Unique),
        sqlx::error::ErrorKind::ForeignKeyViolation => Some(Violation::ForeignKey),
        _ => None,
    }
}
