//! [`LoginPolicy`]: the checks every login passes after the authenticator has said who it is,
//! in JupyterHub's order (`Authenticator.get_authenticated_user`):
//!
//! 1. normalise: lower case, then `username_map`;
//! 2. validate: the [`UserName`] rules, then `username_pattern` matched from the start;
//! 3. blocked: `blocked_users` refuses, whatever else says;
//! 4. allowed: `allow_all`, `allowed_users`, `admin_users`, or `allow_existing_users` for a user
//!    the database already has (the caller looks that up: this crate has no database);
//! 5. admin: the authenticator's answer when it gave one, else true for `admin_users`, else
//!    `None`, which leaves the stored flag alone.
//!
//! The name lists in the config are normalised and validated once, at startup, as JupyterHub's
//! `init_users` does.
//! One deliberate difference: `admin_users` may always log in.
//! JupyterHub 5 lets them in only when `allowed_users` is not empty or another allow rule admits
//! them, which its maintainers call a bug (jupyterhub/jupyterhub#4923).

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use ganymede_config::AuthenticatorSection;
use ganymede_types::UserName;

use crate::Authenticated;
use crate::error::AuthError;
use crate::names::{InvalidName, NameRules};

/// The message JupyterHub shows for every refused login, so the page never tells which user
/// names exist or why a known user was turned away.
pub const LOGIN_FAILED_MESSAGE: &str = "Invalid username or password";

/// The allow, block and admin rules of `[authenticator]`, with every listed name normalised.
#[derive(Debug, Clone)]
pub struct LoginPolicy {
    rules: NameRules,
    admin_users: BTreeSet<UserName>,
    allowed_users: BTreeSet<UserName>,
    /// Normalised but not validated: a name that can never log in is harmless here.
    blocked_users: BTreeSet<String>,
    allow_all: bool,
    allow_existing_users: bool,
}

/// The policy's verdict on an allowed user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The validated, normalised name.
    pub name: UserName,
    /// `Some(true)` for `admin_users`; `None` leaves the user's stored admin flag alone.
    pub admin: Option<bool>,
}

/// A login that passed the authenticator and every check: what the hub should record.
#[derive(Clone, PartialEq)]
pub struct Login {
    /// The validated, normalised name.
    pub name: UserName,
    /// The admin flag to store; `None` leaves the stored flag alone.
    pub admin: Option<bool>,
    /// State to keep (encrypted) when `authenticator.enable_auth_state` is on.
    pub auth_state: Option<serde_json::Value>,
    /// Groups the user should be in; `None` leaves the user's groups alone.
    pub groups: Option<Vec<String>>,
}

/// Why the policy refused a user the authenticator accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The normalised name is not a valid user name or does not match `username_pattern`.
    InvalidName(InvalidName),
    /// The user is in `authenticator.blocked_users`.
    Blocked,
    /// No allow rule admits the user.
    NotAllowed,
}

// === impl LoginPolicy ===

