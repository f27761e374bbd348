//! The errors of the domain services; the web layer maps each to a status and JupyterHub's JSON.

use ganymede_types::scope::Denied;

/// Why a service call failed, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// No valid credentials (403 "Missing or invalid credentials.").
    #[error("Missing or invalid credentials.")]
    Unauthenticated,
    /// The caller's scopes do not allow it (403 or 404, as JupyterHub decides).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The resource does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// The resource already exists (409).
    #[error("{0}")]
    Conflict(String),
    /// Refused for a reason other than scopes, e.g. "Only admins can grant admin permissions"
    /// (403).
    #[error("{0}")]
    Forbidden(String),
    /// This build cannot do it yet (501).
    #[error("{0}")]
    NotImplemented(String),
    /// The hub cannot do it as configured, e.g. no encryption key for auth_state (500); the
    /// message says what to configure and holds no secret.
    #[error("{0}")]
    Internal(String),
    /// A startup setting is invalid (400-style); the message names the config key.
    #[error("{key}: {message}")]
    Config {
        /// The config key at fault, such as `hub.load_roles[0].scopes`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The operation needs a proxy and none is configured, or the proxy failed (503).
    #[error("{0}")]
    Proxy(String),
    /// Too many requests wait already (429); the queue is full.
    #[error("{0}")]
    TooMany(String),
    /// A server failed to start (500); the message says why and what to check.
    #[error("{0}")]
    SpawnFailed(String),
    /// The method is not allowed on this resource (405).
    #[error("{0}")]
    NotAllowed(String),
    /// The database failed (500); the detail is logged, not shown.
    #[error("internal error")]
    Database(#[source] ganymede_db::DbError),
}

impl CoreError {
    pub(crate) fn config(key: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Config {
            key: key.into(),
            message: message.to_string(),
        }
    }

    /// The HTTP status JupyterHub answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated => 403,
            Self::Denied(denied) => denied.status(),
            Self::NotFound(_) => 404,
            Self::BadRequest(_) => 400,
            Self::Conflict(_) => 409,
            Self::Forbidden(_) => 403,
            Self::NotImplemented(_) => 501,
            Self::Internal(_) => 500,
            Self::Config { .. } => 400,
            Self::Proxy(_) => 503,
            Self::NotAllowed(_) => 405,
            Self::TooMany(_) => 429,
            Self::SpawnFailed(_) => 500,
            Self::Database(_) => 500,
        }
    }
}

impl From<ganymede_db::DbError> for CoreError {
    fn from(error: ganymede_db::DbError) -> Self {
        tracing::error!(%error, "database error");
        Self::Database(error)
    }
}
