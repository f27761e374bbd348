//! Reading portable columns back into Rust values: SMALLINT flags, BIGINT microsecond
//! timestamps and TEXT JSON, with a [`DbError::Corrupt`] naming the column when a value is bad.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::clock::from_micros;
use crate::error::{DbError, Result};
use crate::model::ServerState;

/// Typed getters over an [`AnyRow`] or a rusqlite row; `column` is `table.column`, the part
/// after the dot is read.
pub(crate) trait RowExt {
    fn int(&self, column: &'static str) -> Result<i64>;
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>>;
    fn text(&self, column: &'static str) -> Result<String>;
    fn opt_text(&self, column: &'static str) -> Result<Option<String>>;
    fn opt_blob(&self, column: &'static str) -> Result<Option<Vec<u8>>>;

    fn flag(&self, column: &'static str) -> Result<bool> {
        Ok(self.int(column)? != 0)
    }

    fn time(&self, column: &'static str) -> Result<DateTime<Utc>> {
        let us = self.int(column)?;
        from_micros(us).ok_or_else(|| corrupt(column, format!("timestamp {us} out of range")))
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<DateTime<Utc>>> {
        match self.opt_int(column)? {
            None => Ok(None),
            Some(us) => from_micros(us)
                .map(Some)
                .ok_or_else(|| corrupt(column, format!("timestamp {us} out of range"))),
        }
    }

    fn json<T: DeserializeOwned>(&self, column: &'static str) -> Result<T> {
        let text = self.text(column)?;
        serde_json::from_str(&text).map_err(|e| corrupt(column, e.to_string()))
    }

    fn opt_json<T: DeserializeOwned>(&self, column: &'static str) -> Result<Option<T>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| corrupt(column, e.to_string())),
        }
    }

    fn server_state(&self, column: &'static str) -> Result<ServerState> {
        self.text(column)?
            .parse()
            .map_err(|detail| corrupt(column, detail))
    }
}

impl RowExt for AnyRow {
    fn int(&self, column: &'static str) -> Result<i64> {
        Ok(self.try_get(name(column))?)
    }

    fn opt_int(&self, column: &'static str) -> Result<Option<i64>> {
        Ok(self.try_get(name(column))?)
    }

    fn text(&self, column: &'static str) -> Result<String> {
        Ok(self.try_get(name(column))?)
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>> {
        Ok(self.try_get(name(column))?)
    }

    fn opt_blob(&self, column: &'static str) -> Result<Option<Vec<u8>>> {
        Ok(self.try_get(name(column))?)
    }
}

impl RowExt for rusqlite::Row<'_> {
    fn int(&self, column: &'static str) -> Result<i64> {
        Ok(self.get(name(column))?)
    }

    fn opt_int(&self, column: &'static str) -> Result<Option<i64>> {
        Ok(self.get(name(column))?)
    }

    fn text(&self, column: &'static str) -> Result<String> {
        Ok(self.get(name(column))?)
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>> {
        Ok(self.get(name(column))?)
    }

    fn opt_blob(&self, column: &'static str) -> Result<Option<Vec<u8>>> {
        Ok(self.get(name(column))?)
    }
}

fn name(column: &'static str) -> &'static str {
    column.rsplit_once('.').map_or(column, |(_, c)| c)
}

pub(crate) fn corrupt(column: &'static str, detail: impl Into<String>) -> DbError {
    DbError::Corrupt {
        column,
        detail: detail.into(),
    }
}

/// JSON for a TEXT column; serialising a `Value` or a list of strings cannot fail.
pub(crate) fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// SMALLINT for a flag.
pub(crate) fn flag(value: bool) -> i16 {
    i16::from(value)
}

/// Checks a name against the schema's limits (1 to 255 characters) before the database does,
/// so every dialect reports it the same way.
pub(crate) fn check_name(what: &'static str, name: &str, allow_empty: bool) -> Result<()> {
    let chars = name.chars().count();
    if chars > 255 {
        return Err(DbError::Invalid {
            what,
            reason: format!("{chars} characters, at most 255 allowed"),
        });
    }
    if chars == 0 && !allow_empty {
        return Err(DbError::Invalid {
            what,
            reason: "empty".to_owned(),
        });
    }
    Ok(())
}
