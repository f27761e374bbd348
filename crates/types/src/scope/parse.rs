//! One scope string, `<name>[!<filter>]`: its parts, its grammar and its errors.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ScopeName;
use crate::names::quoted;
use crate::{FullServerName, GroupName, NameError, ServiceName, UserName};

/// The longest scope string accepted, in characters: room for a custom name and a
/// `!server=<255>/<255>` filter, and a bound on what reaches a log line.
pub const MAX_SCOPE_CHARS: usize = 1024;

/// A scope as written in a role, a token or an OAuth request, e.g. `read:users`,
/// `servers!user=alice` or `access:servers!server`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    name: ScopeName,
    filter: Option<Filter>,
}

/// What a scope's `!` filter restricts it to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Filter {
    /// A named resource: `!user=<u>`, `!server=<u>/<s>`, `!group=<g>` or `!service=<s>`.
    Resource(Resource),
    /// A resource named relative to the scope's owner, resolved by expansion.
    Own(OwnFilter),
}

/// The owner-relative filters, allowed in role and token definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnFilter {
    /// `!user`: the owning user.
    User,
    /// `!service`: the owning service, or the service of the token's OAuth client.
    Service,
    /// `!server`: the server of the token's OAuth client.
    Server,
}

/// A resource a filter names, or that a request is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// A user (and everything they own).
    User(UserName),
    /// One server of one user.
    Server(FullServerName),
    /// Every member of a group (and what they own).
    Group(GroupName),
    /// A service.
    Service(ServiceName),
}

/// The four kinds of [`Resource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    /// `user`
    User,
    /// `server`
    Server,
    /// `group`
    Group,
    /// `service`
    Service,
}

/// A scope string, or a batch of custom scope definitions, was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The string is longer than [`MAX_SCOPE_CHARS`].
    #[error("scope is longer than {MAX_SCOPE_CHARS} characters")]
    TooLong,
    /// The draft scope `all`.
    #[error("draft scope 'all' is now called 'inherit'")]
    AllIsNowInherit,
    /// No such scope is defined.
    #[error("scope {0} does not exist")]
    Unknown(String),
    /// The part after `!` is not a known filter.
    #[error("scope filter {filter} in scope {scope} does not exist")]
    UnknownFilter {
        /// The scope, quoted and shortened.
        scope: String,
        /// The filter, quoted and shortened.
        filter: String,
    },
    /// A filter with `=` but nothing after it.
    #[error("empty string is not a valid filter: {0}")]
    EmptyFilter(String),
    /// A filter whose value is not a valid name.
    #[error("invalid filter in scope {scope}: {reason}")]
    InvalidFilterValue {
        /// The scope, quoted and shortened.
        scope: String,
        /// Why the name was rejected.
        reason: NameError,
    },
    /// An owner-relative filter where only resolved scopes are allowed.
    #[error("scope {0} has an owner-relative filter, which expanded scopes cannot hold")]
    Unresolved(String),
    /// A custom scope name that does not match JupyterHub's pattern.
    #[error(
        "invalid custom scope name {0}: must start with 'custom:', continue with a lowercase \
         ascii letter or digit, contain only lowercase ascii letters, digits and '-_:*', \
         not end with '-' or ':', and be at most 255 characters"
    )]
    InvalidCustomName(String),
    /// A custom scope defined again, differently.
    #[error("cannot redefine scope {0}")]
    Redefined(String),
    /// A custom scope whose subscope is a built-in scope or was defined in an earlier batch.
    #[error(
        "non-custom subscope {subscope} of {scope} is not allowed: custom scopes may only have \
         custom subscopes defined with them"
    )]
    NonCustomSubscope {
        /// The custom scope.
        scope: String,
        /// The offending subscope.
        subscope: String,
    },
    /// A custom scope whose subscope is not defined at all.
    #[error("subscope {subscope} of {scope} not found: all scopes must be defined")]
    UndefinedSubscope {
        /// The custom scope.
        scope: String,
        /// The missing subscope.
        subscope: String,
    },
}

// === impl Scope ===

impl Scope {
    /// The scope `name`, optionally filtered.
    pub fn new(name: impl Into<ScopeName>, filter: Option<Filter>) -> Self {
        Self {
            name: name.into(),
            filter,
        }
    }

    /// The scope `name` restricted to `resource`.
    pub fn on(name: impl Into<ScopeName>, resource: Resource) -> Self {
        Self::new(name, Some(Filter::Resource(resource)))
    }

    /// The scope's name.
    pub fn name(&self) -> &ScopeName {
        &self.name
    }

