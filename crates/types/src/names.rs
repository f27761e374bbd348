//! Validated identifier newtypes: user, server, group, service and role names.
//!
//! Each type's constructor applies the rules JupyterHub 6.1.1 enforces for that kind of name
//! (`Authenticator.validate_username`, `Service._validate_service_name`,
//! `roles._validate_role_name`, the API's URL patterns) plus the 255-character column size of
//! `jupyterhub/orm.py`, so a name that exists is safe to put in a URL, a query and a log line.
//! Rules JupyterHub leaves to configuration (`Authenticator.username_pattern`, lower-casing by
//! `normalize_username`) are the caller's business.

mod rules;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use rules::quoted;
use rules::{validate_group, validate_role, validate_server, validate_service, validate_user};

/// The longest name, in characters, of any identifier (JupyterHub's `Unicode(255)` columns).
pub const MAX_NAME_CHARS: usize = 255;

/// Which kind of identifier a [`NameError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A [`UserName`].
    User,
    /// A [`ServerName`].
    Server,
    /// A [`FullServerName`] (`<user>/<server>`).
    FullServer,
    /// A [`GroupName`].
    Group,
    /// A [`ServiceName`].
    Service,
    /// A [`RoleName`].
    Role,
}

/// The rule a rejected name broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum NameRule {
    /// The name is empty.
    #[error("must not be empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_CHARS`] characters.
    #[error("must be at most 255 characters")]
    TooLong,
    /// The name contains a NUL character, which no database column can store.
    #[error("must not contain a NUL character")]
    Nul,
    /// The name contains `/`, which would make it two URL path segments.
    #[error("must not contain '/'")]
    Slash,
    /// The name is only dots (also after `%`-decoding), a relative URL path component.
    #[error("must not consist only of dots")]
    OnlyDots,
    /// The name starts or ends with whitespace.
    #[error("must not start or end with whitespace")]
    SurroundingWhitespace,
    /// The name contains a `%XX` escape (service names only).
    #[error("must not contain %-escapes")]
    Escaped,
    /// A full server name has no `/` between the user and the server name.
    #[error("must be <user>/<server>")]
    MissingSlash,
    /// A new named server's name is not a safe slug.
    #[error(
        "a new named server must be 1-30 lowercase ascii letters, digits and single hyphens, \
         starting with a letter and ending with a letter or digit"
    )]
    NotSlug,
    /// A role name is shorter than 3 or longer than 255 characters.
    #[error("must be 3-255 characters")]
    RoleLength,
    /// A role name does not start with a lowercase ascii letter.
    #[error("must start with a lowercase ascii letter")]
    RoleStart,
    /// A role name does not end with a lowercase ascii letter or digit.
    #[error("must end with a lowercase ascii letter or digit")]
    RoleEnd,
    /// A role name contains a character other than lowercase ascii letters, digits and `-.~_`.
    #[error("must contain only lowercase ascii letters, digits and '-.~_'")]
    RoleCharacter,
}

/// A name was rejected; the message names the kind, the (shortened, escaped) value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value}: {rule}")]
pub struct NameError {
    kind: NameKind,
    value: String,
    rule: NameRule,
}

/// A user name: non-empty, no `/`, not only dots (even `%2e`-encoded), no leading or trailing
/// whitespace, no NUL, at most 255 characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserName(String);

/// A server name; the empty name is the user's default server.
///
/// Any name without `/` or NUL of at most 255 characters is accepted, because servers created
/// before JupyterHub 6 may have any such name; [`ServerName::check_new_named`] applies the
/// stricter rule for servers created now.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerName(String);

/// A group name: non-empty, no `/`, no NUL, at most 255 characters.
///
/// JupyterHub itself does not validate group names; these are the limits its URL patterns
/// (`/groups/([^/]+)`) and its database impose.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupName(String);

/// A service name: non-empty, no `/`, no `%XX` escapes, not only dots, no leading or trailing
/// whitespace, no NUL, at most 255 characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceName(String);

