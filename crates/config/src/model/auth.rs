//! `[authenticator]`: JupyterHub's `c.Authenticator` settings, and one sub-table per backend.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Which authenticator checks logins (JupyterHub's `authenticator_class`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AuthenticatorClass {
    /// One shared password for users and one for admins (JupyterHub's `shared-password`).
    #[default]
    SharedPassword,
    /// Users and argon2 password hashes listed in a file.
    UsersFile,
}

impl AuthenticatorClass {
    /// The name written in `authenticator.class`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SharedPassword => "shared-password",
            Self::UsersFile => "users-file",
        }
    }
}

/// `[authenticator]`: the backend, and the checks every login passes whatever the backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AuthenticatorSection {
    /// The authenticator: `shared-password` or `users-file`.
    pub class: AuthenticatorClass,
    /// Users who are admins of the hub.
    pub admin_users: BTreeSet<String>,
    /// Users allowed to log in (admins are always allowed).
    pub allowed_users: BTreeSet<String>,
    /// Users never allowed to log in, even when otherwise allowed.
    pub blocked_users: BTreeSet<String>,
    /// Allow every user who authenticates; otherwise only allowed, existing and admin users may log in.
    pub allow_all: bool,
    /// Allow users already in the database; unset means true when `allowed_users` is not empty.
    #[schemars(example = true)]
    pub allow_existing_users: Option<bool>,
    /// Regular expression that a normalised user name must match from its start; unset allows any.
    #[schemars(example = "^[a-z][a-z0-9]*$")]
    pub username_pattern: Option<String>,
    /// Renames users after login, from the name the authenticator gives to the hub's user name.
    pub username_map: BTreeMap<String, String>,
    /// At startup, delete users from the database whose names are no longer valid.
    pub delete_invalid_users: bool,
    /// Keep each user's auth_state, encrypted with `JUPYTERHUB_CRYPT_KEY`.
    pub enable_auth_state: bool,
    /// Skip the login page and start the authenticator's login at once.
    pub auto_login: bool,
    /// Failed logins allowed per user name and address before a pause; 0 turns the limit off.
    pub allowed_failed_logins: u32,
    /// Seconds a user name and address must wait after too many failed logins.
    pub seconds_before_next_try: u64,
    /// Settings of the `shared-password` authenticator.
    pub shared_password: SharedPasswordSection,
    /// Settings of the `users-file` authenticator.
    pub users_file: UsersFileSection,
}

impl Default for AuthenticatorSection {
    fn default() -> Self {
        Self {
            class: AuthenticatorClass::default(),
            admin_users: BTreeSet::new(),
            allowed_users: BTreeSet::new(),
            blocked_users: BTreeSet::new(),
            allow_all: false,
            allow_existing_users: None,
            username_pattern: None,
            username_map: BTreeMap::new(),
            delete_invalid_users: false,
            enable_auth_state: false,
            auto_login: false,
            allowed_failed_logins: 10,
            seconds_before_next_try: 600,
            shared_password: SharedPasswordSection::default(),
            users_file: UsersFileSection::default(),
        }
    }
}

impl AuthenticatorSection {
    /// `allow_existing_users`, or JupyterHub's default: true when `allowed_users` is not empty.
    pub fn allow_existing_users(&self) -> bool {
        self.allow_existing_users
            .unwrap_or(!self.allowed_users.is_empty())
    }
}

/// `[authenticator.shared_password]`: JupyterHub's `SharedPasswordAuthenticator`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SharedPasswordSection {
    /// Password of every non-admin user (at least 8 characters); unset means they cannot log in.
    #[schemars(example = "<at least 8 characters>")]
    pub user_password: Option<Secret>,
    /// Password of the users in `admin_users` (at least 32 characters); unset means admins cannot log in.
    #[schemars(example = "<at least 32 characters>")]
    pub admin_password: Option<Secret>,
}

/// `[authenticator.users_file]`: a file of users and their argon2 password hashes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct UsersFileSection {
    /// The users file; required when `class = "users-file"`.
    #[schemars(example = "/etc/ganymede/users.toml")]
    pub path: Option<PathBuf>,
}
