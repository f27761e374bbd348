//! Expansion of raw scopes (`expand_scopes`): subscopes, filters carried to subscopes, the
//! `self` metascope, and owner-relative filters resolved against the owner and the OAuth client.

use std::collections::BTreeSet;

use super::{
    BuiltinScope, ExpandedScopes, Filter, OwnFilter, Resource, Scope, ScopeName, ScopeRegistry,
};
use crate::{FullServerName, ServiceName, UserName};

/// The scopes the `self` metascope stands for, each restricted to the owning user.
const SELF_SCOPES: [BuiltinScope; 7] = [
    BuiltinScope::ReadUsers,
    BuiltinScope::UsersShares,
    BuiltinScope::ReadShares,
    BuiltinScope::UsersActivity,
    BuiltinScope::Servers,
    BuiltinScope::Tokens,
    BuiltinScope::AccessServers,
];

/// Who holds the scopes being expanded: a role's or a token's owner.
///
/// A group (the owner of a group share) resolves nothing, like no owner at all: pass `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A user: `!user` and `self` resolve to them.
    User(UserName),
    /// A service: `!service` resolves to it.
    Service(ServiceName),
}

/// The OAuth client that issued a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IssuingClient {
    /// The hub itself (`jupyterhub`), which issues API tokens: resolves nothing.
    Hub,
    /// A service's client: `!service` resolves to it.
    Service(ServiceName),
    /// A single-user server's client: `!server` resolves to it.
    Server(FullServerName),
}

/// The result of [`expand_scopes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded, reduced scopes.
    pub scopes: ExpandedScopes,
    /// Scopes dropped because their owner-relative filter or `self` had nothing to resolve to
    /// (JupyterHub warns about each); worth a log line.
    pub unresolved: BTreeSet<Scope>,
}

/// Expands raw scopes for `owner`, of a token issued by `client`.
///
/// Each scope brings its subscopes (recursively) with the same filter, except that a
/// `!server` filter (resolved or not) drops the `read:users*` subscopes, which are about users.
/// `!user` becomes `!user=<owner>`, `!service` the client's service or else the owner service,
/// `!server` the client's server; with no target the scope is dropped. An unfiltered `self`
/// becomes `read:users`, `users:shares`, `read:shares`, `users:activity`, `servers`, `tokens`
/// and `access:servers` (with subscopes) for the user owner, with `!user=<owner>`.
/// Undefined custom scopes expand to themselves.
pub fn expand_scopes<'a>(
    registry: &ScopeRegistry,
    scopes: impl IntoIterator<Item = &'a Scope>,
    owner: Option<&Owner>,
    client: Option<&IssuingClient>,
) -> Expansion {
    let mut expansion = Expansion::default();
    let mut wants_self = false;
    for scope in scopes {
        for sub in expand_one(registry, scope) {
            let resource = match sub.filter() {
                None if *sub.name() == BuiltinScope::SelfScope => {
                    wants_self = true;
                    continue;
                }
                None => None,
                Some(Filter::Resource(resource)) => Some(resource.clone()),
                Some(Filter::Own(own)) => match resolve(*own, owner, client) {
                    Some(resource) => Some(resource),
                    None => {
                        expansion.unresolved.insert(sub);
                        continue;
                    }
                },
            };
            expansion.scopes.insert(sub.name().clone(), resource);
        }
    }
    if wants_self {
        match owner {
            Some(Owner::User(user)) => expansion.scopes.extend(&self_scopes(registry, user)),
            _ => {
                expansion
                    .unresolved
                    .insert(Scope::new(BuiltinScope::SelfScope, None));
            }
        }
    }
    expansion
}

/// A scope and its subscopes, with the scope's filter (`_expand_scope`).
fn expand_one(registry: &ScopeRegistry, scope: &Scope) -> Vec<Scope> {
    let on_server = matches!(
        scope.filter(),
        Some(Filter::Resource(Resource::Server(_)) | Filter::Own(OwnFilter::Server))
    );
    registry
        .with_subscopes(scope.name())
        .into_iter()
        .filter(|name| !(on_server && name.as_str().starts_with("read:user")))
        .map(|name| Scope::new(name, scope.filter().cloned()))
        .collect()
}

fn resolve(
    own: OwnFilter,
    owner: Option<&Owner>,
    client: Option<&IssuingClient>,
) -> Option<Resource> {
    match (own, owner, client) {
        (OwnFilter::User, Some(Owner::User(user)), _) => Some(Resource::User(user.clone())),
        (OwnFilter::Service, _, Some(IssuingClient::Service(service)))
        | (OwnFilter::Service, Some(Owner::Service(service)), _) => {
            Some(Resource::Service(service.clone()))
        }
        (OwnFilter::Server, _, Some(IssuingClient::Server(server))) => {
            Some(Resource::Server(server.clone()))
        }
        _ => None,
    }
}

/// What `self` means for `user` (`_expand_self_scope`).
fn self_scopes(registry: &ScopeRegistry, user: &UserName) -> ExpandedScopes {
    let mut scopes = ExpandedScopes::new();
    for scope in SELF_SCOPES {
        for name in registry.with_subscopes(&ScopeName::Builtin(scope)) {
            scopes.insert(name, Some(Resource::User(user.clone())));
        }
    }
    scopes
}

/// The scopes every token of `owner` has, to identify its owner (`identify_scopes`).
pub fn identify_scopes(owner: &Owner) -> ExpandedScopes {
    let mut scopes = ExpandedScopes::new();
    match owner {
        Owner::User(user) => {
            for name in [BuiltinScope::ReadUsersName, BuiltinScope::ReadUsersGroups] {
                scopes.insert(name.into(), Some(Resource::User(user.clone())));
            }
        }
        Owner::Service(service) => scopes.insert(
            BuiltinScope::ReadServicesName.into(),
            Some(Resource::Service(service.clone())),
        ),
    }
    scopes
}

/// The scope needed to use what `client` fronts (`access_scopes`): nothing for the hub,
/// `access:services!service=<s>` or `access:servers!server=<u>/<s>`.
pub fn access_scopes(client: &IssuingClient) -> ExpandedScopes {
    let mut scopes = ExpandedScopes::new();
    match client {
        IssuingClient::Hub => {}
        IssuingClient::Service(service) => scopes.insert(
            BuiltinScope::AccessServices.into(),
            Some(Resource::Service(service.clone())),
        ),
        IssuingClient::Server(server) => scopes.insert(
            BuiltinScope::AccessServers.into(),
            Some(Resource::Server(server.clone())),
        ),
    }
    scopes
}
