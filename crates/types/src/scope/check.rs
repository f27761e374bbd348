//! The checking side: does a set of expanded scopes allow a request (`has_scope`,
//! `needs_scope`), and which filter must a list endpoint apply.

use super::{ExpandedScopes, Grant, GroupMembership, Resource, ScopeName};

/// Why a request was refused, with the status and message JupyterHub's `needs_scope` sends
/// (the messages are JupyterHub's, verbatim, hence their capital letters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// A needed scope is held, but only for other resources: 404, so a caller cannot learn
    /// whether a resource they may not see exists.
    #[error("No access to resources or resources not found")]
    NotFound,
    /// None of the needed scopes is held at all: 403.
    #[error("Action is not authorized with current scopes; requires any of [{}]", list(.required))]
    Forbidden {
        /// The scopes that would have allowed the request (any one of them).
        required: Vec<ScopeName>,
    },
}

fn list(names: &[ScopeName]) -> String {
    names
        .iter()
        .map(ScopeName::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

// === impl Denied ===

impl Denied {
    /// The HTTP status JupyterHub answers with: 404 or 403.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Forbidden { .. } => 403,
        }
    }
}

// === impl ExpandedScopes ===

impl ExpandedScopes {
    /// Whether `name` is held for `resource` (`has_scope`); with no resource, whether it is held
    /// unfiltered.
    pub fn allows(
        &self,
        name: impl Into<ScopeName>,
        resource: Option<&Resource>,
        membership: &dyn GroupMembership,
    ) -> bool {
        self.allows_ref(&name.into(), resource, membership)
    }

    fn allows_ref(
        &self,
        name: &ScopeName,
        resource: Option<&Resource>,
        membership: &dyn GroupMembership,
    ) -> bool {
        match (self.get(name), resource) {
            (None, _) => false,
            (Some(Grant::All), _) => true,
            (Some(Grant::Only(_)), None) => false,
            (Some(grant), Some(resource)) => grant.allows(resource, membership),
        }
    }

    /// The check `@needs_scope(*any_of)` makes on an endpoint about `resource` (the user,
    /// server, group or service in its path, or none).
    ///
    /// Allowed if any scope of `any_of` is held for the resource. Otherwise, when the request
    /// names a resource and one of the scopes is held for other resources, [`Denied::NotFound`];
    /// else [`Denied::Forbidden`].
    pub fn check(
        &self,
        any_of: &[ScopeName],
        resource: Option<&Resource>,
        membership: &dyn GroupMembership,
    ) -> Result<(), Denied> {
        if any_of
            .iter()
            .any(|name| self.allows_ref(name, resource, membership))
        {
            return Ok(());
        }
        if resource.is_some() && any_of.iter().any(|name| self.get(name).is_some()) {
            return Err(Denied::NotFound);
        }
        Err(Denied::Forbidden {
            required: any_of.to_vec(),
        })
    }

    /// The check of a list endpoint (`@needs_scope(name, post_filter=True)`): the grant to
    /// filter the listing by, or [`Denied::Forbidden`] if `name` is not held at all.
    ///
    /// Which filter kinds an endpoint honours is its own business: JupyterHub answers 403 to a
    /// `list:users` held only with `!server=` or `!service=` filters, and to a `list:groups`
    /// with anything but `!group=`, and lists nothing for `list:services` without `!service=`.
    pub fn check_list(&self, name: impl Into<ScopeName>) -> Result<&Grant, Denied> {
        let name = name.into();
        self.get(&name).ok_or_else(|| Denied::Forbidden {
            required: vec![name],
        })
    }
}
