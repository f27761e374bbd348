//! Expansion of raw scopes.

use super::*;

const SELF_ALICE: &[&str] = &[
    "access:servers!user=alice",
    "delete:servers!user=alice",
    "read:servers!user=alice",
    "read:shares!user=alice",
    "read:tokens!user=alice",
    "read:users!user=alice",
    "read:users:activity!user=alice",
    "read:users:groups!user=alice",
    "read:users:name!user=alice",
    "read:users:shares!user=alice",
    "servers!user=alice",
    "start:servers!user=alice",
    "tokens!user=alice",
    "users:activity!user=alice",
    "users:shares!user=alice",
];

struct Case {
    case: &'static str,
    raw: &'static [&'static str],
    owner: Option<Owner>,
    client: Option<IssuingClient>,
    expect: &'static [&'static str],
    unresolved: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let alice = || Some(Owner::User(user("alice")));
    let svc = || Some(Owner::Service(service("svc")));
    let case = |case, raw, expect| Case {
        case,
        raw,
        owner: None,
        client: None,
        expect,
        unresolved: &[],
    };
    vec![
        case("leaf", &["read:hub"], &["read:hub"]),
        case(
            "subscopes, recursively",
            &["admin:users"],
            &[
                "admin:auth_state",
                "admin:users",
                "delete:users",
                "list:users",
                "read:roles:users",
                "read:users",
                "read:users:activity",
                "read:users:groups",
                "read:users:name",
                "users",
                "users:activity",
            ],
        ),
        case(
            "filter carried to subscopes",
            &["servers!user=alice"],
            &[
                "delete:servers!user=alice",
                "read:servers!user=alice",
                "read:users:name!user=alice",
                "servers!user=alice",
                "start:servers!user=alice",
            ],
        ),
        case(
            "!server drops read:users subscopes",
            &["servers!server=alice/"],
            &[
                "delete:servers!server=alice/",
                "read:servers!server=alice/",
                "servers!server=alice/",
                "start:servers!server=alice/",
            ],
        ),
        case(
            "!server drops read:users itself",
            &["read:users!server=alice/", "users!server=alice/"],
            &[
                "list:users!server=alice/",
                "users!server=alice/",
                "users:activity!server=alice/",
            ],
        ),
        case(
            "group filter",
            &["admin:groups!group=g"],
            &[
                "admin:groups!group=g",
                "delete:groups!group=g",
                "groups!group=g",
                "list:groups!group=g",
                "read:groups!group=g",
                "read:groups:name!group=g",
                "read:roles:groups!group=g",
            ],
        ),
        case(
            "unfiltered swallows filtered",
            &["access:servers", "access:servers!user=alice"],
            &["access:servers"],
        ),
        case(
            "filters of one name accumulate",
            &["tokens!user=a", "tokens!group=g"],
            &[
                "read:tokens!group=g",
                "read:tokens!user=a",
                "tokens!group=g",
                "tokens!user=a",
            ],
        ),
        case("inherit is kept as is", &["inherit"], &["inherit"]),
        case("(no_scope) is kept as is", &["(no_scope)"], &["(no_scope)"]),
        case(
            "filtered self stays literal",
            &["self!user=bob"],
            &["self!user=bob"],
        ),
        Case {
            unresolved: &["self"],
            ..case("self without an owner is dropped", &["self"], &[])
        },
        Case {
            owner: alice(),
            ..case("self for a user", &["self"], SELF_ALICE)
        },
        Case {
            owner: svc(),
            unresolved: &["self"],
            ..case(
                "self for a service is dropped",
                &["self", "read:hub"],
                &["read:hub"],
            )
        },
        Case {
            owner: alice(),
            ..case(
                "!user for a user",
                &["users:activity!user"],
                &[
                    "read:users:activity!user=alice",
                    "users:activity!user=alice",
                ],
            )
        },
        Case {
            unresolved: &["read:users:activity!user", "users:activity!user"],
            ..case(
                "!user without an owner is dropped",
                &["users:activity!user"],
                &[],
            )
        },
        Case {
            owner: svc(),
            unresolved: &[
                "read:users!user",
                "read:users:activity!user",
                "read:users:groups!user",
                "read:users:name!user",
            ],
            ..case(
                "!user for a service is dropped",
                &["access:services!service", "read:users!user"],
                &["access:services!service=svc"],
            )
        },
        Case {
            owner: alice(),
            client: Some(IssuingClient::Service(service("hub-app"))),
            ..case(
                "!service from the client",
                &["access:services!service"],
                &["access:services!service=hub-app"],
            )
        },
        Case {
            owner: svc(),
            client: Some(IssuingClient::Service(service("other"))),
            ..case(
                "client's service beats the owner service",
                &["access:services!service"],
                &["access:services!service=other"],
            )
        },
        Case {
            owner: alice(),
            client: Some(IssuingClient::Server(server("alice/gpu"))),
            ..case(
                "!server from the client, read:users dropped",
                &[
                    "access:servers!server",
                    "read:servers!server",
                    "users:activity!user",
                ],
                &[
                    "access:servers!server=alice/gpu",
                    "read:servers!server=alice/gpu",
                    "read:users:activity!user=alice",
                    "users:activity!user=alice",
                ],
            )
        },
        Case {
            owner: alice(),
            client: Some(IssuingClient::Hub),
            unresolved: &["access:servers!server"],
            ..case(
                "!server with the hub client is dropped",
                &["access:servers!server"],
                &[],
            )
        },
    ]
}