    /// The scope's filter, if any.
    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// The resource the filter names, if it is a concrete one.
    pub fn resource(&self) -> Option<&Resource> {
        match &self.filter {
            Some(Filter::Resource(resource)) => Some(resource),
            _ => None,
        }
    }

    /// Whether the scope has an owner-relative filter (`!user`, `!service`, `!server`).
    pub fn is_owner_relative(&self) -> bool {
        matches!(self.filter, Some(Filter::Own(_)))
    }

    /// Rewrites a `!server` filter to `!server=<server>`, as JupyterHub does for the scopes of
    /// a server's own API token at spawn; other scopes are unchanged.
    pub fn with_own_server(self, server: &FullServerName) -> Self {
        match self.filter {
            Some(Filter::Own(OwnFilter::Server)) => {
                Self::on(self.name, Resource::Server(server.clone()))
            }
            _ => self,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.filter {
            None => write!(f, "{}", self.name),
            Some(filter) => write!(f, "{}!{filter}", self.name),
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    /// Parses `<name>[!<filter>]`, splitting at the first `!` and the filter at its first `=`.
    ///
    /// Custom names are checked for syntax only; [`super::ScopeRegistry::parse`] also checks
    /// that they are defined.
    fn from_str(scope: &str) -> Result<Self, ScopeError> {
        if scope.len() > MAX_SCOPE_CHARS && scope.chars().count() > MAX_SCOPE_CHARS {
            return Err(ScopeError::TooLong);
        }
        let (name, filter) = match scope.split_once('!') {
            None => (scope, None),
            Some((name, filter)) => (name, Some(filter)),
        };
        let name = name.parse::<ScopeName>().map_err(|error| match error {
            ScopeError::Unknown(_) => ScopeError::Unknown(quoted(scope)),
            other => other,
        })?;
        let filter = filter.map(|f| parse_filter(scope, f)).transpose()?;
        Ok(Self { name, filter })
    }
}

fn parse_filter(scope: &str, filter: &str) -> Result<Filter, ScopeError> {
    let own = match filter {
        "user" => Some(OwnFilter::User),
        "service" => Some(OwnFilter::Service),
        "server" => Some(OwnFilter::Server),
        _ => None,
    };
    if let Some(own) = own {
        return Ok(Filter::Own(own));
    }
    let unknown = || ScopeError::UnknownFilter {
        scope: quoted(scope),
        filter: quoted(filter),
    };
    let (kind, value) = filter.split_once('=').ok_or_else(unknown)?;
    let kind = match kind {
        "user" => ResourceKind::User,
        "server" => ResourceKind::Server,
        "group" => ResourceKind::Group,
        "service" => ResourceKind::Service,
        _ => return Err(unknown()),
    };
    if value.is_empty() {
        return Err(ScopeError::EmptyFilter(quoted(scope)));
    }
    Resource::new(kind, value)
        .map(Filter::Resource)
        .map_err(|reason| ScopeError::InvalidFilterValue {
            scope: quoted(scope),
            reason,
        })
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        value.parse().map_err(serde::de::Error::custom)
    }
}

// === impl Filter ===

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resource(resource) => write!(f, "{resource}"),
            Self::Own(OwnFilter::User) => f.write_str("user"),
            Self::Own(OwnFilter::Service) => f.write_str("service"),
            Self::Own(OwnFilter::Server) => f.write_str("server"),
        }
    }
}

// === impl Resource ===

impl Resource {
    /// Validates `value` as a name of the given kind (`<user>/<server>` for servers).
    pub fn new(kind: ResourceKind, value: &str) -> Result<Self, NameError> {
        Ok(match kind {
            ResourceKind::User => Self::User(value.parse()?),
            ResourceKind::Server => Self::Server(value.parse()?),
            ResourceKind::Group => Self::Group(value.parse()?),
            ResourceKind::Service => Self::Service(value.parse()?),
        })
    }

    /// Which kind of resource this is.
    pub fn kind(&self) -> ResourceKind {
        match self {
            Self::User(_) => ResourceKind::User,
            Self::Server(_) => ResourceKind::Server,
            Self::Group(_) => ResourceKind::Group,
            Self::Service(_) => ResourceKind::Service,
        }
    }
}

impl fmt::Display for Resource {
    /// The filter form, e.g. `user=alice` or `server=alice/gpu`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(name) => write!(f, "user={name}"),
            Self::Server(name) => write!(f, "server={name}"),
            Self::Group(name) => write!(f, "group={name}"),
            Self::Service(name) => write!(f, "service={name}"),
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::User => "user",
            Self::Server => "server",
            Self::Group => "group",
            Self::Service => "service",
        })
    }
}
