//! Hand-picked cases: token scopes, requested-scope resolution, scope validation and name
//! validation, including the places where this crate is deliberately stricter.

use ganymede_types::roles::DEFAULT_ROLES;

use crate::cases::{Case, Client, Op, Who, alice, builtin_names, gpu, strings, svc};

/// (what, token scopes, owner, client, owner's role scopes)
type TokenRow = (
    &'static str,
    &'static [&'static str],
    Who,
    Client,
    &'static [&'static str],
);

pub(crate) fn token_cases(cases: &mut Vec<Case>) {
    let table: &[TokenRow] = &[
        ("inherit", &["inherit"], alice(), Client::Hub, &["self"]),
        (
            "!user",
            &["read:users!user"],
            alice(),
            Client::Hub,
            &["self"],
        ),
        (
            "more than held",
            &["read:users", "admin:users"],
            alice(),
            Client::Hub,
            &["self"],
        ),
        (
            "nothing held",
            &["admin:groups"],
            alice(),
            Client::Hub,
            &["self"],
        ),
        (
            "oauth server token",
            &["users:activity!user"],
            alice(),
            gpu(),
            &["self"],
        ),
        (
            "server role via its own client",
            &["users:activity!user", "access:servers!server"],
            alice(),
            gpu(),
            &["self"],
        ),
        (
            "oauth token without access to its server",
            &["read:users:name!user"],
            alice(),
            Client::Server("bob/".into()),
            &["self"],
        ),
        (
            "token group filter vs owner user",
            &["read:users!group=g"],
            alice(),
            Client::Hub,
            &["self"],
        ),
        (
            "owner group filter vs token user",
            &["read:users!user=alice", "read:users!user=carol"],
            alice(),
            Client::Hub,
            &["read:users!group=g"],
        ),
        (
            "service token",
            &["access:services!service"],
            svc(),
            Client::Hub,
            &["access:services", "read:services:name"],
        ),
        (
            "service token from another client",
            &["access:services!service"],
            svc(),
            Client::Service("other".into()),
            &["access:services", "read:services:name"],
        ),
        (
            "admin token",
            &["admin:users", "proxy"],
            alice(),
            Client::Hub,
            DEFAULT_ROLES[1].scopes,
        ),
    ];
    for (what, token, owner, client, roles) in table {
        let name = format!("token {what}: {token:?} of {owner:?} via {client:?} holding {roles:?}");
        let op = Op::Token {
            token: strings(token),
            owner: owner.clone(),
            client: client.clone(),
            roles: strings(roles),
        };
        cases.push(Case { name, op });
    }
}

pub(crate) fn resolve_cases(cases: &mut Vec<Case>) {
    let table: &[(&str, &[&str], &[&str], Client)] = &[
        ("held verbatim", &["self"], &["self"], Client::Hub),
        (
            "covered by self",
            &["read:users!user=alice"],
            &["self"],
            Client::Hub,
        ),
        (
            "abbreviation kept",
            &["servers!user"],
            &["self"],
            Client::Hub,
        ),
        ("partly covered", &["read:users"], &["self"], Client::Hub),
        (
            "not covered",
            &["admin:users!user=bob"],
            &["self"],
            Client::Hub,
        ),
        (
            "empty expansion",
            &["read:users!server=bob/"],
            &["self"],
            Client::Hub,
        ),
        (
            "through a group",
            &["read:users!user=alice"],
            &["read:users!group=g"],
            Client::Hub,
        ),
        (
            "inherit is not expanded",
            &["inherit", "read:hub"],
            &["inherit"],
            Client::Hub,
        ),
        (
            "server token scopes",
            &["users:activity!user", "access:servers!server=alice/gpu"],
            &["self", "inherit"],
            gpu(),
        ),
        (
            "server filter via client",
            &["access:servers!server"],
            &["self"],
            gpu(),
        ),
        (
            "several, some refused",
            &["read:hub", "tokens!user", "admin:users"],
            &["self"],
            Client::Hub,
        ),
    ];
    for (what, requested, have, client) in table {
        let name = format!("resolve {what}: {requested:?} having {have:?} via {client:?}");
        let op = Op::Resolve {
            requested: strings(requested),
            have: strings(have),
            client: client.clone(),
        };
        cases.push(Case { name, op });
    }
}

pub(crate) fn exists_cases(cases: &mut Vec<Case>) {
    let mut add = |scope: &str, differs: bool| {
        let name = format!(
            "scope {scope:?} {}",
            if differs {
                "(deliberately stricter)"
            } else {
                ""
            }
        );
        cases.push(Case {
            name,
            op: Op::Exists {
                scope: scope.to_string(),
                differs,
            },
        });
    };
    for name in builtin_names() {
        add(name, false);
    }
    for scope in [
        "all",
        "read:nothing",
        "custom:foo",
        "",
        "read:users!group",
        "read:users!users=x",
        "read:users!user=",
        "read:users!group=",
        "access:servers!server",
        "access:services!service",
        "users:activity!user",
        "read:users!user=alice",
        "servers!server=alice/",
        "servers!server=alice/gpu",
        "read:users!user=a=b",
    ] {
        add(scope, false);
    }
    for scope in [
        "read:users!",
        "servers!server=alice",
        "read:users!user=a/b",
        "read:users!user= alice",
        "servers!server=a/b/c",
        "read:users!user=..",
    ] {
        add(scope, true);
    }
}

pub(crate) fn name_cases(cases: &mut Vec<Case>) {
    let long_role = format!("a{}", "b".repeat(254));
    let too_long_role = format!("{long_role}c");
    let table: &[(&str, &[&str])] = &[
        (
            "user",
            &[
                "alice",
                "Alice",
                ".",
                "..",
                "...",
                "%2e",
                "%2E%2e",
                ".%41",
                "%252e",
                "%2",
                " a",
                "a ",
                "a\u{1c}",
                "a\u{1c}b",
                "a\u{a0}",
                "\u{3000}a",
                "\u{200b}a",
                "a/b",
                "",
                "a\nb",
                "a@b.c",
            ],
        ),
        (
            "service",
            &[
                "svc", "a%41", "a%2f", "100%", "%4", ".", "..", ".a", " s", "s\t", "a/b", "",
                "s\u{85}",
            ],
        ),
        (
            "role",
            &[
                "abc",
                "ab",
                "Abc",
                "a.b",
                "ab.",
                "a-b_c~d.e9",
                "1ab",
                "-ab",
                "rôle",
                &long_role,
                &too_long_role,
            ],
        ),
        (
            "slug",
            &[
                "gpu",
                "a",
                "a--b",
                "gpu-",
                "1a",
                "Gpu",
                "",
                "a_b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ],
        ),
    ];
    for (kind, names) in table {
        for name in *names {
            let op = Op::Name {
                kind: kind.to_string(),
                name: name.to_string(),
                differs: false,
            };
            cases.push(Case {
                name: format!("{kind} name {name:?}"),
                op,
            });
        }
    }
    // Python's `$` also matches before a final newline.
    let op = Op::Name {
        kind: "role".into(),
        name: "abc\n".into(),
        differs: true,
    };
    cases.push(Case {
        name: "role name \"abc\\n\" (deliberately stricter)".into(),
        op,
    });
}