#[test]
fn expand_scopes_table() {
    let registry = ScopeRegistry::builtin();
    for case in cases() {
        let expansion = expand_scopes(
            &registry,
            &raw(case.raw),
            case.owner.as_ref(),
            case.client.as_ref(),
        );
        assert_eq!(strings(&expansion.scopes), case.expect, "{}", case.case);
        let mut unresolved: Vec<String> = expansion
            .unresolved
            .iter()
            .map(ToString::to_string)
            .collect();
        unresolved.sort();
        let mut want: Vec<String> = case.unresolved.iter().map(ToString::to_string).collect();
        want.sort();
        assert_eq!(unresolved, want, "{}: unresolved", case.case);
    }
}

#[test]
fn expand_custom_scopes() {
    let mut registry = ScopeRegistry::builtin();
    let batch = [
        ("custom:x:all", &["custom:x:read", "custom:x:write"][..]),
        ("custom:x:read", &[]),
        ("custom:x:write", &["custom:x:read"]),
        ("custom:loop:a", &["custom:loop:b"]),
        ("custom:loop:b", &["custom:loop:a"]),
    ]
    .iter()
    .map(|(name, subs)| {
        let subscopes = subs.iter().map(ToString::to_string).collect();
        (
            name.to_string(),
            CustomScopeDefinition {
                description: String::new(),
                subscopes,
            },
        )
    })
    .collect();
    registry.define_custom_scopes(&batch).unwrap();
    type Row<'a> = (&'a str, &'a [&'a str], &'a [&'a str]);
    let cases: &[Row<'_>] = &[
        (
            "custom subscopes with filter",
            &["custom:x:all!user=a"],
            &[
                "custom:x:all!user=a",
                "custom:x:read!user=a",
                "custom:x:write!user=a",
            ],
        ),
        (
            "cycle terminates",
            &["custom:loop:a"],
            &["custom:loop:a", "custom:loop:b"],
        ),
        (
            "undefined custom expands to itself",
            &["custom:y:z"],
            &["custom:y:z"],
        ),
    ];
    for (case, input, expect) in cases {
        let expansion = expand_scopes(&registry, &raw(input), None, None);
        assert_eq!(strings(&expansion.scopes), *expect, "{case}");
    }
}

#[test]
fn identify_and_access_scopes() {
    type Row<'a> = (&'a str, ExpandedScopes, &'a [&'a str]);
    let cases: &[Row<'_>] = &[
        (
            "identify a user",
            identify_scopes(&Owner::User(user("alice"))),
            &["read:users:groups!user=alice", "read:users:name!user=alice"],
        ),
        (
            "identify a service",
            identify_scopes(&Owner::Service(service("svc"))),
            &["read:services:name!service=svc"],
        ),
        (
            "access via the hub",
            access_scopes(&IssuingClient::Hub),
            &[],
        ),
        (
            "access a service",
            access_scopes(&IssuingClient::Service(service("svc"))),
            &["access:services!service=svc"],
        ),
        (
            "access a server",
            access_scopes(&IssuingClient::Server(server("alice/"))),
            &["access:servers!server=alice/"],
        ),
    ];
    for (case, got, expect) in cases {
        assert_eq!(strings(got), *expect, "{case}");
    }
}

#[test]
fn expanded_scopes_set_operations() {
    type Row<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str], usize);
    let cases: &[Row<'_>] = &[
        // (case, a, b, a.difference(b), a.len())
        (
            "same strings removed",
            &["x:y", "tokens!user=a"],
            &["tokens!user=a"],
            &["x:y"],
            2,
        ),
        (
            "unfiltered does not remove filtered strings",
            &["tokens!user=a"],
            &["tokens"],
            &["tokens!user=a"],
            1,
        ),
        (
            "filtered does not remove unfiltered",
            &["tokens"],
            &["tokens!user=a"],
            &["tokens"],
            1,
        ),
        (
            "partial filter removal",
            &["tokens!user=a", "tokens!user=b"],
            &["tokens!user=a"],
            &["tokens!user=b"],
            2,
        ),
    ];
    for (case, a, b, diff, len) in cases {
        let a = ExpandedScopes::parse(a.iter().map(|s| s.replace("x:y", "read:hub")));
        let a = a.unwrap();
        let b = expanded(b);
        let want: Vec<String> = diff.iter().map(|s| s.replace("x:y", "read:hub")).collect();
        assert_eq!(strings(&a.difference(&b)), want, "{case}");
        assert_eq!(a.len(), *len, "{case}: len");
    }
    let error = ExpandedScopes::parse(["tokens!user"])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("owner-relative"),
        "owner-relative filters are refused: {error}"
    );
    let json = serde_json::to_string(&expanded(&["tokens", "read:hub"])).unwrap();
    assert_eq!(json, r#"["read:hub","tokens"]"#);
}
