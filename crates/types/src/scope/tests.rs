//! Table-driven tests of the scope grammar, one table per function; each case names what it
//! checks. The cross-check against JupyterHub itself is `tests/scopes_vs_jupyterhub.rs`.

mod check;
mod expand;
mod intersect;
mod parse;
mod token;

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::{FullServerName, GroupName, ServiceName, UserName};

fn raw(list: &[&str]) -> BTreeSet<Scope> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

fn expanded(list: &[&str]) -> ExpandedScopes {
    ExpandedScopes::parse(list).unwrap()
}

fn strings(scopes: &ExpandedScopes) -> Vec<String> {
    scopes.to_strings().into_iter().collect()
}

fn user(name: &str) -> UserName {
    UserName::new(name).unwrap()
}

fn service(name: &str) -> ServiceName {
    ServiceName::new(name).unwrap()
}

fn server(full_name: &str) -> FullServerName {
    full_name.parse().unwrap()
}

/// Membership from `(user, group)` pairs.
fn members(pairs: &[(&str, &str)]) -> BTreeMap<UserName, BTreeSet<GroupName>> {
    let mut map: BTreeMap<UserName, BTreeSet<GroupName>> = BTreeMap::new();
    for (u, g) in pairs {
        map.entry(user(u))
            .or_default()
            .insert(GroupName::new(*g).unwrap());
    }
    map
}
