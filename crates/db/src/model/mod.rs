//! The plain values queries take and return: ids, rows, pages and the server state enum.

mod ids;
mod rows;
mod secrets;

pub use ids::{
    GroupId, OAuthCodeId, RoleId, ServerEventId, ServerId, ServiceId, ShareCodeId, ShareId,
    TokenId, UserId,
};
pub use rows::{
    GroupRow, HolderKind, RoleHolder, RoleRow, RoleSpec, ServerEventRow, ServerRow, ServiceRow,
    ServiceSpec, UserRow,
};
pub use secrets::{
    NewOAuthClient, NewOAuthCode, NewShareCode, NewToken, OAuthClientRow, OAuthCodeRow,
    ShareCodeRow, ShareRow, ShareTarget, TokenOwner, TokenRow,
};

use std::fmt;
use std::str::FromStr;

/// The most rows any list query returns at once.
pub const MAX_PAGE_LIMIT: u32 = 1000;

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return, 1 to [`MAX_PAGE_LIMIT`].
    pub limit: u32,
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows in this page.
    pub items: Vec<T>,
    /// How many rows match, over all pages.
    pub total: u64,
    /// The pagination that produced this page, after clamping.
    pub offset: u64,
    /// The limit used, after clamping.
    pub limit: u32,
}

/// The lifecycle of one server, as the spawn state machine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// Not running; the default for a new server.
    Stopped,
    /// A spawn was requested and waits for a slot (concurrent spawn limit).
    Queued,
    /// The spawner's `start` is running.
    Starting,
    /// Started; the hub waits for the server to answer.
    Waiting,
    /// Up and answering.
    Running,
    /// The spawner's `stop` is running.
    Stopping,
    /// The last spawn failed; not running.
    Failed,
}

/// The users list's `state` filter, as JupyterHub's `GET /users?state=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserState {
    /// At least one server is [`ServerState::Running`].
    Ready,
    /// At least one server is neither stopped nor failed.
    Active,
    /// No server is active.
    Inactive,
}

/// The users list's sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    /// By id, i.e. creation order.
    #[default]
    Id,
    /// By name, in code-point order on every dialect.
    Name,
    /// By last activity; never-active users first ascending, last descending.
    LastActivity,
}

/// A users list query: `GET /users` with its filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// Which page.
    pub page: Pagination,
    /// Case-insensitive substring of the name.
    pub name_filter: Option<String>,
    /// Filter by server activity.
    pub state: Option<UserState>,
    /// Sort key.
    pub sort: UserSort,
    /// Descending instead of ascending.
    pub descending: bool,
}

// === impl Pagination ===

impl Pagination {
    /// `offset` and `limit`, with the limit clamped to 1..=[`MAX_PAGE_LIMIT`].
    pub fn new(offset: u64, limit: u32) -> Self {
        Self {
            offset,
            limit: limit.clamp(1, MAX_PAGE_LIMIT),
        }
    }

    /// The first page of `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self::new(0, limit)
    }

    pub(crate) fn clamped(self) -> Self {
        Self::new(self.offset, self.limit)
    }

    /// Binds as `LIMIT ? OFFSET ?`.
    pub(crate) fn sql_args(self) -> (i64, i64) {
        let p = self.clamped();
        (
            i64::from(p.limit),
            i64::try_from(p.offset).unwrap_or(i64::MAX),
        )
    }
}

impl Default for Pagination {
    fn default() -> Self {
        Self::new(0, 200)
    }
}

// === impl Page ===

impl<T> Page<T> {
    pub(crate) fn new(items: Vec<T>, total: i64, page: Pagination) -> Self {
        let page = page.clamped();
        Self {
            items,
            total: u64::try_from(total).unwrap_or(0),
            offset: page.offset,
            limit: page.limit,
        }
    }
}

// === impl ServerState ===

impl ServerState {
    /// Every state, for tests and validation.
    pub const ALL: [Self; 7] = [
        Self::Stopped,
        Self::Queued,
        Self::Starting,
        Self::Waiting,
        Self::Running,
        Self::Stopping,
        Self::Failed,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::Queued => "queued",
            Self::Starting => "starting",
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Failed => "failed",
        }
    }

    /// Whether the server occupies resources: anything but stopped or failed.
    pub fn is_active(self) -> bool {
        !matches!(self, Self::Stopped | Self::Failed)
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServerState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown server state {s:?}"))
    }
}

// === impl UserQuery ===

impl Default for UserQuery {
    fn default() -> Self {
        Self {
            page: Pagination::default(),
            name_filter: None,
            state: None,
            sort: UserSort::Id,
            descending: false,
        }
    }
}
