//! Identifiers and authorization vocabulary shared by the hub's crates.
//!
//! - [`UserName`], [`ServerName`], [`FullServerName`], [`GroupName`], [`ServiceName`] and
//!   [`RoleName`] are validated newtypes: a value that exists has passed JupyterHub 6.1.1's rules.
//! - [`scope`] is JupyterHub's RBAC scope grammar: parsing, expansion, intersection and checks.
//! - [`roles`] holds the four default roles.
//!
//! Nothing here is async and nothing does I/O; group membership, the one fact that needs the
//! database, is passed in by the caller through [`scope::GroupMembership`].

#![forbid(unsafe_code)]

mod names;
pub mod roles;
pub mod scope;

pub use names::{
    FullServerName, GroupName, MAX_NAME_CHARS, NameError, NameKind, NameRule, RoleName, ServerName,
    ServiceName, UserName,
};
