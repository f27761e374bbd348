//! The permissions of a token (`get_scopes_for` on an `APIToken`) and the resolution of
//! requested scopes against held ones (`_resolve_requested_scopes`).

use std::collections::BTreeSet;

use super::{
    BuiltinScope, ExpandedScopes, GroupMembership, IssuingClient, Owner, Scope, ScopeRegistry,
    access_scopes, expand_scopes, identify_scopes, intersect_scopes,
};

/// The result of [`token_scopes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenScopes {
    /// What the token may do.
    pub scopes: ExpandedScopes,
    /// Scopes of the token its owner no longer holds (JupyterHub logs them as discarded).
    pub discarded: ExpandedScopes,
}

/// The permissions of a token with raw scopes `token`, owned by `owner` (whose own expanded
/// scopes, from roles, groups' roles and shares, are `owner_scopes`), issued by `client`.
///
/// A token with the `inherit` scope has exactly its owner's scopes. Otherwise its expanded
/// scopes, plus the client's access scope and the owner's identify scopes, are intersected
/// with `owner_scopes`, so revoking a role narrows existing tokens.
pub fn token_scopes(
    registry: &ScopeRegistry,
    token: &BTreeSet<Scope>,
    owner: &Owner,
    client: &IssuingClient,
    owner_scopes: &ExpandedScopes,
    membership: &dyn GroupMembership,
) -> TokenScopes {
    if token.contains(&Scope::new(BuiltinScope::Inherit, None)) {
        return TokenScopes {
            scopes: owner_scopes.clone(),
            discarded: ExpandedScopes::new(),
        };
    }
    let mut wanted = expand_scopes(registry, token, Some(owner), Some(client)).scopes;
    wanted.extend(&access_scopes(client));
    wanted.extend(&identify_scopes(owner));
    let scopes = intersect_scopes(&wanted, owner_scopes, membership);
    let discarded = wanted.difference(&scopes);
    TokenScopes { scopes, discarded }
}

/// Splits `requested` raw scopes into those `user` (holding raw scopes `have`) may be given and
/// those refused, for a token issued by `client`.
///
/// A requested scope held verbatim is allowed. Otherwise its expansion (minus what is already
/// allowed) is intersected with the expansion of `have`: all of it → the scope is allowed as
/// written; part of it → that part is allowed as expanded scopes and the scope is still
/// reported refused; none → refused. A scope whose expansion is empty, or already allowed, is
/// allowed. Refused scopes are visited in [`Scope`]'s order (Python's order is a set's).
pub fn resolve_requested_scopes(
    registry: &ScopeRegistry,
    requested: &BTreeSet<Scope>,
    have: &BTreeSet<Scope>,
    user: &Owner,
    client: &IssuingClient,
    membership: &dyn GroupMembership,
) -> (BTreeSet<Scope>, BTreeSet<Scope>) {
    let mut allowed: BTreeSet<Scope> = requested.intersection(have).cloned().collect();
    let mut refused: BTreeSet<Scope> = requested.difference(have).cloned().collect();
    if refused.is_empty() {
        return (allowed, refused);
    }
    let expand =
        |scopes: &BTreeSet<Scope>| expand_scopes(registry, scopes, Some(user), Some(client)).scopes;
    let mut expanded_allowed = expand(&allowed);
    let expanded_have = expand(have);
    for scope in refused.clone() {
        let wanted = expand(&BTreeSet::from([scope.clone()])).difference(&expanded_allowed);
        let granted = if wanted.is_empty() {
            ExpandedScopes::new()
        } else {
            intersect_scopes(&wanted, &expanded_have, membership)
        };
        if granted == wanted {
            allowed.insert(scope.clone());
            refused.remove(&scope);
            expanded_allowed = expand(&allowed);
        } else if !granted.is_empty() {
            allowed.extend(granted.to_scopes());
            expanded_allowed = expand(&allowed);
        }
    }
    (allowed, refused)
}
