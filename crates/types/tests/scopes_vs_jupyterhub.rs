//! Cross-check against JupyterHub 6.1.1 itself: the same questions (scope definitions, default
//! roles, expansion, intersection, `needs_scope`, token scopes, requested-scope resolution,
//! scope and name validation) are put to `scopes_vs_jupyterhub.py`, which answers with
//! JupyterHub's own functions, and to this crate; the answers must agree.
//!
//! The Python is `$PEERS_VENV/bin/python`, else `/var/cache/ganymede-peers/venv/bin/python`,
//! as installed by `bash scripts/peers.sh`. It runs once; every test here shares its answer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test binary: a failed expectation is a failed test"
)]

#[path = "scopes_vs_jupyterhub/cases.rs"]
mod cases;
#[path = "scopes_vs_jupyterhub/grids.rs"]
mod grids;
#[path = "scopes_vs_jupyterhub/tables.rs"]
mod tables;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use cases::{Case, Client, MEMBERS, Op, Who};
use ganymede_types::roles::DEFAULT_ROLES;
use ganymede_types::scope::{
    BuiltinScope, ExpandedScopes, GroupMembership, IssuingClient, NoGroups, Owner, Resource,
    ResourceKind, Scope, ScopeName, ScopeRegistry, expand_scopes, intersect_scopes,
    resolve_requested_scopes, token_scopes,
};
use ganymede_types::{GroupName, RoleName, ServerName, ServiceName, UserName};
use serde_json::{Value, json};

const DEFAULT_VENV: &str = "/var/cache/ganymede-peers/venv";

struct Run {
    cases: Vec<Case>,
    answer: Value,
}

fn python() -> PathBuf {
    let venv =
        std::env::var_os("PEERS_VENV").map_or_else(|| PathBuf::from(DEFAULT_VENV), PathBuf::from);
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "{} does not exist: install JupyterHub 6.1.1 with `bash scripts/peers.sh` \
         (or point PEERS_VENV at a venv that has it)",
        python.display()
    );
    python
}

/// Runs the Python once for all tests of this binary.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let cases = cases::all();
        let request = json!({
            "memberships": MEMBERS,
            "cases": cases.iter().map(|c| c.op.to_json()).collect::<Vec<_>>(),
        });
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scopes_vs_jupyterhub.py");
        let mut child = Command::new(python())
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python");
        let mut stdin = child.stdin.take().expect("python stdin");
        stdin
            .write_all(request.to_string().as_bytes())
            .expect("write cases to python");
        drop(stdin);
        let output = child.wait_with_output().expect("wait for python");
        assert!(
            output.status.success(),
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let answer: Value = serde_json::from_slice(&output.stdout).expect("python prints JSON");
        Run { cases, answer }
    })
}