/// A role name matching JupyterHub's `^[a-z][a-z0-9\-_~\.]{1,253}[a-z0-9]$`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleName(String);

/// A server named by its owner and its name, written `<user>/<server>` (`alice/` is alice's
/// default server), as in `!server=` filters and the server model's `full_name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FullServerName {
    user: UserName,
    server: ServerName,
}

// === impl NameKind ===

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::User => "user name",
            Self::Server => "server name",
            Self::FullServer => "full server name",
            Self::Group => "group name",
            Self::Service => "service name",
            Self::Role => "role name",
        })
    }
}

// === impl NameError ===

impl NameError {
    pub(crate) fn new(kind: NameKind, value: &str, rule: NameRule) -> Self {
        Self {
            kind,
            value: quoted(value),
            rule,
        }
    }

    /// The kind of name that was rejected.
    pub fn kind(&self) -> NameKind {
        self.kind
    }

    /// The rule the name broke.
    pub fn rule(&self) -> NameRule {
        self.rule
    }
}

// === impl the name types ===

macro_rules! impl_name {
    ($name:ident, $validate:path) => {
        impl $name {
            /// Validates `value` and wraps it.
            pub fn new(value: impl Into<String>) -> Result<Self, NameError> {
                let value = value.into();
                $validate(&value)?;
                Ok(Self(value))
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;

            fn try_from(value: String) -> Result<Self, NameError> {
                Self::new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = NameError;

            fn try_from(value: &str) -> Result<Self, NameError> {
                Self::new(value)
            }
        }

        impl FromStr for $name {
            type Err = NameError;

            fn from_str(value: &str) -> Result<Self, NameError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Self::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

impl_name!(UserName, validate_user);
impl_name!(ServerName, validate_server);
impl_name!(GroupName, validate_group);
impl_name!(ServiceName, validate_service);
impl_name!(RoleName, validate_role);

impl ServerName {
    /// The default server's name, the empty string.
    pub fn default_server() -> Self {
        Self::default()
    }

    /// Whether this is the default server (the empty name).
    pub fn is_default(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the name is a safe slug (`slugs.is_valid_safe_slug`): 1-30 lowercase ascii
    /// letters, digits and single hyphens, starting with a letter and ending with a letter or
    /// digit.
    pub fn is_safe_slug(&self) -> bool {
        rules::is_safe_slug(&self.0)
    }

    /// The check JupyterHub 6 applies before creating a new named server: the name must be a
    /// safe slug (existing servers with other names keep working).
    pub fn check_new_named(&self) -> Result<(), NameError> {
        if self.is_safe_slug() {
            Ok(())
        } else {
            Err(NameError::new(NameKind::Server, &self.0, NameRule::NotSlug))
        }
    }
}

// === impl FullServerName ===

impl FullServerName {
    /// The server `server` of user `user`.
    pub fn new(user: UserName, server: ServerName) -> Self {
        Self { user, server }
    }

    /// The owner's name.
    pub fn user(&self) -> &UserName {
        &self.user
    }

    /// The server's name (empty for the default server).
    pub fn server(&self) -> &ServerName {
        &self.server
    }
}

impl fmt::Display for FullServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.user, self.server)
    }
}

impl FromStr for FullServerName {
    type Err = NameError;

    /// Splits at the first `/`: `alice/` is alice's default server, `alice/gpu` a named one.
    fn from_str(value: &str) -> Result<Self, NameError> {
        let Some((user, server)) = value.split_once('/') else {
            return Err(NameError::new(
                NameKind::FullServer,
                value,
                NameRule::MissingSlash,
            ));
        };
        Ok(Self::new(UserName::new(user)?, ServerName::new(server)?))
    }
}

impl TryFrom<&str> for FullServerName {
    type Error = NameError;

    fn try_from(value: &str) -> Result<Self, NameError> {
        value.parse()
    }
}

impl Serialize for FullServerName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FullServerName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        value.parse().map_err(serde::de::Error::custom)
    }
}
