//! The questions put to both implementations, and how they are sent to the Python.
//!
//! The cases themselves are grids over every built-in scope, filter, owner and client
//! (`grids.rs`) and hand-picked tables (`tables.rs`).

use ganymede_types::scope::{BuiltinScope, ResourceKind};
use serde_json::{Value, json};

use crate::{grids, tables};

/// Group membership known to both sides (`(user, group)`).
pub(crate) const MEMBERS: [(&str, &str); 4] =
    [("alice", "g"), ("bob", "g"), ("carol", "h"), ("alice", "h")];

/// One question, with a name saying what it checks.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) op: Op,
}

/// The scope's owner.
#[derive(Debug, Clone)]
pub(crate) enum Who {
    Nobody,
    User(String),
    Service(String),
}

/// The token's OAuth client.
#[derive(Debug, Clone)]
pub(crate) enum Client {
    None,
    Hub,
    Service(String),
    Server(String),
}

/// The function asked about, and its arguments.
pub(crate) enum Op {
    Expand {
        scopes: Vec<String>,
        owner: Who,
        client: Client,
    },
    Intersect {
        a: Vec<String>,
        b: Vec<String>,
        groups: bool,
    },
    Needs {
        any_of: Vec<String>,
        resource: Option<(ResourceKind, String)>,
        have: Vec<String>,
        post_filter: bool,
        groups: bool,
    },
    Resolve {
        requested: Vec<String>,
        have: Vec<String>,
        client: Client,
    },
    Token {
        token: Vec<String>,
        owner: Who,
        client: Client,
        roles: Vec<String>,
    },
    /// `differs`: JupyterHub accepts the scope and this crate deliberately does not.
    Exists { scope: String, differs: bool },
    /// `differs`: JupyterHub accepts the name and this crate deliberately does not.
    Name {
        kind: String,
        name: String,
        differs: bool,
    },
}

// === impl Op ===

impl Op {
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Op::Expand {
                scopes,
                owner,
                client,
            } => json!({
                "op": "expand", "scopes": scopes, "owner": who_json(owner), "client": client_json(client),
            }),
            Op::Intersect { a, b, groups } => {
                json!({"op": "intersect", "a": a, "b": b, "groups": groups})
            }
            Op::Needs {
                any_of,
                resource,
                have,
                post_filter,
                groups,
            } => json!({
                "op": "needs", "any_of": any_of, "have": have, "post_filter": post_filter, "groups": groups,
                "resource": resource.as_ref().map(|(kind, value)| json!({kind.to_string(): value})),
            }),
            Op::Resolve {
                requested,
                have,
                client,
            } => json!({
                "op": "resolve", "requested": requested, "have": have, "user": "alice", "client": client_json(client),
            }),
            Op::Token {
                token,
                owner,
                client,
                roles,
            } => json!({
                "op": "token", "token": token, "owner": who_json(owner), "client": client_json(client), "roles": roles,
            }),
            Op::Exists { scope, .. } => json!({"op": "exists", "scope": scope}),
            Op::Name { kind, name, .. } => json!({"op": "name", "kind": kind, "name": name}),
        }
    }
}

fn who_json(who: &Who) -> Value {
    match who {
        Who::Nobody => Value::Null,
        Who::User(name) => json!({"user": name}),
        Who::Service(name) => json!({"service": name}),
    }
}

fn client_json(client: &Client) -> Value {
    match client {
        Client::None => Value::Null,
        Client::Hub => json!("hub"),
        Client::Service(name) => json!({"service": name}),
        Client::Server(name) => json!({"server": name}),
    }
}

pub(crate) fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

pub(crate) fn alice() -> Who {
    Who::User("alice".into())
}

pub(crate) fn svc() -> Who {
    Who::Service("svc".into())
}

pub(crate) fn gpu() -> Client {
    Client::Server("alice/gpu".into())
}

/// Every case, in a fixed order.
pub(crate) fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    grids::expand_cases(&mut cases);
    grids::intersect_cases(&mut cases);
    grids::needs_cases(&mut cases);
    tables::token_cases(&mut cases);
    tables::resolve_cases(&mut cases);
    tables::exists_cases(&mut cases);
    tables::name_cases(&mut cases);
    cases
}

pub(crate) fn builtin_names() -> impl Iterator<Item = &'static str> {
    BuiltinScope::definitions().iter().map(|d| d.name)
}