/// Compares every case whose op `pick` selects; fails listing all disagreements.
fn compare(pick: fn(&Op) -> bool) {
    let run = run();
    let results = run.answer["results"].as_array().expect("results");
    assert_eq!(results.len(), run.cases.len(), "one result per case");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (case, python) in run.cases.iter().zip(results) {
        if !pick(&case.op) {
            continue;
        }
        checked += 1;
        let rust = rust_answer(&case.op);
        let agree = match &case.op {
            Op::Exists { differs: true, .. } => rust == json!(false) && python.is_null(),
            Op::Exists { .. } => rust == json!(python.is_null()),
            Op::Name { differs: true, .. } => rust == json!(false) && *python == json!(true),
            _ => rust == *python,
        };
        if !agree {
            failures.push(format!(
                "{}\n    python: {python}\n    rust:   {rust}",
                case.name
            ));
        }
    }
    assert!(checked > 0, "no cases selected");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn registry() -> ScopeRegistry {
    ScopeRegistry::builtin()
}

fn raw(list: &[String]) -> BTreeSet<Scope> {
    list.iter()
        .map(|s| s.parse().expect("case scope parses"))
        .collect()
}

fn sorted<T: ToString>(items: impl IntoIterator<Item = T>) -> Value {
    let set: BTreeSet<String> = items.into_iter().map(|s| s.to_string()).collect();
    json!(set)
}

fn owner(who: &Who) -> Option<Owner> {
    match who {
        Who::Nobody => None,
        Who::User(name) => Some(Owner::User(UserName::new(name.as_str()).expect("user"))),
        Who::Service(name) => Some(Owner::Service(
            ServiceName::new(name.as_str()).expect("service"),
        )),
    }
}

fn client(client: &Client) -> Option<IssuingClient> {
    match client {
        Client::None => None,
        Client::Hub => Some(IssuingClient::Hub),
        Client::Service(name) => Some(IssuingClient::Service(name.parse().expect("service"))),
        Client::Server(name) => Some(IssuingClient::Server(name.parse().expect("server"))),
    }
}

fn membership(groups: bool) -> Box<dyn GroupMembership> {
    if !groups {
        return Box::new(NoGroups);
    }
    Box::new(|user: &UserName, group: &GroupName| {
        MEMBERS.iter().any(|(u, g)| user == *u && group == *g)
    })
}

fn resource(spec: &Option<(ResourceKind, String)>) -> Option<Resource> {
    spec.as_ref()
        .map(|(kind, value)| Resource::new(*kind, value).expect("resource"))
}

fn rust_answer(op: &Op) -> Value {
    let registry = registry();
    match op {
        Op::Expand {
            scopes,
            owner: who,
            client: by,
        } => {
            let expansion = expand_scopes(
                &registry,
                &raw(scopes),
                owner(who).as_ref(),
                client(by).as_ref(),
            );
            json!({
                "scopes": sorted(expansion.scopes.to_strings()),
                "unresolved": sorted(expansion.unresolved),
            })
        }
        Op::Intersect { a, b, groups } => {
            let a = ExpandedScopes::parse(a).expect("a");
            let b = ExpandedScopes::parse(b).expect("b");
            sorted(intersect_scopes(&a, &b, membership(*groups).as_ref()).to_strings())
        }
        Op::Needs {
            any_of,
            resource: target,
            have,
            post_filter,
            groups,
        } => {
            let have = ExpandedScopes::parse(have).expect("have");
            let names: Vec<ScopeName> = any_of
                .iter()
                .map(|s| s.parse().expect("scope name"))
                .collect();
            let checked = if *post_filter {
                have.check_list(names[0].clone()).map(drop)
            } else {
                have.check(
                    &names,
                    resource(target).as_ref(),
                    membership(*groups).as_ref(),
                )
            };
            match checked {
                Ok(()) => json!("ok"),
                Err(denied) => json!([denied.status(), denied.to_string()]),
            }
        }
        Op::Resolve {
            requested,
            have,
            client: by,
        } => {
            let alice = owner(&Who::User("alice".into())).expect("alice");
            let by = client(by).expect("resolve needs a client");
            let (allowed, refused) = resolve_requested_scopes(
                &registry,
                &raw(requested),
                &raw(have),
                &alice,
                &by,
                membership(true).as_ref(),
            );
            json!({"allowed": sorted(allowed), "refused": sorted(refused)})
        }
        Op::Token {
            token,
            owner: who,
            client: by,
            roles,
        } => {
            let who = owner(who).expect("token owner");
            let owned = expand_scopes(&registry, &raw(roles), Some(&who), None).scopes;
            let by = client(by).expect("token client");
            let got = token_scopes(
                &registry,
                &raw(token),
                &who,
                &by,
                &owned,
                membership(true).as_ref(),
            );
            sorted(got.scopes.to_strings())
        }
        Op::Exists { scope, .. } => json!(registry.parse(scope).is_ok()),
        Op::Name { kind, name, .. } => json!(match kind.as_str() {
            "user" => UserName::new(name.as_str()).is_ok(),
            "service" => ServiceName::new(name.as_str()).is_ok(),
            "role" => RoleName::new(name.as_str()).is_ok(),
            _ => ServerName::new(name.as_str()).is_ok_and(|s| s.is_safe_slug()),
        }),
    }
}

#[test]
fn scope_definitions_match() {
    let python = &run().answer["definitions"];
    let rust: Vec<Value> = BuiltinScope::definitions()
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "description": d.description,
                "doc_description": d.doc_description,
                "subscopes": d.subscopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    assert_eq!(json!(rust), *python);
}

#[test]
fn default_roles_match() {
    let python = &run().answer["default_roles"];
    let rust: Vec<Value> = DEFAULT_ROLES
        .iter()
        .map(|r| json!({"name": r.name, "description": r.description, "scopes": r.scopes}))
        .collect();
    assert_eq!(json!(rust), *python);
}

#[test]
fn expansion_matches() {
    compare(|op| matches!(op, Op::Expand { .. }));
}

#[test]
fn intersection_matches() {
    compare(|op| matches!(op, Op::Intersect { .. }));
}

#[test]
fn needs_scope_matches() {
    compare(|op| matches!(op, Op::Needs { .. }));
}

#[test]
fn token_scopes_match() {
    compare(|op| matches!(op, Op::Token { .. }));
}

#[test]
fn resolve_requested_scopes_matches() {
    compare(|op| matches!(op, Op::Resolve { .. }));
}

#[test]
fn scope_validation_matches() {
    compare(|op| matches!(op, Op::Exists { .. }));
}

#[test]
fn name_validation_matches() {
    compare(|op| matches!(op, Op::Name { .. }));
}