impl LoginPolicy {
    /// Compiles the rules and normalises the name lists of `[authenticator]`.
    ///
    /// Fails, as JupyterHub's startup does, when `username_pattern` does not compile or a name
    /// in `admin_users` or `allowed_users` is not valid once normalised.
    pub fn from_config(section: &AuthenticatorSection) -> Result<Self, AuthError> {
        let rules = NameRules::from_config(section)?;
        let valid_set = |key: &'static str, names: &BTreeSet<String>| {
            names
                .iter()
                .map(|name| {
                    rules
                        .validate(&rules.normalize(name))
                        .map_err(|error| AuthError::config(key, error.to_string()))
                })
                .collect::<Result<BTreeSet<_>, _>>()
        };
        let admin_users = valid_set("authenticator.admin_users", &section.admin_users)?;
        let allowed_users = valid_set("authenticator.allowed_users", &section.allowed_users)?;
        let blocked_users = section
            .blocked_users
            .iter()
            .map(|name| rules.normalize(name))
            .collect();
        Ok(Self {
            rules,
            admin_users,
            allowed_users,
            blocked_users,
            allow_all: section.allow_all,
            allow_existing_users: section.allow_existing_users(),
        })
    }

    /// JupyterHub's `normalize_username`: lower case, then `username_map`.
    ///
    /// Use it for anything keyed by user name before the authenticator answers, such as the
    /// failed-login limiter and the database lookup that [`LoginPolicy::check`] needs.
    pub fn normalize(&self, name: &str) -> String {
        self.rules.normalize(name)
    }

    /// JupyterHub's `validate_username` on a normalised name; also the startup check of users
    /// already in the database (`delete_invalid_users`).
    pub fn validate(&self, name: &str) -> Result<UserName, InvalidName> {
        self.rules.validate(name)
    }

    /// Whether a normalised name is in `blocked_users`.
    pub fn is_blocked(&self, name: &str) -> bool {
        self.blocked_users.contains(name)
    }

    /// Whether the answer of [`LoginPolicy::check`] for this normalised name depends on its
    /// `existing_user` argument, so the caller can skip the database lookup otherwise.
    pub fn needs_existing_check(&self, name: &str) -> bool {
        self.allow_existing_users && !self.allow_all && !self.listed(name)
    }

    /// Steps 2 to 5 on a normalised name: valid, not blocked, allowed; and the admin flag.
    ///
    /// `existing_user` says whether the database already has this user, which admits them when
    /// `allow_existing_users` is on.
    pub fn check(&self, name: &str, existing_user: bool) -> Result<Admission, Refused> {
        let valid = self.validate(name).map_err(Refused::InvalidName)?;
        if self.is_blocked(name) {
            tracing::debug!(user = %valid, "user is blocked");
            return Err(Refused::Blocked);
        }
        let allowed =
            self.allow_all || self.listed(name) || (self.allow_existing_users && existing_user);
        if !allowed {
            tracing::debug!(user = %valid, existing_user, "user is not allowed");
            return Err(Refused::NotAllowed);
        }
        let admin = self.admin_users.contains(name).then_some(true);
        Ok(Admission { name: valid, admin })
    }

    /// The whole pipeline after the authenticator: normalise its name, [`LoginPolicy::check`],
    /// and let the authenticator's own admin answer win when it gave one.
    ///
    /// `existing_user` is about the normalised name, `self.normalize(&authenticated.name)`.
    /// Like JupyterHub, this normalises whatever the authenticator returned even though the
    /// backends of this crate return normalised names already.
    pub fn admit(
        &self,
        authenticated: Authenticated,
        existing_user: bool,
    ) -> Result<Login, Refused> {
        let name = self.normalize(&authenticated.name);
        let admission = self.check(&name, existing_user)?;
        Ok(Login {
            name: admission.name,
            admin: authenticated.admin.or(admission.admin),
            auth_state: authenticated.auth_state,
            groups: authenticated.groups,
        })
    }

    /// The normalised `admin_users`, which the hub makes admins at startup.
    pub fn admin_users(&self) -> impl Iterator<Item = &UserName> {
        self.admin_users.iter()
    }

    /// The normalised `allowed_users`, which the hub adds to its database at startup.
    pub fn allowed_users(&self) -> impl Iterator<Item = &UserName> {
        self.allowed_users.iter()
    }

    /// The normalised `blocked_users`, whose permissions the hub revokes at startup.
    pub fn blocked_users(&self) -> impl Iterator<Item = &str> {
        self.blocked_users.iter().map(String::as_str)
    }

    /// Whether the name is in `allowed_users` or `admin_users`.
    fn listed(&self, name: &str) -> bool {
        self.allowed_users.contains(name) || self.admin_users.contains(name)
    }
}

// === impl Refused ===

impl Refused {
    /// A short stable label for metrics and structured logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::InvalidName(_) => "invalid_name",
            Self::Blocked => "blocked",
            Self::NotAllowed => "not_allowed",
        }
    }

    /// What the login page shows: the same as for a wrong password, as in JupyterHub.
    pub fn user_message(&self) -> &'static str {
        LOGIN_FAILED_MESSAGE
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName(error) => error.fmt(f),
            Self::Blocked => f.write_str("user is in `authenticator.blocked_users`"),
            Self::NotAllowed => f.write_str(
                "user is not allowed: not in `authenticator.allowed_users` or \
                 `authenticator.admin_users`, and neither `authenticator.allow_all` nor \
                 `authenticator.allow_existing_users` admits them",
            ),
        }
    }
}

impl std::error::Error for Refused {}

// === impl Login ===

/// Redacts `auth_state`, which often holds access tokens.
impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("name", &self.name)
            .field("admin", &self.admin)
            .field("auth_state", &self.auth_state.as_ref().map(|_| "***"))
            .field("groups", &self.groups)
            .finish()
    }
}
