//! Grids of cases: every built-in scope with every filter, owner and client for expansion;
//! every pair of a list of scope sets for intersection; endpoints × resources × held scopes for
//! `needs_scope`.

use ganymede_types::roles::DEFAULT_ROLES;
use ganymede_types::scope::ResourceKind;

use crate::cases::{Case, Client, Op, Who, alice, builtin_names, gpu, strings, svc};

pub(crate) fn expand_cases(cases: &mut Vec<Case>) {
    let mut add = |scopes: Vec<String>, owner: Who, client: Client| {
        let name = format!("expand {scopes:?} owner {owner:?} client {client:?}");
        cases.push(Case {
            name,
            op: Op::Expand {
                scopes,
                owner,
                client,
            },
        });
    };
    let concrete = [
        "",
        "!user=alice",
        "!server=alice/",
        "!server=alice/gpu",
        "!group=g",
        "!service=svc",
    ];
    let contexts = [
        (Who::Nobody, Client::None),
        (alice(), Client::None),
        (alice(), Client::Hub),
        (alice(), gpu()),
        (alice(), Client::Service("app".into())),
        (svc(), Client::None),
        (svc(), Client::Service("other".into())),
    ];
    for name in builtin_names() {
        for filter in concrete {
            add(vec![format!("{name}{filter}")], Who::Nobody, Client::None);
        }
        for filter in ["!user", "!service", "!server"] {
            for (owner, client) in &contexts {
                add(
                    vec![format!("{name}{filter}")],
                    owner.clone(),
                    client.clone(),
                );
            }
        }
    }
    let sets: &[&[&str]] = &[
        &["admin:users"],
        &["read:servers!server=alice/"],
        &["users"],
        &["servers!user=alice"],
        &["admin:groups!group=g"],
        &["access:servers", "access:servers!user=alice"],
        &[
            "tokens!user=alice",
            "tokens!group=g",
            "read:tokens!server=bob/",
        ],
        &["self", "read:hub"],
        &["self!user=bob"],
        &["inherit", "(no_scope)"],
    ];
    let roles = DEFAULT_ROLES.iter().map(|r| r.scopes);
    for set in sets.iter().copied().chain(roles) {
        for (owner, client) in [
            (Who::Nobody, Client::None),
            (alice(), Client::None),
            (alice(), gpu()),
            (svc(), Client::None),
        ] {
            add(strings(set), owner, client);
        }
    }
}

pub(crate) fn intersect_cases(cases: &mut Vec<Case>) {
    let sets: &[&[&str]] = &[
        &[],
        &["read:users", "servers"],
        &["read:users!user=alice", "servers!user=alice"],
        &["read:users!user=bob"],
        &["read:users!group=g", "servers!group=g"],
        &["read:users!group=h"],
        &["read:users!server=alice/", "servers!server=alice/gpu"],
        &[
            "read:users!server=bob/x",
            "read:users!user=carol",
            "servers!server=carol/",
        ],
        &["read:users!service=svc"],
        &[
            "read:users!user=alice",
            "read:users!group=h",
            "servers!user=dan",
        ],
        &["read:users", "read:users!user=dan"],
        &[
            "servers!server=alice/",
            "servers!server=bob/",
            "servers!server=dan/",
        ],
        &["servers!group=h", "servers!user=bob"],
        &["access:services!service=svc", "read:users!group=g"],
    ];
    for a in sets {
        for b in sets {
            for groups in [false, true] {
                let name = format!("intersect {a:?} & {b:?} groups {groups}");
                cases.push(Case {
                    name,
                    op: Op::Intersect {
                        a: strings(a),
                        b: strings(b),
                        groups,
                    },
                });
            }
        }
    }
}

pub(crate) fn needs_cases(cases: &mut Vec<Case>) {
    use ResourceKind::{Group, Server, Service, User};
    let endpoints: &[(&[&str], Option<ResourceKind>, bool)] = &[
        (
            &[
                "read:users",
                "read:users:name",
                "read:servers",
                "read:users:groups",
                "read:users:activity",
                "read:roles:users",
            ],
            Some(User),
            false,
        ),
        (&["admin:users"], Some(User), false),
        (&["start:servers"], Some(Server), false),
        (&["delete:servers"], Some(Server), false),
        (&["read:servers"], Some(Server), false),
        (
            &["read:groups", "read:groups:name", "read:roles:groups"],
            Some(Group),
            false,
        ),
        (&["groups"], Some(Group), false),
        (
            &["read:services", "read:services:name", "read:roles:services"],
            Some(Service),
            false,
        ),
        (&["shutdown"], None, false),
        (&["read:hub"], None, false),
        (&["list:users"], None, true),
        (&["list:groups"], None, true),
        (&["list:services"], None, true),
    ];
    let targets = |kind| -> &'static [&'static str] {
        match kind {
            User => &["alice", "bob", "dan"],
            Server => &["alice/", "alice/gpu", "bob/", "dan/x"],
            Group => &["g", "h"],
            Service => &["svc", "other"],
        }
    };
    let haves: &[&[&str]] = &[
        &[],
        &["read:users", "read:users:name"],
        &["read:users!user=alice"],
        &["read:users:name!group=g"],
        &["start:servers!user=alice", "delete:servers!server=bob/"],
        &["start:servers!group=h", "read:servers!server=alice/gpu"],
        &["read:groups!group=g", "groups!group=h"],
        &["read:services!service=svc", "list:services!service=svc"],
        &["list:users!user=alice", "list:users!group=g"],
        &["list:groups", "shutdown!user=alice"],
        &["read:hub", "read:roles:users!user=dan"],
        &["admin:users", "read:servers"],
    ];
    for (any_of, kind, post_filter) in endpoints {
        let resources: Vec<Option<(ResourceKind, String)>> = match kind {
            None => vec![None],
            Some(kind) => targets(*kind)
                .iter()
                .map(|t| Some((*kind, t.to_string())))
                .collect(),
        };
        for resource in resources {
            for have in haves {
                for groups in [false, true] {
                    let name = format!(
                        "needs any of {any_of:?} on {resource:?} with {have:?} groups {groups}"
                    );
                    let op = Op::Needs {
                        any_of: strings(any_of),
                        resource: resource.clone(),
                        have: strings(have),
                        post_filter: *post_filter,
                        groups,
                    };
                    cases.push(Case { name, op });
                }
            }
        }
    }
}
