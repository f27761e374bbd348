//! Authenticators and the login pipeline every login passes.
//!
//! - [`Authenticator`]: checks a login form's user name and password; the backends are
//!   [`SharedPassword`] (JupyterHub's `SharedPasswordAuthenticator`) and [`UsersFile`] (users
//!   and argon2 hashes in a TOML file), picked by [`from_config`].
//! - [`LoginPolicy`]: what JupyterHub's `get_authenticated_user` does with the answer:
//!   normalise, validate, blocked, allowed, admin.
//! - [`LoginLimiter`]: pauses a user name and client after too many failed logins.
//! - [`check_config`]: the warnings JupyterHub logs at startup about `[authenticator]`.
//!
//! The crate has no database and no web framework: the caller says whether a user already
//! exists, and this crate answers who logged in and whether they may.

#![forbid(unsafe_code)]

mod check;
mod error;
mod hash;
mod limiter;
mod names;
mod policy;
mod shared;
mod users_file;

use std::fmt;

use async_trait::async_trait;
use ganymede_config::{AuthenticatorClass, AuthenticatorSection};

pub use check::{ConfigWarning, Severity, check_config};
pub use error::AuthError;
pub use hash::hash_password;
pub use limiter::{DEFAULT_LIMITER_CAPACITY, LoginLimiter};
pub use names::InvalidName;
pub use policy::{Admission, LOGIN_FAILED_MESSAGE, Login, LoginPolicy, Refused};
pub use shared::SharedPassword;
pub use users_file::UsersFile;

/// Who the authenticator says logged in, before the [`LoginPolicy`] checks (JupyterHub's
/// `authenticate` return value).
#[derive(Clone, Default, PartialEq)]
pub struct Authenticated {
    /// The user name; the policy normalises it again.
    pub name: String,
    /// `Some` sets the user's admin flag; `None` leaves it to `admin_users` and the database.
    pub admin: Option<bool>,
    /// State to keep (encrypted) when `authenticator.enable_auth_state` is on.
    pub auth_state: Option<serde_json::Value>,
    /// Groups the user should be in; `None` leaves the user's groups alone.
    pub groups: Option<Vec<String>>,
}

/// Checks a login form's user name and password.
///
/// Implementations must take about as long for an unknown user as for a wrong password, so
/// timing does not reveal which users exist.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// The `authenticator.class` name (`shared-password`, `users-file`), shown by
    /// `/hub/api/info` and the login page.
    fn class(&self) -> &'static str;

    /// Checks a password; `Ok(None)` means wrong credentials.
    ///
    /// `username` is as typed, less surrounding whitespace (JupyterHub's login handler strips
    /// it; the password is never stripped).
    /// `Err` means the authenticator could not answer, which is not the user's fault.
    async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Authenticated>, AuthError>;
}

/// The authenticator `authenticator.class` names, built and checked for startup.
pub fn from_config(section: &AuthenticatorSection) -> Result<Box<dyn Authenticator>, AuthError> {
    match section.class {
        AuthenticatorClass::SharedPassword => Ok(Box::new(SharedPassword::from_config(section)?)),
        AuthenticatorClass::UsersFile => Ok(Box::new(UsersFile::from_config(section)?)),
        other => Err(AuthError::config(
            "authenticator.class",
            format!("`{}` is not supported by this build", other.as_str()),
        )),
    }
}

// === impl Authenticated ===

impl Authenticated {
    /// A user with only a name: admin flag, auth state and groups left alone.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// Redacts `auth_state`, which often holds access tokens.
impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("name", &self.name)
            .field("admin", &self.admin)
            .field("auth_state", &self.auth_state.as_ref().map(|_| "***"))
            .field("groups", &self.groups)
            .finish()
    }
}
