//! The default roles of JupyterHub 6.1.1 (`roles.get_default_roles`).
//!
//! `JupyterHub.load_roles` may redefine them (all but `admin`) and `extra_user_scopes` adds to
//! `user`; that is configuration, applied by the hub.

use crate::RoleName;
use crate::scope::{Scope, ScopeError};

/// A role every hub has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRole {
    /// The role's name.
    pub name: &'static str,
    /// The role's description.
    pub description: &'static str,
    /// The role's raw scopes.
    pub scopes: &'static [&'static str],
}

/// `user`, `admin`, `server` and `token`, as in `roles.py`.
pub const DEFAULT_ROLES: [DefaultRole; 4] = [
    DefaultRole {
        name: "user",
        description: "Standard user privileges",
        scopes: &["self"],
    },
    DefaultRole {
        name: "admin",
        description: "Elevated privileges (can do anything)",
        scopes: &[
            "admin-ui",
            "admin:users",
            "admin:servers",
            "admin:services",
            "tokens",
            "admin:groups",
            "list:services",
            "read:services",
            "read:hub",
            "proxy",
            "shutdown",
            "access:services",
            "access:servers",
            "read:roles",
            "read:metrics",
            "shares",
        ],
    },
    DefaultRole {
        name: "server",
        description: "Post activity only",
        scopes: &["users:activity!user", "access:servers!server"],
    },
    DefaultRole {
        name: "token",
        description: "Token with same permissions as its owner",
        scopes: &["inherit"],
    },
];

// === impl DefaultRole ===

impl DefaultRole {
    /// The default role called `name`, if any.
    pub fn find(name: &str) -> Option<&'static DefaultRole> {
        DEFAULT_ROLES.iter().find(|role| role.name == name)
    }

    /// The role's name, validated.
    pub fn role_name(&self) -> Result<RoleName, crate::NameError> {
        RoleName::new(self.name)
    }

    /// The role's scopes, parsed.
    pub fn parsed_scopes(&self) -> Result<Vec<Scope>, ScopeError> {
        self.scopes.iter().map(|scope| scope.parse()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_roles_have_valid_names_and_scopes() {
        for role in &DEFAULT_ROLES {
            assert!(role.role_name().is_ok(), "{}", role.name);
            let scopes = role.parsed_scopes().unwrap();
            let written: Vec<String> = scopes.iter().map(ToString::to_string).collect();
            assert_eq!(written, role.scopes, "{} round-trips", role.name);
        }
        assert_eq!(DefaultRole::find("admin").map(|r| r.scopes.len()), Some(16));
        assert!(DefaultRole::find("nobody").is_none());
    }
}
