//! JupyterHub's RBAC scopes, following `jupyterhub/scopes.py` of JupyterHub 6.1.1.
//!
//! - A [`Scope`] is one scope string as written in a role or token: a [`ScopeName`] (built-in
//!   or `custom:`) and an optional [`Filter`], concrete (`!user=alice`) or owner-relative
//!   (`!user`).
//! - [`expand_scopes`] turns raw scopes into [`ExpandedScopes`]: subscopes, `self`, and
//!   owner-relative filters resolved.
//! - [`intersect_scopes`] intersects two expanded sets, honouring
//!   `!server=u/s` ⊂ `!user=u` ⊂ `!group=g`; group membership comes from a [`GroupMembership`].
//! - [`ExpandedScopes::check`] and [`ExpandedScopes::check_list`] are the request-side checks,
//!   with JupyterHub's 404-versus-403 rule.
//! - [`token_scopes`] and [`resolve_requested_scopes`] compose these into a token's
//!   permissions.

mod check;
mod definitions;
mod expand;
mod expanded;
mod intersect;
mod parse;
mod registry;
mod token;

#[cfg(test)]
mod tests;

pub use check::Denied;
pub use definitions::{BuiltinDefinition, BuiltinScope};
pub use expand::{Expansion, IssuingClient, Owner, access_scopes, expand_scopes, identify_scopes};
pub use expanded::{ExpandedScopes, Grant, ResourceSet};
pub use intersect::{GroupMembership, NoGroups, intersect_scopes};
pub use parse::{Filter, MAX_SCOPE_CHARS, OwnFilter, Resource, ResourceKind, Scope, ScopeError};
pub use registry::{CustomScopeDefinition, CustomScopeName, ScopeName, ScopeRegistry};
pub use token::{TokenScopes, resolve_requested_scopes, token_scopes};
