//! [`SharedPassword`]: JupyterHub's `SharedPasswordAuthenticator`, one password for every
//! non-admin user and another for the users in `admin_users`.
//!
//! Anyone with the user password can log in as any allowed non-admin user, so this suits only
//! short-lived deployments where users need no protection from each other.

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use async_trait::async_trait;
use ganymede_config::AuthenticatorSection;
use subtle::ConstantTimeEq;

use crate::error::AuthError;
use crate::names::NameRules;
use crate::{Authenticated, Authenticator};

/// The config key of the user password, for messages.
const USER_KEY: &str = "authenticator.shared_password.user_password";
/// The config key of the admin password, for messages.
const ADMIN_KEY: &str = "authenticator.shared_password.admin_password";

/// The `shared-password` authenticator.
pub struct SharedPassword {
    rules: NameRules,
    /// Normalised, so `Admin` typed at the form finds `admin`.
    admin_users: BTreeSet<String>,
    user_password: Option<String>,
    admin_password: Option<String>,
}

// === impl SharedPassword ===

impl SharedPassword {
    /// Shortest user password, in characters (JupyterHub's `_USER_PASSWORD_MIN_LENGTH`).
    pub const USER_PASSWORD_MIN_CHARS: usize = 8;
    /// Shortest admin password, in characters (JupyterHub's `_ADMIN_PASSWORD_MIN_LENGTH`).
    pub const ADMIN_PASSWORD_MIN_CHARS: usize = 32;

    /// Builds the authenticator, refusing what JupyterHub's trait validators refuse: a user
    /// password under 8 characters, an admin password under 32, or the same password twice.
    ///
    /// An empty password counts as unset, as in JupyterHub.
    pub fn from_config(section: &AuthenticatorSection) -> Result<Self, AuthError> {
        let config = &section.shared_password;
        let set = |secret: &Option<ganymede_config::Secret>| {
            secret
                .as_ref()
                .map(|s| s.expose().clone())
                .filter(|s| !s.is_empty())
        };
        let user_password = set(&config.user_password);
        let admin_password = set(&config.admin_password);
        check_length(
            USER_KEY,
            user_password.as_deref(),
            Self::USER_PASSWORD_MIN_CHARS,
        )?;
        check_length(
            ADMIN_KEY,
            admin_password.as_deref(),
            Self::ADMIN_PASSWORD_MIN_CHARS,
        )?;
        if user_password.is_some() && user_password == admin_password {
            return Err(AuthError::config(
                ADMIN_KEY,
                format!("must differ from `{USER_KEY}`"),
            ));
        }
        let rules = NameRules::from_config(section)?;
        let admin_users = section
            .admin_users
            .iter()
            .map(|name| rules.normalize(name))
            .collect();
        Ok(Self {
            rules,
            admin_users,
            user_password,
            admin_password,
        })
    }
}

#[async_trait]
impl Authenticator for SharedPassword {
    fn class(&self) -> &'static str {
        "shared-password"
    }

    /// Admins must use the admin password and get admin rights; everyone else must use the user
    /// password and never gets them.
    ///
    /// Groups are left alone (`None`): JupyterHub returns an empty list, which only matters
    /// with its `manage_groups`, which Ganymede does not have.
    async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Authenticated>, AuthError> {
        let name = self.rules.normalize(username);
        let (expected, admin) = if self.admin_users.contains(&name) {
            (self.admin_password.as_deref(), true)
        } else {
            (self.user_password.as_deref(), false)
        };
        let matches = expected
            .is_some_and(|expected| bool::from(password.as_bytes().ct_eq(expected.as_bytes())));
        Ok(matches.then_some(Authenticated {
            name,
            admin: Some(admin),
            auth_state: None,
            groups: None,
        }))
    }
}

/// Only the presence of the passwords: they are secrets.
impl std::fmt::Debug for SharedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPassword")
            .field("admin_users", &self.admin_users)
            .field("user_password", &self.user_password.as_ref().map(|_| "***"))
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "***"),
            )
            .finish_non_exhaustive()
    }
}

/// A password, when set, has at least `min` characters (Python's `len`: code points).
fn check_length(key: &'static str, password: Option<&str>, min: usize) -> Result<(), AuthError> {
    let Some(password) = password else {
        return Ok(());
    };
    let chars = password.chars().count();
    if chars >= min {
        return Ok(());
    }
    let hint = if key == ADMIN_KEY {
        " (`openssl rand -hex 16` makes one)"
    } else {
        ""
    };
    Err(AuthError::config(
        key,
        format!("must be at least {min} characters, not {chars}{hint}"),
    ))
}
