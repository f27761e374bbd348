//! The three SQL dialects: which one a URL names, and the one textual difference every query
//! shares (PostgreSQL numbers its placeholders).

use std::borrow::Cow;
use std::path::PathBuf;

use sqlx::AssertSqlSafe;

use crate::error::{DbError, Result};

/// The database behind a [`crate::Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite, embedded; the default.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MariaDB or MySQL.
    MySql,
}

/// Where a SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SqliteTarget {
    Memory,
    File(PathBuf),
}

/// A parsed database URL.
#[derive(Debug, Clone)]
pub(crate) struct DbUrl {
    pub(crate) dialect: Dialect,
    /// For SQLite, where; `None` for the servers.
    pub(crate) sqlite: Option<SqliteTarget>,
    /// The URL handed to the driver (SQLite's is rebuilt; the servers' are passed through).
    raw: String,
}

// === impl Dialect ===

impl Dialect {
    /// Adapts a query written with `?` placeholders to this dialect.
    ///
    /// SQLite and MySQL take `?` as written; PostgreSQL needs `$1`, `$2`, ... .
    /// `?` inside single-quoted literals is left alone.
    pub(crate) fn sql(self, text: &'static str) -> AssertSqlSafe<Cow<'static, str>> {
        match self {
            Self::Postgres => AssertSqlSafe(Cow::Owned(number_placeholders(text))),
            Self::Sqlite | Self::MySql => AssertSqlSafe(Cow::Borrowed(text)),
        }
    }

    /// [`Dialect::sql`] for text built at run time (`IN` lists, multi-row inserts).
    pub(crate) fn sql_owned(self, text: String) -> AssertSqlSafe<Cow<'static, str>> {
        match self {
            Self::Postgres => AssertSqlSafe(Cow::Owned(number_placeholders(&text))),
            Self::Sqlite | Self::MySql => AssertSqlSafe(Cow::Owned(text)),
        }
    }

    /// A short lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgresql",
            Self::MySql => "mysql",
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Rewrites `?` to `$1`, `$2`, ... outside single-quoted literals.
fn number_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    let mut in_literal = false;
    for c in text.chars() {
        match c {
            '\'' => {
                in_literal = !in_literal;
                out.push(c);
            }
            '?' if !in_literal => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// `?, ?, ?` with `n` placeholders, for `IN` lists.
pub(crate) fn placeholders(n: usize) -> String {
    let mut out = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('?');
    }
    out
}

// === impl DbUrl ===

impl DbUrl {
    /// Parses `sqlite://path`, `sqlite:path`, `sqlite::memory:`, `postgres[ql]://…`,
    /// `mysql://…` or `mariadb://…`.
    pub(crate) fn parse(url: &str) -> Result<Self> {
        let unsupported = || DbError::UnsupportedUrl { url: redact(url) };
        let (scheme, rest) = url.split_once(':').ok_or_else(unsupported)?;
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                let path = path.split_once('?').map_or(path, |(p, _)| p);
                let target = match path {
                    "" => return Err(unsupported()),
                    ":memory:" => SqliteTarget::Memory,
                    p => SqliteTarget::File(PathBuf::from(p)),
                };
                Ok(Self {
                    dialect: Dialect::Sqlite,
                    sqlite: Some(target),
                    raw: String::new(),
                })
            }
            "postgres" | "postgresql" => Ok(Self::server(Dialect::Postgres, url)),
            "mysql" | "mariadb" => Ok(Self::server(Dialect::MySql, url)),
            _ => Err(unsupported()),
        }
    }

    fn server(dialect: Dialect, url: &str) -> Self {
        Self {
            dialect,
            sqlite: None,
            raw: url.to_owned(),
        }
    }

    /// The URL for the driver; SQLite files are opened read-write, and created only if `create`.
    pub(crate) fn driver_url(&self, create: bool) -> String {
        match &self.sqlite {
            Some(SqliteTarget::Memory) => "sqlite::memory:".to_owned(),
            Some(SqliteTarget::File(path)) => {
                let mode = if create { "rwc" } else { "rw" };
                format!("sqlite://{}?mode={mode}", escape_path(path))
            }
            None => self.raw.clone(),
        }
    }

    /// The URL for messages, without a password.
    pub(crate) fn redacted(&self) -> String {
        match &self.sqlite {
            Some(SqliteTarget::Memory) => "sqlite::memory:".to_owned(),
            Some(SqliteTarget::File(path)) => format!("sqlite://{}", path.display()),
            None => redact(&self.raw),
        }
    }
}

/// Percent-escapes the characters the SQLite driver's URL parser would take as syntax.
fn escape_path(path: &std::path::Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}

/// Replaces the password of `scheme://user:password@host/...` with `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let cases = [
            ("SELECT 1", "SELECT 1"),
            ("a = ? AND b = ?", "a = $1 AND b = $2"),
            ("x LIKE '?' AND y = ?", "x LIKE '?' AND y = $1"),
            ("'it''s?' = ?", "'it''s?' = $1"),
        ];
        for (input, want) in cases {
            assert_eq!(number_placeholders(input), want, "{input}");
            assert_eq!(Dialect::Sqlite.sql_owned(input.to_owned()).0, input);
        }
    }

    #[test]
    fn urls_name_their_dialect() {
        let cases = [
            ("sqlite://ganymede.sqlite", Dialect::Sqlite),
            ("sqlite:ganymede.sqlite", Dialect::Sqlite),
            ("sqlite::memory:", Dialect::Sqlite),
            ("sqlite:///var/lib/ganymede/db.sqlite", Dialect::Sqlite),
            ("postgres://u:p@h/db", Dialect::Postgres),
            ("postgresql://h/db", Dialect::Postgres),
            ("mysql://root@h/db", Dialect::MySql),
            ("mariadb://root@h/db", Dialect::MySql),
        ];
        for (url, dialect) in cases {
            assert_eq!(DbUrl::parse(url).expect(url).dialect, dialect, "{url}");
        }
        for bad in ["oracle://x", "ganymede.sqlite", "sqlite://"] {
            assert!(
                matches!(DbUrl::parse(bad), Err(DbError::UnsupportedUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn sqlite_paths_are_kept_and_escaped() {
        let url = DbUrl::parse("sqlite:///tmp/a?b%.sqlite").expect("parse");
        assert_eq!(url.sqlite, Some(SqliteTarget::File("/tmp/a".into())));
        let url = DbUrl::parse("sqlite://dir/x#1.sqlite").expect("parse");
        assert_eq!(url.driver_url(true), "sqlite://dir/x%231.sqlite?mode=rwc");
        assert_eq!(
            DbUrl::parse("sqlite::memory:").expect("parse").sqlite,
            Some(SqliteTarget::Memory)
        );
    }

    #[test]
    fn passwords_are_redacted() {
        let cases = [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            ("mysql://root@h/db", "mysql://root@h/db"),
            ("postgres://h/db", "postgres://h/db"),
            ("mysql://u:p@ss@h/db", "mysql://u:***@h/db"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want);
        }
    }
}
