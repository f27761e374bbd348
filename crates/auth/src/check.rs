//! [`check_config`]: what JupyterHub logs at startup about a suspicious `[authenticator]`
//! (`Authenticator.check_allow_config` and `SharedPasswordAuthenticator.check_allow_config`).
//!
//! These are warnings, not errors: a hub nobody can log in to is a valid, if odd, setup.
//! The errors JupyterHub raises instead are returned by the constructors ([`crate::from_config`],
//! [`crate::LoginPolicy::from_config`]).

#[cfg(test)]
mod tests;

use std::fmt;

use ganymede_config::{AuthenticatorClass, AuthenticatorSection};

use crate::names::NameRules;

/// How loudly to report a [`ConfigWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Probably a mistake.
    Warning,
    /// Almost surely a mistake (JupyterHub logs it as an error but starts anyway).
    Error,
}

/// One suspicious setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// How loudly to report it.
    pub severity: Severity,
    /// The dotted config key to look at.
    pub key: &'static str,
    /// What is suspicious, and the fix.
    pub message: String,
}

/// The warnings about `section`, most important first.
///
/// `check_config` never fails: call the constructors as well, which refuse invalid values.
pub fn check_config(section: &AuthenticatorSection) -> Vec<ConfigWarning> {
    let mut out = Vec::new();
    allow_config(section, &mut out);
    lists(section, &mut out);
    if section.class == AuthenticatorClass::SharedPassword {
        shared_password(section, &mut out);
    }
    out.sort_by_key(|warning| std::cmp::Reverse(warning.severity));
    out
}

// === impl ConfigWarning ===

impl ConfigWarning {
    fn new(severity: Severity, key: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity,
            key,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

/// JupyterHub 5's "No allow config found, it's possible that nobody can login".
fn allow_config(section: &AuthenticatorSection, out: &mut Vec<ConfigWarning>) {
    // JupyterHub counts every `allow*` setting that is truthy; `allow_existing_users` defaults
    // to true exactly when `allowed_users` is not empty, so this is the same test.
    if section.allow_all || !section.allowed_users.is_empty() || section.allow_existing_users() {
        return;
    }
    let who = if section.admin_users.is_empty() {
        "nobody can log in"
    } else {
        "only `authenticator.admin_users` can log in"
    };
    out.push(ConfigWarning::new(
        Severity::Warning,
        "authenticator.allow_all",
        format!(
            "no allow config is set, so {who}: set `authenticator.allow_all = true` to let in \
             everyone who authenticates, or list users in `authenticator.allowed_users`"
        ),
    ));
}

/// Settings that do nothing or contradict each other.
fn lists(section: &AuthenticatorSection, out: &mut Vec<ConfigWarning>) {
    for from in section.username_map.keys() {
        if from.to_lowercase() != *from {
            out.push(ConfigWarning::new(
                Severity::Warning,
                "authenticator.username_map",
                format!(
                    "key {from:?} never matches: names are lower-cased before the map is applied"
                ),
            ));
        }
    }
    // Without a valid pattern there is nothing to compare; the constructors report that.
    let Ok(rules) = NameRules::from_config(section) else {
        return;
    };
    let blocked: std::collections::BTreeSet<String> = section
        .blocked_users
        .iter()
        .map(|name| rules.normalize(name))
        .collect();
    let lists = [
        ("authenticator.admin_users", &section.admin_users),
        ("authenticator.allowed_users", &section.allowed_users),
    ];
    for (key, names) in lists {
        for name in names {
            let name = rules.normalize(name);
            if blocked.contains(&name) {
                out.push(ConfigWarning::new(
                    Severity::Warning,
                    key,
                    format!(
                        "{name:?} is also in `authenticator.blocked_users`, which wins: \
                         they cannot log in"
                    ),
                ));
            }
        }
    }
}

/// `SharedPasswordAuthenticator.check_allow_config`.
fn shared_password(section: &AuthenticatorSection, out: &mut Vec<ConfigWarning>) {
    const USER: &str = "authenticator.shared_password.user_password";
    const ADMIN: &str = "authenticator.shared_password.admin_password";
    let set = |secret: &Option<ganymede_config::Secret>| {
        secret.as_ref().is_some_and(|s| !s.expose().is_empty())
    };
    let user = set(&section.shared_password.user_password);
    let admin = set(&section.shared_password.admin_password);
    let admins = !section.admin_users.is_empty();
    if admin && !admins {
        out.push(ConfigWarning::new(
            Severity::Warning,
            "authenticator.admin_users",
            format!(
                "`{ADMIN}` is set but `authenticator.admin_users` is empty, so no admin can log \
                 in: add user names to `authenticator.admin_users` to make them admins"
            ),
        ));
    }
    if admins && !admin {
        out.push(ConfigWarning::new(
            Severity::Warning,
            ADMIN,
            format!(
                "`authenticator.admin_users` is set but `{ADMIN}` is not, so no admin can log \
                 in: set `{ADMIN}` (at least 32 characters)"
            ),
        ));
    }
    match (user, admin) {
        (false, false) => out.push(ConfigWarning::new(
            Severity::Error,
            USER,
            format!("neither `{USER}` nor `{ADMIN}` is set, so nobody can log in"),
        )),
        (false, true) => out.push(ConfigWarning::new(
            Severity::Warning,
            USER,
            "is not set, so no non-admin user can log in",
        )),
        _ => {}
    }
}
