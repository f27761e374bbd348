//! Ganymede's SQL layer: every table, migration and query the hub uses.
//!
//! - [`Db`] opens SQLite (the default, `sqlite://ganymede.sqlite`), PostgreSQL or MariaDB/MySQL
//!   by URL, refuses a schema it does not match, and upgrades one with [`Db::upgrade`].
//! - Queries are `async` methods on [`Db`] that return plain row structs ([`UserRow`],
//!   [`ServerRow`], [`TokenRow`], ...) and fail with domain errors ([`DbError::UserExists`],
//!   [`DbError::UserNotFound`], ...).
//! - Every list is paginated ([`Pagination`] in, [`Page`] out) and indexed; nothing loads every
//!   user.
//!
//! One code path serves all three dialects through sqlx's `Any` driver: columns use portable
//! types (BIGINT microseconds for time, TEXT for JSON, SMALLINT for flags), queries are written
//! once with `?` placeholders, and the few statements whose syntax differs (upserts, `RETURNING`,
//! `FOR UPDATE`, `NULLS FIRST`) hold one `match` on [`Dialect`]. The hot reads (a page of
//! users, one user's model) run on rusqlite for a SQLite file; see `read.rs` for why.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod activity;
mod batch;
mod bookmarks;
mod clock;
mod db;
mod dialect;
mod error;
mod groups;
mod migrate;
mod model;
mod oauth;
mod read;
mod roles;
mod row;
mod servers;
mod services;
mod share_queries;
mod shares;
mod tokens;
mod users;

#[cfg(test)]
mod tests;

pub use activity::ActivityBatch;
pub use batch::{Memberships, UserDetail, UserPage};
pub use clock::Clock;
pub use db::{Db, hash_token};
pub use dialect::Dialect;
pub use error::{BackendError, DbError, Result};
pub use migrate::UpgradeReport;
pub use model::{
    GroupId, GroupRow, HolderKind, MAX_PAGE_LIMIT, NewOAuthClient, NewOAuthCode, NewShareCode,
    NewToken, OAuthClientRow, OAuthCodeId, OAuthCodeRow, Page, Pagination, RoleHolder, RoleId,
    RoleRow, RoleSpec, ServerEventId, ServerEventRow, ServerId, ServerRow, ServerState, ServiceId,
    ServiceRow, ServiceSpec, ShareCodeId, ShareCodeRow, ShareId, ShareRow, ShareTarget, TokenId,
    TokenOwner, TokenRow, UserId, UserQuery, UserRow, UserSort, UserState,
};
pub use servers::{ServerSpec, Transition};
pub use share_queries::ShareCodeSelector;
